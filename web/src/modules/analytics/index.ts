import { DataAnalysis, DataBoard, Document, TrendCharts } from '@element-plus/icons-vue'

import { SIGNED_IN, type Requirement } from '@/stores/access'

import { defineModule } from '../types'

const FUNNEL: Requirement = 'opportunities:read'
// Won opportunities are the purchases of the accounts the report values.
const CUSTOMER_VALUE: Requirement = { allOf: ['opportunities:read', 'accounts:read'] }
// Saved reports and dashboards list what the user may open; each query is checked when it runs.

export default defineModule({
  name: 'analytics',
  routes: [
    {
      path: 'analytics/funnel',
      name: 'analytics-funnel',
      component: () => import('./FunnelView.vue'),
      meta: { titleKey: 'analytics.funnel.title', permission: FUNNEL },
    },
    {
      path: 'analytics/customer-value',
      name: 'analytics-customer-value',
      component: () => import('./CustomerValueView.vue'),
      meta: { titleKey: 'analytics.value.title', permission: CUSTOMER_VALUE },
    },
    {
      path: 'analytics/reports',
      name: 'analytics-reports',
      component: () => import('./SavedReportsView.vue'),
      meta: { titleKey: 'analytics.saved.title', permission: SIGNED_IN },
    },
    {
      path: 'analytics/reports/:id',
      name: 'analytics-report',
      component: () => import('./ReportBuilderView.vue'),
      meta: { titleKey: 'analytics.report.newTitle', permission: SIGNED_IN },
    },
    {
      path: 'analytics/dashboards/:id?',
      name: 'analytics-dashboards',
      component: () => import('./DashboardView.vue'),
      meta: { titleKey: 'analytics.dashboard.title', permission: SIGNED_IN },
    },
    {
      path: 'analytics/dashboards/:id/edit',
      name: 'analytics-dashboard-edit',
      component: () => import('./DashboardEditorView.vue'),
      meta: { titleKey: 'analytics.dashboard.editTitle', permission: SIGNED_IN },
    },
  ],
  menu: [
    {
      path: '/analytics/dashboards',
      labelKey: 'analytics.dashboard.title',
      section: 'analytics',
      icon: DataBoard,
      order: 5,
      permission: SIGNED_IN,
    },
    {
      path: '/analytics/reports',
      labelKey: 'analytics.saved.title',
      section: 'analytics',
      icon: Document,
      order: 7,
      permission: SIGNED_IN,
    },
    {
      path: '/analytics/funnel',
      labelKey: 'analytics.funnel.title',
      section: 'analytics',
      icon: TrendCharts,
      order: 10,
      permission: FUNNEL,
    },
    {
      path: '/analytics/customer-value',
      labelKey: 'analytics.value.title',
      section: 'analytics',
      icon: DataAnalysis,
      order: 20,
      permission: CUSTOMER_VALUE,
    },
  ],
})
