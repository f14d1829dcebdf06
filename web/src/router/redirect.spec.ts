import { describe, expect, it } from 'vitest'

import { appPath, safeRedirect } from './index'

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

describe('appPath', () => {
  it.each(['/admin/users', '/accounts/42?tab=timeline#notes', '/logins-report', '/'])('keeps %s', (value) => {
    expect(appPath(value)).toBe(value)
  })

  it.each([
    ['a full URL', 'https://evil.example/admin'],
    ['a protocol-relative URL', '//evil.example/admin'],
    ['a backslash a browser reads as a slash', '/\\evil.example/admin'],
    ['a tab a browser drops', '/\t/evil.example'],
    ['a line break a browser drops', '/\n/evil.example'],
    ['a script URL', 'javascript:alert(1)'],
    ['a relative path', 'admin/users'],
    ['the login page', '/login?redirect=/admin'],
    ['the no-access page', '/forbidden?from=/admin'],
    ['an overlong value', `/${'a'.repeat(2000)}`],
    ['a repeated parameter', ['/admin', '/accounts']],
    ['no value', undefined],
  ])('rejects %s', (_, value) => {
    expect(appPath(value)).toBeNull()
  })
})
