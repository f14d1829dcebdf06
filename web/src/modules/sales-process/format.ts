import { usePreferencesStore } from '@/stores/preferences'

/** Display an amount (a decimal string from the API) in its currency; only for showing, never for sums. */
export function useMoney(): (amount: string | null | undefined, currency: string) => string {
  const preferences = usePreferencesStore()
  return (amount, currency) => {
    if (amount === null || amount === undefined || amount === '') return '-'
    return new Intl.NumberFormat(preferences.locale, { style: 'currency', currency }).format(Number(amount))
  }
}

export function messageOf(error: unknown, fallback: string): string {
  return error instanceof Error && error.message !== '' ? error.message : fallback
}
