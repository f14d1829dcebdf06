"""API bodies for service tickets."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from zhike.platform.schemas import LongText, OptionalText, OwnedRead, WriteSchema

Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Channel = Annotated[str, StringConstraints(strip_whitespace=True, max_length=30)] | None


class TicketCreate(WriteSchema):
    subject: Subject
    owner_id: uuid.UUID | None = None
    description: LongText = None
    status: str | None = Field(default=None, description="new, open, pending, resolved or closed")
    priority: str | None = Field(default=None, description="low, normal, high or urgent")
    category: OptionalText = None
    channel: Channel = None
    account_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    opened_at: datetime | None = None
    resolved_at: datetime | None = None


class TicketUpdate(TicketCreate):
    subject: Subject | None = None  # type: ignore[assignment]


class TicketRead(OwnedRead):
    subject: str
    description: str | None
    status: str
    priority: str
    category: str | None
    channel: str | None
    account_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    product_id: uuid.UUID | None
    opened_at: datetime | None
    resolved_at: datetime | None
