"""Pydantic pieces shared by the schemas of every object."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None
LongText = Annotated[str, StringConstraints(max_length=10_000)] | None
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]


class WriteSchema(BaseModel):
    """Base of create and update bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    custom: dict[str, Any] | None = None
    external_id: Annotated[str, StringConstraints(max_length=100)] | None = None
    source: Annotated[str, StringConstraints(max_length=50)] | None = None


class RecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    version: int
    created_at: datetime
    updated_at: datetime
    custom: dict[str, Any] = Field(default_factory=dict)
    external_id: str | None = None
    source: str | None = None


class OwnedRead(RecordRead):
    owner_id: uuid.UUID | None = None
