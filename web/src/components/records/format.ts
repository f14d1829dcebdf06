import type { FieldInfo } from '@/api/records'

export interface FormatContext {
  locale: string
  timezone: string
  yes: string
  no: string
}

const EMPTY = '—'

/** Text for a field value: amounts with their currency, dates in the user's time zone. */
export function formatValue(
  field: Pick<FieldInfo, 'field_type'> | undefined,
  value: unknown,
  context: FormatContext,
  currency?: unknown,
): string {
  if (value === null || value === undefined || value === '') return EMPTY
  const type = field?.field_type ?? 'text'
  if (type === 'boolean') return value === true ? context.yes : context.no
  if ((type === 'money' || type === 'decimal') && typeof value === 'string' && isNumeric(value)) {
    return formatAmount(value, context.locale, typeof currency === 'string' ? currency : undefined)
  }
  if (type === 'datetime' && typeof value === 'string') {
    const date = new Date(value)
    if (Number.isNaN(date.getTime())) return value
    return new Intl.DateTimeFormat(context.locale, {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: context.timezone,
    }).format(date)
  }
  if (type === 'date' && typeof value === 'string') {
    const date = new Date(`${value}T00:00:00Z`)
    if (Number.isNaN(date.getTime())) return value
    return new Intl.DateTimeFormat(context.locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(date)
  }
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

function isNumeric(value: string): boolean {
  return /^-?\d+(\.\d+)?$/.test(value)
}

/**
 * An amount from its decimal string. Display only: Number() may round beyond 15 digits,
 * so values sent back to the server always use the original string.
 * Without a currency, ``fractionDigits`` fixes the decimals (2 shows 150 as "150.00").
 */
export function formatAmount(value: string, locale: string, currency?: string, fractionDigits?: number): string {
  const number = Number(value)
  if (currency !== undefined && /^[A-Z]{3}$/.test(currency)) {
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(number)
  }
  const digits =
    fractionDigits === undefined
      ? { maximumFractionDigits: 2 }
      : { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits }
  return new Intl.NumberFormat(locale, digits).format(number)
}

/** Sum decimal strings exactly in cents (amounts have at most two decimals). */
export function sumAmounts(values: unknown[]): string {
  let cents = 0n
  for (const value of values) {
    if (typeof value !== 'string' || !isNumeric(value)) continue
    const [whole = '0', fraction = ''] = value.replace('-', '').split('.')
    const magnitude = BigInt(whole) * 100n + BigInt((fraction + '00').slice(0, 2))
    cents += value.startsWith('-') ? -magnitude : magnitude
  }
  const negative = cents < 0n
  const absolute = negative ? -cents : cents
  const text = `${absolute / 100n}.${(absolute % 100n).toString().padStart(2, '0')}`
  return negative ? `-${text}` : text
}
