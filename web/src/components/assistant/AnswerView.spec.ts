import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { describe, expect, it } from 'vitest'
import VChart from 'vue-echarts'

import { i18n } from '@/i18n'

import AnswerView from './AnswerView.vue'
import type { AskAnswer } from './stream'

const base: AskAnswer = {
  question: '按阶段统计商机数量',
  intent: 'query_data',
  intent_confidence: 0.9,
  source: 'offline',
  query: { object: 'opportunities', group_by: [{ field: 'stage.key' }], measures: [{ aggregate: 'count' }] },
  columns: [
    { name: 'stage.key', kind: 'dimension', type: 'string' },
    { name: 'count', kind: 'measure', type: 'integer' },
  ],
  rows: [
    ['proposal', 12],
    ['won', 30],
    ['lost', 9],
    ['legacy', 4],
    ['engaging', 7],
    ['prospecting', 2],
    ['negotiation', 5],
  ],
  chart: { type: 'bar', x: 'stage.key', y: ['count'] },
  value_labels: {
    'stage.key': {
      proposal: '方案报价',
      won: '赢单',
      lost: '输单',
      engaging: '方案沟通',
      prospecting: '初步接洽',
      negotiation: '商务谈判',
    },
  },
  warnings: [],
}

function mountAnswer(answer: AskAnswer) {
  return mount(AnswerView, { props: { answer }, global: { plugins: [ElementPlus, i18n] } })
}

describe('AnswerView', () => {
  it('shows stage labels instead of stored keys in the table', async () => {
    i18n.global.locale.value = 'zh-CN'
    const wrapper = mountAnswer(base)
    await flushPromises()

    const table = wrapper.get('[data-test="assistant-table"]').text()

    expect(table).toContain('方案报价')
    expect(table).toContain('商务谈判')
    expect(table).not.toContain('proposal')
    // A value the server sent no label for is shown as stored.
    expect(table).toContain('legacy')
  })

  it('heads a column the catalog here does not know with the server heading', async () => {
    i18n.global.locale.value = 'zh-CN'
    const wrapper = mountAnswer({
      ...base,
      query: { object: 'activities', group_by: [{ field: 'subject' }, { field: 'id' }], measures: [] },
      columns: [
        { name: 'subject', kind: 'dimension', type: 'string' },
        { name: 'id', kind: 'dimension', type: 'string' },
      ],
      rows: [['回访', '0193f3a0-0000-7000-8000-000000000001']],
      chart: null,
      value_labels: {},
      column_labels: { subject: '主题', id: '编号' },
    })
    await flushPromises()

    const headers = wrapper.findAll('[data-test="assistant-table"] th').map((cell) => cell.text())

    expect(headers).toEqual(['主题', '编号'])
  })

  it('shows each warning about ignored words above the result', () => {
    const message = 'Note: the time phrase "the week after next" was not applied.'
    const wrapper = mountAnswer({
      ...base,
      warnings: [{ code: 'assistant_ignored_time', message, words: ['the week after next'] }],
    })

    const warnings = wrapper.findAll('[data-test="assistant-warning"]')

    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.text()).toContain('the week after next')
  })

  it('shows no warning when every word was applied', () => {
    const wrapper = mountAnswer(base)

    expect(wrapper.findAll('[data-test="assistant-warning"]')).toHaveLength(0)
  })

  it('shows a win rate by month as percentages', async () => {
    i18n.global.locale.value = 'en'
    const wrapper = mountAnswer({
      ...base,
      question: 'win rate by month',
      query: {
        object: 'opportunities',
        filters: [{ field: 'closed_on', op: 'is_not_empty' }],
        group_by: [{ field: 'closed_on', bucket: 'month' }],
        measures: [{ aggregate: 'share', alias: 'win_rate', where: [{ field: 'stage.is_won', op: 'eq', value: true }] }],
      },
      columns: [
        { name: 'closed_on:month', kind: 'dimension', type: 'string' },
        { name: 'win_rate', kind: 'measure', type: 'decimal' },
      ],
      rows: [
        ['2017-03', '0.8230'],
        ['2017-04', '0.4863'],
      ],
      chart: { type: 'line', x: 'closed_on:month', y: ['win_rate'] },
      value_labels: {},
    })
    await flushPromises()

    const table = wrapper.get('[data-test="assistant-table"]').text()

    expect(table).toContain('Win rate')
    expect(table).toContain('82.3%')
    expect(table).toContain('48.6%')
  })

  it('draws one series per currency for a money measure over several currencies', async () => {
    i18n.global.locale.value = 'en'
    const wrapper = mountAnswer({
      ...base,
      question: 'won amount by owner',
      query: {
        object: 'opportunities',
        group_by: [{ field: 'owner.display_name' }],
        measures: [{ aggregate: 'sum', field: 'amount' }],
      },
      columns: [
        { name: 'owner.display_name', kind: 'dimension', type: 'string' },
        { name: 'sum:amount', kind: 'measure', type: 'decimal', currencies: ['CNY', 'USD'] },
      ],
      rows: [
        [
          '李娜',
          [
            { currency: 'CNY', value: '1000.00' },
            { currency: 'USD', value: '150.50' },
          ],
        ],
        ['王伟', [{ currency: 'CNY', value: '400.00' }]],
        ['赵敏', [{ currency: 'USD', value: '50.00' }]],
      ],
      chart: { type: 'bar', x: 'owner.display_name', y: ['sum:amount'] },
      value_labels: {},
    })
    await flushPromises()

    const option = wrapper.findComponent(VChart).props('option') as {
      xAxis: { data: string[] }
      series: { name: string; type: string; data: (number | null)[] }[]
    }

    expect(option.xAxis.data).toEqual(['李娜', '王伟', '赵敏'])
    expect(option.series.map((series) => series.name)).toEqual(['Amount · total (CNY)', 'Amount · total (USD)'])
    expect(option.series.map((series) => series.type)).toEqual(['bar', 'bar'])
    expect(option.series[0]?.data).toEqual([1000, 400, null])
    expect(option.series[1]?.data).toEqual([150.5, null, 50])
  })

  it('draws amounts in several currencies as bars when a pie was suggested', async () => {
    const wrapper = mountAnswer({
      ...base,
      columns: [
        { name: 'stage.key', kind: 'dimension', type: 'string' },
        { name: 'sum:amount', kind: 'measure', type: 'decimal', currencies: ['CNY', 'USD'] },
      ],
      rows: [
        ['won', [{ currency: 'CNY', value: '400.00' }]],
        ['lost', [{ currency: 'USD', value: '70.00' }]],
      ],
      chart: { type: 'pie', x: 'stage.key', y: ['sum:amount'] },
    })
    await flushPromises()

    const option = wrapper.findComponent(VChart).props('option') as {
      series: { type: string; data: (number | null)[] }[]
    }

    expect(option.series.map((series) => series.type)).toEqual(['bar', 'bar'])
    expect(option.series.map((series) => series.data)).toEqual([
      [400, null],
      [null, 70],
    ])
  })
})
