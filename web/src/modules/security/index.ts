import { Key, Lock, Share } from '@element-plus/icons-vue'

import { defineModule } from '../types'

// Administration screens for access control; the server serves them only to administrators.
export default defineModule({
  name: 'security',
  routes: [
    {
      path: 'admin/api-clients',
      name: 'security-api-clients',
      component: () => import('./ApiClientsView.vue'),
      meta: { titleKey: 'security.clients.title', permission: 'administer_tenant' },
    },
    {
      path: 'admin/security-policy',
      name: 'security-policy',
      component: () => import('./SecurityPolicyView.vue'),
      meta: { titleKey: 'security.policy.title', permission: 'administer_tenant' },
    },
    {
      path: 'admin/sharing-rules',
      name: 'security-sharing-rules',
      component: () => import('./SharingRulesView.vue'),
      meta: { titleKey: 'security.sharingRules.title', permission: 'administer_tenant' },
    },
  ],
  menu: [
    {
      path: '/admin/api-clients',
      labelKey: 'security.clients.title',
      section: 'admin',
      icon: Key,
      order: 95,
      permission: 'administer_tenant',
    },
    {
      path: '/admin/security-policy',
      labelKey: 'security.policy.title',
      section: 'admin',
      icon: Lock,
      order: 96,
      permission: 'administer_tenant',
    },
    {
      path: '/admin/sharing-rules',
      labelKey: 'security.sharingRules.title',
      section: 'admin',
      icon: Share,
      order: 97,
      permission: 'administer_tenant',
    },
  ],
})
