"""Leads, opportunities with their stage history, pipeline stages, products and activities."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.ids import new_id
from zhike.core.models import ExternalIdMixin, OwnedMixin, RecordMixin
from zhike.core.timeutil import utc_now

LEAD_STATUSES = ("new", "working", "qualified", "converted", "disqualified")
ACTIVITY_KINDS = ("call", "meeting", "email", "note", "task", "visit")
ACTIVITY_STATUSES = ("open", "done", "cancelled")


class PipelineStage(RecordMixin, Base):
    """A stage of the tenant's opportunity pipeline; each tenant configures its own."""

    __tablename__ = "pipeline_stages"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    key: Mapped[str] = mapped_column(String(50))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    probability: Mapped[int] = mapped_column(default=0)
    is_won: Mapped[bool] = mapped_column(default=False)
    is_lost: Mapped[bool] = mapped_column(default=False)


class Product(RecordMixin, ExternalIdMixin, Base):
    __tablename__ = "products"
    __table_args__ = (
        Index("ix_products_tenant_external", "tenant_id", "source", "external_id", unique=True),
        Index("ix_products_tenant_name", "tenant_id", "name"),
    )

    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(100), default=None)
    series: Mapped[str | None] = mapped_column(String(100), default=None)
    list_price: Mapped[Decimal | None] = mapped_column(default=None)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    is_active: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str | None] = mapped_column(String(4000), default=None)


class Lead(RecordMixin, OwnedMixin, ExternalIdMixin, Base):
    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_tenant_external", "tenant_id", "source", "external_id", unique=True),
        Index("ix_leads_tenant_status", "tenant_id", "status"),
        Index("ix_leads_tenant_name", "tenant_id", "name"),
        # Newest-first pages, unscoped and scoped by owner, read in index order.
        Index("ix_leads_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_leads_tenant_owner_created", "tenant_id", "owner_id", "created_at", "id"),
        # Duplicate checks on every capture path look leads up by normalised mobile and email.
        Index("ix_leads_tenant_mobile", "tenant_id", "mobile"),
        Index("ix_leads_tenant_email", "tenant_id", "email"),
        Index("ix_leads_tenant_quality", "tenant_id", "quality_score", "id"),
        Index("ix_leads_tenant_global_customer", "tenant_id", "global_customer_id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200), default=None)
    title: Mapped[str | None] = mapped_column(String(100), default=None)
    mobile: Mapped[str | None] = mapped_column(String(40), default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    province: Mapped[str | None] = mapped_column(String(50), default=None)
    city: Mapped[str | None] = mapped_column(String(50), default=None)
    lead_source: Mapped[str | None] = mapped_column(String(100), default=None)
    # The product the lead asked about; assignment rules and pools route by product line.
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), default=None
    )
    status: Mapped[str] = mapped_column(String(20), default="new")
    first_contact_at: Mapped[datetime | None] = mapped_column(default=None)
    converted_at: Mapped[datetime | None] = mapped_column(default=None)
    converted_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    converted_contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None
    )
    converted_opportunity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL", use_alter=True), default=None
    )
    description: Mapped[str | None] = mapped_column(String(4000), default=None)
    # The global customer this lead belongs to, set by identity resolution.
    global_customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("global_customers.id", ondelete="SET NULL"), default=None
    )
    # Data-quality score 0-100 under the tenant's rules, set on every write; None until scored.
    quality_score: Mapped[int | None] = mapped_column(default=None)


class Opportunity(RecordMixin, OwnedMixin, ExternalIdMixin, Base):
    __tablename__ = "opportunities"
    __table_args__ = (
        Index(
            "ix_opportunities_tenant_external", "tenant_id", "source", "external_id", unique=True
        ),
        Index("ix_opportunities_tenant_stage", "tenant_id", "stage_id"),
        Index("ix_opportunities_tenant_owner", "tenant_id", "owner_id", "created_at", "id"),
        # Newest-first pages read in index order (the owner index above serves scoped ones).
        Index("ix_opportunities_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_opportunities_tenant_name", "tenant_id", "name"),
    )

    name: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True, default=None
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None
    )
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), default=None
    )
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipeline_stages.id"))
    amount: Mapped[Decimal | None] = mapped_column(default=None)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    probability: Mapped[int | None] = mapped_column(default=None)
    expected_close_date: Mapped[date | None] = mapped_column(default=None)
    engaged_on: Mapped[date | None] = mapped_column(default=None)
    closed_on: Mapped[date | None] = mapped_column(default=None)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.id", ondelete="SET NULL"), default=None
    )
    description: Mapped[str | None] = mapped_column(String(4000), default=None)


class OpportunityStageChange(Base):
    """One entry of an opportunity's stage history; rows are only ever added."""

    __tablename__ = "opportunity_stage_changes"
    __table_args__ = (Index("ix_stage_changes_opportunity", "opportunity_id", "changed_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    opportunity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE")
    )
    from_stage_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("pipeline_stages.id"), default=None
    )
    to_stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipeline_stages.id"))
    amount: Mapped[Decimal | None] = mapped_column(default=None)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    changed_at: Mapped[datetime] = mapped_column(default=utc_now)
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class Activity(RecordMixin, OwnedMixin, ExternalIdMixin, Base):
    """A call, meeting, email, note, visit or task linked to the records it concerns."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_account_time", "account_id", "occurred_at"),
        Index("ix_activities_contact_time", "contact_id", "occurred_at"),
        Index("ix_activities_tenant_external", "tenant_id", "source", "external_id", unique=True),
    )

    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(String(10000), default=None)
    status: Mapped[str] = mapped_column(String(20), default="done")
    occurred_at: Mapped[datetime] = mapped_column(default=utc_now)
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None
    )
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.id", ondelete="SET NULL"), index=True, default=None
    )
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL"), index=True, default=None
    )
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True, default=None
    )
