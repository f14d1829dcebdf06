import { api, type Schemas } from '@/api/client'
import { ProblemError } from '@/api/problem'

export type ClientKind = 'api_key' | 'oauth_client'
export type ApiClient = Schemas['ClientRead']
export type ApiClientCreated = Schemas['ClientCreated']
export type ClientCreate = Schemas['ClientCreate']
export type SecurityPolicy = Schemas['SecurityPolicy']
export type PolicyDefaults = Schemas['PolicyDefaults']
export type SharingRule = Schemas['SharingRuleOut']
export type SharingRuleIn = Schemas['SharingRuleIn']

/** One object in a client's scope: allowed actions and, when not null, the only fields it may use. */
export interface ClientScope {
  actions: string[]
  fields: string[] | null
}

export async function listClients(kind: ClientKind): Promise<ApiClient[]> {
  const result =
    kind === 'api_key' ? await api.GET('/api/v1/api-keys') : await api.GET('/api/v1/oauth/clients')
  if (result.data === undefined) throw new ProblemError(result.error, result.response.status, 'clients failed')
  return result.data.items
}

export async function createClient(kind: ClientKind, body: ClientCreate): Promise<ApiClientCreated> {
  const result =
    kind === 'api_key'
      ? await api.POST('/api/v1/api-keys', { body })
      : await api.POST('/api/v1/oauth/clients', { body })
  if (result.data === undefined) throw new ProblemError(result.error, result.response.status, 'create failed')
  return result.data
}

export async function revokeClient(kind: ClientKind, clientId: string): Promise<void> {
  const params = { path: { client_id: clientId } }
  const result =
    kind === 'api_key'
      ? await api.DELETE('/api/v1/api-keys/{client_id}', { params })
      : await api.DELETE('/api/v1/oauth/clients/{client_id}', { params })
  if (!result.response.ok) throw new ProblemError(result.error, result.response.status, 'revoke failed')
}

export async function loadPolicy(): Promise<SecurityPolicy> {
  const { data, error, response } = await api.GET('/api/v1/auth/policy')
  if (data === undefined) throw new ProblemError(error, response.status, 'policy failed')
  return data
}

/** Loads the process settings that apply where the policy leaves a value empty. */
export async function loadPolicyDefaults(): Promise<PolicyDefaults> {
  const { data, error, response } = await api.GET('/api/v1/auth/policy/defaults')
  if (data === undefined) throw new ProblemError(error, response.status, 'policy defaults failed')
  return data
}

export async function savePolicy(policy: SecurityPolicy): Promise<SecurityPolicy> {
  const { data, error, response } = await api.PUT('/api/v1/auth/policy', {
    body: policy as unknown as Record<string, never>,
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'policy save failed')
  return data
}

/** Ends every live session of one user in one call (administrators only); returns how many ended. */
export async function revokeUserSessions(userId: string): Promise<number> {
  const { data, error, response } = await api.POST('/api/v1/auth/sessions/revoke-user', {
    body: { user_id: userId },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'revoke failed')
  return data.revoked
}

export async function listSharingRules(): Promise<SharingRule[]> {
  const { data, error, response } = await api.GET('/api/v1/sharing-rules')
  if (data === undefined) throw new ProblemError(error, response.status, 'sharing rules failed')
  return data
}

export async function createSharingRule(body: SharingRuleIn): Promise<SharingRule> {
  const { data, error, response } = await api.POST('/api/v1/sharing-rules', { body })
  if (data === undefined) throw new ProblemError(error, response.status, 'sharing rule failed')
  return data
}

export async function deleteSharingRule(ruleId: string): Promise<void> {
  const { error, response } = await api.DELETE('/api/v1/sharing-rules/{rule_id}', {
    params: { path: { rule_id: ruleId } },
  })
  if (!response.ok) throw new ProblemError(error, response.status, 'sharing rule delete failed')
}

export type Team = Schemas['TeamRead']

export async function listTeams(): Promise<Team[]> {
  const { data, error, response } = await api.GET('/api/v1/teams')
  if (data === undefined) throw new ProblemError(error, response.status, 'teams failed')
  return data.items
}

export type RecordShare = Schemas['ShareOut']
export type ShareIn = Schemas['ShareIn']
export type ShareTarget = Schemas['ShareTarget']
export type ShareTargetKind = ShareTarget['kind']

/** The largest page the share target directory returns. */
const SHARE_TARGET_PAGE = 200

/**
 * Searches the users, teams or roles that records, reports and dashboards can be shared with.
 * Any signed-in user may call it; `ids` names the targets of existing shares.
 */
export async function searchShareTargets(
  kind: ShareTargetKind,
  options: { q?: string; ids?: string[]; limit?: number; offset?: number } = {},
): Promise<Schemas['ShareTargetPage']> {
  const { data, error, response } = await api.GET('/api/v1/sharing/targets', {
    params: {
      query: {
        kind,
        q: options.q || undefined,
        id: options.ids?.length ? options.ids : undefined,
        limit: options.limit,
        offset: options.offset,
      },
    },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'share targets failed')
  return data
}

/** Loads every target of one kind, page by page; meant for the few teams and roles of a tenant. */
export async function listAllShareTargets(kind: ShareTargetKind): Promise<ShareTarget[]> {
  const targets: ShareTarget[] = []
  let offset: number | null = 0
  while (offset !== null) {
    const page = await searchShareTargets(kind, { limit: SHARE_TARGET_PAGE, offset })
    targets.push(...page.items)
    offset = page.next_offset ?? null
  }
  return targets
}

/** Looks up the targets of one kind by id (a role's key), at most one page of them. */
export async function findShareTargets(kind: ShareTargetKind, ids: string[]): Promise<ShareTarget[]> {
  if (ids.length === 0) return []
  const page = await searchShareTargets(kind, { ids: ids.slice(0, 100), limit: SHARE_TARGET_PAGE })
  return page.items
}

export async function listShares(objectName: string, recordId: string): Promise<RecordShare[]> {
  const { data, error, response } = await api.GET('/api/v1/{object_name}/{record_id}/shares', {
    params: { path: { object_name: objectName, record_id: recordId } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'shares failed')
  return data
}

export async function addShare(objectName: string, recordId: string, body: ShareIn): Promise<RecordShare> {
  const { data, error, response } = await api.POST('/api/v1/{object_name}/{record_id}/shares', {
    params: { path: { object_name: objectName, record_id: recordId } },
    body,
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'share failed')
  return data
}

export async function removeShare(objectName: string, recordId: string, shareId: string): Promise<void> {
  const { error, response } = await api.DELETE('/api/v1/{object_name}/{record_id}/shares/{share_id}', {
    params: { path: { object_name: objectName, record_id: recordId, share_id: shareId } },
  })
  if (!response.ok) throw new ProblemError(error, response.status, 'unshare failed')
}
