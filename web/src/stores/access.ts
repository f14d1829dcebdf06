import type { Schemas } from '@/api/client'

/** A tenant-wide right from /api/v1/auth/me, e.g. 'administer_tenant'. */
export type Permission = Schemas['Me']['permissions'][number]
type ObjectActions = Schemas['ObjectActions']
export type ObjectName = ObjectActions['object']
export type ObjectAction = ObjectActions['actions'][number]
/** An action the user's role grants on an object, written 'object:action', e.g. 'segments:read'. */
export type ObjectRight = `${ObjectName}:${ObjectAction}`
/** One right a screen can need: a tenant-wide permission or an action on an object. */
export type Right = Permission | ObjectRight

/**
 * The rights a screen needs: one right, any one right of a list, or every right of an `allOf` list.
 * Each screen lists the rights that the server checks on the requests the screen makes on opening.
 */
export type Requirement = Right | readonly Right[] | { readonly allOf: readonly Right[] }

/** The requirement of screens that any signed-in user may open, such as the home page. */
export const SIGNED_IN: Requirement = []

/** Return the rights of a user: their permissions and one 'object:action' for each granted action. */
export function heldRights(permissions: readonly Permission[], objectActions: readonly ObjectActions[]): Right[] {
  const rights: Right[] = [...permissions]
  for (const grant of objectActions) {
    for (const action of grant.actions) rights.push(`${grant.object}:${action}`)
  }
  return rights
}

/** True when the `granted` rights meet `required`. An empty list, like no requirement, needs nothing. */
export function meets(granted: readonly Right[], required: Requirement | undefined): boolean {
  if (required === undefined) return true
  if (typeof required === 'string') return granted.includes(required)
  if ('allOf' in required) return required.allOf.every((right) => granted.includes(right))
  const anyOf: readonly Right[] = required
  return anyOf.length === 0 || anyOf.some((right) => granted.includes(right))
}
