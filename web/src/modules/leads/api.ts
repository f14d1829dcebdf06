import { api, type Schemas } from '@/api/client'
import { ProblemError } from '@/api/problem'
import type { RecordRow } from '@/api/records'

export type Pool = Schemas['PoolRead']
export type AssignmentRule = Schemas['AssignmentRuleRead']
export type AssignmentRuleWrite = Schemas['AssignmentRuleWrite']
export type ConvertRequest = Schemas['ConvertRequest']
export type ConvertResult = Schemas['ConvertResult']

export async function listPools(): Promise<Pool[]> {
  const { data, error, response } = await api.GET('/api/v1/sales/pools')
  if (data === undefined) throw new ProblemError(error, response.status, 'pools failed')
  return data.items
}

export async function poolItems(poolId: string): Promise<RecordRow[]> {
  const { data, error, response } = await api.GET('/api/v1/sales/pools/{pool_id}/items', {
    params: { path: { pool_id: poolId }, query: { limit: 100 } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'pool items failed')
  return data.items as RecordRow[]
}

export async function claimRecord(poolId: string, recordId: string, reason: string): Promise<void> {
  const { data, error, response } = await api.POST('/api/v1/sales/pools/{pool_id}/items/{record_id}/claim', {
    params: { path: { pool_id: poolId, record_id: recordId } },
    body: { reason },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'claim failed')
}

export async function releaseRecord(objectName: string, recordId: string, reason: string): Promise<void> {
  const { data, error, response } = await api.POST('/api/v1/{object_name}/{record_id}/release', {
    params: { path: { object_name: objectName, record_id: recordId } },
    body: { reason },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'release failed')
}

export async function convertLead(leadId: string, body: ConvertRequest): Promise<ConvertResult> {
  const { data, error, response } = await api.POST('/api/v1/leads/{lead_id}/convert', {
    params: { path: { lead_id: leadId } },
    body,
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'convert failed')
  return data
}

export async function listRules(): Promise<AssignmentRule[]> {
  const { data, error, response } = await api.GET('/api/v1/sales/assignment-rules')
  if (data === undefined) throw new ProblemError(error, response.status, 'rules failed')
  return data.items
}

export async function saveRule(rule: AssignmentRuleWrite, existing: AssignmentRule | null): Promise<void> {
  const result =
    existing === null
      ? await api.POST('/api/v1/sales/assignment-rules', { body: rule })
      : await api.PUT('/api/v1/sales/assignment-rules/{rule_id}', {
          params: { path: { rule_id: existing.id }, header: { 'if-match': `"${existing.id}.${existing.version}"` } },
          body: rule,
        })
  if (result.data === undefined) throw new ProblemError(result.error, result.response.status, 'save failed')
}

export async function deleteRule(ruleId: string): Promise<void> {
  const { error, response } = await api.DELETE('/api/v1/sales/assignment-rules/{rule_id}', {
    params: { path: { rule_id: ruleId } },
  })
  if (!response.ok) throw new ProblemError(error, response.status, 'delete failed')
}

export interface UserOption {
  id: string
  display_name: string
}

export async function listUsers(): Promise<UserOption[]> {
  const { data, error, response } = await api.GET('/api/v1/users')
  if (data === undefined) throw new ProblemError(error, response.status, 'users failed')
  return data.items.map((user) => ({ id: user.id, display_name: user.display_name }))
}
