import { createRouter, createWebHistory, type RouteLocationRaw, type Router } from 'vue-router'

import { setSessionExpiredHandler } from '@/api/client'
import AppShell from '@/components/AppShell.vue'
import { modules } from '@/modules'
import type { Requirement } from '@/stores/access'
import { useSessionStore } from '@/stores/session'
import ForbiddenView from '@/views/ForbiddenView.vue'
import LoginView from '@/views/LoginView.vue'
import NotFoundView from '@/views/NotFoundView.vue'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without signing in. */
    public?: boolean
    /** i18n key of the page title shown in the browser tab. */
    titleKey?: string
    /**
     * Opened only by users who meet it; others see the no-access page. Every route of a module
     * declares one, SIGNED_IN when a session is enough.
     */
    permission?: Requirement
  }
}

// Longer query values are not addresses this app produces, so they are ignored.
const MAX_APP_PATH_LENGTH = 2000
// A browser reads a backslash in a URL as "/" and drops tabs and line breaks, so a backslash
// or a tab after the first "/" would turn the path into a protocol-relative "//host" URL.
const UNSAFE_PATH_CHARACTERS = /[\\\u0000-\u001f\u007f]/
// Pages that make no sense to return to: the login form and the no-access page itself.
const NOT_A_DESTINATION = /^\/(login|forbidden)(?=[/?#]|$)/

/**
 * Return a path and query of this app taken from the query string, or null for anything else:
 * a full or protocol-relative URL, a relative path, or the login and no-access pages.
 */
export function appPath(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > MAX_APP_PATH_LENGTH) return null
  if (!value.startsWith('/') || value.startsWith('//') || UNSAFE_PATH_CHARACTERS.test(value)) return null
  return NOT_A_DESTINATION.test(value) ? null : value
}

/** A redirect target from the query string, only when it is a path inside this app. */
export function safeRedirect(value: unknown): string {
  return appPath(value) ?? '/'
}

export function buildRouter(): Router {
  const router = createRouter({
    history: createWebHistory(),
    routes: [
      { path: '/login', name: 'login', component: LoginView, meta: { public: true, titleKey: 'auth.login.title' } },
      {
        path: '/',
        component: AppShell,
        children: [
          ...modules.flatMap((module) => module.routes),
          { path: 'forbidden', name: 'forbidden', component: ForbiddenView, meta: { titleKey: 'common.forbidden.title' } },
          { path: ':pathMatch(.*)*', name: 'not-found', component: NotFoundView },
        ],
      },
    ],
  })

  router.beforeEach(async (to): Promise<true | RouteLocationRaw> => {
    const session = useSessionStore()
    if (to.meta.public === true) return true
    if (!(await session.restore())) return { name: 'login', query: { redirect: to.fullPath } }
    // The server rejects these screens' requests anyway; the guard spares the user an empty, failing page.
    if (!session.can(to.meta.permission)) return { name: 'forbidden', query: { from: to.fullPath } }
    return true
  })

  setSessionExpiredHandler(() => {
    const session = useSessionStore()
    const current = router.currentRoute.value
    if (current.meta.public === true) return
    session.markExpired()
    void router.push({ name: 'login', query: { redirect: current.fullPath, expired: '1' } })
  })

  return router
}
