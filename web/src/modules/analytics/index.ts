import { DataAnalysis, TrendCharts } from '@element-plus/icons-vue'

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
  ],
  menu: [
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
