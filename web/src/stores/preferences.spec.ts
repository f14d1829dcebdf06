import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { browserLocale, i18n } from '@/i18n'

import { usePreferencesStore } from './preferences'

describe('preferences store', () => {
  let languages: string[] = ['zh-CN', 'zh']

  beforeEach(() => {
    window.localStorage.clear()
    languages = ['zh-CN', 'zh']
    vi.spyOn(window.navigator, 'languages', 'get').mockImplementation(() => languages)
    setActivePinia(createPinia())
  })

  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('starts in Chinese', () => {
    const preferences = usePreferencesStore()
    expect(preferences.locale).toBe('zh-CN')
    expect(i18n.global.locale.value).toBe('zh-CN')
  })

  it('starts in English for a browser that prefers English', () => {
    languages = ['en-US', 'en', 'zh-CN']
    const preferences = usePreferencesStore()
    expect(preferences.locale).toBe('en')
    expect(i18n.global.locale.value).toBe('en')
    expect(document.documentElement.lang).toBe('en')
  })

  it('keeps a saved choice over the browser language', () => {
    languages = ['en-US']
    window.localStorage.setItem('zhike.locale', 'zh-CN')
    const preferences = usePreferencesStore()
    expect(preferences.locale).toBe('zh-CN')
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

describe('browser locale', () => {
  it.each([
    [['en-US', 'zh-CN'], 'en'],
    [['en-GB'], 'en'],
    [['EN'], 'en'],
    [['zh-TW', 'en-US'], 'zh-CN'],
    [['fr-FR', 'en-US'], 'en'],
    [['fr-FR', 'de'], 'zh-CN'],
    [[], 'zh-CN'],
  ])('picks from %j the locale %s', (languages, expected) => {
    expect(browserLocale(languages)).toBe(expected)
  })
})
