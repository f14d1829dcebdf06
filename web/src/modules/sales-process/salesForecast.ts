/** Grouping chosen on the forecast screen. 'company' sends no `group`, so the API returns one row. */
export type ForecastGrouping = 'owner' | 'team' | 'company'

/** Key the API gives the row of deals without an owner or a team. */
export const UNASSIGNED_KEY = '-'

/** Return the first day of the month after `today`, as 'YYYY-MM-01' in the browser's time zone. */
export function nextMonthStart(today: Date): string {
  const next = new Date(today.getFullYear(), today.getMonth() + 1, 1)
  const month = String(next.getMonth() + 1).padStart(2, '0')
  return `${next.getFullYear()}-${month}-01`
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/

/**
 * Add decimal strings exactly, keeping the most fraction digits among them ("0.5" + "1.25" is "1.75").
 * Amounts are summed as integers of the smallest unit, so no float rounding enters a total.
 * An empty list sums to "0".
 */
export function sumDecimals(values: readonly string[]): string {
  const parsed = values.map((value) => {
    const match = DECIMAL.exec(value)
    if (match === null) throw new Error(`invalid decimal amount ${JSON.stringify(value)}`)
    const [, sign = '', whole = '0', fraction = ''] = match
    return { negative: sign === '-', whole, fraction }
  })
  const scale = Math.max(0, ...parsed.map((item) => item.fraction.length))

  let total = 0n
  for (const item of parsed) {
    const units = BigInt(item.whole + item.fraction.padEnd(scale, '0'))
    total += item.negative ? -units : units
  }

  const negative = total < 0n
  const digits = (negative ? -total : total).toString().padStart(scale + 1, '0')
  const whole = digits.slice(0, digits.length - scale)
  const text = scale === 0 ? whole : `${whole}.${digits.slice(digits.length - scale)}`
  return negative ? `-${text}` : text
}

/** Key the API gives the single row of a forecast without a group. */
export const COMPANY_KEY = 'all'

export type FallbackLabel = 'noOwner' | 'noTeam' | 'wholeCompany'

/**
 * Return the name to show for a forecast row: the user's or team's name from the API, else a label
 * for the whole company or for deals without an owner or team, else the key itself. A key with no
 * name is the id of a user or team the API could not name.
 */
export function groupName(
  key: string,
  name: string | null | undefined,
  grouping: ForecastGrouping,
  label: (fallback: FallbackLabel) => string,
): string {
  if (name !== null && name !== undefined && name !== '') return name
  if (key === COMPANY_KEY) return label('wholeCompany')
  if (key === UNASSIGNED_KEY) return label(grouping === 'team' ? 'noTeam' : 'noOwner')
  return key
}
