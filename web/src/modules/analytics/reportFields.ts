import { api, type Schemas } from '@/api/client'
import { ProblemError } from '@/api/problem'
import { useSessionStore } from '@/stores/session'

import type { ReportQuery } from './reportApi'

export type ReportField = Schemas['ReportField']
export type FieldCatalog = Schemas['ReportFieldCatalog']
export type ForecastAttainment = Schemas['ForecastAttainment']
export type AttainmentRow = Schemas['AttainmentRow']
export type Operator = NonNullable<NonNullable<ReportQuery['filters']>[number]['op']>
export type Aggregate = NonNullable<NonNullable<ReportQuery['measures']>[number]['aggregate']>

type Translate = (key: string, values?: Record<string, unknown>) => string
type HasKey = (key: string) => boolean

const catalogs = new Map<string, Promise<FieldCatalog>>()

/** Fetch the report fields of an object, once per object and signed-in user. */
export function loadReportFields(objectName: string): Promise<FieldCatalog> {
  // Hidden and masked fields differ per user, so another sign-in fetches again.
  const key = `${useSessionStore().user?.userId ?? ''}:${objectName}`
  let pending = catalogs.get(key)
  if (pending === undefined) {
    pending = fetchReportFields(objectName)
    catalogs.set(key, pending)
    // A failed request is forgotten, so the next call tries again.
    pending.catch(() => catalogs.delete(key))
  }
  return pending
}

