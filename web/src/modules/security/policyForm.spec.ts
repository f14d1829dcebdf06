import { describe, expect, it } from 'vitest'

import { formFieldOf, validatePolicy, type Translate } from './policyForm'

const t: Translate = (key, values) => `${key} ${JSON.stringify(values ?? {})}`

const valid = {
  password: { min_length: 8, min_character_classes: 1, history: 5 },
  lockout: { threshold: 5, base_seconds: 60, max_seconds: 86_400 },
  require_2fa_roles: [],
  session_idle_minutes: null,
  session_absolute_hours: null,
  ip_allowlist_users: [],
  ip_allowlist_api: [],
  rate_limits: { tenant: null, user: null, api_key: null, ip: null },
}

describe('validatePolicy', () => {
  it('accepts the defaults with empty optional values', () => {
    expect(validatePolicy(valid, t)).toEqual({})
  })

  it('reports each value outside the server bounds', () => {
    const errors = validatePolicy(
      {
        ...valid,
        password: { ...valid.password, min_length: 7 },
        lockout: { ...valid.lockout, threshold: 101 },
        session_idle_minutes: 0,
        rate_limits: { ...valid.rate_limits, user: -1, ip: 2.5 },
      },
      t,
    )
    expect(errors).toEqual({
      'password.min_length': 'security.policy.rangeError {"min":8,"max":128}',
      'lockout.threshold': 'security.policy.rangeError {"min":1,"max":100}',
      session_idle_minutes: 'security.policy.rangeError {"min":1,"max":43200}',
      'rate_limits.user': 'security.policy.rangeError {"min":0,"max":1000000}',
      'rate_limits.ip': 'security.policy.rangeError {"min":0,"max":1000000}',
    })
  })

  it('requires a value where the server has no default', () => {
    const errors = validatePolicy({ ...valid, lockout: { ...valid.lockout, threshold: null as unknown as number } }, t)
    expect(Object.keys(errors)).toEqual(['lockout.threshold'])
  })

  it('rejects a longest lock below the first lock', () => {
    const errors = validatePolicy({ ...valid, lockout: { threshold: 5, base_seconds: 600, max_seconds: 300 } }, t)
    expect(errors).toEqual({ 'lockout.max_seconds': 'security.policy.ceilingError {"base":600}' })
  })
})

describe('formFieldOf', () => {
  it('maps list positions to the list field', () => {
    expect(formFieldOf('require_2fa_roles.1')).toBe('require_2fa_roles')
    expect(formFieldOf('rate_limits.user')).toBe('rate_limits.user')
  })
})
