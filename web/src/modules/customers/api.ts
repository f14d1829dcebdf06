import { api, type Schemas } from '@/api/client'
import { ProblemError } from '@/api/problem'

export type MergeableObject = 'contacts' | 'accounts'
export type QualityObject = 'contacts' | 'leads' | 'accounts'
export type Candidate = Schemas['CandidateRead']
export type MergePreview = Schemas['MergePreview']
export type MergeRead = Schemas['MergeRead']
export type SurvivorshipRule = 'most_recent' | 'most_complete' | 'trusted_source'
export type RecordSide = 'survivor' | 'merged'
export type QualitySummary = Schemas['QualitySummary']
export type RecordIssues = Schemas['RecordIssues']
export type RecordIssuePage = Schemas['RecordIssuePage']
export type RecordQuality = Schemas['RecordQuality']
export type QualityIssue = Schemas['QualityIssue']
export type CustomerProfile = Schemas['CustomerProfile']

/** The source value the quality endpoints use for records typed in or sent without a source. */
export const DIRECT_SOURCE = '__direct__'

export interface MergeChoices {
  rule: SurvivorshipRule
  picks: Record<string, RecordSide>
}

export async function listCandidates(
  objectName: MergeableObject,
  status: 'open' | 'merged' | 'rejected',
): Promise<Candidate[]> {
  const { data, error, response } = await api.GET('/api/v1/customers/duplicates', {
    params: { query: { object_name: objectName, status, limit: 200 } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'duplicates failed')
  return data.items
}

export async function scanDuplicates(objectName: MergeableObject): Promise<Schemas['ScanResult']> {
  const { data, error, response } = await api.POST('/api/v1/customers/duplicates/scan', {
    body: { object_name: objectName },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'scan failed')
  return data
}

export async function previewMerge(
  objectName: MergeableObject,
  survivorId: string,
  mergedId: string,
  choices: MergeChoices,
): Promise<MergePreview> {
  const { data, error, response } = await api.POST('/api/v1/customers/merges/preview', {
    body: { object_name: objectName, survivor_id: survivorId, merged_id: mergedId, rule: choices.rule, picks: choices.picks },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'preview failed')
  return data
}

export async function acceptCandidate(candidateId: string, survivorId: string, choices: MergeChoices): Promise<MergeRead> {
  const { data, error, response } = await api.POST('/api/v1/customers/duplicates/{candidate_id}/accept', {
    params: { path: { candidate_id: candidateId } },
    body: { survivor_id: survivorId, rule: choices.rule, picks: choices.picks },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'merge failed')
  return data
}

export async function rejectCandidate(candidateId: string): Promise<Candidate> {
  const { data, error, response } = await api.POST('/api/v1/customers/duplicates/{candidate_id}/reject', {
    params: { path: { candidate_id: candidateId } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'reject failed')
  return data
}

export async function getMerge(mergeId: string): Promise<MergeRead> {
  const { data, error, response } = await api.GET('/api/v1/customers/merges/{merge_id}', {
    params: { path: { merge_id: mergeId } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'reading the merge failed')
  return data
}

export async function unmerge(mergeId: string): Promise<Schemas['UnmergeResult']> {
  const { data, error, response } = await api.POST('/api/v1/customers/merges/{merge_id}/unmerge', {
    params: { path: { merge_id: mergeId } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'unmerge failed')
  return data
}

export async function qualitySummary(
  objectName: QualityObject,
  groupBy: 'source' | 'lead_source',
): Promise<QualitySummary> {
  const { data, error, response } = await api.GET('/api/v1/customers/quality/summary', {
    params: { query: { object_name: objectName, group_by: groupBy } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'summary failed')
  return data
}

/** Queue a recomputation of the stored scores (administrators); it runs in the background. */
export async function recomputeQualityScores(objectName: QualityObject): Promise<void> {
  const { error, response } = await api.POST('/api/v1/customers/quality/recompute-jobs', {
    body: { object_names: [objectName] },
  })
  if (!response.ok) throw new ProblemError(error, response.status, 'recompute failed')
}

export async function recordsWithIssues(
  objectName: QualityObject,
  groupBy: 'source' | 'lead_source',
  source: string | null,
  cursor: string | null,
): Promise<RecordIssuePage> {
  const query: Record<string, string | number> = { object_name: objectName, group_by: groupBy, limit: 50 }
  if (source !== null) query.source = source
  if (cursor !== null) query.cursor = cursor
  const { data, error, response } = await api.GET('/api/v1/customers/quality/issues', {
    params: { query: query as never },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'issues failed')
  return data
}

export async function recordQuality(objectName: QualityObject, recordId: string): Promise<RecordQuality> {
  const { data, error, response } = await api.GET('/api/v1/customers/quality/records/{object_name}/{record_id}', {
    params: { path: { object_name: objectName, record_id: recordId } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'quality failed')
  return data
}

export async function customerProfile(globalId: string): Promise<CustomerProfile> {
  const { data, error, response } = await api.GET('/api/v1/customers/{global_id}', {
    params: { path: { global_id: globalId } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'profile failed')
  return data
}

export function isQualityObject(name: string): name is QualityObject {
  return name === 'contacts' || name === 'leads' || name === 'accounts'
}
