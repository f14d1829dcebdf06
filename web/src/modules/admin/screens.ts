import type { Permission } from '@/stores/session'

/** The administration screens, in menu order; each has a route /admin/<screen>. */
export const ADMIN_SCREENS = [
  'users',
  'teams',
  'roles',
  'classification',
  'audit',
  'models',
  'llm',
  'targets',
  'tenant',
] as const

export type AdminScreen = (typeof ADMIN_SCREENS)[number]

/** The permission each screen needs, matching the check of the endpoints it calls. */
export const SCREEN_PERMISSIONS: Record<AdminScreen, Permission> = {
  users: 'administer_tenant',
  teams: 'administer_tenant',
  roles: 'administer_tenant',
  classification: 'administer_tenant',
  audit: 'read_audit',
  models: 'administer_tenant',
  llm: 'administer_tenant',
  targets: 'administer_tenant',
  tenant: 'administer_tenant',
}

/** Any permission that opens at least one screen, so the landing page is never an empty grid. */
export const ANY_ADMIN_PERMISSION: readonly Permission[] = [...new Set(Object.values(SCREEN_PERMISSIONS))]
