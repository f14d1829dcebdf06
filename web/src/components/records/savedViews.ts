/** A named list setup (columns, search, filters, sort) kept per user and object in this browser. */
export interface Condition {
  field: string
  operator: string
  value: string
}

export interface ListSetup {
  columns: string[]
  search: string
  conditions: Condition[]
  sort: { key: string; order: 'asc' | 'desc' } | null
}

export interface SavedView extends ListSetup {
  name: string
}

// TODO: keep saved views on the server once it stores list views, so they follow the user
// across browsers; until then they live in this browser's localStorage.
function storageKey(userId: string, objectName: string): string {
  return `zhike.views.${userId}.${objectName}`
}

export function loadViews(userId: string, objectName: string): SavedView[] {
  try {
    const raw = window.localStorage.getItem(storageKey(userId, objectName))
    const parsed: unknown = raw === null ? [] : JSON.parse(raw)
    return Array.isArray(parsed) ? (parsed as SavedView[]).filter((view) => typeof view.name === 'string') : []
  } catch {
    return []
  }
}

export function storeViews(userId: string, objectName: string, views: SavedView[]): void {
  window.localStorage.setItem(storageKey(userId, objectName), JSON.stringify(views))
}

/** The list endpoint's query for a setup: `q`, `sort` and `field__operator=value` filters. */
export function queryOf(setup: Pick<ListSetup, 'search' | 'conditions' | 'sort'>): Record<string, string> {
  const query: Record<string, string> = {}
  if (setup.search.trim() !== '') query.q = setup.search.trim()
  if (setup.sort !== null) query.sort = `${setup.sort.order === 'desc' ? '-' : ''}${setup.sort.key}`
  for (const condition of setup.conditions) {
    const key = condition.operator === 'eq' ? condition.field : `${condition.field}__${condition.operator}`
    query[key] = condition.value
  }
  return query
}
