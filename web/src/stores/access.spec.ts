import { describe, expect, it } from 'vitest'

import { heldRights, meets, SIGNED_IN } from './access'

describe('heldRights', () => {
  it('lists permissions then one right per granted action', () => {
    const rights = heldRights(
      ['read_audit'],
      [
        { object: 'accounts', actions: ['read', 'update'] },
        { object: 'segments', actions: ['read'] },
      ],
    )
    expect(rights).toEqual(['read_audit', 'accounts:read', 'accounts:update', 'segments:read'])
  })
})

describe('meets', () => {
  const granted = heldRights([], [{ object: 'campaigns', actions: ['read'] }])

  it('needs nothing for SIGNED_IN or no requirement', () => {
    expect(meets([], SIGNED_IN)).toBe(true)
    expect(meets([], undefined)).toBe(true)
  })

  it('checks a single right', () => {
    expect(meets(granted, 'campaigns:read')).toBe(true)
    expect(meets(granted, 'campaigns:update')).toBe(false)
    expect(meets(granted, 'administer_tenant')).toBe(false)
  })

  it('needs any one right of a list', () => {
    expect(meets(granted, ['segments:read', 'campaigns:read'])).toBe(true)
    expect(meets(granted, ['segments:read', 'journeys:read'])).toBe(false)
  })

  it('needs every right of an allOf list', () => {
    expect(meets(granted, { allOf: ['campaigns:read'] })).toBe(true)
    expect(meets(granted, { allOf: ['campaigns:read', 'marketing_metrics:read'] })).toBe(false)
  })
})
