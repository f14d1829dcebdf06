import { api, type Schemas } from '@/api/client'
import { ProblemError } from '@/api/problem'

export type AgentInfo = Schemas['AgentInfo']
export type RunRead = Schemas['RunRead']
export type RunDetail = Schemas['RunDetail']
export type StepRead = Schemas['StepRead']
export type TraceEvent = Schemas['TraceEventRead']

export const FINISHED = ['done', 'failed', 'cancelled']

export async function listAgents(): Promise<AgentInfo[]> {
  const { data, error, response } = await api.GET('/api/v1/agents')
  if (data === undefined) throw new ProblemError(error, response.status, 'agents failed')
  return data
}

export async function listRuns(status: string | null): Promise<RunRead[]> {
  const { data, error, response } = await api.GET('/api/v1/agents/runs', {
    params: { query: { limit: 100, ...(status ? { status } : {}) } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'runs failed')
  return data.items
}

export async function getRun(runId: string): Promise<RunDetail> {
  const { data, error, response } = await api.GET('/api/v1/agents/runs/{run_id}', {
    params: { path: { run_id: runId } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'run failed')
  return data
}

export async function startRun(agent: string, subjectId: string | null, isDryRun: boolean): Promise<RunRead> {
  const { data, error, response } = await api.POST('/api/v1/agents/runs', {
    body: { agent, subject_id: subjectId, is_dry_run: isDryRun },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'start failed')
  return data
}

export async function decideStep(runId: string, stepId: string, approve: boolean, note: string | null): Promise<void> {
  const path = { run_id: runId, step_id: stepId }
  const result = approve
    ? await api.POST('/api/v1/agents/runs/{run_id}/steps/{step_id}/approve', { params: { path }, body: { note } })
    : await api.POST('/api/v1/agents/runs/{run_id}/steps/{step_id}/reject', { params: { path }, body: { note } })
  if (result.data === undefined) throw new ProblemError(result.error, result.response.status, 'decision failed')
}

export async function reportResult(runId: string, stepId: string, outcome: 'done' | 'declined', note: string | null): Promise<void> {
  const { data, error, response } = await api.POST('/api/v1/agents/runs/{run_id}/steps/{step_id}/result', {
    params: { path: { run_id: runId, step_id: stepId } },
    body: { outcome, note },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'result failed')
}

export async function cancelRun(runId: string, note: string | null): Promise<void> {
  const { data, error, response } = await api.POST('/api/v1/agents/runs/{run_id}/cancel', {
    params: { path: { run_id: runId } },
    body: { note },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'cancel failed')
}

/** Follow a run's trace live; returns a function that stops listening. */
export function followRun(runId: string, after: number, onEvent: (event: TraceEvent) => void, onEnd: () => void): () => void {
  const source = new EventSource(`/api/v1/agents/runs/${runId}/events?after=${after}`, { withCredentials: true })
  const handle = (message: MessageEvent<string>): void => {
    onEvent(JSON.parse(message.data) as TraceEvent)
  }
  const kinds = [
    'state', 'plan', 'tool_call', 'tool_result', 'decision', 'approval_requested', 'approval',
    'person_task', 'person_result', 'error', 'retry', 'fallback', 'replan', 'escalation',
    'recovered', 'outcome',
  ]
  for (const kind of kinds) source.addEventListener(kind, handle as EventListener)
  source.addEventListener('end', () => {
    source.close()
    onEnd()
  })
  return () => source.close()
}
