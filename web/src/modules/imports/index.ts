import { Upload } from '@element-plus/icons-vue'

import { defineModule } from '../types'

export default defineModule({
  name: 'imports',
  routes: [
    {
      path: 'imports',
      name: 'imports',
      component: () => import('./ImportWizardView.vue'),
      meta: { titleKey: 'imports.title' },
    },
  ],
  menu: [{ path: '/imports', labelKey: 'imports.title', section: 'analytics', icon: Upload, order: 50 }],
})
