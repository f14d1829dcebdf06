import { DataAnalysis, Guide, Lock, Filter, Setting } from '@element-plus/icons-vue'

import type { Requirement } from '@/stores/access'

import { defineModule } from '../types'

const SEGMENTS: Requirement = 'segments:read'
// The journeys page also offers the segments a journey can start from.
const JOURNEYS: Requirement = { allOf: ['journeys:read', 'segments:read'] }
// Campaign metrics and attribution each check both grants (zhike.marketing.measurement).
const MEASUREMENT: Requirement = { allOf: ['campaigns:read', 'marketing_metrics:read'] }
const CONSENTS: Requirement = 'consents:read'
// The server guards the marketing settings with the journeys grant.
const SETTINGS: Requirement = 'journeys:read'

export default defineModule({
  name: 'marketing',
  routes: [
    {
      path: 'marketing/segments',
      name: 'marketing-segments',
      component: () => import('./SegmentsView.vue'),
      meta: { titleKey: 'marketing.segments.title', permission: SEGMENTS },
    },
    {
      path: 'marketing/journeys',
      name: 'marketing-journeys',
      component: () => import('./JourneysView.vue'),
      meta: { titleKey: 'marketing.journeys.title', permission: JOURNEYS },
    },
    {
      path: 'marketing/measurement',
      name: 'marketing-measurement',
      component: () => import('./MeasurementView.vue'),
      meta: { titleKey: 'marketing.measurement.title', permission: MEASUREMENT },
    },
    {
      path: 'marketing/consents',
      name: 'marketing-consents',
      component: () => import('./ConsentView.vue'),
      meta: { titleKey: 'marketing.consents.title', permission: CONSENTS },
    },
    {
      path: 'marketing/settings',
      name: 'marketing-settings',
      component: () => import('./MarketingSettingsView.vue'),
      meta: { titleKey: 'marketing.settings.title', permission: SETTINGS },
    },
  ],
  menu: [
    {
      path: '/marketing/segments',
      labelKey: 'marketing.segments.title',
      section: 'marketing',
      icon: Filter,
      order: 10,
      permission: SEGMENTS,
    },
    {
      path: '/marketing/journeys',
      labelKey: 'marketing.journeys.title',
      section: 'marketing',
      icon: Guide,
      order: 20,
      permission: JOURNEYS,
    },
    {
      path: '/marketing/measurement',
      labelKey: 'marketing.measurement.title',
      section: 'marketing',
      icon: DataAnalysis,
      order: 30,
      permission: MEASUREMENT,
    },
    {
      path: '/marketing/consents',
      labelKey: 'marketing.consents.title',
      section: 'marketing',
      icon: Lock,
      order: 40,
      permission: CONSENTS,
    },
    {
      path: '/marketing/settings',
      labelKey: 'marketing.settings.title',
      section: 'marketing',
      icon: Setting,
      order: 50,
      permission: SETTINGS,
    },
  ],
})
