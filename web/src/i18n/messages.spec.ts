import { describe, expect, it } from 'vitest'

import { collectMessages, messages } from './index'

type Tree = { [key: string]: string | Tree }

function keys(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'string' ? [`${prefix}${key}`] : keys(value, `${prefix}${key}.`),
  )
}

describe('locale catalogs', () => {
  it('have the same namespaces in zh-CN and en', () => {
    expect(Object.keys(messages.en).sort()).toEqual(Object.keys(messages['zh-CN']).sort())
  })

  it('have the same keys in zh-CN and en', () => {
    for (const namespace of Object.keys(messages['zh-CN'])) {
      const chinese = keys(messages['zh-CN'][namespace] ?? {}).sort()
      const english = keys(messages.en[namespace] ?? {}).sort()
      expect(english, `keys of ${namespace}.json`).toEqual(chinese)
    }
  })

  it('have no empty message', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      for (const [namespace, tree] of Object.entries(messages[locale])) {
        const empty = keys(tree).filter((key) => {
          const value = key.split('.').reduce<unknown>((node, part) => (node as Tree)[part], tree)
          return typeof value !== 'string' || value.trim() === ''
        })
        expect(empty, `${locale}/${namespace}.json`).toEqual([])
      }
    }
  })

  it('file a catalog under its locale and namespace', () => {
    const collected = collectMessages({
      '../locales/en/sales.json': { title: 'Sales' },
      '../locales/fr/sales.json': { title: 'Ventes' },
    })
    expect(collected.en).toEqual({ sales: { title: 'Sales' } })
    expect(collected['zh-CN']).toEqual({})
  })
})
