import { api, type Schemas } from '@/api/client'
import { ProblemError } from '@/api/problem'

export type DeliverySettings = Schemas['EscalationDeliveryRead']
export type DeliveryBody = Schemas['EscalationDeliveryBody']
export type DeliveryRow = Schemas['EscalationDeliveryRow']
export type CalendarOverview = Schemas['CalendarOverview']
export type CalendarYear = Schemas['CalendarYearRead']
export type CalendarDay = Schemas['CalendarDay']

export async function loadDeliverySettings(): Promise<DeliverySettings> {
  const { data, error, response } = await api.GET('/api/v1/service/escalation-delivery')
  if (data === undefined) throw new ProblemError(error, response.status, 'load failed')
  return data
}

export async function saveDeliverySettings(body: DeliveryBody): Promise<DeliverySettings> {
  const { data, error, response } = await api.PUT('/api/v1/service/escalation-delivery', { body })
  if (data === undefined) throw new ProblemError(error, response.status, 'save failed')
  return data
}

export async function loadDeliveries(): Promise<DeliveryRow[]> {
  const { data, error, response } = await api.GET('/api/v1/service/escalation-deliveries', {
    params: { query: { limit: 50 } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'load failed')
  return data
}

export async function retryDelivery(deliveryId: string): Promise<void> {
  const { data, error, response } = await api.POST(
    '/api/v1/service/escalation-deliveries/{delivery_id}/retry',
    { params: { path: { delivery_id: deliveryId } } },
  )
  if (data === undefined) throw new ProblemError(error, response.status, 'retry failed')
}

export async function loadCalendars(): Promise<CalendarOverview> {
  const { data, error, response } = await api.GET('/api/v1/service/holiday-calendars')
  if (data === undefined) throw new ProblemError(error, response.status, 'load failed')
  return data
}

export async function loadCalendarYear(year: number): Promise<CalendarYear> {
  const { data, error, response } = await api.GET('/api/v1/service/holiday-calendars/{year}', {
    params: { path: { year } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'load failed')
  return data
}

export async function saveCalendarYear(year: number, days: CalendarDay[]): Promise<CalendarYear> {
  const { data, error, response } = await api.PUT('/api/v1/service/holiday-calendars/{year}', {
    params: { path: { year } },
    body: { days },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'save failed')
  return data
}

export async function importCalendarYear(year: number, file: File): Promise<CalendarYear> {
  const form = new FormData()
  form.append('file', file, file.name)
  const { data, error, response } = await api.POST('/api/v1/service/holiday-calendars/{year}/import', {
    params: { path: { year } },
    body: form as never,
    bodySerializer: (body: unknown) => body as FormData,
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'import failed')
  return data
}

export async function deleteCalendarYear(year: number): Promise<void> {
  const { error, response } = await api.DELETE('/api/v1/service/holiday-calendars/{year}', {
    params: { path: { year } },
  })
  if (!response.ok) throw new ProblemError(error, response.status, 'delete failed')
}

export const exportUrl = (year: number, format: 'csv' | 'json'): string =>
  `/api/v1/service/holiday-calendars/${year}/export?format=${format}`

export type AgentProfile = Schemas['AgentProfileRead']
export type AgentBody = Schemas['AgentProfileBody']

export async function loadAgents(): Promise<AgentProfile[]> {
  const { data, error, response } = await api.GET('/api/v1/service/agents')
  if (data === undefined) throw new ProblemError(error, response.status, 'load failed')
  return data
}

export async function saveAgent(userId: string, body: AgentBody): Promise<AgentProfile> {
  const { data, error, response } = await api.PUT('/api/v1/service/agents/{user_id}', {
    params: { path: { user_id: userId } },
    body,
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'save failed')
  return data
}

export interface UserChoice {
  id: string
  display_name: string
  is_active: boolean
}

/** Load the users whose display name contains ``q``, for the picker of a new agent. */
export async function loadUserChoices(q: string): Promise<UserChoice[]> {
  const { data, error, response } = await api.GET('/api/v1/users', {
    params: { query: { q: q.trim() || undefined, limit: 50 } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'load failed')
  return data.items
}

export type SlaPolicy = Schemas['SlaPolicyRead']
export type SlaPolicyBody = Schemas['SlaPolicyBody']

export async function loadSlaPolicies(): Promise<SlaPolicy[]> {
  const { data, error, response } = await api.GET('/api/v1/service/sla/policies')
  if (data === undefined) throw new ProblemError(error, response.status, 'load failed')
  return data
}

/** Create a policy, or replace ``existing`` when it is given, refused when someone changed it since. */
export async function saveSlaPolicy(body: SlaPolicyBody, existing?: SlaPolicy): Promise<SlaPolicy> {
  const { data, error, response } =
    existing === undefined
      ? await api.POST('/api/v1/service/sla/policies', { body })
      : await api.PUT('/api/v1/service/sla/policies/{policy_id}', {
          params: { path: { policy_id: existing.id }, header: { 'if-match': `"${existing.version}"` } },
          body,
        })
  if (data === undefined) throw new ProblemError(error, response.status, 'save failed')
  return data
}

export async function deleteSlaPolicy(policyId: string): Promise<void> {
  const { error, response } = await api.DELETE('/api/v1/service/sla/policies/{policy_id}', {
    params: { path: { policy_id: policyId } },
  })
  if (!response.ok) throw new ProblemError(error, response.status, 'delete failed')
}

export type DeskSettings = Schemas['ServiceSettings']

// openapi-fetch reads the working hours' [start, end] pairs as plain string arrays.
export async function loadDeskSettings(): Promise<DeskSettings> {
  const { data, error, response } = await api.GET('/api/v1/service/settings')
  if (data === undefined) throw new ProblemError(error, response.status, 'load failed')
  return data as DeskSettings
}

export async function saveDeskSettings(body: DeskSettings): Promise<DeskSettings> {
  const { data, error, response } = await api.PUT('/api/v1/service/settings', { body })
  if (data === undefined) throw new ProblemError(error, response.status, 'save failed')
  return data as DeskSettings
}
