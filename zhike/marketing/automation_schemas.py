"""API bodies and views of marketing automation."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from zhike.core.money import normalize_currency
from zhike.marketing.automation_models import CHANNELS
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


class SendCost(BaseModel):
    """The cost of one delivered message on a channel."""

    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=4, description="e.g. 0.045")
    currency: str = Field(description="ISO 4217 code, e.g. CNY")

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        return normalize_currency(value)


_TIME_OF_DAY = r"^([01]\d|2[0-3]):[0-5]\d$"
# Settings fields that may not be null; only the quiet hours may.
NON_NULLABLE_SETTINGS = (
    "double_opt_in_channels",
    "frequency_cap",
    "frequency_window_days",
    "public_base_url",
    "unsubscribe_link_days",
    "channels",
    "send_costs",
)


def _check_channel_names(names: Any, field_name: str) -> None:
    unknown = sorted(set(names) - set(CHANNELS))
    if unknown:
        raise ValueError(
            f"unknown channel {', '.join(unknown)} in {field_name}; use {', '.join(CHANNELS)}"
        )


class SettingsBody(BaseModel):
    """The whole marketing settings object: PUT replaces it, so every field is required."""

    model_config = ConfigDict(extra="forbid")

    double_opt_in_channels: list[str] = Field(
        description="channels where a grant stays pending until the contact confirms it"
    )
    quiet_hours_start: str | None = Field(
        pattern=_TIME_OF_DAY, description="HH:MM in the contact's time zone; null for none"
    )
    quiet_hours_end: str | None = Field(
        pattern=_TIME_OF_DAY, description="HH:MM in the contact's time zone; null for none"
    )
    frequency_cap: int = Field(
        ge=0, le=1000, description="delivered messages per channel and window; 0 for no cap"
    )
    frequency_window_days: int = Field(ge=1, le=365)
    public_base_url: str = Field(pattern=r"^https?://", max_length=300)
    unsubscribe_link_days: int = Field(ge=1, le=3650)
    channels: dict[str, dict[str, Any]] = Field(
        description="per channel; secret values are stored encrypted and kept when omitted"
    )
    send_costs: dict[str, SendCost] = Field(
        description="cost of one delivered message by channel, counted in journey step costs",
    )

    @field_validator("double_opt_in_channels", "channels", "send_costs")
    @classmethod
    def _known_channels(cls, value: Any, info: ValidationInfo) -> Any:
        _check_channel_names(value, str(info.field_name))
        return value


class SettingsPatch(BaseModel):
    """A JSON merge patch (RFC 7396) of the marketing settings: omitted fields stay as stored.

    In ``channels`` and ``send_costs`` a channel set to null is removed and the
    other channels are kept. Inside a channel's configuration a key set to null is
    removed. Null is accepted for the quiet hours only, where it means no quiet hours.
    """

    model_config = ConfigDict(extra="forbid")

    double_opt_in_channels: list[str] | None = None
    quiet_hours_start: str | None = Field(default=None, pattern=_TIME_OF_DAY)
    quiet_hours_end: str | None = Field(default=None, pattern=_TIME_OF_DAY)
    frequency_cap: int | None = Field(default=None, ge=0, le=1000)
    frequency_window_days: int | None = Field(default=None, ge=1, le=365)
    public_base_url: str | None = Field(default=None, pattern=r"^https?://", max_length=300)
    unsubscribe_link_days: int | None = Field(default=None, ge=1, le=3650)
    channels: dict[str, dict[str, Any] | None] | None = None
    send_costs: dict[str, SendCost | None] | None = None

    @field_validator("double_opt_in_channels", "channels", "send_costs")
    @classmethod
    def _known_channels(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            _check_channel_names(value, str(info.field_name))
        return value

    @model_validator(mode="after")
    def _no_null_for_required(self) -> SettingsPatch:
        nulls = [
            name
            for name in NON_NULLABLE_SETTINGS
            if name in self.model_fields_set and getattr(self, name) is None
        ]
        if nulls:
            raise ValueError(
                f"{', '.join(nulls)} cannot be null; leave the field out to keep the stored "
                "value, or send an empty list or object to clear it"
            )
        return self


class SettingsRead(BaseModel):
    """The stored settings, with channel secrets masked; ``version`` is also the ETag."""

    double_opt_in_channels: list[str]
    quiet_hours_start: str | None
    quiet_hours_end: str | None
    frequency_cap: int
    frequency_window_days: int
    public_base_url: str
    unsubscribe_link_days: int
    channels: dict[str, dict[str, Any]]
    send_costs: dict[str, SendCost]
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
