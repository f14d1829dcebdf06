"""Appending events to a tenant's audit chain, inside the caller's transaction.

``record_event`` adds the event to the caller's session, so it commits or
rolls back together with the change it describes. Appends of one tenant are
serialised on the tenant's chain-head row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite admits one writer at a time anyway), which is what keeps
two concurrent requests from forking the chain.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from zhike.audit.chain import event_document, hash_document, to_json_value
from zhike.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now
from zhike.security.context import Actor
from zhike.security.masking import MaskKind, mask_value

logger = logging.getLogger(__name__)

ACTION_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$")
MAX_USER_AGENT = 512
MAX_IP = 45

# Bookkeeping columns that change on every save and say nothing about personal data.
IGNORED_DIFF_FIELDS = frozenset({"updated_at", "version"})


class ActorKind(StrEnum):
    USER = "user"
    SYSTEM = "system"
    API_KEY = "api_key"
    AGENT = "agent"


class AuditAction(StrEnum):
    """Actions with a fixed meaning; other dotted lower-case names are allowed too."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    SESSION_REVOKED = "session_revoked"
    RECORD_CREATE = "record.create"
    RECORD_UPDATE = "record.update"
    RECORD_DELETE = "record.delete"
    EXPORT = "export"
    IMPORT = "import"
    PERMISSION_CHANGE = "permission.change"
    CONFIG_CHANGE = "config.change"
    REVEAL = "reveal"
    API_KEY_USE = "api_key.use"
    AI_CALL = "ai.call"
    AUDIT_PURGE = "audit.purge"


# The head table is used through Core so that the identity map never serves a stale head.
HEADS = cast(Table, AuditChainHead.__table__)

SensitiveFields = Mapping[str, MaskKind | str] | Collection[str]


@dataclass(frozen=True, slots=True)
class ChainHead:
    last_sequence: int
    last_hash: str


def _mask_kind(sensitive_fields: SensitiveFields, name: str) -> MaskKind | str | None:
    if isinstance(sensitive_fields, Mapping):
        return sensitive_fields.get(name)
    return MaskKind.AUTO if name in sensitive_fields else None


def mask_changes(changes: Mapping[str, Any], sensitive_fields: SensitiveFields) -> dict[str, Any]:
    """Normalise a ``{field: [old, new]}`` diff and mask the values of sensitive fields."""
    masked: dict[str, Any] = {}
    for name, pair in changes.items():
        old, new = pair
        kind = _mask_kind(sensitive_fields, name) or _mask_kind(
            sensitive_fields, name.rpartition(".")[2]
        )
        if kind is not None:
            old, new = mask_value(_scalar(old), kind), mask_value(_scalar(new), kind)
        masked[str(name)] = [to_json_value(old), to_json_value(new)]
    return masked


def mask_details(details: Mapping[str, Any], sensitive_fields: SensitiveFields) -> dict[str, Any]:
    """Normalise free details and mask top-level members named as sensitive."""
    masked: dict[str, Any] = {}
    for name, value in details.items():
        kind = _mask_kind(sensitive_fields, name)
        masked[str(name)] = to_json_value(
            mask_value(_scalar(value), kind) if kind is not None else value
        )
    return masked


def _scalar(value: Any) -> Any:
    converted = to_json_value(value)
    return converted if converted is None or isinstance(converted, str) else str(converted)


def _lock_head(session: Session, tenant_id: uuid.UUID) -> ChainHead:
    table = HEADS
    dialect = session.get_bind().dialect.name
    values = {
        "tenant_id": tenant_id,
        "last_sequence": 0,
        "last_hash": GENESIS_HASH,
        "checkpoint_sequence": 0,
        "checkpoint_hash": GENESIS_HASH,
    }
    # Create the head if this is the tenant's first event; ON CONFLICT makes a
    # concurrent first append wait for the other one and then find its row.
    if dialect == "postgresql":
        session.execute(
            postgresql.insert(table)
            .values(values)
            .on_conflict_do_nothing(index_elements=["tenant_id"])
        )
    elif dialect == "sqlite":
        session.execute(
            sqlite.insert(table).values(values).on_conflict_do_nothing(index_elements=["tenant_id"])
        )
    elif session.get(AuditChainHead, tenant_id) is None:
        session.execute(table.insert().values(values))
    row = session.execute(
        select(table.c.last_sequence, table.c.last_hash)
        .where(table.c.tenant_id == tenant_id)
        .with_for_update()
    ).one()
    return ChainHead(row.last_sequence, row.last_hash)


