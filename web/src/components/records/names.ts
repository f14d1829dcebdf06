import { reactive } from 'vue'

import { api } from '@/api/client'
import { listRecords } from '@/api/records'
import { currentLocale } from '@/i18n'

import { screenOf } from '@/modules/records/objects'

/**
 * Display names of referenced records (accounts, contacts...), users, pipeline stages and SLA policies,
 * fetched in batches and kept for the page's lifetime. A reference the user cannot read
 * stays unresolved and is shown as a short id.
 */
const names = reactive(new Map<string, string>())
/** Clear values the user revealed, keyed by object, record and field, shared by every view. */
export const revealedValues = reactive(new Map<string, string>())
const requested = new Set<string>()
let usersLoaded: Promise<void> | null = null
let stagesLoaded: Promise<void> | null = null
let slaPoliciesLoaded: Promise<void> | null = null

export interface Stage {
  id: string
  key: string
  name_zh: string
  name_en: string
  position: number
  probability: number
  is_won: boolean
  is_lost: boolean
}
export const stages = reactive<Stage[]>([])

export function nameOf(objectName: string, id: string): string | undefined {
  if (objectName === 'stages') {
    const stage = stages.find((item) => item.id === id)
    if (stage !== undefined) return currentLocale() === 'en' ? stage.name_en : stage.name_zh
    return undefined
  }
  return names.get(`${objectName}:${id}`)
}

export function shortId(id: string): string {
  return `#${id.slice(-6)}`
}

export async function resolveNames(objectName: string, ids: Iterable<string>): Promise<void> {
  if (objectName === 'users') return loadUsers()
  if (objectName === 'stages') return loadStages()
  if (objectName === 'sla_policies') return loadSlaPolicies()
  const screen = screenOf(objectName)
  const wanted = [...new Set(ids)].filter((id) => id !== '' && !requested.has(`${objectName}:${id}`))
  if (screen === undefined || wanted.length === 0) return
  wanted.forEach((id) => requested.add(`${objectName}:${id}`))
  for (let start = 0; start < wanted.length; start += 200) {
    const batch = wanted.slice(start, start + 200)
    try {
      const page = await listRecords(objectName, { id__in: batch.join(','), limit: batch.length })
      for (const row of page.items) {
        const title = row[screen.titleField]
        if (typeof title === 'string') names.set(`${objectName}:${row.id}`, title)
      }
    } catch {
      // Not readable for this user: the reference stays a short id.
    }
  }
}

function loadUsers(): Promise<void> {
  usersLoaded ??= (async () => {
    const { data } = await api.GET('/api/v1/users')
    for (const user of data?.items ?? []) names.set(`users:${user.id}`, user.display_name)
  })()
  return usersLoaded
}

function loadSlaPolicies(): Promise<void> {
  slaPoliciesLoaded ??= (async () => {
    // Anyone who reads tickets may list the policies. On an error the ids stay short ids.
    const { data } = await api.GET('/api/v1/service/sla/policies')
    for (const policy of data ?? []) names.set(`sla_policies:${policy.id}`, policy.name)
  })()
  return slaPoliciesLoaded
}

export function loadStages(): Promise<void> {
  stagesLoaded ??= (async () => {
    const { data } = await api.GET('/api/v1/pipeline/stages')
    stages.splice(0, stages.length, ...(data?.stages ?? []))
  })()
  return stagesLoaded
}

/** Users the current user can see, for owner pickers; empty when the directory is not readable. */
export function knownUsers(): { id: string; name: string }[] {
  return [...names.entries()]
    .filter(([key]) => key.startsWith('users:'))
    .map(([key, name]) => ({ id: key.slice('users:'.length), name }))
}

/** Forget everything fetched for the previous user (called on logout and session expiry). */
export function clearNames(): void {
  names.clear()
  revealedValues.clear()
  requested.clear()
  usersLoaded = null
  stagesLoaded = null
  slaPoliciesLoaded = null
  stages.splice(0, stages.length)
}
