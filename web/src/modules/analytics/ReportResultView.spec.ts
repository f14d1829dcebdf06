import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { describe, expect, it } from 'vitest'

import { i18n } from '@/i18n'

import type { ColumnInfo } from './reportFields'
import ReportResultView from './ReportResultView.vue'

const columns: ColumnInfo = {
  labels: { currency: 'Currency', 'sum:amount': 'Sum · Amount', count: 'Count' },
  rates: [],
  values: {},
  amounts: ['sum:amount', 'sum:amount:previous', 'sum:amount:change'],
  currency: 'currency',
}

async function cellTexts(locale: 'zh-CN' | 'en', withCurrency: boolean): Promise<string[]> {
  i18n.global.locale.value = locale
  const dimensions = withCurrency ? [{ name: 'currency', kind: 'dimension' as const, type: 'string' }] : []
  const rows = withCurrency
    ? [
        ['CNY', '1234567.00', 3],
        ['USD', '-50.5', 1],
      ]
    : [['1234567.00', 3]]
  const wrapper = mount(ReportResultView, {
    props: {
      result: {
        columns: [
          ...dimensions,
          { name: 'sum:amount', kind: 'measure', type: 'decimal' },
          { name: 'count', kind: 'measure', type: 'integer' },
        ],
        rows,
      },
      display: { type: 'table' },
      label: 'report',
      columns: withCurrency ? columns : { ...columns, currency: null },
    },
    global: { plugins: [ElementPlus, i18n] },
  })
  // The table fills its body after the first render.
  await flushPromises()
  return wrapper.findAll('.el-table__body td').map((cell) => cell.text())
}

describe('ReportResultView amounts', () => {
  it('show the currency of their row in Chinese', async () => {
    expect(await cellTexts('zh-CN', true)).toEqual(['CNY', '¥1,234,567.00', '3', 'USD', '-US$50.50', '1'])
  })

  it('show the currency of their row in English', async () => {
    expect(await cellTexts('en', true)).toEqual(['CNY', 'CN¥1,234,567.00', '3', 'USD', '-$50.50', '1'])
  })

  it('keep grouping and cents without currency', async () => {
    expect(await cellTexts('en', false)).toEqual(['1,234,567.00', '3'])
  })
})

describe('ReportResultView amounts in several currencies', () => {
  async function mixedTotal(locale: 'zh-CN' | 'en') {
    i18n.global.locale.value = locale
    const wrapper = mount(ReportResultView, {
      props: {
        result: {
          columns: [
            { name: 'count', kind: 'measure', type: 'integer' },
            { name: 'sum:amount', kind: 'measure', type: 'decimal', currencies: ['CNY', 'USD'] },
          ],
          rows: [
            [
              7,
              [
                { currency: 'CNY', value: '1400.00' },
                { currency: 'USD', value: '150.50' },
              ],
            ],
          ],
        },
        display: { type: 'table' },
        label: 'report',
        columns: { ...columns, currency: null },
      },
      global: { plugins: [ElementPlus, i18n] },
    })
    await flushPromises()
    return wrapper
  }

  it('show one total line per currency in English', async () => {
    const wrapper = await mixedTotal('en')
    const lines = wrapper.findAll('[data-test="report-currency-line"]').map((line) => line.text())
    expect(lines).toEqual(['CN¥1,400.00', '$150.50'])
    expect(wrapper.get('[data-test="report-currency-note"]').text()).toContain('several currencies (CNY, USD)')
  })

  it('show one total line per currency in Chinese', async () => {
    const wrapper = await mixedTotal('zh-CN')
    const lines = wrapper.findAll('[data-test="report-currency-line"]').map((line) => line.text())
    expect(lines).toEqual(['¥1,400.00', 'US$150.50'])
    expect(wrapper.get('[data-test="report-currency-note"]').text()).toContain('多种币种（CNY, USD）')
  })
})
