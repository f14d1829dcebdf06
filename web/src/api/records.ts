import { api, type Schemas } from './client'
import { ProblemError } from './problem'

/**
 * The record endpoints of every CRM object share one shape (list, get, patch with If-Match,
 * export, reveal), so generic screens use these helpers. The generated client types each
 * object's paths separately; the casts to the accounts paths below only pick that shape.
 */
export interface RecordRow {
  id: string
  version: number
  [field: string]: unknown
}

export interface RecordPage {
  items: RecordRow[]
  next_cursor: string | null
  total: number | null
}

export type ListQuery = Record<string, string | number | boolean>

export type FieldInfo = Schemas['FieldInfo']

export function etagOf(row: RecordRow): string {
  return `"${row.id}.${row.version}"`
}

export async function listRecords(objectName: string, query: ListQuery): Promise<RecordPage> {
  const path = `/api/v1/${objectName}` as '/api/v1/accounts'
  const { data, error, response } = await api.GET(path, { params: { query: query as never } })
  if (data === undefined) throw new ProblemError(error, response.status, 'list failed')
  return data as unknown as RecordPage
}

export async function getRecord(objectName: string, id: string): Promise<RecordRow> {
  const path = `/api/v1/${objectName}/{record_id}` as '/api/v1/accounts/{record_id}'
  const { data, error, response } = await api.GET(path, { params: { path: { record_id: id } } })
  if (data === undefined) throw new ProblemError(error, response.status, 'read failed')
  return data as unknown as RecordRow
}

/** PATCH with If-Match; a ProblemError with status 412 means someone else saved first. */
export async function updateRecord(
  objectName: string,
  row: RecordRow,
  changes: Record<string, unknown>,
): Promise<RecordRow> {
  const path = `/api/v1/${objectName}/{record_id}` as '/api/v1/accounts/{record_id}'
  const { data, error, response } = await api.PATCH(path, {
    params: { path: { record_id: row.id }, header: { 'if-match': etagOf(row) } },
    body: changes as never,
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'update failed')
  return data as unknown as RecordRow
}

export async function createRecord(objectName: string, values: Record<string, unknown>): Promise<RecordRow> {
  const path = `/api/v1/${objectName}` as '/api/v1/accounts'
  const { data, error, response } = await api.POST(path, { body: values as never })
  if (data === undefined) throw new ProblemError(error, response.status, 'create failed')
  return data as unknown as RecordRow
}

export async function fieldCatalog(objectName: string): Promise<FieldInfo[]> {
  const { data, error, response } = await api.GET('/api/v1/objects/{object_name}/fields', {
    params: { path: { object_name: objectName } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'fields failed')
  return data.items
}

/** Clear values of masked fields; the server writes each reveal to the audit log. */
export async function revealFields(
  objectName: string,
  id: string,
  fields: string[],
): Promise<Record<string, unknown>> {
  const { data, error, response } = await api.POST('/api/v1/{object_name}/{record_id}/reveal', {
    params: { path: { object_name: objectName, record_id: id } },
    body: { fields },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'reveal failed')
  return data
}

/** The list as CSV or XLSX with the list's filters; the server checks the export right. */
export async function exportRecords(
  objectName: string,
  format: 'csv' | 'xlsx',
  query: ListQuery,
): Promise<Blob> {
  const { data, error, response } = await api.GET('/api/v1/{object_name}/export', {
    params: { path: { object_name: objectName }, query: { ...query, format } as never },
    parseAs: 'blob',
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'export failed')
  return data
}

export type ListOptions = Schemas['ListOptions']
const optionsCache = new Map<string, Promise<ListOptions>>()

/** The fields an object's list can be searched, filtered and sorted by. */
export function listOptions(objectName: string): Promise<ListOptions> {
  let pending = optionsCache.get(objectName)
  if (pending === undefined) {
    pending = (async () => {
      const { data, error, response } = await api.GET('/api/v1/objects/{object_name}/list-options', {
        params: { path: { object_name: objectName } },
      })
      if (data === undefined) throw new ProblemError(error, response.status, 'list options failed')
      return data
    })()
    pending.catch(() => optionsCache.delete(objectName))
    optionsCache.set(objectName, pending)
  }
  return pending
}
