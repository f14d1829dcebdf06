import type { Component } from 'vue'
import type { RouteRecordRaw } from 'vue-router'

import type { Requirement } from '@/stores/access'

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
  /** Shown only to users who meet it; the same as the `permission` of the route it opens. */
  permission: Requirement
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
