/** Readable labels for answer columns such as `owner.display_name`, `sum:amount` or `closed_on:month`. */

type Translate = (key: string) => string
type Exists = (key: string) => boolean

const AGGREGATES = ['count', 'count_distinct', 'sum', 'avg', 'min', 'max', 'median'] as const

export function fieldLabel(path: string, t: Translate, te: Exists): string {
  const key = `assistant.fields.${path.replace(/\./g, '_')}`
  if (te(key)) return t(key)
  const last = path.split('.').pop() ?? path
  const short = `assistant.fields.${last}`
  return te(short) ? t(short) : path
}

export function columnLabel(name: string, t: Translate, te: Exists): string {
  if (name === 'count') return t('assistant.aggregate.count')
  const [head, tail] = name.split(':')
  if (tail === undefined || head === undefined) return fieldLabel(name, t, te)
  if ((AGGREGATES as readonly string[]).includes(head)) {
    return `${fieldLabel(tail, t, te)} · ${t(`assistant.aggregate.${head}`)}`
  }
  const bucket = `assistant.bucket.${tail}`
  return te(bucket) ? `${fieldLabel(head, t, te)} · ${t(bucket)}` : fieldLabel(name, t, te)
}

/** Show a decimal string or number with grouping, without turning amounts into floats for storage. */
export function formatCell(value: unknown, locale: string): string {
  if (value === null || value === undefined) return '—'
  if (typeof value === 'number') return new Intl.NumberFormat(locale).format(value)
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) {
    const digits = value.includes('.') ? (value.split('.')[1]?.length ?? 0) : 0
    return new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(
      Number(value),
    )
  }
  return String(value)
}
