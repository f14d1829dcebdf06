/** An RFC 9457 problem-details body, as every API error is sent. */
export interface Problem {
  type?: string
  title?: string
  status?: number
  code?: string
  detail?: string
  errors?: { field: string; message: string }[]
}

export function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && ('code' in value || 'detail' in value)
}

/** The localized message to show for a failed call, falling back to `fallback`. */
export function problemMessage(error: unknown, fallback: string): string {
  if (!isProblem(error)) return fallback
  const fields = (error.errors ?? []).map((item) => item.message).join(' ')
  return [error.detail, fields].filter((part) => part !== undefined && part !== '').join(' ') || fallback
}

export class ProblemError extends Error {
  readonly problem: Problem
  readonly status: number

  constructor(problem: unknown, status: number, fallback: string) {
    super(problemMessage(problem, fallback))
    this.problem = isProblem(problem) ? problem : {}
    this.status = status
  }
}
