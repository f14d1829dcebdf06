import { Cpu } from '@element-plus/icons-vue'

import { defineModule } from '../types'

export default defineModule({
  name: 'agents',
  routes: [
    {
      path: 'agents/runs',
      name: 'agents-runs',
      component: () => import('./RunsView.vue'),
      meta: { titleKey: 'agents.runs.title', permission: 'agent_runs:read' },
    },
    {
      path: 'agents/runs/:id',
      name: 'agents-run',
      component: () => import('./RunView.vue'),
      props: true,
      meta: { titleKey: 'agents.run.title', permission: 'agent_runs:read' },
    },
  ],
  menu: [{ path: '/agents/runs', labelKey: 'agents.runs.title', section: 'home', icon: Cpu, order: 50, permission: 'agent_runs:read' }],
})
