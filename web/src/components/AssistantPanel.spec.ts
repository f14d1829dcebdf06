import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { describe, expect, it } from 'vitest'

import { i18n } from '@/i18n'

import AssistantPanel from './AssistantPanel.vue'

describe('AssistantPanel', () => {
  it('shows an example question and sends nothing while the draft is empty', () => {
    i18n.global.locale.value = 'en'
    const wrapper = mount(AssistantPanel, {
      props: { open: true },
      global: { plugins: [ElementPlus, i18n] },
    })

    expect(wrapper.get('[data-test="assistant-hint"]').text()).toContain('top 3 reps by won amount')
    expect(wrapper.get('textarea').attributes('disabled')).toBeUndefined()
    expect(wrapper.get('button[type="submit"]').attributes('disabled')).toBeDefined()
  })

  it('enables sending once a question is typed', async () => {
    const wrapper = mount(AssistantPanel, {
      props: { open: true },
      global: { plugins: [ElementPlus, i18n] },
    })

    await wrapper.get('textarea').setValue('每个销售的赢单金额')

    expect(wrapper.get('button[type="submit"]').attributes('disabled')).toBeUndefined()
  })

  it('emits close from its close button', async () => {
    i18n.global.locale.value = 'en'
    const wrapper = mount(AssistantPanel, {
      props: { open: true },
      global: { plugins: [ElementPlus, i18n] },
    })
    await wrapper.get('button[aria-label="Close the AI assistant"]').trigger('click')
    expect(wrapper.emitted('close')).toHaveLength(1)
  })
})
