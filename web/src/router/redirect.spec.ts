import { describe, expect, it } from 'vitest'

import { safeRedirect } from './index'

describe('safeRedirect', () => {
  it('keeps a path inside the app', () => {
    expect(safeRedirect('/accounts/42?tab=timeline')).toBe('/accounts/42?tab=timeline')
  })

  it.each([undefined, '', 'https://example.com/', '//example.com/x', 'accounts', ['/a']])(
    'sends %s home',
    (value) => {
      expect(safeRedirect(value)).toBe('/')
    },
  )

  it('never returns to the login page', () => {
    expect(safeRedirect('/login?redirect=/x')).toBe('/')
  })
})
