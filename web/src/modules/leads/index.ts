import { Connection, EditPen, Setting, Share } from '@element-plus/icons-vue'

import type { Requirement } from '@/stores/access'

import { defineModule } from '../types'

const POOLS: Requirement = 'sales_pools:read'
// The rules page also lists the pools that a rule can feed.
const RULES: Requirement = { allOf: ['assignment_rules:read', 'sales_pools:read'] }
const FORMS: Requirement = { allOf: ['lead_forms:read', 'sales_pools:read'] }

export default defineModule({
  name: 'leads',
  routes: [
    {
      path: 'sales/pools',
      name: 'leads-pools',
      component: () => import('./PoolsView.vue'),
      meta: { titleKey: 'leads.pools.title', permission: POOLS },
    },
    {
      path: 'sales/assignment-rules',
      name: 'leads-assignment-rules',
      component: () => import('./AssignmentRulesView.vue'),
      meta: { titleKey: 'leads.rules.title', permission: RULES },
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
      meta: { titleKey: 'leads.forms.title', permission: FORMS },
    },
  ],
  menu: [
    { path: '/sales/pools', labelKey: 'leads.pools.title', section: 'sales', icon: Share, order: 30, permission: POOLS },
    {
      path: '/sales/assignment-rules',
      labelKey: 'leads.rules.title',
      section: 'sales',
      icon: Connection,
      order: 31,
      permission: RULES,
    },
    {
      path: '/sales/pool-settings',
      labelKey: 'leads.poolSettings.title',
      section: 'admin',
      icon: Setting,
      order: 60,
      permission: 'administer_tenant',
    },
    {
      path: '/sales/lead-forms',
      labelKey: 'leads.forms.title',
      section: 'marketing',
      icon: EditPen,
      order: 60,
      permission: FORMS,
    },
  ],
})
