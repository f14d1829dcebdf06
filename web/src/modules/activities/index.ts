import { Calendar } from '@element-plus/icons-vue'

import { defineModule } from '../types'

export default defineModule({
  name: 'activities',
  routes: [
    {
      path: 'sales/activities',
      name: 'activities-mine',
      component: () => import('./MyActivitiesView.vue'),
      meta: { titleKey: 'activities.title', permission: 'activities:read' },
    },
  ],
  menu: [{ path: '/sales/activities', labelKey: 'activities.title', section: 'sales', icon: Calendar, order: 3, permission: 'activities:read' }],
})
