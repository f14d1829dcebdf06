import { describe, expect, it } from 'vitest'

import { groupName, nextMonthStart, sumDecimals } from './salesForecast'

describe('nextMonthStart', () => {
  it('returns the first of the next month', () => {
    expect(nextMonthStart(new Date(2026, 6, 15))).toBe('2026-08-01')
  })

  it('rolls December over to January', () => {
    expect(nextMonthStart(new Date(2026, 11, 31))).toBe('2027-01-01')
  })

  it('pads single-digit months', () => {
    expect(nextMonthStart(new Date(2026, 0, 31))).toBe('2026-02-01')
  })
})

describe('sumDecimals', () => {
  it('adds cents exactly', () => {
    expect(sumDecimals(['0.10', '0.20'])).toBe('0.30')
    expect(sumDecimals(['73391.40', '100.05', '0.01'])).toBe('73491.46')
  })

  it('keeps the most fraction digits', () => {
    expect(sumDecimals(['1.5', '2.125'])).toBe('3.625')
  })

  it('adds whole amounts without a point', () => {
    expect(sumDecimals(['312500000', '1'])).toBe('312500001')
  })

  it('handles negative amounts and totals', () => {
    expect(sumDecimals(['-5.00', '2.50'])).toBe('-2.50')
    expect(sumDecimals(['-0.05', '0.02'])).toBe('-0.03')
    expect(sumDecimals(['-1.00', '1.00'])).toBe('0.00')
  })

  it('sums beyond the exact range of a float', () => {
    expect(sumDecimals(['9007199254740993.01', '1.00'])).toBe('9007199254740994.01')
  })

  it('returns zero for no amounts', () => {
    expect(sumDecimals([])).toBe('0')
  })

  it('rejects text that is not a decimal', () => {
    expect(() => sumDecimals(['1e5'])).toThrow('invalid decimal amount "1e5"')
  })
})

describe('groupName', () => {
  const label = (fallback: string): string => `<${fallback}>`

  it('prefers the name from the API', () => {
    expect(groupName('0b6f', '王芳', 'owner', label)).toBe('王芳')
  })

  it('labels deals without an owner or team', () => {
    expect(groupName('-', null, 'owner', label)).toBe('<noOwner>')
    expect(groupName('-', null, 'team', label)).toBe('<noTeam>')
  })

  it('labels the single company row', () => {
    expect(groupName('all', null, 'company', label)).toBe('<wholeCompany>')
  })

  it('falls back to the key of an unnamed group', () => {
    expect(groupName('0b6f', null, 'team', label)).toBe('0b6f')
    expect(groupName('0b6f', '', 'owner', label)).toBe('0b6f')
  })
})
