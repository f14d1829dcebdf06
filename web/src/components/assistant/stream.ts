import { api, type Schemas } from '@/api/client'
import { ProblemError } from '@/api/problem'

export type AskAnswer = Schemas['AskAnswer']
export type Clarification = Schemas['ClarificationOut']

/** One server-sent event of the assistant's answer stream. */
export interface AssistantEvent {
  name: string
  data: unknown
}

/**
 * Split server-sent-event text into complete events; the unfinished tail is returned
 * so that the next chunk can complete it.
 */
export function parseEvents(buffer: string): { events: AssistantEvent[]; rest: string } {
  const events: AssistantEvent[] = []
  const blocks = buffer.replace(/\r\n/g, '\n').split('\n\n')
  const rest = blocks.pop() ?? ''
  for (const block of blocks) {
    let name = 'message'
    const data: string[] = []
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) name = line.slice(6).trim()
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart())
    }
    if (data.length === 0) continue
    try {
      events.push({ name, data: JSON.parse(data.join('\n')) })
    } catch {
      events.push({ name, data: data.join('\n') })
    }
  }
  return { events, rest }
}

/** Ask a question and hand each event of the answer stream to `onEvent` as it arrives. */
export async function askStream(
  question: string,
  onEvent: (event: AssistantEvent) => void,
  fallbackMessage: string,
): Promise<void> {
  const { data, error, response } = await api.POST('/api/v1/assistant/ask/stream', {
    body: { question },
    parseAs: 'stream',
  })
  if (data === undefined || data === null) {
    throw new ProblemError(error, response.status, fallbackMessage)
  }
  const reader = (data as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    const parsed = parseEvents(buffer)
    buffer = parsed.rest
    parsed.events.forEach(onEvent)
  }
  const tail = parseEvents(buffer + '\n\n')
  tail.events.forEach(onEvent)
}
