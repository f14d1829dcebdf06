import { Histogram } from '@element-plus/icons-vue'

import { defineModule } from '../types'

export default defineModule({
  name: 'pipeline',
  routes: [
    {
      path: 'pipeline',
      name: 'pipeline',
      component: () => import('./PipelineBoard.vue'),
      meta: { titleKey: 'pipeline.title', permission: 'opportunities:read' },
    },
  ],
  menu: [{ path: '/pipeline', labelKey: 'pipeline.title', section: 'sales', icon: Histogram, order: 35, permission: 'opportunities:read' }],
})
