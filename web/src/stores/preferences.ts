import { defineStore } from 'pinia'
import { ref } from 'vue'

import { browserLocale, i18n, isLocale, navigatorLanguages, type Locale } from '@/i18n'

const LAST_LOCALE_KEY = 'zhike.locale'
const userLocaleKey = (userId: string): string => `zhike.locale.${userId}`
const ASSISTANT_KEY = 'zhike.assistant-open'

function stored(key: string): string | null {
  try {
    return window.localStorage.getItem(key)
  } catch {
    return null
  }
}

function store(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value)
  } catch {
    // Private windows may refuse storage; the choice then lasts for this page only.
  }
}

export const usePreferencesStore = defineStore('preferences', () => {
  const initial = stored(LAST_LOCALE_KEY)
  // Without a choice saved in this browser, follow the browser's own language list.
  const locale = ref<Locale>(isLocale(initial) ? initial : browserLocale(navigatorLanguages()))
  const assistantOpen = ref(stored(ASSISTANT_KEY) === 'true')
  let userId: string | null = null

  function apply(next: Locale): void {
    locale.value = next
    i18n.global.locale.value = next
    document.documentElement.lang = next
  }

  /** Switch the language and remember it for this browser and, once signed in, for this user. */
  function setLocale(next: Locale): void {
    apply(next)
    store(LAST_LOCALE_KEY, next)
    if (userId !== null) store(userLocaleKey(userId), next)
  }

  /** After login: the user's own earlier choice here, else the locale of their profile. */
  function adoptUser(id: string, profileLocale: string | null | undefined): void {
    userId = id
    const remembered = stored(userLocaleKey(id))
    if (isLocale(remembered)) apply(remembered)
    else if (isLocale(profileLocale)) apply(profileLocale)
    store(LAST_LOCALE_KEY, locale.value)
  }

  function forgetUser(): void {
    userId = null
  }

  function setAssistantOpen(open: boolean): void {
    assistantOpen.value = open
    store(ASSISTANT_KEY, String(open))
  }

  apply(locale.value)
  return { locale, assistantOpen, setLocale, adoptUser, forgetUser, setAssistantOpen }
})
