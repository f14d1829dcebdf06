import { describe, expect, it } from 'vitest'

import { i18n } from '@/i18n'

import { columnLabel, formatCell } from './labels'

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
})

describe('formatCell', () => {
  it('groups digits and keeps the decimals of amounts', () => {
    expect(formatCell('230000.00', 'en')).toBe('230,000.00')
    expect(formatCell(12, 'en')).toBe('12')
    expect(formatCell(null, 'en')).toBe('—')
    expect(formatCell('East', 'en')).toBe('East')
  })
})
