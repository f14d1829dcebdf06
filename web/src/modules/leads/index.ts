import { Connection, Share } from '@element-plus/icons-vue'

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
  ],
})
