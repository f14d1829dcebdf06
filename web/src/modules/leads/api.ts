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

export type PoolWrite = Schemas['PoolWrite']
export type CaptureForm = Schemas['CaptureFormRead']
export type CaptureFormWrite = Schemas['CaptureFormWrite']
export type HandoverMode = Schemas['DepartureHandover']['mode']

export async function savePool(body: PoolWrite, existing: Pool | null): Promise<Pool> {
  const result =
    existing === null
      ? await api.POST('/api/v1/sales/pools', { body })
      : await api.PUT('/api/v1/sales/pools/{pool_id}', {
          params: { path: { pool_id: existing.id }, header: { 'if-match': `"${existing.version}"` } },
          body,
        })
  if (result.data === undefined) throw new ProblemError(result.error, result.response.status, 'save failed')
  return result.data
}

export async function getHandoverMode(): Promise<HandoverMode> {
  const { data, error, response } = await api.GET('/api/v1/sales/settings/departure-handover')
  if (data === undefined) throw new ProblemError(error, response.status, 'hand-over setting failed')
  return data.mode
}

export async function setHandoverMode(mode: HandoverMode): Promise<HandoverMode> {
  const { data, error, response } = await api.PUT('/api/v1/sales/settings/departure-handover', {
    body: { mode },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'hand-over setting failed')
  return data.mode
}

export async function listForms(): Promise<CaptureForm[]> {
  const { data, error, response } = await api.GET('/api/v1/sales/lead-forms')
  if (data === undefined) throw new ProblemError(error, response.status, 'forms failed')
  return data.items
}

export async function saveForm(body: CaptureFormWrite, existing: CaptureForm | null): Promise<CaptureForm> {
  const result =
    existing === null
      ? await api.POST('/api/v1/sales/lead-forms', { body })
      : await api.PUT('/api/v1/sales/lead-forms/{form_id}', { params: { path: { form_id: existing.id } }, body })
  if (result.data === undefined) throw new ProblemError(result.error, result.response.status, 'save failed')
  return result.data
}
