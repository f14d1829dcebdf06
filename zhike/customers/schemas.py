"""API bodies for accounts and contacts."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from pydantic import Field

from zhike.platform.schemas import (
    CurrencyCode,
    LongText,
    OptionalText,
    OwnedRead,
    ShortText,
    WriteSchema,
)


class AccountCreate(WriteSchema):
    name: ShortText
    owner_id: uuid.UUID | None = None
    industry: OptionalText = None
    unified_social_credit_code: OptionalText = None
    phone: OptionalText = None
    email: OptionalText = None
    website: OptionalText = None
    country: OptionalText = None
    province: OptionalText = None
    city: OptionalText = None
    district: OptionalText = None
    address: OptionalText = None
    tier: OptionalText = None
    employee_count: int | None = Field(default=None, ge=0)
    founded_year: int | None = Field(default=None, ge=1800, le=2100)
    annual_revenue: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    currency: CurrencyCode = "CNY"
    parent_account_id: uuid.UUID | None = None
    is_churned: bool | None = None
    description: LongText = None


class AccountUpdate(AccountCreate):
    name: ShortText | None = None  # type: ignore[assignment]
    currency: CurrencyCode | None = None  # type: ignore[assignment]


class AccountRead(OwnedRead):
    name: str
    industry: str | None
    unified_social_credit_code: str | None
    phone: str | None
    email: str | None
    website: str | None
    country: str | None
    province: str | None
    city: str | None
    district: str | None
    address: str | None
    tier: str | None
    employee_count: int | None
    founded_year: int | None
    annual_revenue: Decimal | None
    currency: str
    parent_account_id: uuid.UUID | None
    is_churned: bool | None
    description: str | None
    quality_score: int | None = Field(
        default=None, description="data-quality score 0-100 under the tenant's rules"
    )
    global_customer_id: uuid.UUID | None = Field(
        default=None, description="the global customer (360 profile) this record belongs to"
    )


class ContactCreate(WriteSchema):
    name: ShortText
    owner_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    title: OptionalText = None
    department: OptionalText = None
    gender: OptionalText = None
    birth_date: date | None = None
    mobile: OptionalText = None
    phone: OptionalText = None
    email: OptionalText = None
    id_number: OptionalText = None
    country: OptionalText = None
    province: OptionalText = None
    city: OptionalText = None
    address: OptionalText = None
    do_not_contact: bool = False
    description: LongText = None


class ContactUpdate(ContactCreate):
    name: ShortText | None = None  # type: ignore[assignment]
    do_not_contact: bool | None = None  # type: ignore[assignment]


class ContactRead(OwnedRead):
    name: str
    account_id: uuid.UUID | None
    title: str | None
    department: str | None
    gender: str | None
    birth_date: date | None
    mobile: str | None
    phone: str | None
    email: str | None
    id_number: str | None
    country: str | None
    province: str | None
    city: str | None
    address: str | None
    do_not_contact: bool
    description: str | None
    quality_score: int | None = Field(
        default=None, description="data-quality score 0-100 under the tenant's rules"
    )
    global_customer_id: uuid.UUID | None = Field(
        default=None, description="the global customer (360 profile) this record belongs to"
    )
