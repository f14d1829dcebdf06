import { mount } from '@vue/test-utils'
import { encode } from 'uqr'
import { describe, expect, it } from 'vitest'

import QrCode from './QrCode.vue'

const URI = 'otpauth://totp/Zhike:rep@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Zhike&period=30'

describe('QrCode', () => {
  it('draws one square per dark module of the encoded URI', () => {
    const wrapper = mount(QrCode, { props: { value: URI, label: 'QR' } })
    const expected = encode(URI, { ecc: 'M', border: 2 })
    const darkModules = expected.data.flat().filter((dark) => dark).length

    const svg = wrapper.get('svg')
    expect(svg.attributes('viewBox')).toBe(`0 0 ${expected.size} ${expected.size}`)
    expect(svg.attributes('aria-label')).toBe('QR')
    const path = wrapper.get('path').attributes('d') ?? ''
    expect(path.match(/M/g)?.length).toBe(darkModules)
  })

  it('leaves the quiet border light', () => {
    const wrapper = mount(QrCode, { props: { value: URI, label: 'QR' } })
    const path = wrapper.get('path').attributes('d') ?? ''
    const corners = [...path.matchAll(/M(\d+) (\d+)/g)].map((match) => [Number(match[1]), Number(match[2])])
    expect(Math.min(...corners.map(([x]) => x ?? 0))).toBe(2)
    expect(Math.min(...corners.map(([, y]) => y ?? 0))).toBe(2)
  })
})
