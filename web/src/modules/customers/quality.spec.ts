import { describe, expect, it } from 'vitest'

import { scoreLevel } from './quality'

describe('scoreLevel', () => {
  it('bands scores at 80 and 60', () => {
    expect(scoreLevel(100)).toBe('good')
    expect(scoreLevel(80)).toBe('good')
    expect(scoreLevel(79.9)).toBe('fair')
    expect(scoreLevel(60)).toBe('fair')
    expect(scoreLevel(59)).toBe('poor')
    expect(scoreLevel(0)).toBe('poor')
  })

  it('marks a missing score as none', () => {
    expect(scoreLevel(null)).toBe('none')
    expect(scoreLevel(undefined)).toBe('none')
  })
})
