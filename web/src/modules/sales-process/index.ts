import { Checked, Coin, DataAnalysis, Document, Guide, Money, PriceTag } from '@element-plus/icons-vue'

import { defineModule } from '../types'

export default defineModule({
  name: 'sales-process',
  routes: [
    {
      path: 'sales/quotes',
      name: 'sales-process-quotes',
      component: () => import('./QuotesView.vue'),
      meta: { titleKey: 'salesProcess.quotes.title' },
    },
    {
      path: 'sales/quotes/:id',
      name: 'sales-process-quote',
      component: () => import('./QuoteEditorView.vue'),
      props: true,
      meta: { titleKey: 'salesProcess.quote.title' },
    },
    {
      path: 'sales/contracts',
      name: 'sales-process-contracts',
      component: () => import('./ContractsView.vue'),
      meta: { titleKey: 'salesProcess.contracts.title' },
    },
    {
      path: 'sales/contracts/:id',
      name: 'sales-process-contract',
      component: () => import('./ContractView.vue'),
      props: true,
      meta: { titleKey: 'salesProcess.contract.title' },
    },
    {
      path: 'sales/receivables',
      name: 'sales-process-receivables',
      component: () => import('./ReceivablesView.vue'),
      meta: { titleKey: 'salesProcess.receivables.title' },
    },
    {
      path: 'sales/approvals',
      name: 'sales-process-approvals',
      component: () => import('./ApprovalsView.vue'),
      meta: { titleKey: 'salesProcess.approvals.title' },
    },
    {
      path: 'sales/insight',
      name: 'sales-process-insight',
      component: () => import('./InsightView.vue'),
      meta: { titleKey: 'salesProcess.insight.title' },
    },
    {
      path: 'sales/processes',
      name: 'sales-process-processes',
      component: () => import('./ProcessesView.vue'),
      meta: { titleKey: 'salesProcess.processes.title', permission: 'administer_tenant' },
    },
    {
      path: 'sales/price-books',
      name: 'sales-process-price-books',
      component: () => import('./PriceBooksView.vue'),
      meta: { titleKey: 'salesProcess.priceBooks.title' },
    },
  ],
  menu: [
    { path: '/sales/quotes', labelKey: 'salesProcess.quotes.title', section: 'sales', icon: Document, order: 40 },
    { path: '/sales/contracts', labelKey: 'salesProcess.contracts.title', section: 'sales', icon: Money, order: 41 },
    { path: '/sales/receivables', labelKey: 'salesProcess.receivables.title', section: 'sales', icon: Coin, order: 42 },
    { path: '/sales/approvals', labelKey: 'salesProcess.approvals.title', section: 'sales', icon: Checked, order: 44 },
    { path: '/sales/insight', labelKey: 'salesProcess.insight.title', section: 'sales', icon: DataAnalysis, order: 43 },
    {
      path: '/sales/processes',
      labelKey: 'salesProcess.processes.title',
      section: 'admin',
      icon: Guide,
      order: 61,
      permission: 'administer_tenant',
    },
    { path: '/sales/price-books', labelKey: 'salesProcess.priceBooks.title', section: 'sales', icon: PriceTag, order: 39 },
  ],
})
