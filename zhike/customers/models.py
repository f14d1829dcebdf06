"""Accounts (企业客户) and contacts."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.models import ExternalIdMixin, OwnedMixin, RecordMixin
from zhike.security.encryption import EncryptedString


class Account(RecordMixin, OwnedMixin, ExternalIdMixin, Base):
    __tablename__ = "accounts"
    __table_args__ = (
        Index("ix_accounts_tenant_name", "tenant_id", "name"),
        Index("ix_accounts_tenant_external", "tenant_id", "source", "external_id", unique=True),
        # Newest-first pages, unscoped and scoped by owner, read in index order.
        Index("ix_accounts_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_accounts_tenant_owner_created", "tenant_id", "owner_id", "created_at", "id"),
        Index("ix_accounts_tenant_quality", "tenant_id", "quality_score", "id"),
        Index("ix_accounts_tenant_global_customer", "tenant_id", "global_customer_id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(100), default=None)
    unified_social_credit_code: Mapped[str | None] = mapped_column(String(18), default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    website: Mapped[str | None] = mapped_column(String(300), default=None)
    country: Mapped[str | None] = mapped_column(String(100), default=None)
    province: Mapped[str | None] = mapped_column(String(50), default=None)
    city: Mapped[str | None] = mapped_column(String(50), default=None)
    district: Mapped[str | None] = mapped_column(String(50), default=None)
    address: Mapped[str | None] = mapped_column(String(300), default=None)
    tier: Mapped[str | None] = mapped_column(String(20), default=None)
    employee_count: Mapped[int | None] = mapped_column(default=None)
    founded_year: Mapped[int | None] = mapped_column(default=None)
    annual_revenue: Mapped[Decimal | None] = mapped_column(default=None)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    parent_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    is_churned: Mapped[bool | None] = mapped_column(default=None)
    description: Mapped[str | None] = mapped_column(String(4000), default=None)
    # Data-quality score 0-100 under the tenant's rules, set on every write; None until scored.
    quality_score: Mapped[int | None] = mapped_column(default=None)
    # Set with deleted_at when this account was merged away; names the surviving account.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    # The global customer this record belongs to, set by identity resolution.
    global_customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("global_customers.id", ondelete="SET NULL"), default=None
    )


class Contact(RecordMixin, OwnedMixin, ExternalIdMixin, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_tenant_name", "tenant_id", "name"),
        Index("ix_contacts_tenant_external", "tenant_id", "source", "external_id", unique=True),
        Index("ix_contacts_tenant_mobile", "tenant_id", "mobile"),
        Index("ix_contacts_tenant_email", "tenant_id", "email"),
        # Lists default to newest first; these let a page read rows in index order instead
        # of sorting every contact of the tenant (or of the city) first.
        Index("ix_contacts_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_contacts_tenant_city", "tenant_id", "city", "created_at", "id"),
        # The own, department and department_tree scopes narrow by owner; this keeps a
        # scoped first page an index range read instead of a filter over the tenant.
        Index("ix_contacts_tenant_owner_created", "tenant_id", "owner_id", "created_at", "id"),
        Index("ix_contacts_tenant_quality", "tenant_id", "quality_score", "id"),
        Index("ix_contacts_tenant_global_customer", "tenant_id", "global_customer_id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True, default=None
    )
    title: Mapped[str | None] = mapped_column(String(100), default=None)
    department: Mapped[str | None] = mapped_column(String(100), default=None)
    gender: Mapped[str | None] = mapped_column(String(10), default=None)
    birth_date: Mapped[date | None] = mapped_column(default=None)
    mobile: Mapped[str | None] = mapped_column(String(40), default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    # Highly sensitive: stored encrypted, so it can be neither filtered nor indexed.
    id_number: Mapped[str | None] = mapped_column(
        EncryptedString("contacts.id_number"), default=None
    )
    country: Mapped[str | None] = mapped_column(String(100), default=None)
    province: Mapped[str | None] = mapped_column(String(50), default=None)
    city: Mapped[str | None] = mapped_column(String(50), default=None)
    address: Mapped[str | None] = mapped_column(String(300), default=None)
    do_not_contact: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str | None] = mapped_column(String(4000), default=None)
    # Data-quality score 0-100 under the tenant's rules, set on every write; None until scored.
    quality_score: Mapped[int | None] = mapped_column(default=None)
    # Set with deleted_at when this contact was merged away; names the surviving contact.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None
    )
    # The global customer this record belongs to, set by identity resolution.
    global_customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("global_customers.id", ondelete="SET NULL"), default=None
    )
