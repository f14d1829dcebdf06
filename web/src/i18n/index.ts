import { createI18n } from 'vue-i18n'

export const SUPPORTED_LOCALES = ['zh-CN', 'en'] as const
export type Locale = (typeof SUPPORTED_LOCALES)[number]
export const DEFAULT_LOCALE: Locale = 'zh-CN'

type MessageTree = { [key: string]: string | MessageTree }

// One file per namespace and language (locales/<locale>/<namespace>.json), so each
// module edits only its own files; `t('records.list.title')` reads records.json.
const files = import.meta.glob<MessageTree>('../locales/*/*.json', {
  eager: true,
  import: 'default',
})

export function collectMessages(
  sources: Record<string, MessageTree>,
): Record<Locale, Record<string, MessageTree>> {
  const messages: Record<Locale, Record<string, MessageTree>> = { 'zh-CN': {}, en: {} }
  for (const [path, tree] of Object.entries(sources)) {
    const match = /locales\/([^/]+)\/([^/]+)\.json$/.exec(path)
    if (match === null) continue
    const [, locale, namespace] = match
    if (!isLocale(locale) || namespace === undefined) continue
    messages[locale][namespace] = tree
  }
  return messages
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (SUPPORTED_LOCALES as readonly string[]).includes(value)
}

/**
 * Pick the locale for a browser's language list, which is in the user's order of preference.
 * The first English or Chinese entry decides, and zh-CN is returned when neither is listed.
 */
export function browserLocale(languages: readonly string[]): Locale {
  for (const language of languages) {
    const primary = language.toLowerCase().split('-')[0]
    if (primary === 'en') return 'en'
    if (primary === 'zh') return 'zh-CN'
  }
  return DEFAULT_LOCALE
}

/** Return this browser's languages in its order of preference, or none outside a browser. */
export function navigatorLanguages(): readonly string[] {
  if (typeof navigator === 'undefined') return []
  if (navigator.languages !== undefined && navigator.languages.length > 0) return navigator.languages
  return navigator.language ? [navigator.language] : []
}

export const messages = collectMessages(files)

export const i18n = createI18n({
  legacy: false,
  locale: DEFAULT_LOCALE,
  fallbackLocale: DEFAULT_LOCALE,
  messages,
  missingWarn: import.meta.env.DEV,
  fallbackWarn: false,
})

export function currentLocale(): Locale {
  const value = i18n.global.locale.value
  return isLocale(value) ? value : DEFAULT_LOCALE
}
