import { DataAnalysis, Files } from '@element-plus/icons-vue'

import { defineModule } from '../types'

export default defineModule({
  name: 'customers',
  routes: [
    {
      path: 'customers/duplicates',
      name: 'customers-duplicates',
      component: () => import('./DuplicatesView.vue'),
      meta: { titleKey: 'customers.duplicates.title' },
    },
    {
      path: 'customers/quality',
      name: 'customers-quality',
      component: () => import('./QualityView.vue'),
      meta: { titleKey: 'customers.quality.title' },
    },
    {
      path: 'customers/:globalId',
      name: 'customers-profile',
      component: () => import('./ProfileView.vue'),
      props: (route) => ({ globalId: String(route.params.globalId) }),
      meta: { titleKey: 'customers.profile.title' },
    },
  ],
  menu: [
    { path: '/customers/duplicates', labelKey: 'customers.duplicates.title', section: 'sales', icon: Files, order: 70 },
    { path: '/customers/quality', labelKey: 'customers.quality.title', section: 'sales', icon: DataAnalysis, order: 71 },
  ],
})
