import { api, type Schemas } from '@/api/client'
import { ProblemError } from '@/api/problem'

export type Quote = Schemas['QuoteRead']
export type QuoteWrite = Schemas['QuoteWrite']
export type QuoteLineWrite = Schemas['QuoteLineWrite']
export type QuoteAcceptance = Schemas['QuoteAcceptance']
export type Contract = Schemas['ContractRead']
export type ContractListItem = Schemas['ContractListItem']
export type ReceiptWrite = Schemas['ReceiptWrite']
export type AgeingReport = Schemas['AgeingReport']
export type Forecast = Schemas['CollectionForecast']
export type TeamInsight = Schemas['TeamInsight']
export type PriceBook = Schemas['PriceBookRead']

function fail(error: unknown, status: number, what: string): never {
  throw new ProblemError(error, status, what)
}

export function quoteEtag(quote: Quote): string {
  return `"${quote.id}.${quote.version}"`
}

export function pdfUrl(quoteId: string, lang: 'zh-CN' | 'en'): string {
  return `/api/v1/quotes/${quoteId}/pdf?lang=${lang}`
}

export async function listQuotes(): Promise<Quote[]> {
  const { data, error, response } = await api.GET('/api/v1/quotes', { params: { query: { limit: 200 } } })
  if (data === undefined) fail(error, response.status, 'quotes failed')
  return data.items
}

export async function getQuote(id: string): Promise<Quote> {
  const { data, error, response } = await api.GET('/api/v1/quotes/{quote_id}', {
    params: { path: { quote_id: id } },
  })
  if (data === undefined) fail(error, response.status, 'quote failed')
  return data
}

export async function saveQuote(body: QuoteWrite, existing: Quote | null): Promise<Quote> {
  if (existing === null) {
    const { data, error, response } = await api.POST('/api/v1/quotes', { body })
    if (data === undefined) fail(error, response.status, 'save failed')
    return data
  }
  const { data, error, response } = await api.PUT('/api/v1/quotes/{quote_id}', {
    params: { path: { quote_id: existing.id }, header: { 'if-match': quoteEtag(existing) } },
    body,
  })
  if (data === undefined) fail(error, response.status, 'save failed')
  return data
}

type QuoteAction = 'submit' | 'send' | 'reject' | 'versions'

export async function quoteAction(id: string, action: QuoteAction): Promise<Quote> {
  const path = `/api/v1/quotes/{quote_id}/${action}` as '/api/v1/quotes/{quote_id}/submit'
  const { data, error, response } = await api.POST(path, { params: { path: { quote_id: id } } })
  if (data === undefined) fail(error, response.status, `${action} failed`)
  return data
}

export async function acceptQuote(id: string, body: QuoteAcceptance): Promise<Quote> {
  const { data, error, response } = await api.POST('/api/v1/quotes/{quote_id}/accept', {
    params: { path: { quote_id: id } },
    body,
  })
  if (data === undefined) fail(error, response.status, 'accept failed')
  return data
}

export async function listPriceBooks(): Promise<PriceBook[]> {
  const { data, error, response } = await api.GET('/api/v1/price-books')
  if (data === undefined) fail(error, response.status, 'price books failed')
  return data.items
}

export async function listContracts(): Promise<ContractListItem[]> {
  const { data, error, response } = await api.GET('/api/v1/contracts', { params: { query: { limit: 200 } } })
  if (data === undefined) fail(error, response.status, 'contracts failed')
  return data.items
}

export async function getContract(id: string): Promise<Contract> {
  const { data, error, response } = await api.GET('/api/v1/contracts/{contract_id}', {
    params: { path: { contract_id: id } },
  })
  if (data === undefined) fail(error, response.status, 'contract failed')
  return data
}

export async function addReceipt(id: string, body: ReceiptWrite): Promise<Contract> {
  const { data, error, response } = await api.POST('/api/v1/contracts/{contract_id}/receipts', {
    params: { path: { contract_id: id } },
    body,
  })
  if (data === undefined) fail(error, response.status, 'receipt failed')
  return data
}

export async function getAgeing(): Promise<AgeingReport> {
  const { data, error, response } = await api.GET('/api/v1/receivables/ageing')
  if (data === undefined) fail(error, response.status, 'ageing failed')
  return data
}

export async function getForecast(months: number): Promise<Forecast> {
  const { data, error, response } = await api.GET('/api/v1/receivables/forecast', {
    params: { query: { months } },
  })
  if (data === undefined) fail(error, response.status, 'forecast failed')
  return data
}

