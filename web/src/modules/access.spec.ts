import { describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'

import { modules } from '.'

describe('module routes and menu entries', () => {
  const routes = modules.flatMap((module) => module.routes)
  // The same nesting as the app's router, so that menu paths resolve as they do there.
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/', children: routes }] })

  it('declare what every route needs', () => {
    const undeclared = routes.filter((route) => route.meta?.permission === undefined).map((route) => route.path)
    expect(undeclared).toEqual([])
  })

  it('give each menu entry the requirement of the route it opens', () => {
    for (const entry of modules.flatMap((module) => module.menu ?? [])) {
      const resolved = router.resolve(entry.path)
      expect(resolved.matched.length, entry.path).toBeGreaterThan(1)
      expect(entry.permission, entry.path).toEqual(resolved.meta.permission)
    }
  })
})
