import { Coin, Cpu, DataAnalysis, Document, Lock, OfficeBuilding, Setting, User, View } from '@element-plus/icons-vue'

import { defineModule } from '../types'

import { ADMIN_SCREENS, ANY_ADMIN_PERMISSION, SCREEN_PERMISSIONS } from './screens'

const COMPONENTS = {
  users: () => import('./UsersView.vue'),
  teams: () => import('./TeamsView.vue'),
  roles: () => import('./RolesView.vue'),
  classification: () => import('./ClassificationView.vue'),
  audit: () => import('./AuditView.vue'),
  models: () => import('./ModelsView.vue'),
  llm: () => import('./LlmView.vue'),
  targets: () => import('./TargetsView.vue'),
  tenant: () => import('./TenantView.vue'),
}
const ICONS = {
  users: User,
  teams: OfficeBuilding,
  roles: Lock,
  classification: View,
  audit: Document,
  models: DataAnalysis,
  llm: Cpu,
  targets: Coin,
  tenant: Setting,
}

export default defineModule({
  name: 'admin',
  routes: [
    {
      path: 'admin',
      name: 'admin',
      component: () => import('./AdminHomeView.vue'),
      meta: { titleKey: 'admin.title', permission: ANY_ADMIN_PERMISSION },
    },
    ...ADMIN_SCREENS.map((screen) => ({
      path: `admin/${screen}`,
      name: `admin-${screen}`,
      component: COMPONENTS[screen],
      meta: { titleKey: `admin.${screen}.title`, permission: SCREEN_PERMISSIONS[screen] },
    })),
  ],
  menu: [
    {
      path: '/admin',
      labelKey: 'admin.title',
      section: 'admin',
      icon: Setting,
      order: 0,
      permission: ANY_ADMIN_PERMISSION,
    },
    ...ADMIN_SCREENS.map((screen, index) => ({
      path: `/admin/${screen}`,
      labelKey: `admin.${screen}.title`,
      section: 'admin' as const,
      icon: ICONS[screen],
      order: 10 + index * 10,
      permission: SCREEN_PERMISSIONS[screen],
    })),
  ],
})
