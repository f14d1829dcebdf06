import { DataAnalysis, DataBoard, Document, TrendCharts } from '@element-plus/icons-vue'

import { defineModule } from '../types'

export default defineModule({
  name: 'analytics',
  routes: [
    {
      path: 'analytics/funnel',
      name: 'analytics-funnel',
      component: () => import('./FunnelView.vue'),
      meta: { titleKey: 'analytics.funnel.title' },
    },
    {
      path: 'analytics/customer-value',
      name: 'analytics-customer-value',
      component: () => import('./CustomerValueView.vue'),
      meta: { titleKey: 'analytics.value.title' },
    },
    {
      path: 'analytics/reports',
      name: 'analytics-reports',
      component: () => import('./SavedReportsView.vue'),
      meta: { titleKey: 'analytics.saved.title' },
    },
    {
      path: 'analytics/reports/:id',
      name: 'analytics-report',
      component: () => import('./ReportBuilderView.vue'),
      meta: { titleKey: 'analytics.report.newTitle' },
    },
    {
      path: 'analytics/dashboards/:id?',
      name: 'analytics-dashboards',
      component: () => import('./DashboardView.vue'),
      meta: { titleKey: 'analytics.dashboard.title' },
    },
    {
      path: 'analytics/dashboards/:id/edit',
      name: 'analytics-dashboard-edit',
      component: () => import('./DashboardEditorView.vue'),
      meta: { titleKey: 'analytics.dashboard.editTitle' },
    },
  ],
  menu: [
    { path: '/analytics/dashboards', labelKey: 'analytics.dashboard.title', section: 'analytics', icon: DataBoard, order: 5 },
    { path: '/analytics/reports', labelKey: 'analytics.saved.title', section: 'analytics', icon: Document, order: 7 },
    { path: '/analytics/funnel', labelKey: 'analytics.funnel.title', section: 'analytics', icon: TrendCharts, order: 10 },
    {
      path: '/analytics/customer-value',
      labelKey: 'analytics.value.title',
      section: 'analytics',
      icon: DataAnalysis,
      order: 20,
    },
  ],
})
