import { api, type Schemas } from '@/api/client'
import { ProblemError } from '@/api/problem'

export type QueueItem = Schemas['QueueItem']
export type TicketHistory = Schemas['TicketHistory']
export type Suggestions = Schemas['Suggestions']
export type BotReply = Schemas['ReplyRead']

export async function loadQueue(mine: boolean): Promise<{ items: QueueItem[]; now: string }> {
  const { data, error, response } = await api.GET('/api/v1/service/queue', {
    params: { query: { mine, limit: 200 } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'queue failed')
  return data
}

export async function loadHistory(ticketId: string): Promise<TicketHistory> {
  const { data, error, response } = await api.GET('/api/v1/service/tickets/{ticket_id}/history', {
    params: { path: { ticket_id: ticketId } },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'history failed')
  return data
}

export async function loadSuggestions(ticketId: string): Promise<Suggestions> {
  const { data, error, response } = await api.GET(
    '/api/v1/service/tickets/{ticket_id}/suggestions',
    { params: { path: { ticket_id: ticketId } } },
  )
  if (data === undefined) throw new ProblemError(error, response.status, 'suggestions failed')
  return data
}

export async function sendReply(ticketId: string, body: string, isInternal: boolean): Promise<void> {
  const { data, error, response } = await api.POST('/api/v1/service/tickets/{ticket_id}/messages', {
    params: { path: { ticket_id: ticketId } },
    body: { body, is_internal: isInternal },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'reply failed')
}

export type TicketStatus = Schemas['StatusChange']['status']

export async function changeStatus(ticketId: string, status: TicketStatus): Promise<void> {
  const { data, error, response } = await api.POST('/api/v1/service/tickets/{ticket_id}/status', {
    params: { path: { ticket_id: ticketId } },
    body: { status },
  })
  if (data === undefined) throw new ProblemError(error, response.status, 'status failed')
}

export async function startConversation(): Promise<BotReply> {
  const { data, error, response } = await api.POST('/api/v1/bot/conversations')
  if (data === undefined) throw new ProblemError(error, response.status, 'bot start failed')
  return data
}

export async function sendToBot(conversationId: string, text: string): Promise<BotReply> {
  const { data, error, response } = await api.POST(
    '/api/v1/bot/conversations/{conversation_id}/messages',
    { params: { path: { conversation_id: conversationId } }, body: { text } },
  )
  if (data === undefined) throw new ProblemError(error, response.status, 'bot message failed')
  return data
}

export async function handOff(conversationId: string): Promise<BotReply> {
  const { data, error, response } = await api.POST(
    '/api/v1/bot/conversations/{conversation_id}/handoff',
    { params: { path: { conversation_id: conversationId } } },
  )
  if (data === undefined) throw new ProblemError(error, response.status, 'handoff failed')
  return data
}
