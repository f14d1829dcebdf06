import type { Schemas } from '@/api/client'

export type Drill = Schemas['Drill']

// Objects with a record page; activities have none yet, so they are listed without links.
export const RECORD_PAGES = new Set([
  'accounts',
  'contacts',
  'leads',
  'opportunities',
  'products',
  'campaigns',
  'tickets',
])

/** Route of the record a task is about: its opportunity, account, contact or lead. */
export function taskRoute(task: {
  opportunity_id?: string | null
  account_id?: string | null
  contact_id?: string | null
  lead_id?: string | null
}): string | null {
  if (task.opportunity_id) return `/opportunities/${task.opportunity_id}`
  if (task.account_id) return `/accounts/${task.account_id}`
  if (task.contact_id) return `/contacts/${task.contact_id}`
  if (task.lead_id) return `/leads/${task.lead_id}`
  return null
}

/** Route of a drill target that opens one record; null when the drill is a filtered list. */
export function recordRoute(drill: Drill): string | null {
  return drill.record_id ? `/${drill.object}/${drill.record_id}` : null
}

/** Format an amount sent as a decimal string, in the user's language and the tenant's currency. */
export function formatAmount(value: string | null | undefined, currency: string, locale: string): string {
  if (value === null || value === undefined) return '—'
  // Display only: the string is never parsed back into an amount that is sent to the server.
  return new Intl.NumberFormat(locale, { style: 'currency', currency, maximumFractionDigits: 0 }).format(
    Number(value),
  )
}

export function formatPercent(value: number | null | undefined, locale: string): string {
  if (value === null || value === undefined) return '—'
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(value)
}

/** Whole days elapsed in a stay, the same figure as the server's stalled-deal reason. */
export function wholeDays(days: number): number {
  return Math.floor(days)
}
