"""Service desk tables: tickets with their conversation and history, SLA, routing, CSAT, bot.

A ticket's status workflow, SLA clock and assignment are changed only through
``zhike.service.desk``; the generic record service still serves plain reads
and edits of the descriptive fields.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.ids import new_id
from zhike.core.models import ExternalIdMixin, OwnedMixin, RecordMixin
from zhike.core.timeutil import utc_now

TICKET_STATUSES = ("new", "open", "pending", "on_hold", "resolved", "closed")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_CHANNELS = ("web_form", "email", "web_chat", "api", "bot_handoff", "phone", "manual")
SLA_STATES = ("none", "ok", "at_risk", "breached", "paused", "met")


class Ticket(RecordMixin, OwnedMixin, ExternalIdMixin, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_tenant_external", "tenant_id", "source", "external_id", unique=True),
        Index("ix_tickets_tenant_status", "tenant_id", "status"),
        Index("ix_tickets_tenant_number", "tenant_id", "number", unique=True),
        Index("ix_tickets_tenant_due", "tenant_id", "sla_state", "resolution_due_at"),
        Index("ix_tickets_account_time", "account_id", "opened_at"),
        Index("ix_tickets_contact_time", "contact_id", "opened_at"),
    )

    number: Mapped[str | None] = mapped_column(String(20), default=None)
    subject: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(String(10000), default=None)
    status: Mapped[str] = mapped_column(String(20), default="new")
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    category: Mapped[str | None] = mapped_column(String(100), default=None)
    channel: Mapped[str | None] = mapped_column(String(30), default=None)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None
    )
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), default=None
    )
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    # Who asked, for tickets from people without a contact record (web form, email, chat).
    requester_name: Mapped[str | None] = mapped_column(String(200), default=None)
    requester_email: Mapped[str | None] = mapped_column(String(254), default=None)
    requester_phone: Mapped[str | None] = mapped_column(String(40), default=None)
    customer_tier: Mapped[str | None] = mapped_column(String(20), default=None)
    opened_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    first_responded_at: Mapped[datetime | None] = mapped_column(default=None)
    # SLA clock. Due times move later by the business time spent waiting on the customer.
    sla_policy_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sla_policies.id", ondelete="SET NULL"), default=None
    )
    first_response_due_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution_due_at: Mapped[datetime | None] = mapped_column(default=None)
    sla_paused_at: Mapped[datetime | None] = mapped_column(default=None)
    sla_paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    sla_state: Mapped[str] = mapped_column(String(20), default="none")
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    # Routing outputs, kept with their explanation so a person can see why.
    category_source: Mapped[str | None] = mapped_column(String(20), default=None)
    routing: Mapped[dict[str, Any]] = mapped_column(default=dict)
    predicted_resolution_hours: Mapped[float | None] = mapped_column(default=None)


class TicketCounter(Base):
    """The last ticket number handed out per tenant, so numbers are short and gapless."""

    __tablename__ = "ticket_counters"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class TicketEvent(Base):
    """One entry of a ticket's history: a status change, assignment, escalation or SLA event."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket_time", "ticket_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    actor_kind: Mapped[str] = mapped_column(String(20), default="user")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class TicketMessage(Base):
    """A message of the ticket's conversation: from the customer, an agent, the bot or a note."""

    __tablename__ = "ticket_messages"
    __table_args__ = (Index("ix_ticket_messages_ticket_time", "ticket_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author_kind: Mapped[str] = mapped_column(String(20))  # customer, agent, bot, system
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    body: Mapped[str] = mapped_column(Text)
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class SlaPolicy(Base):
    """First-response and resolution targets for a priority and (optionally) a customer tier."""

    __tablename__ = "sla_policies"
    __table_args__ = (Index("ix_sla_policies_tenant", "tenant_id", "priority"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[str] = mapped_column(String(20))
    customer_tier: Mapped[str | None] = mapped_column(String(20), default=None)
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    uses_business_hours: Mapped[bool] = mapped_column(Boolean, default=True)
    # Share of the target after which escalation starts, e.g. 0.75 of the time used.
    warn_ratio: Mapped[float] = mapped_column(default=0.75)
    escalation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class AgentProfile(Base):
    """What an agent can handle and how much at once; routing reads these."""

    __tablename__ = "service_agent_profiles"
    __table_args__ = (Index("ix_agent_profiles_user", "tenant_id", "user_id", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    skills: Mapped[list[str]] = mapped_column(default=list)
    max_open_tickets: Mapped[int] = mapped_column(Integer, default=20)
    is_available: Mapped[bool] = mapped_column(Boolean, default=True)
    # The agent's WeCom user id (成员 UserID), the address of escalation messages on WeCom.
    wecom_user_id: Mapped[str | None] = mapped_column(String(64), default=None)
    last_assigned_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class CsatSurvey(Base):
    """A satisfaction survey sent after resolution; only the token's digest is stored."""

    __tablename__ = "csat_surveys"
    __table_args__ = (Index("ix_csat_surveys_token", "tenant_id", "token_hash", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    rating: Mapped[int | None] = mapped_column(Integer, default=None)
    comment: Mapped[str | None] = mapped_column(String(2000), default=None)
    responded_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class BotConversation(Base):
    """A web-chat conversation with the bot, until it is resolved or handed to a person."""

    __tablename__ = "bot_conversations"
    __table_args__ = (Index("ix_bot_conversations_tenant_time", "tenant_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(30), default="web_chat")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, resolved, handed_off
    handoff_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), default=None
    )
    # The ticket whose requester proved who they are, and failed attempts at doing so.
    verified_ticket_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), default=None
    )
    failed_verifications: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class BotTurn(Base):
    """One message in a bot conversation, with what the bot did and why."""

    __tablename__ = "bot_turns"
    __table_args__ = (Index("ix_bot_turns_conversation", "conversation_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bot_conversations.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(20))  # customer or bot
    text: Mapped[str] = mapped_column(Text)
    # answer, clarify, refuse, handoff, status, verify, greeting (bot turns only)
    action: Mapped[str | None] = mapped_column(String(20), default=None)
    confidence: Mapped[float | None] = mapped_column(default=None)
    # The customer question a bot turn responds to, for the unanswered-questions report.
    question: Mapped[str | None] = mapped_column(Text, default=None)
    reason: Mapped[str | None] = mapped_column(String(40), default=None)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class EscalationDelivery(Base):
    """One escalation message to one person on one channel, written with the escalation.

    The row is the outbox: the queue sends it after the escalating transaction has
    committed, records every failed attempt on it and tries again, so a message is
    never lost when the mail server or WeCom is down.
    """

    __tablename__ = "escalation_deliveries"
    __table_args__ = (
        Index(
            "ix_escalation_deliveries_once",
            "tenant_id",
            "ticket_id",
            "event",
            "channel",
            "user_id",
            unique=True,
        ),
        Index("ix_escalation_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(20))  # warning, breach or handoff
    channel: Mapped[str] = mapped_column(String(10))  # email or wecom
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # pending, sent, failed (attempts used up) or skipped (the person has no address)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utc_now)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    provider_message_id: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class HolidayCalendarYear(Base):
    """A tenant's public holidays and adjusted working days (调休) for one year.

    A year stored here replaces the shipped table for that year, which is how a
    tenant covers a year the package has no official schedule for.
    """

    __tablename__ = "service_holiday_years"
    __table_args__ = (Index("ix_service_holiday_years_year", "tenant_id", "year", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    # ISO date to the holiday's name, e.g. {"2027-01-01": "元旦"}
    holidays: Mapped[dict[str, Any]] = mapped_column(default=dict)
    adjusted_workdays: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
