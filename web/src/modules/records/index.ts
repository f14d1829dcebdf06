import { defineModule } from '../types'

import { OBJECT_SCREENS } from './objects'

export default defineModule({
  name: 'records',
  routes: OBJECT_SCREENS.flatMap((screen) => [
    {
      path: screen.name,
      name: `${screen.name}-list`,
      component: () => import('./RecordListView.vue'),
      props: { objectName: screen.name },
      meta: { titleKey: `records.objects.${screen.name}` },
    },
    {
      path: `${screen.name}/:id`,
      name: `${screen.name}-record`,
      component: () => import('./RecordView.vue'),
      props: (route) => ({ objectName: screen.name, id: String(route.params.id) }),
      meta: { titleKey: `records.objects.${screen.name}` },
    },
  ]),
  menu: OBJECT_SCREENS.map((screen) => ({
    path: `/${screen.name}`,
    labelKey: `records.objects.${screen.name}`,
    section: screen.section,
    icon: screen.icon,
    order: screen.order,
  })),
})
