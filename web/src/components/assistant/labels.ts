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
  if (name.startsWith('conversion_rate:')) return t('assistant.aggregate.conversion_rate')
  const [head, tail] = name.split(':')
  if (tail === undefined || head === undefined) return fieldLabel(name, t, te)
  // `share:priority:eq` is the share of rows whose priority meets the condition.
  if (head === 'share') return `${fieldLabel(tail, t, te)} · ${t('assistant.aggregate.share')}`
  if ((AGGREGATES as readonly string[]).includes(head)) {
    return `${fieldLabel(tail, t, te)} · ${t(`assistant.aggregate.${head}`)}`
  }
  const bucket = `assistant.bucket.${tail}`
  return te(bucket) ? `${fieldLabel(head, t, te)} · ${t(bucket)}` : fieldLabel(name, t, te)
}

interface RateMeasure {
  aggregate?: string
  alias?: string | null
  where?: { field: string; op?: string }[]
  from_stage?: string | null
  to_stage?: string | null
}

/** Name the columns of rate measures (`share`, `conversion_rate`) the way the server names them. */
export function rateColumns(measures: RateMeasure[]): Set<string> {
  const names = new Set<string>()
  for (const measure of measures) {
    if (measure.aggregate !== 'share' && measure.aggregate !== 'conversion_rate') continue
    if (measure.alias) names.add(measure.alias)
    else if (measure.aggregate === 'share') {
      names.add(`share:${(measure.where ?? []).map((item) => `${item.field}:${item.op ?? 'eq'}`).join(',')}`)
    } else names.add(`conversion_rate:${measure.from_stage}->${measure.to_stage}`)
  }
  return names
}

/** Show a ratio such as `0.6314` as a percentage with one decimal. */
export function formatRate(value: unknown, locale: string): string {
  if (value === null || value === undefined || value === '') return '—'
  const number = Number(value)
  if (Number.isNaN(number)) return String(value)
  return new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(
    number,
  )
}

/** Show a decimal string or number with grouping, without turning amounts into floats for storage. */
export function formatCell(value: unknown, locale: string): string {
  if (value === null || value === undefined) return '—'
  // Amounts in several currencies come as one {currency, value} entry per currency, never added together.
  if (Array.isArray(value)) {
    return value
      .map((entry: { currency?: unknown; value?: unknown }) => `${String(entry.currency)} ${formatCell(entry.value, locale)}`)
      .join(' · ')
  }
  if (typeof value === 'number') return new Intl.NumberFormat(locale).format(value)
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) {
    const digits = value.includes('.') ? (value.split('.')[1]?.length ?? 0) : 0
    return new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(
      Number(value),
    )
  }
  return String(value)
}
