import type { Component } from 'vue'
import type { RouteRecordRaw } from 'vue-router'

import type { Permission } from '@/stores/session'

/** Menu sections, in the order the navigation shows them. */
export const MENU_SECTIONS = ['home', 'sales', 'marketing', 'service', 'analytics', 'admin'] as const
export type MenuSection = (typeof MENU_SECTIONS)[number]

export interface MenuEntry {
  /** Route path the entry opens. */
  path: string
  /** i18n key of the label, e.g. 'records.objects.accounts'. */
  labelKey: string
  section: MenuSection
  icon?: Component
  /** Position inside its section; lower comes first. */
  order?: number
  /** Shown only to users holding any of these permissions; the route's guard checks the same. */
  permission?: Permission | readonly Permission[]
}

/** What a module contributes: its routes (children of the signed-in shell) and menu entries. */
export interface ModuleDefinition {
  name: string
  routes: RouteRecordRaw[]
  menu?: MenuEntry[]
}

export function defineModule(definition: ModuleDefinition): ModuleDefinition {
  return definition
}
