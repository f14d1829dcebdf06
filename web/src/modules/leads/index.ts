import { Connection, EditPen, Setting, Share } from '@element-plus/icons-vue'

import { defineModule } from '../types'

export default defineModule({
  name: 'leads',
  routes: [
    {
      path: 'sales/pools',
      name: 'leads-pools',
      component: () => import('./PoolsView.vue'),
      meta: { titleKey: 'leads.pools.title' },
    },
    {
      path: 'sales/assignment-rules',
      name: 'leads-assignment-rules',
      component: () => import('./AssignmentRulesView.vue'),
      meta: { titleKey: 'leads.rules.title' },
    },
    {
      path: 'sales/pool-settings',
      name: 'leads-pool-settings',
      component: () => import('./PoolSettingsView.vue'),
      meta: { titleKey: 'leads.poolSettings.title', permission: 'administer_tenant' },
    },
    {
      path: 'sales/lead-forms',
      name: 'leads-forms',
      component: () => import('./LeadFormsView.vue'),
      meta: { titleKey: 'leads.forms.title' },
    },
  ],
  menu: [
    { path: '/sales/pools', labelKey: 'leads.pools.title', section: 'sales', icon: Share, order: 30 },
    {
      path: '/sales/assignment-rules',
      labelKey: 'leads.rules.title',
      section: 'sales',
      icon: Connection,
      order: 31,
    },
    {
      path: '/sales/pool-settings',
      labelKey: 'leads.poolSettings.title',
      section: 'admin',
      icon: Setting,
      order: 60,
      permission: 'administer_tenant',
    },
    { path: '/sales/lead-forms', labelKey: 'leads.forms.title', section: 'marketing', icon: EditPen, order: 60 },
  ],
})
