"""Pydantic shapes of the audit API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    sequence: int
    occurred_at: datetime
    actor_id: uuid.UUID | None
    actor_kind: str
    action: str
    object_name: str | None
    record_id: str | None
    changes: dict[str, Any] | None
    details: dict[str, Any] | None
    ip: str | None
    user_agent: str | None
    previous_hash: str
    hash: str


class AuditEventPage(BaseModel):
    items: list[AuditEventRead]
    next_cursor: str | None = None
