import { Checked, Coin, DataAnalysis, Document, Guide, Money, PriceTag, TrendCharts } from '@element-plus/icons-vue'

import type { Requirement } from '@/stores/access'

import { defineModule } from '../types'

const QUOTES: Requirement = 'quotes:read'
const CONTRACTS: Requirement = 'contracts:read'
const RECEIVABLES: Requirement = 'payments:read'
const APPROVALS: Requirement = 'approval_requests:read'
const INSIGHT: Requirement = 'rep_insight:read'
const FORECAST: Requirement = 'opportunities:read'
const PROCESSES: Requirement = 'administer_tenant'
const PRICE_BOOKS: Requirement = 'price_books:read'

export default defineModule({
  name: 'sales-process',
  routes: [
    {
      path: 'sales/quotes',
      name: 'sales-process-quotes',
      component: () => import('./QuotesView.vue'),
      meta: { titleKey: 'salesProcess.quotes.title', permission: QUOTES },
    },
    {
      path: 'sales/quotes/:id',
      name: 'sales-process-quote',
      component: () => import('./QuoteEditorView.vue'),
      props: true,
      meta: { titleKey: 'salesProcess.quote.title', permission: QUOTES },
    },
    {
      path: 'sales/contracts',
      name: 'sales-process-contracts',
      component: () => import('./ContractsView.vue'),
      meta: { titleKey: 'salesProcess.contracts.title', permission: CONTRACTS },
    },
    {
      path: 'sales/contracts/:id',
      name: 'sales-process-contract',
      component: () => import('./ContractView.vue'),
      props: true,
      meta: { titleKey: 'salesProcess.contract.title', permission: CONTRACTS },
    },
    {
      path: 'sales/receivables',
      name: 'sales-process-receivables',
      component: () => import('./ReceivablesView.vue'),
      meta: { titleKey: 'salesProcess.receivables.title', permission: RECEIVABLES },
    },
    {
      path: 'sales/approvals',
      name: 'sales-process-approvals',
      component: () => import('./ApprovalsView.vue'),
      meta: { titleKey: 'salesProcess.approvals.title', permission: APPROVALS },
    },
    {
      path: 'sales/insight',
      name: 'sales-process-insight',
      component: () => import('./InsightView.vue'),
      meta: { titleKey: 'salesProcess.insight.title', permission: INSIGHT },
    },
    {
      path: 'sales/forecast',
      name: 'sales-process-forecast',
      component: () => import('./SalesForecastView.vue'),
      meta: { titleKey: 'salesProcess.salesForecast.title', permission: FORECAST },
    },
    {
      path: 'sales/processes',
      name: 'sales-process-processes',
      component: () => import('./ProcessesView.vue'),
      meta: { titleKey: 'salesProcess.processes.title', permission: PROCESSES },
    },
    {
      path: 'sales/price-books',
      name: 'sales-process-price-books',
      component: () => import('./PriceBooksView.vue'),
      meta: { titleKey: 'salesProcess.priceBooks.title', permission: PRICE_BOOKS },
    },
  ],
  menu: [
    { path: '/sales/quotes', labelKey: 'salesProcess.quotes.title', section: 'sales', icon: Document, order: 40, permission: QUOTES },
    {
      path: '/sales/contracts',
      labelKey: 'salesProcess.contracts.title',
      section: 'sales',
      icon: Money,
      order: 41,
      permission: CONTRACTS,
    },
    {
      path: '/sales/receivables',
      labelKey: 'salesProcess.receivables.title',
      section: 'sales',
      icon: Coin,
      order: 42,
      permission: RECEIVABLES,
    },
    {
      path: '/sales/approvals',
      labelKey: 'salesProcess.approvals.title',
      section: 'sales',
      icon: Checked,
      order: 44,
      permission: APPROVALS,
    },
    {
      path: '/sales/insight',
      labelKey: 'salesProcess.insight.title',
      section: 'sales',
      icon: DataAnalysis,
      order: 43,
      permission: INSIGHT,
    },
    {
      path: '/sales/forecast',
      labelKey: 'salesProcess.salesForecast.title',
      section: 'sales',
      icon: TrendCharts,
      order: 45,
      permission: FORECAST,
    },
    {
      path: '/sales/processes',
      labelKey: 'salesProcess.processes.title',
      section: 'admin',
      icon: Guide,
      order: 61,
      permission: PROCESSES,
    },
    {
      path: '/sales/price-books',
      labelKey: 'salesProcess.priceBooks.title',
      section: 'sales',
      icon: PriceTag,
      order: 39,
      permission: PRICE_BOOKS,
    },
  ],
})
