import { api, type Schemas } from '@/api/client'

export type Role = Schemas['RoleDefinition']

export async function loadRoles(): Promise<Role[]> {
  const { data } = await api.GET('/api/v1/roles')
  return data ?? []
}

export function roleName(role: Role, locale: string): string {
  return locale === 'zh-CN' ? role.name_zh : role.name_en
}

/** The objects the access screens offer, in the order of the navigation. */
export const ADMIN_OBJECTS = [
  'accounts',
  'contacts',
  'leads',
  'opportunities',
  'activities',
  'tickets',
  'campaigns',
  'products',
] as const

export const CLASSIFICATIONS = ['public', 'internal', 'sensitive', 'highly_sensitive'] as const
