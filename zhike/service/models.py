"""Service tickets (basic fields; SLA and routing build on these)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.models import ExternalIdMixin, OwnedMixin, RecordMixin

TICKET_STATUSES = ("new", "open", "pending", "resolved", "closed")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")


class Ticket(RecordMixin, OwnedMixin, ExternalIdMixin, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_tenant_external", "tenant_id", "source", "external_id", unique=True),
        Index("ix_tickets_tenant_status", "tenant_id", "status"),
        Index("ix_tickets_account_time", "account_id", "opened_at"),
        Index("ix_tickets_contact_time", "contact_id", "opened_at"),
    )

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
    opened_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
