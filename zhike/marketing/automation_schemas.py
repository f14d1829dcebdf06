"""API bodies and views of marketing automation."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from zhike.marketing.segments import SegmentDefinition


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ConsentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: uuid.UUID
    channel: str
    purpose: str = "marketing"
    status: str = Field(default="granted", description="granted or withdrawn")
    source: str = Field(min_length=1, max_length=100, description="e.g. web_form, call, event")
    wording_version: str = Field(min_length=1, max_length=50)
    proof: dict[str, Any] = Field(default_factory=dict, description="e.g. ip, form id, recording")


class ConsentRead(_Read):
    id: uuid.UUID
    contact_id: uuid.UUID
    channel: str
    purpose: str
    status: str
    source: str
    wording_version: str
    proof: dict[str, Any]
    recorded_at: datetime
    recorded_by: uuid.UUID | None


class ConsentCreated(ConsentRead):
    confirmation_url: str | None = Field(
        default=None, description="double opt-in: the link to email to the contact"
    )


class SuppressionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str
    address: str = Field(max_length=254)
    note: str | None = Field(default=None, max_length=500)


class SuppressionRead(_Read):
    id: uuid.UUID
    channel: str
    address: str
    reason: str
    contact_id: uuid.UUID | None
    created_at: datetime


class SettingsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    double_opt_in_channels: list[str] = Field(default_factory=list)
    quiet_hours_start: str | None = Field(default="21:00", pattern=r"^\d{2}:\d{2}$")
    quiet_hours_end: str | None = Field(default="08:00", pattern=r"^\d{2}:\d{2}$")
    frequency_cap: int = Field(default=3, ge=0, le=1000)
    frequency_window_days: int = Field(default=7, ge=1, le=365)
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", pattern=r"^https?://", max_length=300
    )
    unsubscribe_link_days: int = Field(default=90, ge=1, le=3650)
    channels: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per channel; secret values are stored encrypted"
    )


class SettingsRead(SettingsBody):
    version: int


class SegmentRead(_Read):
    id: uuid.UUID
    name: str
    kind: str
    object_name: str
    definition: dict[str, Any]
    member_count: int
    evaluated_at: datetime | None
    version: int


class PreviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    object_name: str = "contacts"
    definition: SegmentDefinition = Field(default_factory=SegmentDefinition)


class IdList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[uuid.UUID] = Field(min_length=1, max_length=10_000)


class EventBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    contact_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    occurred_at: datetime | None = None
    value: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    details: dict[str, Any] = Field(default_factory=dict)


class TemplateRead(_Read):
    id: uuid.UUID
    name: str
    channel: str
    subject: str | None
    body: str
    version: int


class RenderBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: uuid.UUID


class JourneyRead(_Read):
    id: uuid.UUID
    name: str
    status: str
    campaign_id: uuid.UUID | None
    graph: dict[str, Any]
    winners: dict[str, Any]
    version: int
    updated_at: datetime


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: uuid.UUID
    channel: str
    purpose: str = "marketing"
    template_id: uuid.UUID | None = None
    subject: str | None = Field(default=None, max_length=500)
    body: str | None = Field(default=None, max_length=20000)
    idempotency_key: str | None = Field(default=None, max_length=100)


class MessageRead(_Read):
    id: uuid.UUID
    path: str
    contact_id: uuid.UUID
    channel: str
    purpose: str
    status: str
    reason: str | None
    campaign_id: uuid.UUID | None
    journey_id: uuid.UUID | None
    step_id: str | None
    variant: str | None
    scheduled_at: datetime
    sent_at: datetime | None


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="bounce or complaint")
    address: str = Field(max_length=254)
    send_key: str | None = Field(default=None, max_length=200)
