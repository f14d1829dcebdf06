import {
  Box,
  Coin,
  OfficeBuilding,
  Promotion,
  Tickets,
  User,
  UserFilled,
} from '@element-plus/icons-vue'
import type { Component } from 'vue'

import type { ObjectName } from '@/stores/access'

import type { MenuSection } from '../types'

export interface RelatedList {
  /** Object listed, filtered by `foreignKey` = this record's id. */
  objectName: string
  foreignKey: string
  columns: string[]
}

/** How the generic list and record screens show one CRM object. */
export interface ObjectScreen {
  name: ObjectName
  icon: Component
  section: MenuSection
  order: number
  /** Field that names a record in lists, links and the page header. */
  titleField: string
  /** Columns shown until the user chooses others. */
  defaultColumns: string[]
  /** Fields shown in the record page header. */
  headerFields: string[]
  /** Fields of the form that creates a record, in order. */
  createFields: string[]
  /** Accounts and contacts have a 360° timeline. */
  hasTimeline: boolean
  related: RelatedList[]
}

export const OBJECT_SCREENS: ObjectScreen[] = [
  {
    name: 'accounts',
    icon: OfficeBuilding,
    section: 'sales',
    order: 10,
    titleField: 'name',
    defaultColumns: ['name', 'industry', 'tier', 'province', 'city', 'phone', 'owner_id', 'created_at'],
    headerFields: ['industry', 'tier', 'city', 'phone', 'owner_id'],
    createFields: ['name', 'industry', 'tier', 'province', 'city', 'phone', 'website', 'description'],
    hasTimeline: true,
    related: [
      { objectName: 'contacts', foreignKey: 'account_id', columns: ['name', 'title', 'mobile', 'email'] },
      {
        objectName: 'opportunities',
        foreignKey: 'account_id',
        columns: ['name', 'stage_id', 'amount', 'expected_close_date'],
      },
      { objectName: 'tickets', foreignKey: 'account_id', columns: ['subject', 'status', 'priority', 'opened_at'] },
    ],
  },
  {
    name: 'contacts',
    icon: User,
    section: 'sales',
    order: 20,
    titleField: 'name',
    defaultColumns: ['name', 'account_id', 'title', 'mobile', 'email', 'city', 'owner_id'],
    headerFields: ['account_id', 'title', 'mobile', 'email', 'owner_id'],
    createFields: ['name', 'title', 'department', 'mobile', 'email', 'city', 'description'],
    hasTimeline: true,
    related: [
      {
        objectName: 'opportunities',
        foreignKey: 'contact_id',
        columns: ['name', 'stage_id', 'amount', 'expected_close_date'],
      },
      { objectName: 'tickets', foreignKey: 'contact_id', columns: ['subject', 'status', 'priority', 'opened_at'] },
    ],
  },
  {
    name: 'leads',
    icon: UserFilled,
    section: 'sales',
    order: 5,
    titleField: 'name',
    defaultColumns: ['name', 'company', 'mobile', 'lead_source', 'status', 'city', 'owner_id', 'created_at'],
    headerFields: ['company', 'status', 'lead_source', 'mobile', 'owner_id'],
    createFields: ['name', 'company', 'title', 'mobile', 'email', 'lead_source', 'city', 'description'],
    hasTimeline: false,
    related: [],
  },
  {
    name: 'opportunities',
    icon: Coin,
    section: 'sales',
    order: 30,
    titleField: 'name',
    defaultColumns: ['name', 'account_id', 'stage_id', 'amount', 'probability', 'expected_close_date', 'owner_id'],
    headerFields: ['account_id', 'stage_id', 'amount', 'expected_close_date', 'owner_id'],
    createFields: ['name', 'amount', 'currency', 'expected_close_date', 'description'],
    hasTimeline: false,
    related: [],
  },
  {
    name: 'products',
    icon: Box,
    section: 'sales',
    order: 60,
    titleField: 'name',
    defaultColumns: ['name', 'code', 'series', 'list_price', 'is_active'],
    headerFields: ['code', 'series', 'list_price', 'is_active'],
    createFields: ['name', 'code', 'series', 'list_price', 'currency', 'is_active', 'description'],
    hasTimeline: false,
    related: [],
  },
  {
    name: 'campaigns',
    icon: Promotion,
    section: 'marketing',
    order: 10,
    titleField: 'name',
    defaultColumns: ['name', 'channel', 'status', 'starts_on', 'ends_on', 'budget', 'owner_id'],
    headerFields: ['channel', 'status', 'starts_on', 'ends_on', 'budget'],
    createFields: ['name', 'channel', 'status', 'starts_on', 'ends_on', 'budget', 'currency', 'description'],
    hasTimeline: false,
    related: [],
  },
  {
    name: 'tickets',
    icon: Tickets,
    section: 'service',
    order: 10,
    titleField: 'subject',
    defaultColumns: ['subject', 'status', 'priority', 'category', 'account_id', 'opened_at', 'owner_id'],
    headerFields: ['status', 'priority', 'category', 'account_id', 'owner_id'],
    createFields: ['subject', 'description', 'priority', 'channel', 'category', 'requester_name', 'requester_phone', 'requester_email', 'customer_tier'],
    hasTimeline: false,
    related: [],
  },
]

export function screenOf(name: string): ObjectScreen | undefined {
  return OBJECT_SCREENS.find((screen) => screen.name === name)
}

/** Reference fields and the object they point to; their values are shown as linked names. */
export const REFERENCES: Record<string, string> = {
  account_id: 'accounts',
  parent_account_id: 'accounts',
  contact_id: 'contacts',
  product_id: 'products',
  lead_id: 'leads',
  converted_account_id: 'accounts',
  converted_contact_id: 'contacts',
  converted_opportunity_id: 'opportunities',
}

/** Fields that contain a user id, shown as the user's display name. */
const USER_FIELDS = new Set(['owner_id', 'assignee_id'])

/** Return the object whose names replace a field's id values, or undefined when the field has no ids. */
export function nameSourceOf(field: string): string | undefined {
  if (USER_FIELDS.has(field)) return 'users'
  if (field === 'stage_id') return 'stages'
  if (field === 'sla_policy_id') return 'sla_policies'
  return REFERENCES[field]
}
