/**
 * Conversions between UTC instants and wall time ("2030-03-04T10:00") in the user's time zone,
 * which may differ from the browser's. Only Intl is used, so no time zone data is shipped.
 */

function zoneOffsetMinutes(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant))
  const part = (type: string): number => Number(parts.find((item) => item.type === type)?.value ?? '0')
  const asUtc = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'))
  return Math.round((asUtc - instant) / 60_000)
}

/** Convert wall time `value` (YYYY-MM-DDTHH:mm) in `timeZone` to an ISO instant. */
export function wallTimeToIso(value: string, timeZone: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/.exec(value)
  if (match === null) throw new Error(`invalid wall time ${value}, expected YYYY-MM-DDTHH:mm`)
  const [year, month, day, hour, minute] = match.slice(1).map(Number) as [number, number, number, number, number]
  const guess = Date.UTC(year, month - 1, day, hour, minute)
  let instant = guess - zoneOffsetMinutes(guess, timeZone) * 60_000
  // Near a DST change the offset at the first guess can differ from the one at the result.
  instant = guess - zoneOffsetMinutes(instant, timeZone) * 60_000
  return new Date(instant).toISOString()
}

/** Convert an ISO instant to wall time (YYYY-MM-DDTHH:mm) in `timeZone`. */
export function isoToWallTime(iso: string, timeZone: string): string {
  const instant = new Date(iso).getTime()
  const shifted = new Date(instant + zoneOffsetMinutes(instant, timeZone) * 60_000)
  return shifted.toISOString().slice(0, 16)
}
