"""The canonical form of an audit event and its SHA-256 link to the previous event.

An event's hash is ``sha256(canonical_json(document))`` in lower-case hex,
where ``document`` contains the event's content and the previous event's hash
(see ``event_document``). ``canonical_json`` follows RFC 8785 (JSON
Canonicalization Scheme): object members sorted by the UTF-16 code units of
their names, no whitespace, strings escaped minimally, UTF-8 output. Zhike
only ever stores integers as JSON numbers (everything else is normalised to a
string by ``to_json_value`` before it is stored), which is the case where JCS
number formatting is unambiguous, so any JCS library recomputes the same bytes.
"""

from __future__ import annotations

import enum
import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from zhike.core.timeutil import ensure_utc

# JSON numbers beyond this lose precision in many tools (IEEE double), so larger
# integers are stored as strings.
MAX_SAFE_INTEGER = 2**53 - 1


def format_time(value: datetime) -> str:
    """``2026-03-01T08:00:00.000000Z``: UTC, always six fractional digits."""
    return ensure_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _clean_text(value: str) -> str:
    # PostgreSQL JSONB cannot hold NUL, and lone surrogates cannot be encoded as UTF-8.
    return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def to_json_value(value: Any) -> Any:
    """Turn ``value`` into JSON made of objects, arrays, strings, integers, booleans and null."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INTEGER else str(value)
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, enum.Enum):
        return to_json_value(value.value)
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, date | uuid.UUID | Decimal | float):
        return str(value) if not isinstance(value, date) else value.isoformat()
    if isinstance(value, Mapping):
        return {_clean_text(str(key)): to_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((to_json_value(item) for item in value), key=str)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return _clean_text(str(value))


def _utf16_key(name: str) -> bytes:
    return name.encode("utf-16-be")


def canonical_json(value: Any) -> str:
    """Serialise a value made by ``to_json_value`` per RFC 8785."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(item) for item in value) + "]"
    if isinstance(value, dict):
        members = sorted(value.items(), key=lambda item: _utf16_key(item[0]))
        return (
            "{"
            + ",".join(
                f"{json.dumps(key, ensure_ascii=False)}:{canonical_json(item)}"
                for key, item in members
            )
            + "}"
        )
    raise TypeError(
        f"{type(value).__name__} has no canonical JSON form; normalise it with to_json_value"
    )


def event_document(
    *,
    event_id: uuid.UUID,
    tenant_id: uuid.UUID,
    sequence: int,
    occurred_at: datetime,
    actor_id: uuid.UUID | None,
    actor_kind: str,
    action: str,
    object_name: str | None,
    record_id: str | None,
    changes: dict[str, Any] | None,
    details: dict[str, Any] | None,
    ip: str | None,
    user_agent: str | None,
    previous_hash: str,
) -> dict[str, Any]:
    """Build the hashed content of one event: every key is present, and absent values are null."""
    return {
        "action": action,
        "actor_id": str(actor_id) if actor_id else None,
        "actor_kind": actor_kind,
        "changes": changes,
        "details": details,
        "id": str(event_id),
        "ip": ip,
        "object_name": object_name,
        "occurred_at": format_time(occurred_at),
        "previous_hash": previous_hash,
        "record_id": record_id,
        "sequence": sequence,
        "tenant_id": str(tenant_id),
        "user_agent": user_agent,
    }


def hash_document(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def hash_row(row: Mapping[Any, Any]) -> str:
    """Recompute the hash of a stored event from its column values."""
    return hash_document(
        event_document(
            event_id=row["id"],
            tenant_id=row["tenant_id"],
            sequence=row["sequence"],
            occurred_at=row["occurred_at"],
            actor_id=row["actor_id"],
            actor_kind=row["actor_kind"],
            action=row["action"],
            object_name=row["object_name"],
            record_id=row["record_id"],
            changes=row["changes"],
            details=row["details"],
            ip=row["ip"],
            user_agent=row["user_agent"],
            previous_hash=row["previous_hash"],
        )
    )
