import { api, type Schemas } from '@/api/client'
import { ProblemError } from '@/api/problem'

export type Segment = Schemas['SegmentRead']
export type Journey = Schemas['JourneyRead']
export type Consent = Schemas['ConsentRead']

export interface Filter {
  field: string
  op: 'eq' | 'ne' | 'contains' | 'gt' | 'lt'
  value: string
}

export interface Behaviour {
  kind: string
  min_count: number
  within_days: number | null
  negate: boolean
}

export interface Definition {
  filters: Filter[]
  behaviour: Behaviour[]
}

export interface StepMetrics {
  step_id?: string
  requested: number
  delivered: number
  blocked: number
  opened: number
  clicked: number
  unsubscribed: number
}

export interface CampaignMetrics extends StepMetrics {
  name: string
  converted: number
  revenue_influenced: string
  cost: string
  roi: string | null
  currency: string
  steps: StepMetrics[]
}

export interface AttributionRow {
  campaign: string
  [model: string]: number | string
}

export interface Attribution {
  conversions: number
  revenue: number
  models: string[]
  rows: AttributionRow[]
}

export interface AbArm {
  name: string
  successes: number
  contacts: number
  rate: number
}

export interface AbTest {
  step_id: string
  metric: string
  arms: AbArm[]
  p_value: number
  minimum_sample_per_arm: number
  is_significant: boolean
  winner: string | null
}

function fail(error: unknown, status: number): never {
  throw new ProblemError(error, status, 'marketing request failed')
}

export async function listSegments(): Promise<Segment[]> {
  const { data, error, response } = await api.GET('/api/v1/marketing/segments')
  if (data === undefined) fail(error, response.status)
  return data
}

export async function previewSegment(objectName: string, definition: Definition): Promise<number> {
  const { data, error, response } = await api.POST('/api/v1/marketing/segments/preview', {
    body: { object_name: objectName, definition } as Schemas['PreviewBody'],
  })
  if (data === undefined) fail(error, response.status)
  return data.size ?? 0
}

export async function createSegment(name: string, objectName: string, definition: Definition): Promise<Segment> {
  const { data, error, response } = await api.POST('/api/v1/marketing/segments', {
    body: { name, kind: 'dynamic', object_name: objectName, definition } as Schemas['SegmentBody'],
  })
  if (data === undefined) fail(error, response.status)
  return data
}

export async function listJourneys(): Promise<Journey[]> {
  const { data, error, response } = await api.GET('/api/v1/marketing/journeys')
  if (data === undefined) fail(error, response.status)
  return data
}

export async function saveJourney(name: string, graph: Record<string, unknown>, id: string | null): Promise<Journey> {
  const body = { name, graph }
  const result =
    id === null
      ? await api.POST('/api/v1/marketing/journeys', { body })
      : await api.PUT('/api/v1/marketing/journeys/{journey_id}', { params: { path: { journey_id: id } }, body })
  if (result.data === undefined) fail(result.error, result.response.status)
  return result.data
}

export async function changeJourney(id: string, action: 'activate' | 'pause'): Promise<Journey> {
  const { data, error, response } = await api.POST('/api/v1/marketing/journeys/{journey_id}/{action}', {
    params: { path: { journey_id: id, action } },
  })
  if (data === undefined) fail(error, response.status)
  return data
}

export async function journeyTests(id: string): Promise<AbTest[]> {
  const { data, error, response } = await api.GET('/api/v1/marketing/journeys/{journey_id}/ab-tests', {
    params: { path: { journey_id: id } },
  })
  if (data === undefined) fail(error, response.status)
  return data as unknown as AbTest[]
}

export async function campaignMetrics(id: string): Promise<CampaignMetrics> {
  const { data, error, response } = await api.GET('/api/v1/marketing/campaigns/{campaign_id}/metrics', {
    params: { path: { campaign_id: id } },
  })
  if (data === undefined) fail(error, response.status)
  return data as unknown as CampaignMetrics
}

export async function attribution(): Promise<Attribution> {
  const { data, error, response } = await api.GET('/api/v1/marketing/attribution')
  if (data === undefined) fail(error, response.status)
  return data as unknown as Attribution
}

export async function contactConsents(contactId: string): Promise<Consent[]> {
  const { data, error, response } = await api.GET('/api/v1/marketing/contacts/{contact_id}/consents', {
    params: { path: { contact_id: contactId } },
  })
  if (data === undefined) fail(error, response.status)
  return data
}

export async function recordConsent(body: Schemas['ConsentBody']): Promise<void> {
  const { data, error, response } = await api.POST('/api/v1/marketing/consents', { body })
  if (data === undefined) fail(error, response.status)
}
