"""API bodies for campaigns and campaign members."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints

from zhike.platform.schemas import (
    CurrencyCode,
    LongText,
    OwnedRead,
    RecordRead,
    ShortText,
    WriteSchema,
)

Channel = Annotated[str, StringConstraints(strip_whitespace=True, max_length=30)] | None


class CampaignCreate(WriteSchema):
    name: ShortText
    owner_id: uuid.UUID | None = None
    channel: Channel = Field(default=None, description="e.g. email, sms, wechat, event, webinar")
    status: str | None = Field(default=None, description="planned, active, completed or cancelled")
    starts_on: date | None = None
    ends_on: date | None = None
    budget: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)] | None = None
    currency: CurrencyCode | None = None
    description: LongText = None


class CampaignUpdate(CampaignCreate):
    name: ShortText | None = None  # type: ignore[assignment]


class CampaignRead(OwnedRead):
    name: str
    channel: str | None
    status: str
    starts_on: date | None
    ends_on: date | None
    budget: Decimal | None
    currency: str
    description: str | None


class CampaignMemberCreate(WriteSchema):
    campaign_id: uuid.UUID
    contact_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    status: str | None = Field(
        default=None, description="targeted, sent, responded, converted or unsubscribed"
    )
    touched_at: datetime | None = Field(default=None, description="defaults to now")
    has_responded: bool | None = None
    responded_at: datetime | None = None


class CampaignMemberUpdate(CampaignMemberCreate):
    campaign_id: uuid.UUID | None = None  # type: ignore[assignment]


class CampaignMemberRead(RecordRead):
    campaign_id: uuid.UUID
    contact_id: uuid.UUID | None
    lead_id: uuid.UUID | None
    status: str
    touched_at: datetime | None
    has_responded: bool
    responded_at: datetime | None
