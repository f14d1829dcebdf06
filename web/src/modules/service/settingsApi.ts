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
