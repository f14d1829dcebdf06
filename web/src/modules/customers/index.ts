import { DataAnalysis, Files } from '@element-plus/icons-vue'

import type { Requirement } from '@/stores/access'

import { defineModule } from '../types'

const DUPLICATES: Requirement = 'duplicate_candidates:read'
// The quality report covers contacts, leads and accounts, one object at a time.
const QUALITY: Requirement = ['contacts:read', 'leads:read', 'accounts:read']
const PROFILE: Requirement = ['accounts:read', 'contacts:read']

export default defineModule({
  name: 'customers',
  routes: [
    {
      path: 'customers/duplicates',
      name: 'customers-duplicates',
      component: () => import('./DuplicatesView.vue'),
      meta: { titleKey: 'customers.duplicates.title', permission: DUPLICATES },
    },
    {
      path: 'customers/quality',
      name: 'customers-quality',
      component: () => import('./QualityView.vue'),
      meta: { titleKey: 'customers.quality.title', permission: QUALITY },
    },
    {
      path: 'customers/:globalId',
      name: 'customers-profile',
      component: () => import('./ProfileView.vue'),
      props: (route) => ({ globalId: String(route.params.globalId) }),
      meta: { titleKey: 'customers.profile.title', permission: PROFILE },
    },
  ],
  menu: [
    {
      path: '/customers/duplicates',
      labelKey: 'customers.duplicates.title',
      section: 'sales',
      icon: Files,
      order: 70,
      permission: DUPLICATES,
    },
    {
      path: '/customers/quality',
      labelKey: 'customers.quality.title',
      section: 'sales',
      icon: DataAnalysis,
      order: 71,
      permission: QUALITY,
    },
  ],
})
