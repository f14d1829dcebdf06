"""Public pools (公海), assignment rules, capture forms, duplicate links and conversions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.ids import new_id
from zhike.core.models import RecordMixin
from zhike.core.timeutil import utc_now

POOL_OBJECTS = ("leads", "accounts")
ENTRY_STATES = ("pooled", "claimed", "closed")
POOL_ACTIONS = ("enter", "claim", "release", "return", "assign", "warn", "close")
ASSIGNMENT_METHODS = ("round_robin", "weighted")
DUPLICATE_RULES = ("mobile", "email", "name_company", "company")


class SalesPool(RecordMixin, Base):
    """A public pool of leads or accounts, with its claim limits and return rules.

    A tenant keeps several, by region (``provinces``) or product line
    (``product_ids``); ``member_team_ids`` limits who may claim (empty: anyone
    whose role reaches the object).
    """

    __tablename__ = "sales_pools"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    object_name: Mapped[str] = mapped_column(String(20), default="leads")
    description: Mapped[str | None] = mapped_column(String(1000), default=None)
    provinces: Mapped[list[str]] = mapped_column(default=list)
    product_ids: Mapped[list[str]] = mapped_column(default=list)
    member_team_ids: Mapped[list[str]] = mapped_column(default=list)
    max_owned_per_user: Mapped[int | None] = mapped_column(default=None)
    max_claims_per_day: Mapped[int | None] = mapped_column(default=None)
    return_after_days_without_activity: Mapped[int | None] = mapped_column(default=None)
    return_after_days_without_progress: Mapped[int | None] = mapped_column(default=None)
    warn_days_before: Mapped[int] = mapped_column(default=2)
    is_default: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)


class PoolEntry(Base):
    """The state of one lead or account in its pool, and the clocks of the return rules.

    ``followup_at`` is the last follow-up activity (or the claim), ``progress_at``
    the last status or stage progress (or the claim); the recycling job compares
    both against the pool's limits with set-based statements.
    """

    __tablename__ = "sales_pool_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "object_name", "record_id"),
        Index("ix_pool_entries_followup", "tenant_id", "pool_id", "state", "followup_at"),
        Index("ix_pool_entries_progress", "tenant_id", "pool_id", "state", "progress_at"),
        Index("ix_pool_entries_owner", "tenant_id", "pool_id", "owner_id", "state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    pool_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sales_pools.id", ondelete="CASCADE"))
    object_name: Mapped[str] = mapped_column(String(20))
    # A lead or an account, depending on object_name, so no foreign key.
    record_id: Mapped[uuid.UUID] = mapped_column()
    state: Mapped[str] = mapped_column(String(10), default="pooled")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    entered_at: Mapped[datetime] = mapped_column(default=utc_now)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    followup_at: Mapped[datetime | None] = mapped_column(default=None)
    progress_at: Mapped[datetime | None] = mapped_column(default=None)
    # Rank of the lead status last seen; a higher rank later counts as progress.
    progress_rank: Mapped[int] = mapped_column(default=0)
    warned_at: Mapped[datetime | None] = mapped_column(default=None)
    claim_count: Mapped[int] = mapped_column(default=0)
    last_owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class PoolEvent(Base):
    """One claim, release, return, assignment, warning or entry, with its reason; append-only."""

    __tablename__ = "sales_pool_events"
    __table_args__ = (
        Index(
            "ix_pool_events_user_day", "tenant_id", "pool_id", "action", "user_id", "occurred_at"
        ),
        Index("ix_pool_events_record", "tenant_id", "record_id", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    pool_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sales_pools.id", ondelete="SET NULL"), default=None
    )
    object_name: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[uuid.UUID] = mapped_column()
    action: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    # The owner concerned: who claimed, released, lost or received the record.
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    occurred_at: Mapped[datetime] = mapped_column(default=utc_now)


class AssignmentRule(RecordMixin, Base):
    """One rule of the lead assignment order: conditions, then who receives and how.

    Conditions left empty match everything. ``members`` is a list of
    ``{"user_id", "weight", "capacity"}``; ``working_hours`` is
    ``{"days": [1..7], "start": "09:00", "end": "18:00"}`` in the tenant's zone
    or empty for always. A lead no rule takes goes to ``fallback_pool_id``.
    """

    __tablename__ = "lead_assignment_rules"
    __table_args__ = (Index("ix_assignment_rules_order", "tenant_id", "position"),)

    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    method: Mapped[str] = mapped_column(String(20), default="round_robin")
    provinces: Mapped[list[str]] = mapped_column(default=list)
    cities: Mapped[list[str]] = mapped_column(default=list)
    product_ids: Mapped[list[str]] = mapped_column(default=list)
    lead_sources: Mapped[list[str]] = mapped_column(default=list)
    min_score: Mapped[float | None] = mapped_column(default=None)
    max_score: Mapped[float | None] = mapped_column(default=None)
    working_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    members: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    # Round-robin position carried from one run to the next.
    cursor: Mapped[int] = mapped_column(default=0)
    fallback_pool_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sales_pools.id", ondelete="SET NULL"), default=None
    )


class LeadCaptureForm(RecordMixin, Base):
    """A public web form that creates leads; the page contains only its ``form_key``."""

    __tablename__ = "lead_capture_forms"
    __table_args__ = (UniqueConstraint("form_key"),)

    name: Mapped[str] = mapped_column(String(100))
    form_key: Mapped[str] = mapped_column(String(64))
    fields: Mapped[list[str]] = mapped_column(default=list)
    lead_source: Mapped[str] = mapped_column(String(100), default="web_form")
    pool_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sales_pools.id", ondelete="SET NULL"), default=None
    )
    assign: Mapped[bool] = mapped_column(default=True)
    min_fill_seconds: Mapped[int] = mapped_column(default=3)
    max_per_minute_per_ip: Mapped[int] = mapped_column(default=5)
    max_per_minute: Mapped[int] = mapped_column(default=120)
    is_active: Mapped[bool] = mapped_column(default=True)


class LeadFormTokenUse(Base):
    """A form token spent by an accepted submission; the same token cannot create a second lead.

    Rows older than a token's lifetime are deleted as new ones arrive, because a
    token that old is rejected as expired anyway.
    """

    __tablename__ = "lead_form_token_uses"
    __table_args__ = (
        UniqueConstraint("form_id", "nonce"),
        Index("ix_lead_form_token_uses_form_used", "form_id", "used_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    form_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lead_capture_forms.id", ondelete="CASCADE")
    )
    nonce: Mapped[str] = mapped_column(String(32))
    used_at: Mapped[datetime] = mapped_column(default=utc_now)


class LeadDuplicate(Base):
    """A lead that matches an existing lead, contact or account; flagged, never dropped."""

    __tablename__ = "lead_duplicates"
    __table_args__ = (
        UniqueConstraint("lead_id", "matched_object", "matched_id"),
        Index("ix_lead_duplicates_tenant", "tenant_id", "status", "detected_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    matched_object: Mapped[str] = mapped_column(String(20))
    matched_id: Mapped[uuid.UUID] = mapped_column()
    rule: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str | None] = mapped_column(String(50), default=None)
    status: Mapped[str] = mapped_column(String(20), default="open")
    detected_at: Mapped[datetime] = mapped_column(default=utc_now)


class LeadConversion(Base):
    """Record of what one conversion created or linked, kept to explain and audit it."""

    __tablename__ = "lead_conversions"
    __table_args__ = (UniqueConstraint("lead_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None
    )
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL"), default=None
    )
    account_created: Mapped[bool] = mapped_column(default=False)
    contact_created: Mapped[bool] = mapped_column(default=False)
    activities_moved: Mapped[int] = mapped_column(default=0)
    # The lead's import key, released so that a later import of the same person
    # creates a new lead instead of updating the closed one.
    released_source: Mapped[str | None] = mapped_column(String(50), default=None)
    released_external_id: Mapped[str | None] = mapped_column(String(100), default=None)
    converted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    converted_at: Mapped[datetime] = mapped_column(default=utc_now)
