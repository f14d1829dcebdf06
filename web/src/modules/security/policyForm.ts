import type { Schemas } from '@/api/client'

type Policy = Schemas['SecurityPolicy']

/** Inclusive bounds of each whole-number policy field, the same as `zhike/security/policy.py`. */
export interface Bounds {
  min: number
  max: number
  /** An empty value keeps the process default. */
  nullable: boolean
}

const MAX_REQUESTS_PER_MINUTE = 1_000_000
const RATE_LIMIT: Bounds = { min: 0, max: MAX_REQUESTS_PER_MINUTE, nullable: true }

export const POLICY_BOUNDS: Record<string, Bounds> = {
  'password.min_length': { min: 8, max: 128, nullable: false },
  'password.min_character_classes': { min: 1, max: 4, nullable: false },
  'password.history': { min: 0, max: 24, nullable: false },
  'lockout.threshold': { min: 1, max: 100, nullable: false },
  'lockout.base_seconds': { min: 1, max: 86_400, nullable: false },
  'lockout.max_seconds': { min: 1, max: 604_800, nullable: false },
  session_idle_minutes: { min: 1, max: 43_200, nullable: true },
  session_absolute_hours: { min: 1, max: 8_760, nullable: true },
  'rate_limits.tenant': RATE_LIMIT,
  'rate_limits.user': RATE_LIMIT,
  'rate_limits.api_key': RATE_LIMIT,
  'rate_limits.ip': RATE_LIMIT,
}

export type Translate = (key: string, values?: Record<string, unknown>) => string

function valueAt(policy: Policy, path: string): unknown {
  let current: unknown = policy
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[part]
  }
  return current
}

/** Checks the policy as the server will; returns a message per invalid field path. */
export function validatePolicy(policy: Policy, t: Translate): Record<string, string> {
  const errors: Record<string, string> = {}
  for (const [path, bounds] of Object.entries(POLICY_BOUNDS)) {
    const value = valueAt(policy, path)
    if ((value === null || value === undefined) && bounds.nullable) continue
    if (typeof value !== 'number' || !Number.isInteger(value) || value < bounds.min || value > bounds.max) {
      errors[path] = t('security.policy.rangeError', { min: bounds.min, max: bounds.max })
    }
  }
  const lockout = policy.lockout
  if (lockout && errors['lockout.max_seconds'] === undefined && lockout.max_seconds !== undefined) {
    if (lockout.base_seconds !== undefined && lockout.max_seconds < lockout.base_seconds) {
      errors['lockout.max_seconds'] = t('security.policy.ceilingError', { base: lockout.base_seconds })
    }
  }
  return errors
}

/** Maps a server error's field to its form field, so a list position ("require_2fa_roles.1") maps to the list. */
export function formFieldOf(serverField: string): string {
  return serverField
    .split('.')
    .filter((part) => !/^\d+$/.test(part))
    .join('.')
}