def record_event(
    session: Session,
    actor: Actor,
    action: AuditAction | str,
    *,
    object_name: str | None = None,
    record_id: uuid.UUID | str | None = None,
    changes: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    sensitive_fields: SensitiveFields = (),
    actor_kind: ActorKind | str | None = None,
) -> AuditEvent:
    """Append one event to the actor's tenant chain in the caller's transaction.

    ``changes`` is ``{field: [old, new]}``; values of ``sensitive_fields`` (a set
    of names, or a mapping of name to ``MaskKind``) are stored masked, in both
    ``changes`` and the top level of ``details``.
    """
    action = str(action)
    if not ACTION_PATTERN.match(action) or len(action) > 64:
        raise ValueError(
            f"audit action {action!r} is not a dotted lower-case name of at most 64 characters"
        )
    kind = ActorKind(actor_kind or (ActorKind.USER if actor.user_id else ActorKind.SYSTEM))
    stored_changes = mask_changes(changes, sensitive_fields) if changes is not None else None
    stored_details = mask_details(details, sensitive_fields) if details is not None else None
    stored_ip = ip[:MAX_IP] if ip else None
    stored_agent = to_json_value(user_agent[:MAX_USER_AGENT]) if user_agent else None

    head = _lock_head(session, actor.tenant_id)
    # The time is taken after the lock so that occurred_at follows the sequence.
    event = AuditEvent(
        id=new_id(),
        tenant_id=actor.tenant_id,
        sequence=head.last_sequence + 1,
        occurred_at=utc_now(),
        actor_id=actor.user_id,
        actor_kind=kind.value,
        action=action,
        object_name=object_name,
        record_id=str(record_id) if record_id is not None else None,
        changes=stored_changes,
        details=stored_details,
        ip=stored_ip,
        user_agent=stored_agent,
        previous_hash=head.last_hash,
    )
    event.hash = hash_document(
        event_document(
            event_id=event.id,
            tenant_id=event.tenant_id,
            sequence=event.sequence,
            occurred_at=event.occurred_at,
            actor_id=event.actor_id,
            actor_kind=event.actor_kind,
            action=event.action,
            object_name=event.object_name,
            record_id=event.record_id,
            changes=event.changes,
            details=event.details,
            ip=event.ip,
            user_agent=event.user_agent,
            previous_hash=event.previous_hash,
        )
    )
    session.add(event)
    table = HEADS
    session.execute(
        update(table)
        .where(table.c.tenant_id == actor.tenant_id)
        .values(
            last_sequence=event.sequence, last_hash=event.hash, last_occurred_at=event.occurred_at
        )
    )
    session.flush()
    logger.debug("audit event recorded", extra={"action": action, "sequence": event.sequence})
    return event


def record_event_autonomously(
    session: Session, actor: Actor, action: AuditAction | str, **options: Any
) -> None:
    """Record an event in a transaction of its own that commits at once.

    For events whose request then fails and rolls back, such as a refused
    login: the attempt must stay on record although nothing else does.
    """
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    with Session(engine) as own:
        record_event(own, actor, action, **options)
        own.commit()


def diff_values(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for each changed field; ``custom`` is split per member."""
    old_values = _flatten(before or {})
    new_values = _flatten(after or {})
    changes: dict[str, list[Any]] = {}
    for name in sorted(old_values.keys() | new_values.keys()):
        if name in IGNORED_DIFF_FIELDS:
            continue
        old, new = old_values.get(name), new_values.get(name)
        if to_json_value(old) != to_json_value(new):
            changes[name] = [old, new]
    return changes


def _flatten(values: Mapping[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in values.items():
        if name == "custom" and isinstance(value, Mapping):
            flat.update({f"custom.{member}": item for member, item in value.items()})
        else:
            flat[name] = value
    return flat


def record_change(
    session: Session,
    actor: Actor,
    object_name: str,
    record_id: uuid.UUID | str,
    action: AuditAction | str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    sensitive_fields: SensitiveFields = (),
) -> AuditEvent | None:
    """Record a create, update or delete of a CRM record with its field-level diff.

    ``action`` is ``record.create``/``record.update``/``record.delete`` (or the
    bare verb). An update that changed nothing is not recorded and returns None.
    """
    name = str(action)
    if "." not in name:
        name = f"record.{name}"
    changes = diff_values(before, after)
    if name == AuditAction.RECORD_UPDATE and not changes:
        return None
    return record_event(
        session,
        actor,
        name,
        object_name=object_name,
        record_id=record_id,
        changes=changes,
        sensitive_fields=sensitive_fields,
    )
