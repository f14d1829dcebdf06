import { useI18n } from 'vue-i18n'

import { formatAmount } from '@/components/records/format'

import type { JourneyOutcome, MoneyAmount } from './api'

/** Formatters for the counts, money and ROI of a journey, a step or a branch, in the current locale. */
export function useOutcomeFormat(): {
  money: (amounts: MoneyAmount[]) => string
  count: (value: number) => string
  roi: (row: JourneyOutcome) => string
  reasons: (counts: Record<string, number>) => string
  blockSummary: (row: JourneyOutcome) => string
} {
  const { t, te, locale } = useI18n()

  function money(amounts: MoneyAmount[]): string {
    if (amounts.length === 0) return '—'
    return amounts.map((item) => formatAmount(item.amount, locale.value, item.currency)).join(' + ')
  }

  function count(value: number): string {
    return new Intl.NumberFormat(locale.value, { maximumFractionDigits: 2 }).format(value)
  }

  function roi(row: JourneyOutcome): string {
    if (row.roi !== null) {
      return new Intl.NumberFormat(locale.value, { style: 'percent', maximumFractionDigits: 1 }).format(Number(row.roi))
    }
    return t(`marketing.stepMetrics.roiUnavailable.${row.roi_unavailable_reason ?? 'no_cost'}`)
  }

  function reasons(counts: Record<string, number>): string {
    return Object.entries(counts)
      .map(([reason, n]) => {
        const key = `marketing.stepMetrics.sendReasons.${reason}`
        return `${te(key) ? t(key) : reason} ${count(n)}`
      })
      .join(locale.value.startsWith('zh') ? '，' : ', ')
  }

  function blockSummary(row: JourneyOutcome): string {
    if (row.blocked === 0) return t('marketing.stepMetrics.noneBlocked')
    return t('marketing.stepMetrics.blockedBy', { reasons: reasons(row.blocked_reasons) })
  }

  return { money, count, roi, reasons, blockSummary }
}
