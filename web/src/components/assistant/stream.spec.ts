import { describe, expect, it } from 'vitest'

import { parseEvents } from './stream'

describe('parseEvents', () => {
  it('reads complete events and keeps the unfinished tail', () => {
    const text =
      'event: intent\ndata: {"intent":"query_data"}\n\n' +
      'event: result\ndata: {"rows":[["赵磊","200000.00"]]}\n\n' +
      'event: done\ndata: {'

    const { events, rest } = parseEvents(text)

    expect(events).toEqual([
      { name: 'intent', data: { intent: 'query_data' } },
      { name: 'result', data: { rows: [['赵磊', '200000.00']] } },
    ])
    expect(rest).toBe('event: done\ndata: {')
  })

  it('joins a split event once its second half arrives', () => {
    const first = parseEvents('event: done\ndata: {}')
    const second = parseEvents(first.rest + '\n\n')

    expect(first.events).toEqual([])
    expect(second.events).toEqual([{ name: 'done', data: {} }])
  })
})
