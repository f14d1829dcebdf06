import { api, type Schemas } from '@/api/client'
import { ProblemError } from '@/api/problem'

export type Segment = Schemas['SegmentRead']
export type Journey = Schemas['JourneyRead']
export type Consent = Schemas['ConsentRead']
export type JourneyStepMetrics = Schemas['JourneyStepMetrics']
export type JourneyStepRow = Schemas['StepMetrics']
export type JourneyBranchRow = Schemas['BranchMetrics']
export type JourneyOutcome = Schemas['OutcomeMetrics']
export type MoneyAmount = Schemas['MoneyAmount']
export type AttributionModel = JourneyStepMetrics['model']
export type StepCost = Schemas['StepCostRead']
export type CampaignMetrics = Schemas['CampaignMetrics']
export type Attribution = Schemas['AttributionComparison']
export type AttributionRow = Schemas['AttributionRow']
export type MarketingSettings = Schemas['SettingsRead']
export type MarketingSettingsPatch = Schemas['SettingsPatch']

export interface MetricsPeriod {
  period?: string
  start?: string
  end?: string
}

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

export async function journeyStepMetrics(
  id: string,
  period: MetricsPeriod,
  model: AttributionModel,
): Promise<JourneyStepMetrics> {
  const { data, error, response } = await api.GET('/api/v1/marketing/journeys/{journey_id}/step-metrics', {
    params: { path: { journey_id: id }, query: { ...period, model } },
  })
  if (data === undefined) fail(error, response.status)
  return data
}

export async function setStepCost(id: string, stepId: string, amount: string, currency: string): Promise<StepCost> {
  const { data, error, response } = await api.PUT('/api/v1/marketing/journeys/{journey_id}/step-costs/{step_id}', {
    params: { path: { journey_id: id, step_id: stepId } },
    body: { amount, currency },
  })
  if (data === undefined) fail(error, response.status)
  return data
}

export async function removeStepCost(id: string, stepId: string): Promise<void> {
  const { error, response } = await api.DELETE('/api/v1/marketing/journeys/{journey_id}/step-costs/{step_id}', {
    params: { path: { journey_id: id, step_id: stepId } },
  })
  if (!response.ok) fail(error, response.status)
}

export async function campaignMetrics(id: string): Promise<CampaignMetrics> {
  const { data, error, response } = await api.GET('/api/v1/marketing/campaigns/{campaign_id}/metrics', {
    params: { path: { campaign_id: id } },
  })
  if (data === undefined) fail(error, response.status)
  return data
}

export async function attribution(): Promise<Attribution> {
  const { data, error, response } = await api.GET('/api/v1/marketing/attribution')
  if (data === undefined) fail(error, response.status)
  return data
}

export interface LoadedSettings {
  settings: MarketingSettings
  etag: string
}

export async function loadMarketingSettings(): Promise<LoadedSettings> {
  const { data, error, response } = await api.GET('/api/v1/marketing/settings')
  if (data === undefined) fail(error, response.status)
  return { settings: data, etag: response.headers.get('ETag') ?? '*' }
}

/**
 * PATCH only the changed fields (JSON merge patch), so fields the screen leaves alone stay as stored.
 * A ProblemError with status 412 means someone else saved first.
 */
export async function patchMarketingSettings(patch: MarketingSettingsPatch, etag: string): Promise<LoadedSettings> {
  const { data, error, response } = await api.PATCH('/api/v1/marketing/settings', {
    params: { header: { 'if-match': etag } },
    body: patch,
  })
  if (data === undefined) fail(error, response.status)
  return { settings: data, etag: response.headers.get('ETag') ?? '*' }
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
