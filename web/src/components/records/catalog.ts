import { ref, watch, type Ref } from 'vue'

import { fieldCatalog, type FieldInfo } from '@/api/records'
import { currentLocale, i18n } from '@/i18n'

const cache = new Map<string, Promise<FieldInfo[]>>()

/** The fields of an object in the current language, fetched once per object and language. */
export function loadFieldCatalog(objectName: string): Promise<FieldInfo[]> {
  const key = `${objectName}:${currentLocale()}`
  let pending = cache.get(key)
  if (pending === undefined) {
    pending = fieldCatalog(objectName)
    pending.catch(() => cache.delete(key))
    cache.set(key, pending)
  }
  return pending
}

/** Masked for display unless revealed: the server's masking follows these classifications. */
export const MASKED_CLASSIFICATIONS = new Set(['sensitive', 'highly_sensitive'])
// Names identify a record everywhere, so the server never masks them.
const DISPLAY_IDENTIFIERS = new Set(['name'])

export function isMasked(field: FieldInfo | undefined): boolean {
  return (
    field !== undefined &&
    MASKED_CLASSIFICATIONS.has(field.classification) &&
    !DISPLAY_IDENTIFIERS.has(field.name)
  )
}

/**
 * The fields of an object the user may see, labelled in the current language. Fields the
 * user's role hides are not in the list, so screens built from it never show them.
 */
export function useFieldCatalog(objectName: Ref<string> | string): {
  fields: Ref<FieldInfo[]>
  byName: Ref<Map<string, FieldInfo>>
  failure: Ref<unknown>
} {
  const fields = ref<FieldInfo[]>([])
  const byName = ref(new Map<string, FieldInfo>())
  const failure = ref<unknown>(null)
  const name = typeof objectName === 'string' ? ref(objectName) : objectName

  watch(
    [name, i18n.global.locale],
    async () => {
      try {
        const items = await loadFieldCatalog(name.value)
        fields.value = items
        byName.value = new Map(items.map((item) => [item.name, item]))
        failure.value = null
      } catch (error) {
        failure.value = error
      }
    },
    { immediate: true },
  )
  return { fields, byName, failure }
}
