"""API bodies of the service desk: tickets, intake, conversation, SLA, routing and CSAT."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhike.platform.schemas import LongText, OptionalText, OwnedRead, WriteSchema

Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Channel = Annotated[str, StringConstraints(strip_whitespace=True, max_length=30)] | None
MessageBody = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\- ]{5,40}$")]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
Tier = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None
IntakeChannel = Literal["web_form", "email", "web_chat", "api", "bot_handoff", "phone", "manual"]
Priority = Literal["low", "normal", "high", "urgent"]
Status = Literal["new", "open", "pending", "on_hold", "resolved", "closed"]


class TicketCreate(WriteSchema):
    subject: Subject
    owner_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    description: LongText = None
    status: str | None = Field(
        default=None, description="new, open, pending, on_hold, resolved or closed"
    )
    priority: str | None = Field(default=None, description="low, normal, high or urgent")
    category: OptionalText = None
    channel: Channel = None
    account_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    requester_name: OptionalText = None
    requester_email: Email | None = None
    requester_phone: Phone | None = None
    customer_tier: Tier = None
    opened_at: datetime | None = None
    resolved_at: datetime | None = None


class TicketUpdate(TicketCreate):
    subject: Subject | None = None  # type: ignore[assignment]


class TicketRead(OwnedRead):
    number: str | None
    subject: str
    description: str | None
    status: str
    priority: str
    category: str | None
    channel: str | None
    account_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    product_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    requester_name: str | None
    requester_email: str | None
    requester_phone: str | None
    customer_tier: str | None
    opened_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    first_responded_at: datetime | None
    sla_policy_id: uuid.UUID | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    sla_paused_at: datetime | None
    sla_paused_seconds: int = Field(description="business time the SLA clock has been paused")
    sla_state: str
    escalation_level: int
    category_source: str | None
    routing: dict[str, Any]
    predicted_resolution_hours: float | None


class TicketIntake(BaseModel):
    """A ticket as it arrives from a channel: web form, email, web chat, API or bot hand-off."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    subject: Subject
    description: LongText = None
    priority: Priority = "normal"
    category: OptionalText = None
    account_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    requester_name: OptionalText = None
    requester_email: Email | None = None
    requester_phone: Phone | None = None
    customer_tier: Tier = None
    external_id: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        default=None, description="id in the sending system, e.g. the email Message-ID"
    )
    opened_at: datetime | None = None


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee_id: uuid.UUID | None = Field(
        default=None, description="the agent; leave empty to let routing choose"
    )


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: MessageBody
    is_internal: bool = Field(default=False, description="an internal note the customer never sees")


class CustomerMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: MessageBody


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    author_kind: str
    author_id: uuid.UUID | None
    body: str
    is_internal: bool
    created_at: datetime


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    actor_id: uuid.UUID | None
    actor_kind: str
    data: dict[str, Any]
    created_at: datetime


class TicketHistory(BaseModel):
    messages: list[MessageRead]
    events: list[EventRead]


class QueueItem(BaseModel):
    ticket: dict[str, Any]
    sla_target: str | None
    due_at: datetime | None
    remaining_seconds: float | None
    sla_state: str
    reasons: list[dict[str, Any]]


class QueuePage(BaseModel):
    items: list[QueueItem]
    now: datetime


class SlaPolicyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    priority: Priority
    customer_tier: Tier = None
    first_response_minutes: int = Field(ge=1, le=60 * 24 * 90)
    resolution_minutes: int = Field(ge=1, le=60 * 24 * 365)
    uses_business_hours: bool = True
    warn_ratio: float = Field(default=0.75, gt=0.0, lt=1.0)
    escalation: dict[str, bool] = Field(
        default_factory=lambda: {"notify": True, "reassign": False, "raise_priority": True},
        description="steps before a breach: notify, reassign, raise_priority",
    )
    is_active: bool = True


class SlaPolicyRead(SlaPolicyBody):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: uuid.UUID
    version: int
    created_at: datetime
    updated_at: datetime


class AgentProfileBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skills: list[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    ] = Field(default_factory=list, max_length=50)
    max_open_tickets: int = Field(default=20, ge=0, le=1000)
    is_available: bool = True
    wecom_user_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.@-]{1,64}$",
        description="WeCom member UserID that escalation messages on WeCom go to",
    )


class AgentProfileRead(AgentProfileBody):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    user_id: uuid.UUID
    display_name: str = Field(default="", description="the agent's name as users see it")
    last_assigned_at: datetime | None
    open_tickets: int = 0


class SurveyLink(BaseModel):
    survey_id: uuid.UUID
    token: str
    expires_at: datetime


class SurveyAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5, description="1 (very dissatisfied) to 5 (very satisfied)")
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None


class SurveyRead(BaseModel):
    ticket_number: str | None
    subject: str
    rating: int | None
    comment: str | None
    responded_at: datetime | None
    expires_at: datetime


class QualityReason(BaseModel):
    code: str
    impact: float
    message: str
    detail: dict[str, Any] = Field(default_factory=dict)


class QualityScore(BaseModel):
    ticket_id: uuid.UUID
    score: float = Field(description="0 (poor) to 100 (excellent)")
    sentiment_start: float | None
    sentiment_end: float | None
    sentiment_source: str
    first_response_minutes: float | None
    average_response_minutes: float | None
    is_resolved: bool
    csat_rating: int | None
    reasons: list[QualityReason]


class Suggestions(BaseModel):
    articles: list[dict[str, Any]]
    draft: str | None
