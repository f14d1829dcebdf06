"""Tables of marketing automation: consent, suppression, segments, engagement, journeys, sends.

These are tenant configuration and ledgers rather than CRM records, so they are
reached through the marketing services (``consent.py``, ``segments.py``,
``journeys.py``, ``sending.py``), which check the actor's grant on the
``segments``, ``journeys``, ``consents`` and ``marketing_messages`` objects.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now

CHANNELS = ("email", "sms", "wecom", "phone")
PURPOSES = ("marketing", "product_news", "events", "newsletter", "surveys")
CONSENT_STATUSES = ("granted", "pending", "withdrawn")
SUPPRESSION_REASONS = ("unsubscribed", "hard_bounce", "complaint", "manual")
ENGAGEMENT_KINDS = (
    "delivered",
    "opened",
    "clicked",
    "visited",
    "bought",
    "ticket_opened",
    "form_submitted",
    "converted",
    "unsubscribed",
    "bounced",
    "complained",
)
SEND_STATUSES = ("queued", "sending", "sent", "deferred", "blocked", "bounced", "failed")
JOURNEY_STATUSES = ("draft", "active", "paused", "archived")
ENROLLMENT_STATES = ("active", "waiting", "completed", "exited", "goal")


class TenantRowMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class MarketingSettings(Base):
    """Per-tenant marketing rules and the key that signs unsubscribe and tracking links."""

    __tablename__ = "marketing_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    # Random 32 bytes, hex; rotating it invalidates every link already sent.
    signing_key: Mapped[str] = mapped_column(String(64))
    double_opt_in_channels: Mapped[list[str]] = mapped_column(default=list)
    quiet_hours_start: Mapped[str | None] = mapped_column(String(5), default="21:00")
    quiet_hours_end: Mapped[str | None] = mapped_column(String(5), default="08:00")
    frequency_cap: Mapped[int] = mapped_column(default=3)
    frequency_window_days: Mapped[int] = mapped_column(default=7)
    public_base_url: Mapped[str] = mapped_column(String(300), default="http://127.0.0.1:8000")
    unsubscribe_link_days: Mapped[int] = mapped_column(default=90)
    # Channel configuration by channel name; secrets in it are encrypted.
    channels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Cost of one delivered message by channel: {"sms": {"amount": "0.05", "currency": "CNY"}}.
    send_costs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class ConsentEntry(TenantRowMixin, Base):
    """One line of the append-only consent ledger; the newest line per key is in force."""

    __tablename__ = "consent_entries"
    __table_args__ = (
        Index("ix_consent_entries_key", "tenant_id", "contact_id", "channel", "purpose", "id"),
        Index("ix_consent_entries_confirmation", "confirmation_digest"),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(100))
    wording_version: Mapped[str] = mapped_column(String(50))
    proof: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recorded_at: Mapped[datetime] = mapped_column(default=utc_now)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # SHA-256 of the double opt-in token; the token itself is only in the email.
    confirmation_digest: Mapped[str | None] = mapped_column(String(64), default=None)


class Suppression(TenantRowMixin, Base):
    """An address that must not be messaged on a channel, whatever the consent ledger contains."""

    __tablename__ = "marketing_suppressions"
    __table_args__ = (UniqueConstraint("tenant_id", "channel", "address"),)

    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(254))
    reason: Mapped[str] = mapped_column(String(20))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None
    )
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Segment(TenantRowMixin, Base):
    """A static list (members added by hand or import) or a dynamic segment (a definition)."""

    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    object_name: Mapped[str] = mapped_column(String(30))
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    member_count: Mapped[int] = mapped_column(default=0)
    evaluated_at: Mapped[datetime | None] = mapped_column(default=None)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class SegmentMember(Base):
    __tablename__ = "segment_members"
    __table_args__ = (
        UniqueConstraint("segment_id", "record_id"),
        Index("ix_segment_members_record", "tenant_id", "record_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    segment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"))
    record_id: Mapped[uuid.UUID] = mapped_column()
    added_at: Mapped[datetime] = mapped_column(default=utc_now)


class MarketingChange(Base):
    """A record whose change segments and journey triggers have not looked at yet."""

    __tablename__ = "marketing_changes"
    __table_args__ = (Index("ix_marketing_changes_tenant", "tenant_id", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    object_name: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[uuid.UUID] = mapped_column()
    fields: Mapped[list[str]] = mapped_column(default=list)


class EngagementEvent(TenantRowMixin, Base):
    """Something a person did or that happened to a message: opened, clicked, visited, bought."""

    __tablename__ = "engagement_events"
    __table_args__ = (
        Index("ix_engagement_events_contact", "tenant_id", "contact_id", "kind", "occurred_at"),
        Index("ix_engagement_events_lead", "tenant_id", "lead_id", "kind"),
        Index("ix_engagement_events_send", "send_id"),
        Index("ix_engagement_events_journey", "journey_id", "step_id", "kind"),
    )

    kind: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[datetime] = mapped_column(default=utc_now)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), default=None
    )
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), default=None
    )
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), default=None, index=True
    )
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), default=None, index=True
    )
    journey_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    step_id: Mapped[str | None] = mapped_column(String(60), default=None)
    send_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    variant: Mapped[str | None] = mapped_column(String(60), default=None)
    value: Mapped[Decimal | None] = mapped_column(default=None)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class MessageTemplate(TenantRowMixin, Base):
    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str | None] = mapped_column(String(500), default=None)
    body: Mapped[str] = mapped_column(String(20000))
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Journey(TenantRowMixin, Base):
    """A journey: its graph of steps is data, validated by ``journey_graph.JourneyGraph``."""

    __tablename__ = "journeys"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), default=None
    )
    graph: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Winners chosen by A/B tests, by split step id; they override the weights.
    winners: Mapped[dict[str, Any]] = mapped_column(default=dict)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class JourneyEnrollment(TenantRowMixin, Base):
    """The position of one contact in one journey; the worker resumes from it after a restart."""

    __tablename__ = "journey_enrollments"
    __table_args__ = (
        UniqueConstraint("journey_id", "contact_id"),
        Index("ix_journey_enrollments_due", "state", "wake_at"),
    )

    journey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(20), default="active")
    step_id: Mapped[str | None] = mapped_column(String(60), default=None)
    # How many steps this contact has taken; part of each send key, so a loop back
    # to an earlier step sends again while a replay of the same step does not.
    step_count: Mapped[int] = mapped_column(default=0)
    wake_at: Mapped[datetime | None] = mapped_column(default=None)
    waiting_since: Mapped[datetime | None] = mapped_column(default=None)
    variants: Mapped[dict[str, Any]] = mapped_column(default=dict)
    history: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class MessageSend(TenantRowMixin, Base):
    """One message requested for one contact; ``send_key`` makes each request happen once."""

    __tablename__ = "message_sends"
    __table_args__ = (
        UniqueConstraint("tenant_id", "send_key"),
        Index("ix_message_sends_due", "status", "scheduled_at"),
        Index("ix_message_sends_contact", "tenant_id", "contact_id", "channel", "sent_at"),
        Index("ix_message_sends_journey", "journey_id", "step_id"),
        Index("ix_message_sends_campaign", "campaign_id"),
    )

    send_key: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(20))
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    reason: Mapped[str | None] = mapped_column(String(60), default=None)
    template_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    subject: Mapped[str | None] = mapped_column(String(500), default=None)
    body: Mapped[str | None] = mapped_column(String(20000), default=None)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), default=None
    )
    journey_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    step_id: Mapped[str | None] = mapped_column(String(60), default=None)
    variant: Mapped[str | None] = mapped_column(String(60), default=None)
    address: Mapped[str | None] = mapped_column(String(254), default=None)
    scheduled_at: Mapped[datetime] = mapped_column(default=utc_now)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    provider_message_id: Mapped[str | None] = mapped_column(String(200), default=None)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class JourneyStepCost(TenantRowMixin, Base):
    """A fixed cost the marketer enters for one journey step, such as design or a call list."""

    __tablename__ = "journey_step_costs"
    __table_args__ = (UniqueConstraint("journey_id", "step_id"),)

    journey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    step_id: Mapped[str] = mapped_column(String(60))
    amount: Mapped[Decimal] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
