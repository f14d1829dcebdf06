import type { FieldInfo } from '@/api/records'

export interface FormatContext {
  locale: string
  timezone: string
  yes: string
  no: string
}

const EMPTY = '—'

type FormattedField = Pick<FieldInfo, 'field_type'> & Partial<Pick<FieldInfo, 'choice_labels' | 'unit'>>

/**
 * Text for a field value: choices by their label, amounts with their currency, durations with
 * their unit and dates in the user's time zone.
 */
export function formatValue(
  field: FormattedField | undefined,
  value: unknown,
  context: FormatContext,
  currency?: unknown,
): string {
  if (value === null || value === undefined || value === '') return EMPTY
  const type = field?.field_type ?? 'text'
  if (type === 'boolean') return value === true ? context.yes : context.no
  if (typeof value === 'string' && field?.choice_labels?.[value] !== undefined) return field.choice_labels[value]
  if (typeof value === 'number' && field?.unit === 'seconds') return formatDuration(value, context.locale)
  if (typeof value === 'number' && field?.unit === 'hours') return formatUnit(value, 'hour', context.locale)
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

function formatUnit(value: number, unit: 'hour' | 'minute' | 'second', locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long', maximumFractionDigits: 1 }).format(
    value,
  )
}

/** Format a number of seconds as hours and minutes ("1 hour, 5 minutes"), or as seconds under a minute. */
export function formatDuration(seconds: number, locale: string): string {
  const whole = Math.max(0, Math.round(seconds))
  if (whole < 60) return formatUnit(whole, 'second', locale)
  const hours = Math.floor(whole / 3600)
  const minutes = Math.floor((whole % 3600) / 60)
  const parts: string[] = []
  if (hours > 0) parts.push(formatUnit(hours, 'hour', locale))
  if (minutes > 0 || hours === 0) parts.push(formatUnit(minutes, 'minute', locale))
  return new Intl.ListFormat(locale, { type: 'unit', style: 'long' }).format(parts)
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
