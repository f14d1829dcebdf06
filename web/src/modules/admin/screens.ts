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
