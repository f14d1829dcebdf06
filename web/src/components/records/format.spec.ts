import { describe, expect, it } from 'vitest'

import { formatAmount, formatValue, sumAmounts } from './format'

const chinese = { locale: 'zh-CN', timezone: 'Asia/Shanghai', yes: '是', no: '否' }

describe('formatValue', () => {
  it('shows an empty value as a dash', () => {
    expect(formatValue({ field_type: 'text' }, null, chinese)).toBe('—')
  })

  it('shows money with its currency', () => {
    expect(formatValue({ field_type: 'money' }, '1234.50', chinese, 'CNY')).toBe('¥1,234.50')
  })

  it('shows a datetime in the user time zone', () => {
    expect(formatValue({ field_type: 'datetime' }, '2026-03-01T17:30:00Z', chinese)).toContain('2026年3月2日')
  })

  it('shows a date without shifting the day', () => {
    expect(formatValue({ field_type: 'date' }, '2026-03-01', { ...chinese, locale: 'en' })).toBe('Mar 1, 2026')
  })

  it('shows booleans in words', () => {
    expect(formatValue({ field_type: 'boolean' }, false, chinese)).toBe('否')
  })

  it('shows a choice by its label', () => {
    const status = { field_type: 'choice', choice_labels: { resolved: '已解决' } }
    expect(formatValue(status, 'resolved', chinese)).toBe('已解决')
  })

  it('shows a choice without a label as its value', () => {
    const status = { field_type: 'choice', choice_labels: { resolved: '已解决' } }
    expect(formatValue(status, 'escalated', chinese)).toBe('escalated')
  })

  it('shows seconds as a duration', () => {
    const paused = { field_type: 'integer', unit: 'seconds' as const }
    expect(formatValue(paused, 3900, chinese)).toBe('1小时5分钟')
    expect(formatValue(paused, 3900, { ...chinese, locale: 'en' })).toBe('1 hour, 5 minutes')
    expect(formatValue(paused, 0, { ...chinese, locale: 'en' })).toBe('0 seconds')
  })

  it('shows hours with their unit', () => {
    const predicted = { field_type: 'decimal', unit: 'hours' as const }
    expect(formatValue(predicted, 5.5, { ...chinese, locale: 'en' })).toBe('5.5 hours')
  })
})

describe('formatAmount', () => {
  it('groups digits in the currency of the locale', () => {
    expect(formatAmount('1234567', 'zh-CN', 'CNY')).toBe('¥1,234,567.00')
    expect(formatAmount('1234567', 'en', 'CNY')).toBe('CN¥1,234,567.00')
  })

  it('fixes the decimals without a currency when asked', () => {
    expect(formatAmount('1234567', 'en', undefined, 2)).toBe('1,234,567.00')
    expect(formatAmount('1234567.5', 'en')).toBe('1,234,567.5')
  })
})

describe('sumAmounts', () => {
  it('adds decimal strings exactly', () => {
    expect(sumAmounts(['0.10', '0.20', '1000000000000.05'])).toBe('1000000000000.35')
  })

  it('handles negatives and ignores blanks', () => {
    expect(sumAmounts(['-5.5', '2', null, 'x'])).toBe('-3.50')
  })
})
