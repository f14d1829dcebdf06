/** Score bands the screens colour by: 80 and up is good, 60 to 79 fair, below 60 poor. */
export type ScoreLevel = 'good' | 'fair' | 'poor' | 'none'

export const GOOD_SCORE = 80
export const FAIR_SCORE = 60

export function scoreLevel(score: number | null | undefined): ScoreLevel {
  if (score === null || score === undefined) return 'none'
  if (score >= GOOD_SCORE) return 'good'
  if (score >= FAIR_SCORE) return 'fair'
  return 'poor'
}
