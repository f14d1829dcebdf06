"""Tables of saved reports, their schedules and deliveries, and dashboards.

A saved report stores the typed query, never its result: each viewer runs it
with their own permissions. Sharing lists roles and team ids; a team share
reaches the team's members and the members of every team below it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now


class SavedReport(Base):
    """A named report query with its display; read-only for everyone it is shared with."""

    __tablename__ = "saved_reports"
    __table_args__ = (Index("ix_saved_reports_tenant_owner", "tenant_id", "owner_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(2000), default=None)
    # A ReportQuery and a ReportDisplay as JSON, validated again whenever they are read.
    query: Mapped[dict[str, Any]] = mapped_column()
    display: Mapped[dict[str, Any]] = mapped_column()
    shared_roles: Mapped[list[str]] = mapped_column(default=list)
    shared_team_ids: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class ReportSchedule(Base):
    """Delivery of a saved report to one recipient, run with the recipient's permissions."""

    __tablename__ = "report_schedules"
    __table_args__ = (Index("ix_report_schedules_tenant_active", "tenant_id", "is_active"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("saved_reports.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    frequency: Mapped[str] = mapped_column(String(10))  # daily, weekly or monthly
    # Local hour of the tenant's time zone; weekday 0 is Monday; day_of_month 1 to 28.
    hour: Mapped[int] = mapped_column(Integer, default=8)
    weekday: Mapped[int] = mapped_column(Integer, default=0)
    day_of_month: Mapped[int] = mapped_column(Integer, default=1)
    channel: Mapped[str] = mapped_column(String(10))  # email or in_app
    file_format: Mapped[str] = mapped_column(String(10), default="xlsx")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ReportDelivery(Base):
    """One period's delivery of a schedule; the unique key makes a second run a no-op."""

    __tablename__ = "report_deliveries"
    __table_args__ = (UniqueConstraint("schedule_id", "period_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    schedule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("report_schedules.id", ondelete="CASCADE")
    )
    # The local date (daily), ISO week (weekly) or month (monthly) delivered.
    period_key: Mapped[str] = mapped_column(String(20))
    # pending until the message left; sent, or failed with the reason in ``error``.
    status: Mapped[str] = mapped_column(String(10), default="pending")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class Dashboard(Base):
    """A grid of report widgets with global filters.

    ``standard_key`` marks the dashboards every tenant gets; ``shared_roles``
    decides who sees them, and only administrators change them.
    """

    __tablename__ = "dashboards"
    __table_args__ = (
        UniqueConstraint("tenant_id", "standard_key"),
        Index("ix_dashboards_tenant_owner", "tenant_id", "owner_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    standard_key: Mapped[str | None] = mapped_column(String(50), default=None)
    name: Mapped[str] = mapped_column(String(200))
    # Standard dashboards store a catalog key so the name follows the viewer's language.
    name_key: Mapped[str | None] = mapped_column(String(100), default=None)
    widgets: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    shared_roles: Mapped[list[str]] = mapped_column(default=list)
    shared_team_ids: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