async function fetchReportFields(objectName: string): Promise<FieldCatalog> {
  const { data, error, response } = await api.GET('/api/v1/reports/fields/{object_name}', {
    params: { path: { object_name: objectName } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'fields failed')
  return data
}

export async function loadForecastAttainment(params: {
  period_start?: string | null
  group_by: 'owner' | 'team'
  owner_id?: string | null
  team_id?: string | null
}): Promise<ForecastAttainment> {
  const { data, error, response } = await api.GET('/api/v1/analytics/forecast-attainment', {
    params: { query: params },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'forecast failed')
  return data
}

export function isChinese(locale: string): boolean {
  return locale.toLowerCase().startsWith('zh')
}

/** Pick the zh-CN or en text of something labelled in both languages. */
export function labelIn(item: { label_zh: string; label_en: string }, locale: string): string {
  return isChinese(locale) ? item.label_zh : item.label_en
}

/**
 * Turn a stored filter value into the text of a plain input: list items joined by
 * commas, nothing for a missing value, and anything else as its string form.
 */
export function formatFilterValue(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (Array.isArray(value)) return value.map((item) => formatFilterValue(item)).join(',')
  return String(value)
}

/** Convert a stored value for a number input, returning undefined when empty or not a number. */
export function toNumber(value: unknown): number | undefined {
  if (value === null || value === undefined || value === '') return undefined
  const number = typeof value === 'number' ? value : Number(value)
  return Number.isNaN(number) ? undefined : number
}

export const DATE_KINDS = ['date', 'datetime']
export const NUMBER_KINDS = ['amount', 'number', 'integer']
const EMPTY_OPERATORS: Operator[] = ['is_empty', 'is_not_empty']

/** List the conditions that make sense for a field, most common first. */
export function operatorsFor(field: ReportField | undefined): Operator[] {
  if (field === undefined) return []
  if (field.masked) return EMPTY_OPERATORS
  if (DATE_KINDS.includes(field.kind)) return ['relative', 'between', 'eq', 'gte', 'lte', ...EMPTY_OPERATORS]
  if (NUMBER_KINDS.includes(field.kind)) return ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', ...EMPTY_OPERATORS]
  if (field.kind === 'boolean') return ['eq', ...EMPTY_OPERATORS]
  if (field.choices || field.reference) return ['eq', 'ne', 'in', 'not_in', ...EMPTY_OPERATORS]
  return ['eq', 'ne', 'contains', 'in', 'not_in', ...EMPTY_OPERATORS]
}

/** List the aggregates a field can be measured with. A masked field can only be counted. */
export function aggregatesFor(field: ReportField | undefined): Aggregate[] {
  if (field === undefined) return ['count']
  if (field.masked) return ['count', 'count_distinct']
  if (NUMBER_KINDS.includes(field.kind) || field.kind === 'custom') {
    return ['sum', 'avg', 'median', 'min', 'max', 'count', 'count_distinct']
  }
  if (DATE_KINDS.includes(field.kind)) return ['min', 'max', 'count', 'count_distinct']
  return ['count', 'count_distinct']
}

/** Return the value a filter starts with after its field or condition changes. */
export function initialFilterValue(field: ReportField | undefined, op: Operator): unknown {
  if (op === 'is_empty' || op === 'is_not_empty') return null
  if (op === 'relative') return 'this_month'
  if (op === 'in' || op === 'not_in') return []
  if (op === 'between') return field !== undefined && DATE_KINDS.includes(field.kind) ? null : [null, null]
  if (field?.kind === 'boolean') return true
  return null
}

/** Check that a filter has everything the engine needs, so a half-filled row is left out of a run. */
export function isFilterComplete(op: Operator, value: unknown): boolean {
  if (op === 'is_empty' || op === 'is_not_empty') return true
  if (Array.isArray(value)) {
    if (op === 'between') return value.length === 2 && value.every((item) => item !== null && item !== '')
    return value.length > 0
  }
  return value !== null && value !== undefined && value !== ''
}

const RATE_AGGREGATES = ['share', 'conversion_rate']
// Aggregates whose result is in the unit of their field, so a sum of amounts is an amount.
const AMOUNT_AGGREGATES = ['sum', 'avg', 'min', 'max', 'median']

export interface ColumnInfo {
  labels: Record<string, string>
  /** Columns holding a fraction from 0 to 1, shown as percentages on their own axis. */
  rates: string[]
  /** Per dimension column, the label of each stored value (stage keys, choice values). */
  values: Record<string, Record<string, string>>
  /** Measure columns holding money, with their previous-period and change columns. */
  amounts?: string[]
  /** The dimension column grouping by currency, whose value is the currency of its row's amounts. */
  currency?: string | null
}

function groupName(group: NonNullable<ReportQuery['group_by']>[number]): string {
  if (group.alias) return group.alias
  return group.bucket ? `${group.field}:${group.bucket}` : group.field
}

function measureName(measure: NonNullable<ReportQuery['measures']>[number]): string {
  if (measure.alias) return measure.alias
  const aggregate = measure.aggregate ?? 'count'
  if (aggregate === 'conversion_rate') return `conversion_rate:${measure.from_stage}->${measure.to_stage}`
  if (aggregate === 'share') return 'share:' + (measure.where ?? []).map((item) => `${item.field}:${item.op ?? 'eq'}`).join(',')
  if (aggregate === 'avg_days') return `avg_days:${measure.field}->${measure.end_field}`
  return measure.field ? `${aggregate}:${measure.field}` : aggregate
}

/** Label a field path with the relation it is reached through ("Owner / Name"). */
export function fieldPathLabel(path: string, catalog: FieldCatalog | null, locale: string): string {
  const field = catalog?.fields.find((item) => item.path === path)
  if (field === undefined) return path
  const relation = catalog?.relations.find((item) => item.name === field.relation)
  const own = labelIn(field, locale)
  if (!field.relation || relation === undefined) return own
  // "Stage / Stage" would repeat the same word.
  const through = labelIn(relation, locale)
  return through === own ? own : `${through} / ${own}`
}

// The columns that `compare_previous` adds after each measure, as `<measure>:<suffix>`.
export const COMPARISON_SUFFIXES = ['previous', 'change'] as const

/**
 * Label the previous-period and change columns of a measure with the measure's own
 * label, as the exported files do: "Won amount (previous period)", "赢单金额（上期）".
 */
export function comparisonLabels(measureColumn: string, measureLabel: string, t: Translate): Record<string, string> {
  return Object.fromEntries(
    COMPARISON_SUFFIXES.map((suffix) => [
      `${measureColumn}:${suffix}`,
      t(`analytics.report.comparison.${suffix}`, { label: measureLabel }),
    ]),
  )
}

/**
 * Label the columns of a query's result: an alias found in the catalog
 * (`analytics.columns.<alias>`), else the aggregate and field labels. With
 * `compare_previous`, each measure's previous-period and change columns get its
 * label with a suffix, and stay rates or amounts when the measure is one.
 */
export function describeColumns(
  query: ReportQuery,
  catalog: FieldCatalog | null,
  t: Translate,
  te: HasKey,
  locale: string,
): ColumnInfo {
  const info: ColumnInfo = { labels: {}, rates: [], values: {}, amounts: [], currency: null }
  for (const group of query.group_by ?? []) {
    const name = groupName(group)
    if (group.field === 'currency' || group.field.endsWith('.currency')) info.currency = name
    const aliasKey = `analytics.columns.${group.alias ?? ''}`
    let label = group.alias && te(aliasKey) ? t(aliasKey) : fieldPathLabel(group.field, catalog, locale)
    if (group.bucket && !(group.alias && te(aliasKey))) label = `${label} (${t(`analytics.report.buckets.${group.bucket}`)})`
    info.labels[name] = label
    const choices = catalog?.fields.find((item) => item.path === group.field)?.choices
    if (choices) info.values[name] = Object.fromEntries(choices.map((choice) => [choice.value, labelIn(choice, locale)]))
  }
  for (const measure of query.measures ?? [{ aggregate: 'count' }]) {
    const name = measureName(measure)
    const aggregate = measure.aggregate ?? 'count'
    const comparisons = COMPARISON_SUFFIXES.map((suffix) => `${name}:${suffix}`)
    if (RATE_AGGREGATES.includes(aggregate)) info.rates.push(name, ...(query.compare_previous ? comparisons : []))
    const kind = catalog?.fields.find((item) => item.path === measure.field)?.kind
    if (kind === 'amount' && AMOUNT_AGGREGATES.includes(aggregate)) info.amounts?.push(name, ...comparisons)
    const label = measureLabel(measure, name, catalog, t, te, locale)
    info.labels[name] = label
    // Only a comparing query has these columns, and the builder offers every labelled column for sorting.
    if (query.compare_previous) Object.assign(info.labels, comparisonLabels(name, label, t))
  }
  return info
}

function measureLabel(
  measure: NonNullable<ReportQuery['measures']>[number],
  name: string,
  catalog: FieldCatalog | null,
  t: Translate,
  te: HasKey,
  locale: string,
): string {
  const aggregate = measure.aggregate ?? 'count'
  const aliasKey = `analytics.columns.${measure.alias ?? ''}`
  if (measure.alias && te(aliasKey)) return t(aliasKey)
  if (measure.field && aggregate !== 'avg_days') {
    return `${t(`analytics.report.aggregates.${aggregate}`)} · ${fieldPathLabel(measure.field, catalog, locale)}`
  }
  if (te(`analytics.report.aggregates.${aggregate}`)) return t(`analytics.report.aggregates.${aggregate}`)
  return measure.alias ?? name
}

/** Format a fraction as a percentage in the user's language, e.g. 0.125 as "12.5%". */
export function formatPercent(value: unknown, locale: string): string {
  if (value === null || value === undefined || value === '') return '—'
  const number = typeof value === 'number' ? value : Number(value)
  if (Number.isNaN(number)) return String(value)
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(number)
}
