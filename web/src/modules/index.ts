import { MENU_SECTIONS, type MenuEntry, type ModuleDefinition } from './types'

// Every modules/<name>/index.ts is picked up here, so adding a screen needs no edit of a shared file.
const found = import.meta.glob<ModuleDefinition>('./*/index.ts', { eager: true, import: 'default' })

export const modules: ModuleDefinition[] = Object.keys(found)
  .sort()
  .map((path) => found[path])
  .filter((module): module is ModuleDefinition => module !== undefined)

export function menuEntries(): { section: string; entries: MenuEntry[] }[] {
  const entries = modules.flatMap((module) => module.menu ?? [])
  return MENU_SECTIONS.map((section) => ({
    section,
    entries: entries
      .filter((entry) => entry.section === section)
      .sort((left, right) => (left.order ?? 100) - (right.order ?? 100)),
  })).filter((group) => group.entries.length > 0)
}
