"""Sales processes with stage rules, approval requests, activity plans and notifications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.models import OwnedMixin, RecordMixin

APPROVAL_KINDS = ("stage_change", "quote_discount")
APPROVAL_STATUSES = ("pending", "approved", "rejected", "used")


class SalesProcess(RecordMixin, Base):
    """A named sales process; it applies to opportunities of a product series or account tier.

    The process of an opportunity is the live one whose product series and account tier
    both match, else one matching the series, else one matching the tier, else the
    tenant's default process; without any, only the plain pipeline applies.
    """

    __tablename__ = "sales_processes"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    key: Mapped[str] = mapped_column(String(50))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    product_series: Mapped[str | None] = mapped_column(String(100), default=None)
    account_tier: Mapped[str | None] = mapped_column(String(20), default=None)
    is_default: Mapped[bool] = mapped_column(default=False)


class ProcessStage(RecordMixin, Base):
    """The rules of one pipeline stage inside one sales process.

    ``entry_criteria`` and ``exit_criteria`` are ``{"fields": [...], "activities":
    [...], "approval": bool}``: fields that must hold a value, activity kinds that
    must have a done activity on the opportunity, and whether a manager must approve.
    """

    __tablename__ = "sales_process_stages"
    __table_args__ = (UniqueConstraint("process_id", "stage_id"),)

    process_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sales_processes.id", ondelete="CASCADE"), index=True
    )
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipeline_stages.id"))
    probability: Mapped[int | None] = mapped_column(default=None)
    entry_criteria: Mapped[dict[str, Any]] = mapped_column(default=dict)
    exit_criteria: Mapped[dict[str, Any]] = mapped_column(default=dict)
    guidance_zh: Mapped[str | None] = mapped_column(String(4000), default=None)
    guidance_en: Mapped[str | None] = mapped_column(String(4000), default=None)


class ApprovalRequest(RecordMixin, OwnedMixin, Base):
    """A request for a manager's decision: a stage change or a quote discount.

    ``owner_id`` is the owner of the record concerned, so a manager's data scope
    decides which requests they see and may decide.
    """

    __tablename__ = "approval_requests"
    __table_args__ = (Index("ix_approval_requests_subject", "tenant_id", "subject_id", "status"),)

    kind: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[uuid.UUID]
    # The stage asked for (stage changes) or the quote version (discounts).
    target: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str | None] = mapped_column(String(2000), default=None)
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_note: Mapped[str | None] = mapped_column(String(2000), default=None)


class ActivityPlan(RecordMixin, Base):
    """Scheduling and field data of one activity: reminder, recurrence, check-in, outcome.

    Kept beside ``activities`` so the activity record stays the plain log entry the
    timeline, imports and the record API already use.
    """

    __tablename__ = "activity_plans"
    __table_args__ = (
        UniqueConstraint("activity_id"),
        Index("ix_activity_plans_remind", "remind_at", "reminded_at"),
    )

    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    # When the owner is reminded; None means no reminder.
    remind_at: Mapped[datetime | None] = mapped_column(default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    remind_by_email: Mapped[bool] = mapped_column(default=False)
    # An RFC 5545 RRULE such as FREQ=WEEKLY;COUNT=4 on the first activity of a series.
    recurrence_rule: Mapped[str | None] = mapped_column(String(500), default=None)
    series_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    check_in_at: Mapped[datetime | None] = mapped_column(default=None)
    check_in_latitude: Mapped[float | None] = mapped_column(default=None)
    check_in_longitude: Mapped[float | None] = mapped_column(default=None)
    check_in_address: Mapped[str | None] = mapped_column(String(300), default=None)
    outcome: Mapped[str | None] = mapped_column(String(30), default=None)
    outcome_note: Mapped[str | None] = mapped_column(String(4000), default=None)
    # The follow-up activity scheduled as the next step when the outcome was recorded.
    next_activity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL"), default=None
    )


class Notification(Base):
    """An in-app message to one user; the text is rendered in the reader's language."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user", "tenant_id", "user_id", "read_at"),
        UniqueConstraint("tenant_id", "dedup_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # A catalog key under "sales_process.notice" and its parameters.
    kind: Mapped[str] = mapped_column(String(50))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    object_name: Mapped[str | None] = mapped_column(String(50), default=None)
    record_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    # Repeated scans must not notify twice about the same thing.
    dedup_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    email_requested: Mapped[bool] = mapped_column(default=False)
    emailed_at: Mapped[datetime | None] = mapped_column(default=None)
