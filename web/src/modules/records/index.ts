import type { Requirement } from '@/stores/access'

import { defineModule } from '../types'

import { OBJECT_SCREENS, type ObjectScreen } from './objects'

function readRight(screen: ObjectScreen): Requirement {
  return `${screen.name}:read`
}

export default defineModule({
  name: 'records',
  routes: OBJECT_SCREENS.flatMap((screen) => [
    {
      path: screen.name,
      name: `${screen.name}-list`,
      component: () => import('./RecordListView.vue'),
      props: { objectName: screen.name },
      meta: { titleKey: `records.objects.${screen.name}`, permission: readRight(screen) },
    },
    {
      path: `${screen.name}/:id`,
      name: `${screen.name}-record`,
      component: () => import('./RecordView.vue'),
      props: (route) => ({ objectName: screen.name, id: String(route.params.id) }),
      meta: { titleKey: `records.objects.${screen.name}`, permission: readRight(screen) },
    },
  ]),
  menu: OBJECT_SCREENS.map((screen) => ({
    path: `/${screen.name}`,
    labelKey: `records.objects.${screen.name}`,
    section: screen.section,
    icon: screen.icon,
    order: screen.order,
    permission: readRight(screen),
  })),
})
