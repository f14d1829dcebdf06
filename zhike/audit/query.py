"""Reading the audit trail for administrators and auditors: filters, pages and CSV."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from zhike.audit.chain import format_time
from zhike.audit.models import AuditEvent
from zhike.audit.service import AuditAction, record_event
from zhike.core.errors import Forbidden, InvalidInput
from zhike.core.timeutil import ensure_utc
from zhike.security.context import Actor

AUDIT_READER_ROLES = frozenset({"administrator", "auditor"})
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_EXPORT_ROWS = 100_000
CSV_COLUMNS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "actor_kind",
    "action",
    "object_name",
    "record_id",
    "changes",
    "details",
    "ip",
    "user_agent",
    "id",
    "previous_hash",
    "hash",
)
# Spreadsheet programs run a cell that starts with these as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class EventFilter:
    actor_id: uuid.UUID | None = None
    object_name: str | None = None
    record_id: str | None = None
    action: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None

    def as_details(self) -> dict[str, Any]:
        return {
            key: value
            for key, value in {
                "actor_id": self.actor_id,
                "object_name": self.object_name,
                "record_id": self.record_id,
                "action": self.action,
                "from": self.occurred_from,
                "to": self.occurred_to,
            }.items()
            if value is not None
        }


def require_audit_reader(actor: Actor) -> None:
    if actor.role not in AUDIT_READER_ROLES:
        raise Forbidden("forbidden")


def _filtered(actor: Actor, filters: EventFilter) -> Select[AuditEvent]:
    if (
        filters.occurred_from
        and filters.occurred_to
        and filters.occurred_from > filters.occurred_to
    ):
        raise InvalidInput(
            "invalid_time_range",
            start=format_time(filters.occurred_from),
            end=format_time(filters.occurred_to),
        )
    statement = select(AuditEvent).where(AuditEvent.tenant_id == actor.tenant_id)
    if filters.actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == filters.actor_id)
    if filters.object_name is not None:
        statement = statement.where(AuditEvent.object_name == filters.object_name)
    if filters.record_id is not None:
        statement = statement.where(AuditEvent.record_id == filters.record_id)
    if filters.action is not None:
        statement = statement.where(AuditEvent.action == filters.action)
    if filters.occurred_from is not None:
        statement = statement.where(AuditEvent.occurred_at >= ensure_utc(filters.occurred_from))
    if filters.occurred_to is not None:
        statement = statement.where(AuditEvent.occurred_at < ensure_utc(filters.occurred_to))
    return statement


def encode_cursor(sequence: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{sequence}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = raw.partition(":")
        if prefix != "seq" or not number.isdigit():
            raise ValueError(raw)
        return int(number)
    except (ValueError, UnicodeDecodeError, binascii.Error) as error:
        raise InvalidInput("invalid_cursor", value=cursor[:80]) from error


def list_events(
    session: Session,
    actor: Actor,
    filters: EventFilter,
    *,
    limit: int = DEFAULT_PAGE_SIZE,
    cursor: str | None = None,
) -> tuple[list[AuditEvent], str | None]:
    """One page of events, newest first; the cursor continues after the page's oldest event."""
    require_audit_reader(actor)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    statement = _filtered(actor, filters)
    if cursor:
        statement = statement.where(AuditEvent.sequence < decode_cursor(cursor))
    events = list(session.scalars(statement.order_by(AuditEvent.sequence.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(events[limit - 1].sequence) if len(events) > limit else None
    return events[:limit], next_cursor


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    elif isinstance(value, datetime):
        text = format_time(value)
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def export_csv(session: Session, actor: Actor, filters: EventFilter) -> tuple[str, int]:
    """Matching events as CSV (UTF-8 with BOM, for Excel), newest first; the export is audited."""
    require_audit_reader(actor)
    statement = _filtered(actor, filters)
    count = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    if count > MAX_EXPORT_ROWS:
        raise InvalidInput("audit_export_too_large", count=count, maximum=MAX_EXPORT_ROWS)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for event in _stream(session, statement):
        writer.writerow([_cell(getattr(event, column)) for column in CSV_COLUMNS])
    record_event(
        session,
        actor,
        AuditAction.EXPORT,
        object_name="audit_event",
        details={"format": "csv", "rows": count, "filters": filters.as_details()},
    )
    return buffer.getvalue(), count


def _stream(session: Session, statement: Select[AuditEvent]) -> Iterator[AuditEvent]:
    yield from session.scalars(
        statement.order_by(AuditEvent.sequence.desc()).execution_options(yield_per=1000)
    )
