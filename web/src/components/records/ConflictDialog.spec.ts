import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { describe, expect, it } from 'vitest'

import { i18n } from '@/i18n'

import ConflictDialog from './ConflictDialog.vue'

const field = {
  name: 'city',
  label: 'City',
  label_zh: '城市',
  label_en: 'City',
  field_type: 'text',
  is_custom: false,
  is_required: false,
  classification: 'internal',
  default_classification: 'internal',
}

describe('ConflictDialog', () => {
  it('shows both versions of each changed field and reports the choice', async () => {
    i18n.global.locale.value = 'en'
    const wrapper = mount(ConflictDialog, {
      props: {
        open: true,
        mine: { city: 'Nanjing' },
        theirs: { id: 'a1', version: 3, city: 'Wuxi' },
        fields: new Map([['city', field]]),
      },
      global: { plugins: [ElementPlus, i18n] },
      attachTo: document.body,
    })

    await flushPromises()
    const body = document.body
    expect(body.querySelector('[data-test="conflict-mine"]')?.textContent).toBe('Nanjing')
    expect(body.querySelector('[data-test="conflict-theirs"]')?.textContent).toBe('Wuxi')
    expect(body.querySelector('th[scope="row"]')?.textContent).toBe('City')

    ;(body.querySelector('[data-test="conflict-keep-mine"]') as HTMLButtonElement).click()
    ;(body.querySelector('[data-test="conflict-take-theirs"]') as HTMLButtonElement).click()
    expect(wrapper.emitted('keepMine')).toHaveLength(1)
    expect(wrapper.emitted('takeTheirs')).toHaveLength(1)
    wrapper.unmount()
  })
})
