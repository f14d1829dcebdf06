import { HomeFilled } from '@element-plus/icons-vue'

import { SIGNED_IN } from '@/stores/access'

import { defineModule } from '../types'

export default defineModule({
  name: 'home',
  routes: [
    {
      path: '',
      name: 'home',
      component: () => import('./HomeView.vue'),
      meta: { titleKey: 'home.title', permission: SIGNED_IN },
    },
  ],
  menu: [{ path: '/', labelKey: 'home.title', section: 'home', icon: HomeFilled, order: 0, permission: SIGNED_IN }],
})
