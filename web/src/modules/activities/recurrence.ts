/**
 * The recurrence rules the activity form offers, as RFC 5545 RRULE text.
 *
 * The server expands a rule from the activity's start in the user's time zone and requires
 * COUNT or UNTIL, so the form always ends a series. UNTIL is written as the end of that day
 * in wall time (no Z), which is how the server reads a rule whose start has no zone.
 */
export const FREQUENCIES = ['DAILY', 'WEEKLY', 'MONTHLY'] as const
export type Frequency = (typeof FREQUENCIES)[number]
export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const
export type Weekday = (typeof WEEKDAYS)[number]

export interface Recurrence {
  frequency: Frequency
  interval: number
  /** Days of the week for weekly rules. Empty means the start's own weekday. */
  weekdays: Weekday[]
  end: 'count' | 'until'
  count: number
  /** Last day of the series, YYYY-MM-DD. */
  until: string
}

export function defaultRecurrence(): Recurrence {
  return { frequency: 'WEEKLY', interval: 1, weekdays: [], end: 'count', count: 4, until: '' }
}

export function buildRule(recurrence: Recurrence): string {
  const parts = [`FREQ=${recurrence.frequency}`]
  if (recurrence.interval > 1) parts.push(`INTERVAL=${recurrence.interval}`)
  if (recurrence.frequency === 'WEEKLY' && recurrence.weekdays.length > 0) {
    const ordered = WEEKDAYS.filter((day) => recurrence.weekdays.includes(day))
    parts.push(`BYDAY=${ordered.join(',')}`)
  }
  if (recurrence.end === 'until' && /^\d{4}-\d{2}-\d{2}$/.test(recurrence.until)) {
    parts.push(`UNTIL=${recurrence.until.replaceAll('-', '')}T235959`)
  } else {
    parts.push(`COUNT=${Math.max(1, Math.trunc(recurrence.count))}`)
  }
  return parts.join(';')
}

/** Parse a rule back into the form, or return null for a rule the form cannot show. */
export function parseRule(rule: string): Recurrence | null {
  const fields = new Map<string, string>()
  for (const part of rule.replace(/^RRULE:/i, '').split(';')) {
    const [name, value] = part.split('=')
    if (name === undefined || value === undefined) return null
    fields.set(name.trim().toUpperCase(), value.trim().toUpperCase())
  }
  const frequency = fields.get('FREQ')
  if (!(FREQUENCIES as readonly string[]).includes(frequency ?? '')) return null
  const known = new Set(['FREQ', 'INTERVAL', 'BYDAY', 'COUNT', 'UNTIL'])
  if ([...fields.keys()].some((name) => !known.has(name))) return null
  const weekdays = (fields.get('BYDAY') ?? '').split(',').filter((day) => day !== '')
  if (weekdays.some((day) => !(WEEKDAYS as readonly string[]).includes(day))) return null
  const recurrence = defaultRecurrence()
  recurrence.frequency = frequency as Frequency
  recurrence.interval = Number(fields.get('INTERVAL') ?? '1') || 1
  recurrence.weekdays = weekdays as Weekday[]
  const until = /^(\d{4})(\d{2})(\d{2})/.exec(fields.get('UNTIL') ?? '')
  if (until !== null) {
    recurrence.end = 'until'
    recurrence.until = `${until[1]}-${until[2]}-${until[3]}`
  } else {
    recurrence.count = Number(fields.get('COUNT') ?? '0') || 1
  }
  return recurrence
}

type Translate = (key: string, values?: Record<string, unknown>) => string

/** Describe a rule in a sentence such as 每周一、三 直到 2027-03-01 or "Every 2 weeks on Mon, Wed, 5 times". */
export function describeRecurrence(recurrence: Recurrence, t: Translate): string {
  const unit = recurrence.frequency.toLowerCase()
  const days = recurrence.weekdays.map((day) => t(`activities.recurrence.weekdayShort.${day}`))
  const withDays = recurrence.frequency === 'WEEKLY' && days.length > 0
  const key = `activities.recurrence.summary.${unit}${recurrence.interval > 1 ? 'Interval' : ''}${withDays ? 'Days' : ''}`
  const base = t(key, { n: recurrence.interval, days: days.join(t('activities.recurrence.weekdaySeparator')) })
  if (recurrence.end === 'until' && recurrence.until !== '') {
    return t('activities.recurrence.summary.until', { rule: base, date: recurrence.until })
  }
  return t('activities.recurrence.summary.count', { rule: base, count: recurrence.count })
}

/** Describe stored rule text, or return the text itself when the form cannot parse it. */
export function describeRule(rule: string, t: Translate): string {
  const parsed = parseRule(rule)
  return parsed === null ? rule : describeRecurrence(parsed, t)
}
