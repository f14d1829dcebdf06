import { beforeEach, describe, expect, it } from 'vitest'

import { loadViews, queryOf, storeViews } from './savedViews'

describe('queryOf', () => {
  it('builds search, sort and filters', () => {
    const query = queryOf({
      search: ' 星河 ',
      sort: { key: 'created_at', order: 'desc' },
      conditions: [
        { field: 'city', operator: 'eq', value: '杭州' },
        { field: 'amount', operator: 'gte', value: '10000' },
      ],
    })
    expect(query).toEqual({ q: '星河', sort: '-created_at', city: '杭州', amount__gte: '10000' })
  })

  it('leaves out an empty search and no sort', () => {
    expect(queryOf({ search: '', sort: null, conditions: [] })).toEqual({})
  })
})

describe('saved views', () => {
  beforeEach(() => window.localStorage.clear())

  it('are kept per user and object', () => {
    const view = { name: '杭州客户', columns: ['name'], search: '', conditions: [], sort: null }
    storeViews('user-1', 'accounts', [view])

    expect(loadViews('user-1', 'accounts')).toEqual([view])
    expect(loadViews('user-2', 'accounts')).toEqual([])
    expect(loadViews('user-1', 'contacts')).toEqual([])
  })

  it('survive a damaged entry', () => {
    window.localStorage.setItem('zhike.views.user-1.accounts', '{not json')
    expect(loadViews('user-1', 'accounts')).toEqual([])
  })
})
