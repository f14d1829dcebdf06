import { DataAnalysis, Guide, Lock, Filter, Setting } from '@element-plus/icons-vue'

import { defineModule } from '../types'

export default defineModule({
  name: 'marketing',
  routes: [
    {
      path: 'marketing/segments',
      name: 'marketing-segments',
      component: () => import('./SegmentsView.vue'),
      meta: { titleKey: 'marketing.segments.title' },
    },
    {
      path: 'marketing/journeys',
      name: 'marketing-journeys',
      component: () => import('./JourneysView.vue'),
      meta: { titleKey: 'marketing.journeys.title' },
    },
    {
      path: 'marketing/measurement',
      name: 'marketing-measurement',
      component: () => import('./MeasurementView.vue'),
      meta: { titleKey: 'marketing.measurement.title' },
    },
    {
      path: 'marketing/consents',
      name: 'marketing-consents',
      component: () => import('./ConsentView.vue'),
      meta: { titleKey: 'marketing.consents.title' },
    },
    {
      path: 'marketing/settings',
      name: 'marketing-settings',
      component: () => import('./MarketingSettingsView.vue'),
      meta: { titleKey: 'marketing.settings.title' },
    },
  ],
  menu: [
    { path: '/marketing/segments', labelKey: 'marketing.segments.title', section: 'marketing', icon: Filter, order: 10 },
    { path: '/marketing/journeys', labelKey: 'marketing.journeys.title', section: 'marketing', icon: Guide, order: 20 },
    {
      path: '/marketing/measurement',
      labelKey: 'marketing.measurement.title',
      section: 'marketing',
      icon: DataAnalysis,
      order: 30,
    },
    { path: '/marketing/consents', labelKey: 'marketing.consents.title', section: 'marketing', icon: Lock, order: 40 },
    {
      path: '/marketing/settings',
      labelKey: 'marketing.settings.title',
      section: 'marketing',
      icon: Setting,
      order: 50,
    },
  ],
})
