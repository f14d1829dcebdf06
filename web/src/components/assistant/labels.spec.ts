import { describe, expect, it } from 'vitest'

import { i18n } from '@/i18n'

import { columnLabel, formatCell, formatRate, rateColumns } from './labels'

describe('columnLabel', () => {
  const t = (key: string): string => i18n.global.t(key)
  const te = (key: string): boolean => i18n.global.te(key)

  it('names dimensions, measures and time buckets', () => {
    i18n.global.locale.value = 'zh-CN'

    expect(columnLabel('owner.display_name', t, te)).toBe('销售')
    expect(columnLabel('sum:amount', t, te)).toBe('金额 · 合计')
    expect(columnLabel('closed_on:month', t, te)).toBe('成交日期 · 月')
    expect(columnLabel('count', t, te)).toBe('数量')
    expect(columnLabel('custom.region_code', t, te)).toBe('custom.region_code')
  })

  it('names rates', () => {
    i18n.global.locale.value = 'zh-CN'

    expect(columnLabel('win_rate', t, te)).toBe('赢单率')
    expect(columnLabel('share:priority:eq', t, te)).toBe('优先级 · 占比')
    expect(columnLabel('conversion_rate:engaging->won', t, te)).toBe('转化率')
  })
})

describe('rateColumns', () => {
  it('names share and conversion measures as the server does', () => {
    const names = rateColumns([
      { aggregate: 'count' },
      { aggregate: 'share', alias: 'win_rate', where: [{ field: 'stage.is_won', op: 'eq' }] },
      { aggregate: 'share', where: [{ field: 'priority', op: 'eq' }] },
      { aggregate: 'conversion_rate', from_stage: 'engaging', to_stage: 'won' },
    ])

    expect([...names]).toEqual(['win_rate', 'share:priority:eq', 'conversion_rate:engaging->won'])
  })
})

describe('formatRate', () => {
  it('shows a ratio as a percentage', () => {
    expect(formatRate('0.6314', 'en')).toBe('63.1%')
    expect(formatRate(null, 'en')).toBe('—')
  })
})

describe('formatCell', () => {
  it('groups digits and keeps the decimals of amounts', () => {
    expect(formatCell('230000.00', 'en')).toBe('230,000.00')
    expect(formatCell(12, 'en')).toBe('12')
    expect(formatCell(null, 'en')).toBe('—')
    expect(formatCell('East', 'en')).toBe('East')
  })
})
