import { Upload } from '@element-plus/icons-vue'

import type { Requirement } from '@/stores/access'

import { defineModule } from '../types'

// Import on any object the wizard offers, as listed in zhike.ingestion.wizard.WIZARD_OBJECTS.
// The wizard itself shows only those the user may import, from GET /api/v1/imports/objects.
const IMPORT_ANY: Requirement = [
  'accounts:import',
  'contacts:import',
  'leads:import',
  'opportunities:import',
  'products:import',
  'activities:import',
]

export default defineModule({
  name: 'imports',
  routes: [
    {
      path: 'imports',
      name: 'imports',
      component: () => import('./ImportWizardView.vue'),
      meta: { titleKey: 'imports.title', permission: IMPORT_ANY },
    },
  ],
  menu: [
    { path: '/imports', labelKey: 'imports.title', section: 'analytics', icon: Upload, order: 50, permission: IMPORT_ANY },
  ],
})
