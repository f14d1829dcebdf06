import { describe, expect, it } from 'vitest'

import { formatAmount, formatPercent, recordRoute, taskRoute, wholeDays } from './drill'

describe('home drill-downs', () => {
  it('opens a record when the drill names one', () => {
    expect(recordRoute({ object: 'accounts', filters: {}, record_id: 'a1' })).toBe('/accounts/a1')
  })

  it('leaves filtered lists to the drawer', () => {
    expect(recordRoute({ object: 'opportunities', filters: { stage_id: 's1' }, record_id: null })).toBeNull()
  })

  it('formats amounts and shares in the reader language', () => {
    expect(formatAmount('80000.00', 'CNY', 'zh-CN')).toBe('¥80,000')
    expect(formatAmount(null, 'CNY', 'zh-CN')).toBe('—')
    expect(formatPercent(0.125, 'en')).toBe('12.5%')
  })
})

describe('task links', () => {
  it('open the record a task is about, opportunity first', () => {
    expect(taskRoute({ opportunity_id: 'o1', account_id: 'a1' })).toBe('/opportunities/o1')
    expect(taskRoute({ contact_id: 'c1' })).toBe('/contacts/c1')
    expect(taskRoute({})).toBeNull()
  })
})

describe('stalled deals', () => {
  it('count whole days elapsed, as the server reason does', () => {
    expect(wholeDays(124.5)).toBe(124)
    expect(wholeDays(124.9)).toBe(124)
    expect(wholeDays(7)).toBe(7)
  })
})
