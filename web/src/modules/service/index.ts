import { ChatDotRound, Headset, Setting } from '@element-plus/icons-vue'

import type { Requirement } from '@/stores/access'

import { defineModule } from '../types'

const WORKSPACE: Requirement = 'tickets:read'
// The bot answers from the knowledge base, so trying it needs read on the articles.
const BOT: Requirement = 'kb_articles:read'
// Escalation delivery, the first tab, is for administrators only.
const SETTINGS: Requirement = 'administer_tenant'

export default defineModule({
  name: 'service',
  routes: [
    {
      path: 'service/workspace',
      name: 'service-workspace',
      component: () => import('./WorkspaceView.vue'),
      meta: { titleKey: 'service.workspace', permission: WORKSPACE },
    },
    {
      path: 'service/bot',
      name: 'service-bot',
      component: () => import('./BotTestView.vue'),
      meta: { titleKey: 'service.bot.title', permission: BOT },
    },
    {
      path: 'service/settings',
      name: 'service-settings',
      component: () => import('./ServiceSettingsView.vue'),
      meta: { titleKey: 'service.settings.title', permission: SETTINGS },
    },
  ],
  menu: [
    {
      path: '/service/workspace',
      labelKey: 'service.workspace',
      section: 'service',
      icon: Headset,
      order: 0,
      permission: WORKSPACE,
    },
    { path: '/service/bot', labelKey: 'service.bot.title', section: 'service', icon: ChatDotRound, order: 10, permission: BOT },
    {
      path: '/service/settings',
      labelKey: 'service.settings.title',
      section: 'service',
      icon: Setting,
      order: 20,
      permission: SETTINGS,
    },
  ],
})
