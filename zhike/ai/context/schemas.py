"""The typed context that the assistant and the agents receive for a request.

``build_context(session, actor, subject=..., where=...)`` in ``service.py`` returns
a ``Context``. Every part of it was read with the asker's permissions: a record
the asker cannot read is absent, and a kind of record the asker's role cannot
read at all is listed in ``hidden_kinds`` rather than silently missing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ItemKind = Literal["ticket", "activity", "deal"]


class Subject(BaseModel):
    """Subject of a request: a record id, or a phone number or email of the customer."""

    model_config = ConfigDict(extra="forbid")

    contact_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    opportunity_id: uuid.UUID | None = None
    ticket_id: uuid.UUID | None = None
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)


class RecordRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    object: str = Field(max_length=50)
    id: uuid.UUID


class Where(BaseModel):
    """Origin of a request: the screen's module and record, the channel and the session."""

    model_config = ConfigDict(extra="forbid")

    module: str | None = Field(
        default=None, max_length=50, description="sales, service, marketing…"
    )
    record: RecordRef | None = None
    channel: str | None = Field(
        default=None, max_length=30, description="web, phone, email, web_chat…"
    )
    session_id: str | None = Field(default=None, max_length=100)


class Asker(BaseModel):
    user_id: uuid.UUID | None
    display_name: str | None
    role: str
    role_name: str
    team: str | None
    # Object name to the actions the role grants on it.
    permissions: dict[str, list[str]]
    timezone: str
    locale: str


class Customer(BaseModel):
    """Recognised customer, with ``matched_by`` naming the key that matched (phone, email…)."""

    contact_id: uuid.UUID | None = None
    contact_name: str | None = None
    account_id: uuid.UUID | None = None
    account_name: str | None = None
    matched_by: str


class ContextItem(BaseModel):
    """One event of the customer's history, with its priority and the reasons for it."""

    kind: ItemKind
    object: str
    id: uuid.UUID
    title: str
    status: str | None = None
    category: str | None = None
    priority: str | None = None
    channel: str | None = None
    occurred_at: datetime
    is_open: bool
    # Activities logged against a ticket or deal: what has been done on it so far.
    progress: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    score: float = 0.0
    rank: int = 0
    reasons: list[str] = Field(default_factory=list)


class CausalLink(BaseModel):
    """An earlier item that likely led to a later one, with the evidence for it."""

    cause_id: uuid.UUID
    effect_id: uuid.UUID
    reason: str
    gap_hours: float
    shared_topics: list[str] = Field(default_factory=list)


class ScoreSummary(BaseModel):
    object: str
    record_id: uuid.UUID
    template: str
    score: float
    label: str | None
    scored_at: datetime
    top_factors: list[dict[str, Any]] = Field(default_factory=list)


class Context(BaseModel):
    """Request context: the asker, the origin, the customer and what happened recently."""

    asker: Asker
    where: Where
    customer: Customer | None = None
    built_at: datetime
    window_days: int
    # Chronological, oldest first; ``rank`` 1 is the most pressing item.
    items: list[ContextItem] = Field(default_factory=list)
    links: list[CausalLink] = Field(default_factory=list)
    open_issues: list[uuid.UUID] = Field(default_factory=list)
    scores: list[ScoreSummary] = Field(default_factory=list)
    hidden_kinds: list[str] = Field(default_factory=list)

    def ranked(self) -> list[ContextItem]:
        """Return the items, most pressing first."""
        return sorted(self.items, key=lambda item: item.rank)


class ContextRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: Subject | None = None
    where: Where = Field(default_factory=Where)
    window_days: int = Field(default=30, ge=1, le=365)


class InteractionCreate(BaseModel):
    """An exchange with a customer on any channel, remembered for later sessions."""

    model_config = ConfigDict(extra="forbid")

    subject: Subject
    channel: str = Field(min_length=1, max_length=30)
    summary: str = Field(min_length=1, max_length=300)
    details: str | None = Field(default=None, max_length=10_000)
    session_id: str | None = Field(default=None, max_length=100)
    ticket_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _names_someone(self) -> InteractionCreate:
        subject = self.subject
        if not any((subject.contact_id, subject.account_id, subject.phone, subject.email)):
            raise ValueError("subject needs a contact_id, account_id, phone or email")
        return self


class InteractionRead(BaseModel):
    activity_id: uuid.UUID
    customer: Customer
