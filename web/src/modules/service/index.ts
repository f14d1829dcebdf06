import { ChatDotRound, Headset, Setting } from '@element-plus/icons-vue'

import { defineModule } from '../types'

export default defineModule({
  name: 'service',
  routes: [
    {
      path: 'service/workspace',
      name: 'service-workspace',
      component: () => import('./WorkspaceView.vue'),
      meta: { titleKey: 'service.workspace' },
    },
    {
      path: 'service/bot',
      name: 'service-bot',
      component: () => import('./BotTestView.vue'),
      meta: { titleKey: 'service.bot.title' },
    },
    {
      path: 'service/settings',
      name: 'service-settings',
      component: () => import('./ServiceSettingsView.vue'),
      meta: { titleKey: 'service.settings.title' },
    },
  ],
  menu: [
    { path: '/service/workspace', labelKey: 'service.workspace', section: 'service', icon: Headset, order: 0 },
    { path: '/service/bot', labelKey: 'service.bot.title', section: 'service', icon: ChatDotRound, order: 10 },
    { path: '/service/settings', labelKey: 'service.settings.title', section: 'service', icon: Setting, order: 20 },
  ],
})
