import { SIGNED_IN } from '@/stores/access'

import { defineModule } from '../types'

// Reached from the user menu in the header, so it adds no navigation entry.
export default defineModule({
  name: 'account',
  routes: [
    {
      path: 'account',
      name: 'account',
      component: () => import('./AccountView.vue'),
      meta: { titleKey: 'account.title', permission: SIGNED_IN },
    },
  ],
})
