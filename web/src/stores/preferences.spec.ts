import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'

import { i18n } from '@/i18n'

import { usePreferencesStore } from './preferences'

describe('preferences store', () => {
  beforeEach(() => {
    window.localStorage.clear()
    setActivePinia(createPinia())
  })

  it('starts in Chinese', () => {
    const preferences = usePreferencesStore()
    expect(preferences.locale).toBe('zh-CN')
    expect(i18n.global.locale.value).toBe('zh-CN')
  })

  it('remembers a choice per user', () => {
    const preferences = usePreferencesStore()
    preferences.adoptUser('user-1', 'zh-CN')
    preferences.setLocale('en')
    preferences.forgetUser()
    preferences.setLocale('zh-CN')

    preferences.adoptUser('user-1', 'zh-CN')

    expect(preferences.locale).toBe('en')
    expect(document.documentElement.lang).toBe('en')
  })

  it('uses the profile locale of a user without a choice', () => {
    const preferences = usePreferencesStore()
    preferences.adoptUser('user-2', 'en')
    expect(preferences.locale).toBe('en')
  })

  it('ignores an unknown profile locale', () => {
    const preferences = usePreferencesStore()
    preferences.adoptUser('user-3', 'fr')
    expect(preferences.locale).toBe('zh-CN')
  })
})
