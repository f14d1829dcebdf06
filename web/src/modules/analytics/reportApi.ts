import { api, type Schemas } from '@/api/client'
import { ProblemError } from '@/api/problem'

export type ReportQuery = Schemas['ReportQuery-Input']
export type ReportResult = Schemas['ReportResult']
export type ReportDisplay = Schemas['ReportDisplay']
export type SavedReport = Schemas['SavedReportRead']
export type SavedReportWrite = Schemas['SavedReportWrite']
export type ScheduleWrite = Schemas['ScheduleWrite']
export type Dashboard = Schemas['DashboardRead']
export type DashboardSummary = Schemas['DashboardSummary']
export type DashboardWrite = Schemas['DashboardWrite']
export type GlobalFilters = Schemas['GlobalFilters']
export type Widget = Schemas['Widget-Input']
export type WidgetResult = Schemas['WidgetResult']
export type DrillTarget = Schemas['DrillTarget']
export type FileFormat = 'csv' | 'xlsx'

export async function runReport(query: ReportQuery): Promise<ReportResult> {
  const { data, error, response } = await api.POST('/api/v1/reports/run', { body: query })
  if (data === undefined) throw new ProblemError(error, response.status, 'report failed')
  return data
}

export async function listSavedReports(): Promise<SavedReport[]> {
  const { data, error, response } = await api.GET('/api/v1/reports/saved')
  if (data === undefined) throw new ProblemError(error, response.status, 'list failed')
  return data.items
}

export async function getSavedReport(id: string): Promise<SavedReport> {
  const { data, error, response } = await api.GET('/api/v1/reports/saved/{report_id}', {
    params: { path: { report_id: id } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'read failed')
  return data
}

/** Create the report, or replace it when `id` is given (the version guards against lost edits). */
export async function saveReport(body: SavedReportWrite, id?: string, version?: number): Promise<SavedReport> {
  if (id === undefined) {
    const { data, error, response } = await api.POST('/api/v1/reports/saved', { body })
    if (data === undefined) throw new ProblemError(error, response.status, 'save failed')
    return data
  }
  const { data, error, response } = await api.PUT('/api/v1/reports/saved/{report_id}', {
    params: { path: { report_id: id }, header: { 'if-match': `"${id}.${version ?? 0}"` } },
    body,
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'save failed')
  return data
}

export async function deleteReport(id: string): Promise<void> {
  const { error, response } = await api.DELETE('/api/v1/reports/saved/{report_id}', {
    params: { path: { report_id: id } },
  })
  if (!response.ok) throw new ProblemError(error, response.status, 'delete failed')
}

export async function runSavedReport(id: string): Promise<ReportResult> {
  const { data, error, response } = await api.POST('/api/v1/reports/saved/{report_id}/run', {
    params: { path: { report_id: id } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'report failed')
  return data
}

export async function scheduleReport(id: string, body: ScheduleWrite): Promise<void> {
  const { error, response } = await api.POST('/api/v1/reports/saved/{report_id}/schedules', {
    params: { path: { report_id: id } },
    body,
  })
  if (!response.ok) throw new ProblemError(error, response.status, 'schedule failed')
}

/** The report as a file; with `k` set, anonymised with groups smaller than k suppressed. */
export async function exportReport(
  query: ReportQuery,
  format: FileFormat,
  title: string,
  k: number | null,
): Promise<Blob> {
  const { data, error, response } = await api.POST('/api/v1/reports/export', {
    body: { query, format, title, anonymise: k === null ? null : { k } },
    parseAs: 'blob',
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'export failed')
  return data as Blob
}

export async function listDashboards(): Promise<DashboardSummary[]> {
  const { data, error, response } = await api.GET('/api/v1/dashboards')
  if (data === undefined) throw new ProblemError(error, response.status, 'list failed')
  return data.items
}

export async function getDashboard(id: string): Promise<Dashboard> {
  const { data, error, response } = await api.GET('/api/v1/dashboards/{dashboard_id}', {
    params: { path: { dashboard_id: id } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'read failed')
  return data
}

export async function saveDashboard(body: DashboardWrite, id?: string, version?: number): Promise<Dashboard> {
  if (id === undefined) {
    const { data, error, response } = await api.POST('/api/v1/dashboards', { body })
    if (data === undefined) throw new ProblemError(error, response.status, 'save failed')
    return data
  }
  const { data, error, response } = await api.PUT('/api/v1/dashboards/{dashboard_id}', {
    params: { path: { dashboard_id: id }, header: { 'if-match': `"${id}.${version ?? 0}"` } },
    body,
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'save failed')
  return data
}

export async function runWidget(dashboardId: string, widgetId: string, filters: GlobalFilters): Promise<WidgetResult> {
  const { data, error, response } = await api.POST('/api/v1/dashboards/{dashboard_id}/widgets/{widget_id}/run', {
    params: { path: { dashboard_id: dashboardId, widget_id: widgetId } },
    body: { filters },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'widget failed')
  return data
}

export async function drillInto(query: ReportQuery, values: (string | number | boolean | null)[]): Promise<DrillTarget> {
  const { data, error, response } = await api.POST('/api/v1/reports/drill', { body: { query, values } })
  if (data === undefined) throw new ProblemError(error, response.status, 'drill failed')
  return data
}

/** Offer a downloaded file to the user under `name`. */
export function downloadFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = name
  link.click()
  URL.revokeObjectURL(url)
}
