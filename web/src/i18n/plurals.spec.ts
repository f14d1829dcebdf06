import { describe, expect, it } from 'vitest'
import { createI18n } from 'vue-i18n'

import { messages } from './index'

function english() {
  return createI18n({ legacy: false, locale: 'en', messages }).global.t
}

describe('English plural forms', () => {
  it('use the singular for one', () => {
    const t = english()
    expect(t('activities.form.reminderHours', 1)).toBe('1 hour before')
    expect(t('activities.form.reminderDays', 1)).toBe('1 day before')
    expect(t('activities.form.reminderMinutes', 1)).toBe('1 minute before')
    expect(t('assistant.rows', { count: 1 }, 1)).toBe('1 row')
    expect(t('pipeline.count', 1)).toBe('1 deal')
    expect(t('home.drill.count', 1)).toBe('1 record')
    expect(t('home.funnel.otherCurrency', { count: 1, currency: 'CNY' }, 1)).toBe(
      '1 deal in another currency is counted but not included in the CNY amounts.',
    )
    expect(t('salesProcess.salesForecast.otherNote', { count: 1, currency: 'CNY' }, 1)).toBe(
      'The 1 open deal below is in another currency. It is not converted or added to the CNY forecast above.',
    )
    expect(t('imports.validation.summary', { read: 1, created: 1, updated: 0, unchanged: 0, rejected: 0 }, 1)).toBe(
      '1 row: 1 new, 0 updated, 0 unchanged, 0 with problems',
    )
  })

  it('use the plural otherwise', () => {
    const t = english()
    expect(t('activities.form.reminderHours', 2)).toBe('2 hours before')
    expect(t('assistant.rows', { count: 0 }, 0)).toBe('0 rows')
    expect(t('pipeline.count', 3)).toBe('3 deals')
    expect(t('salesProcess.salesForecast.otherNote', { count: 2, currency: 'CNY' }, 2)).toBe(
      'The 2 open deals below are in other currencies. They are not converted or added to the CNY forecast above.',
    )
    expect(t('imports.result.running', { read: 5, total: 40 }, 40)).toBe('Importing: 5 of about 40 rows read')
  })

  it('keep the single Chinese form', () => {
    const { t } = createI18n({ legacy: false, locale: 'zh-CN', messages }).global
    expect(t('activities.form.reminderHours', 1)).toBe('提前 1 小时')
    expect(t('assistant.rows', { count: 3 }, 3)).toBe('共 3 行')
  })
})
