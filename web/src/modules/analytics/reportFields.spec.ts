import { describe, expect, it } from 'vitest'

import { i18n } from '@/i18n'

import {
  comparisonLabels,
  describeColumns,
  formatFilterValue,
  formatPercent,
  isFilterComplete,
  operatorsFor,
  toNumber,
  type FieldCatalog,
  type ReportField,
} from './reportFields'

function field(overrides: Partial<ReportField>): ReportField {
  return { path: 'amount', relation: '', label_zh: '金额', label_en: 'Amount', kind: 'amount', masked: false, ...overrides }
}

const catalog: FieldCatalog = {
  object: 'opportunities',
  relations: [
    { name: '', label_zh: '商机', label_en: 'Opportunities' },
    { name: 'stage', label_zh: '阶段', label_en: 'Stage' },
  ],
  fields: [
    field({}),
    field({ path: 'closed_on', label_zh: '成交日期', label_en: 'Closed on', kind: 'date' }),
    field({
      path: 'stage.key',
      relation: 'stage',
      label_zh: '阶段',
      label_en: 'Stage',
      kind: 'string',
      choices: [{ value: 'won', label_zh: '赢单', label_en: 'Won' }],
    }),
  ],
  users: [],
  teams: [],
}

const messages: Record<string, string> = {
  'analytics.report.aggregates.count': 'Count',
  'analytics.report.aggregates.sum': 'Sum',
  'analytics.report.buckets.month': 'Month',
  'analytics.columns.win_rate': 'Win rate',
}
const t = (key: string): string => messages[key] ?? key
const te = (key: string): boolean => key in messages

describe('formatFilterValue', () => {
  it('joins a list with commas', () => {
    expect(formatFilterValue(['a', 'b'])).toBe('a,b')
  })

  it('shows a missing value as empty text', () => {
    expect(formatFilterValue(null)).toBe('')
    expect(formatFilterValue(undefined)).toBe('')
  })

  it('shows scalars as their text', () => {
    expect(formatFilterValue(12.5)).toBe('12.5')
    expect(formatFilterValue(false)).toBe('false')
    expect(formatFilterValue('this_month')).toBe('this_month')
  })

  it('shows missing items of a range as empty', () => {
    expect(formatFilterValue(['2026-01-01', null])).toBe('2026-01-01,')
  })
})

describe('operatorsFor', () => {
  it('offers periods for dates', () => {
    expect(operatorsFor(field({ kind: 'date' }))[0]).toBe('relative')
  })

  it('offers only emptiness checks for masked fields', () => {
    expect(operatorsFor(field({ kind: 'string', masked: true }))).toEqual(['is_empty', 'is_not_empty'])
  })

  it('offers lists for choices and no contains', () => {
    const operators = operatorsFor(field({ kind: 'string', choices: [] }))
    expect(operators).toContain('in')
    expect(operators).not.toContain('contains')
  })

  it('offers nothing before a field is chosen', () => {
    expect(operatorsFor(undefined)).toEqual([])
  })
})

describe('isFilterComplete', () => {
  it('needs both ends of a range', () => {
    expect(isFilterComplete('between', [1, null])).toBe(false)
    expect(isFilterComplete('between', [1, 2])).toBe(true)
  })

  it('needs at least one listed value', () => {
    expect(isFilterComplete('in', [])).toBe(false)
    expect(isFilterComplete('in', ['won'])).toBe(true)
  })

  it('needs no value for emptiness checks', () => {
    expect(isFilterComplete('is_empty', null)).toBe(true)
  })

  it('keeps false and zero as values', () => {
    expect(isFilterComplete('eq', false)).toBe(true)
    expect(isFilterComplete('eq', 0)).toBe(true)
    expect(isFilterComplete('eq', '')).toBe(false)
  })
})

describe('toNumber', () => {
  it('reads decimal strings and leaves gaps empty', () => {
    expect(toNumber('12.50')).toBe(12.5)
    expect(toNumber('')).toBeUndefined()
    expect(toNumber('abc')).toBeUndefined()
  })
})

