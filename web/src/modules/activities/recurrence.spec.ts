import { describe, expect, it } from 'vitest'

import { buildRule, defaultRecurrence, describeRecurrence, describeRule, parseRule } from './recurrence'
import { isoToWallTime, wallTimeToIso } from './wallTime'

const ZH: Record<string, string> = {
  'activities.recurrence.weekdayShort.MO': '一',
  'activities.recurrence.weekdayShort.WE': '三',
  'activities.recurrence.weekdaySeparator': '、',
  'activities.recurrence.summary.weeklyDays': '每周{days}',
  'activities.recurrence.summary.weeklyIntervalDays': '每 {n} 周的周{days}',
  'activities.recurrence.summary.daily': '每天',
  'activities.recurrence.summary.monthlyInterval': '每 {n} 个月',
  'activities.recurrence.summary.until': '{rule} 直到 {date}',
  'activities.recurrence.summary.count': '{rule}，共 {count} 次',
}

function t(key: string, values: Record<string, unknown> = {}): string {
  const template = ZH[key]
  if (template === undefined) throw new Error(`missing ${key}`)
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name]))
}

describe('recurrence rules', () => {
  it('builds a weekly rule with days and an end date', () => {
    const rule = buildRule({ ...defaultRecurrence(), weekdays: ['WE', 'MO'], end: 'until', until: '2027-03-01' })
    expect(rule).toBe('FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270301T235959')
  })

  it('builds a count rule with an interval', () => {
    expect(buildRule({ ...defaultRecurrence(), frequency: 'MONTHLY', interval: 2, count: 6 })).toBe(
      'FREQ=MONTHLY;INTERVAL=2;COUNT=6',
    )
  })

  it('drops weekdays from daily rules', () => {
    expect(buildRule({ ...defaultRecurrence(), frequency: 'DAILY', weekdays: ['MO'], count: 3 })).toBe('FREQ=DAILY;COUNT=3')
  })

  it('reads back what it builds', () => {
    const recurrence = { ...defaultRecurrence(), interval: 2, weekdays: ['MO' as const], end: 'until' as const, until: '2027-03-01' }
    expect(parseRule(buildRule(recurrence))).toEqual(recurrence)
  })

  it('rejects rules the form cannot show', () => {
    expect(parseRule('FREQ=YEARLY;COUNT=2')).toBeNull()
    expect(parseRule('FREQ=WEEKLY;BYSETPOS=1;COUNT=2')).toBeNull()
    expect(parseRule('FREQ=WEEKLY;BYDAY=XX;COUNT=2')).toBeNull()
  })

  it('describes rules in Chinese', () => {
    expect(describeRule('FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270301T235959', t)).toBe('每周一、三 直到 2027-03-01')
    expect(describeRule('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=5', t)).toBe('每 2 周的周一，共 5 次')
    expect(describeRule('FREQ=DAILY;COUNT=3', t)).toBe('每天，共 3 次')
    expect(describeRecurrence({ ...defaultRecurrence(), frequency: 'MONTHLY', interval: 3 }, t)).toBe('每 3 个月，共 4 次')
  })

  it('shows unreadable rules as text', () => {
    expect(describeRule('FREQ=YEARLY;COUNT=2', t)).toBe('FREQ=YEARLY;COUNT=2')
  })
})

describe('wall time', () => {
  it('converts Shanghai wall time to UTC and back', () => {
    expect(wallTimeToIso('2030-03-04T10:00', 'Asia/Shanghai')).toBe('2030-03-04T02:00:00.000Z')
    expect(isoToWallTime('2030-03-04T02:00:00Z', 'Asia/Shanghai')).toBe('2030-03-04T10:00')
  })

  it('handles a zone with daylight saving time', () => {
    expect(wallTimeToIso('2030-07-01T09:30', 'Europe/Berlin')).toBe('2030-07-01T07:30:00.000Z')
    expect(wallTimeToIso('2030-01-01T09:30', 'Europe/Berlin')).toBe('2030-01-01T08:30:00.000Z')
  })

  it('rejects malformed input', () => {
    expect(() => wallTimeToIso('tomorrow', 'UTC')).toThrow('invalid wall time tomorrow')
  })
})
