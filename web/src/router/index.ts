import { createRouter, createWebHistory, type RouteLocationRaw, type Router } from 'vue-router'

import { setSessionExpiredHandler } from '@/api/client'
import AppShell from '@/components/AppShell.vue'
import { modules } from '@/modules'
import { useSessionStore } from '@/stores/session'
import LoginView from '@/views/LoginView.vue'
import NotFoundView from '@/views/NotFoundView.vue'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without signing in. */
    public?: boolean
    /** i18n key of the page title shown in the browser tab. */
    titleKey?: string
  }
}

/** A redirect target from the query string, only when it is a path inside this app. */
export function safeRedirect(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//')) return '/'
  return value.startsWith('/login') ? '/' : value
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
          { path: ':pathMatch(.*)*', name: 'not-found', component: NotFoundView },
        ],
      },
    ],
  })

  router.beforeEach(async (to): Promise<true | RouteLocationRaw> => {
    const session = useSessionStore()
    if (to.meta.public === true) return true
    if (await session.restore()) return true
    return { name: 'login', query: { redirect: to.fullPath } }
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
