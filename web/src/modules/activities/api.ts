import { api, type Schemas } from '@/api/client'
import { ProblemError } from '@/api/problem'
import type { RecordRow } from '@/api/records'

export type ActivityItem = Schemas['ActivityItem']
export type ActivityAgenda = Schemas['ActivityAgenda']
export type ActivityPlan = Schemas['ActivityPlanRead']
export type ActivityPlanWrite = Schemas['ActivityPlanWrite']
export type CheckInWrite = Schemas['CheckInWrite']
export type OutcomeWrite = Schemas['OutcomeWrite']
export type ActivityCreate = Schemas['ActivityCreate']
export type RecordObject = 'accounts' | 'contacts' | 'leads' | 'opportunities'

export const ACTIVITY_KINDS = ['call', 'meeting', 'visit', 'task', 'email', 'note'] as const
export const OUTCOMES = ['completed', 'interested', 'not_interested', 'follow_up', 'rescheduled', 'no_show'] as const
/** The record links an activity can carry, in the order the related column shows them. */
export const RECORD_LINKS: { objectName: RecordObject; field: string }[] = [
  { objectName: 'opportunities', field: 'opportunity_id' },
  { objectName: 'accounts', field: 'account_id' },
  { objectName: 'contacts', field: 'contact_id' },
  { objectName: 'leads', field: 'lead_id' },
]

function fail(error: unknown, status: number, message: string): never {
  throw new ProblemError(error, status, message)
}

export interface AgendaQuery {
  owner: string
  kind?: string
  days: number
}

export async function loadAgenda(query: AgendaQuery): Promise<ActivityAgenda> {
  const { data, error, response } = await api.GET('/api/v1/activity-agenda', {
    params: { query: { owner: query.owner, days: query.days, ...(query.kind ? { kind: query.kind } : {}) } },
  })
  if (data === undefined) fail(error, response.status, 'agenda failed')
  return data
}

export async function loadRecordActivities(objectName: RecordObject, recordId: string): Promise<ActivityItem[]> {
  const { data, error, response } = await api.GET('/api/v1/{object_name}/{record_id}/activities', {
    params: { path: { object_name: objectName, record_id: recordId } },
  })
  if (data === undefined) fail(error, response.status, 'activities failed')
  return data.items
}

export async function createActivity(body: ActivityCreate): Promise<RecordRow> {
  const { data, error, response } = await api.POST('/api/v1/activities', { body })
  if (data === undefined) fail(error, response.status, 'create failed')
  return data as unknown as RecordRow
}

export async function savePlan(activityId: string, body: ActivityPlanWrite): Promise<ActivityPlan> {
  const { data, error, response } = await api.PUT('/api/v1/activities/{activity_id}/plan', {
    params: { path: { activity_id: activityId } },
    body,
  })
  if (data === undefined) fail(error, response.status, 'plan failed')
  return data
}

export async function loadPlan(activityId: string): Promise<ActivityPlan> {
  const { data, error, response } = await api.GET('/api/v1/activities/{activity_id}/plan', {
    params: { path: { activity_id: activityId } },
  })
  if (data === undefined) fail(error, response.status, 'plan failed')
  return data
}

export async function checkIn(activityId: string, body: CheckInWrite): Promise<ActivityPlan> {
  const { data, error, response } = await api.POST('/api/v1/activities/{activity_id}/check-in', {
    params: { path: { activity_id: activityId } },
    body,
  })
  if (data === undefined) fail(error, response.status, 'check-in failed')
  return data
}

export async function recordOutcome(activityId: string, body: OutcomeWrite): Promise<ActivityPlan> {
  const { data, error, response } = await api.POST('/api/v1/activities/{activity_id}/outcome', {
    params: { path: { activity_id: activityId } },
    body,
  })
  if (data === undefined) fail(error, response.status, 'outcome failed')
  return data
}

/** Return the activity of an item as the generic record row that the record helpers take. */
export function rowOf(item: ActivityItem): RecordRow {
  return item.activity as unknown as RecordRow
}