export async function getInsight(days: number): Promise<TeamInsight> {
  const { data, error, response } = await api.GET('/api/v1/insight/reps', { params: { query: { days } } })
  if (data === undefined) fail(error, response.status, 'insight failed')
  return data
}

export type SalesForecast = Schemas['SalesForecast']

/** Fetch the won-amount forecast of `month` ('YYYY-MM-01'), per owner or team, or for the whole company. */
export async function getSalesForecast(month: string, group: 'owner' | 'team' | null): Promise<SalesForecast> {
  const query = group === null ? { month } : { month, group }
  const { data, error, response } = await api.GET('/api/v1/sales/forecast', { params: { query } })
  if (data === undefined) fail(error, response.status, 'sales forecast failed')
  return data
}

export type Approval = Schemas['ApprovalRequestRead']

export async function listApprovals(status: string): Promise<Approval[]> {
  const { data, error, response } = await api.GET('/api/v1/approvals', { params: { query: { status } } })
  if (data === undefined) fail(error, response.status, 'approvals failed')
  return data.items
}

export async function decideApproval(id: string, approve: boolean, note?: string): Promise<Approval> {
  const { data, error, response } = await api.POST('/api/v1/approvals/{request_id}/decision', {
    params: { path: { request_id: id } },
    body: { approve, note: note?.trim() ? note.trim() : null },
  })
  if (data === undefined) fail(error, response.status, 'decision failed')
  return data
}

export type SalesProcess = Schemas['SalesProcessRead']
export type SalesProcessWrite = Schemas['SalesProcessWrite']
export type ProcessStageWrite = Schemas['ProcessStageWrite']
export type PipelineStage = Schemas['PipelineStageRead']
export type OpportunityProcess = Schemas['OpportunityProcessRead']
export type PriceBookWrite = Schemas['PriceBookWrite']
export type PriceBookEntryWrite = Schemas['PriceBookEntryWrite']

export async function listProcesses(): Promise<SalesProcess[]> {
  const { data, error, response } = await api.GET('/api/v1/sales-processes')
  if (data === undefined) fail(error, response.status, 'processes failed')
  return data.items
}

export async function saveProcess(body: SalesProcessWrite): Promise<SalesProcess> {
  const { data, error, response } = await api.PUT('/api/v1/sales-processes/{key}', {
    params: { path: { key: body.key } },
    body,
  })
  if (data === undefined) fail(error, response.status, 'save failed')
  return data
}

export async function deleteProcess(key: string): Promise<void> {
  const { error, response } = await api.DELETE('/api/v1/sales-processes/{key}', { params: { path: { key } } })
  if (!response.ok) fail(error, response.status, 'delete failed')
}

export async function listStages(): Promise<PipelineStage[]> {
  const { data, error, response } = await api.GET('/api/v1/pipeline/stages')
  if (data === undefined) fail(error, response.status, 'stages failed')
  return data.stages
}

export async function getOpportunityProcess(opportunityId: string): Promise<OpportunityProcess> {
  const { data, error, response } = await api.GET('/api/v1/opportunities/{opportunity_id}/process', {
    params: { path: { opportunity_id: opportunityId } },
  })
  if (data === undefined) fail(error, response.status, 'process failed')
  return data
}

export async function requestStageApproval(opportunityId: string, stage: string): Promise<void> {
  const { data, error, response } = await api.POST('/api/v1/opportunities/{opportunity_id}/stage-approvals', {
    params: { path: { opportunity_id: opportunityId } },
    body: { stage },
  })
  if (data === undefined) fail(error, response.status, 'approval request failed')
}

export async function savePriceBook(body: PriceBookWrite, existing: PriceBook | null): Promise<PriceBook> {
  const result =
    existing === null
      ? await api.POST('/api/v1/price-books', { body })
      : await api.PUT('/api/v1/price-books/{book_id}', { params: { path: { book_id: existing.id } }, body })
  if (result.data === undefined) fail(result.error, result.response.status, 'save failed')
  return result.data
}

export async function savePriceBookEntries(bookId: string, entries: PriceBookEntryWrite[]): Promise<PriceBook> {
  const { data, error, response } = await api.PUT('/api/v1/price-books/{book_id}/entries', {
    params: { path: { book_id: bookId } },
    body: entries,
  })
  if (data === undefined) fail(error, response.status, 'save failed')
  return data
}
