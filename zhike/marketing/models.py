"""Campaigns (basic fields) and the people each campaign touched."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.models import ExternalIdMixin, OwnedMixin, RecordMixin

CAMPAIGN_STATUSES = ("planned", "active", "completed", "cancelled")
MEMBER_STATUSES = ("targeted", "sent", "responded", "converted", "unsubscribed")


class Campaign(RecordMixin, OwnedMixin, ExternalIdMixin, Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index("ix_campaigns_tenant_external", "tenant_id", "source", "external_id", unique=True),
        Index("ix_campaigns_tenant_name", "tenant_id", "name"),
    )

    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(30), default=None)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    starts_on: Mapped[date | None] = mapped_column(default=None)
    ends_on: Mapped[date | None] = mapped_column(default=None)
    budget: Mapped[Decimal | None] = mapped_column(default=None)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    description: Mapped[str | None] = mapped_column(String(4000), default=None)


class CampaignMember(RecordMixin, ExternalIdMixin, Base):
    """A campaign touch: one contact or lead reached by one campaign, and how they responded."""

    __tablename__ = "campaign_members"
    __table_args__ = (
        Index(
            "ix_campaign_members_tenant_external", "tenant_id", "source", "external_id", unique=True
        ),
        Index("ix_campaign_members_contact_time", "contact_id", "touched_at"),
        Index("ix_campaign_members_campaign", "campaign_id"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), default=None
    )
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), index=True, default=None
    )
    status: Mapped[str] = mapped_column(String(20), default="sent")
    touched_at: Mapped[datetime | None] = mapped_column(default=None)
    responded_at: Mapped[datetime | None] = mapped_column(default=None)
    has_responded: Mapped[bool] = mapped_column(default=False)
