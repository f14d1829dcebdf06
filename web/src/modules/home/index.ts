import { HomeFilled } from '@element-plus/icons-vue'

import { defineModule } from '../types'

export default defineModule({
  name: 'home',
  routes: [
    {
      path: '',
      name: 'home',
      component: () => import('./HomeView.vue'),
      meta: { titleKey: 'home.title' },
    },
  ],
  menu: [{ path: '/', labelKey: 'home.title', section: 'home', icon: HomeFilled, order: 0 }],
})