describe('describeColumns', () => {
  it('labels fields, aggregates, buckets and aliases', () => {
    const info = describeColumns(
      {
        object: 'opportunities',
        group_by: [
          { field: 'stage.key' },
          { field: 'closed_on', bucket: 'month' },
        ],
        measures: [
          { aggregate: 'sum', field: 'amount' },
          { aggregate: 'share', where: [{ field: 'stage.is_won', op: 'eq', value: true }], alias: 'win_rate' },
          { aggregate: 'count' },
        ],
      },
      catalog,
      t,
      te,
      'en',
    )
    expect(info.labels['stage.key']).toBe('Stage')
    expect(info.labels['closed_on:month']).toBe('Closed on (Month)')
    expect(info.labels['sum:amount']).toBe('Sum · Amount')
    expect(info.labels.win_rate).toBe('Win rate')
    expect(info.labels.count).toBe('Count')
    expect(info.rates).toEqual(['win_rate'])
    expect(info.values['stage.key']).toEqual({ won: 'Won' })
  })

  it('marks amount measures and the currency group', () => {
    const info = describeColumns(
      {
        object: 'opportunities',
        group_by: [{ field: 'currency' }],
        measures: [{ aggregate: 'sum', field: 'amount' }, { aggregate: 'count', field: 'amount' }, { aggregate: 'count' }],
      },
      { ...catalog, fields: [...catalog.fields, field({ path: 'currency', label_zh: '币种', label_en: 'Currency', kind: 'string' })] },
      t,
      te,
      'zh-CN',
    )

    expect(info.amounts).toEqual(['sum:amount', 'sum:amount:previous', 'sum:amount:change'])
    expect(info.currency).toBe('currency')
  })

  it('falls back to column names without a catalog', () => {
    const info = describeColumns({ object: 'leads', group_by: [{ field: 'lead_source' }] }, null, t, te, 'zh-CN')
    expect(info.labels.lead_source).toBe('lead_source')
    expect(info.labels.count).toBe('Count')
  })
})

describe('comparisonLabels', () => {
  function labelsIn(locale: 'zh-CN' | 'en', measureLabel: string): Record<string, string> {
    const { t } = i18n.global
    return comparisonLabels('won', measureLabel, (key, values) => t(key, values ?? {}, { locale }))
  }

  it('suffixes the measure label in Chinese', () => {
    expect(labelsIn('zh-CN', '赢单金额')).toEqual({ 'won:previous': '赢单金额（上期）', 'won:change': '赢单金额（变化）' })
  })

  it('suffixes the measure label in English', () => {
    expect(labelsIn('en', 'Won amount')).toEqual({
      'won:previous': 'Won amount (previous period)',
      'won:change': 'Won amount (change)',
    })
  })
})

describe('describeColumns comparing periods', () => {
  const comparing = {
    object: 'opportunities',
    filters: [{ field: 'closed_on', op: 'relative' as const, value: 'this_month' }],
    group_by: [{ field: 'stage.key' }],
    measures: [
      { aggregate: 'sum' as const, field: 'amount' },
      { aggregate: 'share' as const, where: [{ field: 'stage.is_won', op: 'eq' as const, value: true }], alias: 'win_rate' },
    ],
    compare_previous: true,
  }
  const translateMarkingSuffix = (key: string, values?: Record<string, unknown>): string =>
    key.startsWith('analytics.report.comparison.') ? `${String(values?.label)} [${key.split('.').pop()}]` : t(key)

  it('labels previous and change columns by their measure', () => {
    const info = describeColumns(comparing, catalog, translateMarkingSuffix, te, 'en')

    expect(info.labels['sum:amount:previous']).toBe('Sum · Amount [previous]')
    expect(info.labels['sum:amount:change']).toBe('Sum · Amount [change]')
    expect(info.labels['win_rate:previous']).toBe('Win rate [previous]')
    expect(info.labels['win_rate:change']).toBe('Win rate [change]')
  })

  it('keeps rates and amounts in the added columns', () => {
    const info = describeColumns(comparing, catalog, translateMarkingSuffix, te, 'en')

    expect(info.rates).toEqual(['win_rate', 'win_rate:previous', 'win_rate:change'])
    expect(info.amounts).toEqual(['sum:amount', 'sum:amount:previous', 'sum:amount:change'])
  })

  it('labels no added columns without comparison', () => {
    const info = describeColumns({ ...comparing, compare_previous: false }, catalog, translateMarkingSuffix, te, 'en')

    expect(Object.keys(info.labels)).toEqual(['stage.key', 'sum:amount', 'win_rate'])
  })
})

describe('formatPercent', () => {
  it('formats fractions and decimal strings', () => {
    expect(formatPercent(0.125, 'en')).toBe('12.5%')
    expect(formatPercent('0.5', 'en')).toBe('50%')
    expect(formatPercent(null, 'en')).toBe('—')
  })
})
