"""Retention: the only way audit events leave the database.

Each tenant keeps its events for ``settings["audit_retention_days"]`` days
(default 1826, five years). The purge removes the oldest part of the chain,
moves the tenant's checkpoint to the last removed event, and records an
``audit.purge`` event naming that checkpoint, so that the remaining chain
still verifies and the removal itself is on record.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from zhike.audit.guards import PURGE_OPTION
from zhike.audit.models import AuditEvent
from zhike.audit.service import HEADS, ActorKind, AuditAction, record_event
from zhike.core.errors import InvalidInput, NotFound
from zhike.core.timeutil import ensure_utc, utc_now
from zhike.security.context import Actor
from zhike.security.models import Tenant

logger = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 1826
# The Cybersecurity Law (article 21) asks for network logs to be kept at least six months.
MINIMUM_RETENTION_DAYS = 180


@dataclass(frozen=True, slots=True)
class PurgeResult:
    purged: int
    cutoff: datetime
    checkpoint_sequence: int
    checkpoint_hash: str | None


def retention_days(tenant: Tenant) -> int:
    raw = (tenant.settings or {}).get("audit_retention_days", DEFAULT_RETENTION_DAYS)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < MINIMUM_RETENTION_DAYS:
        raise InvalidInput(
            "audit_retention_invalid", value=str(raw), minimum=MINIMUM_RETENTION_DAYS
        )
    return raw


def purge_expired(
    session: Session, tenant_id: uuid.UUID, now: datetime | None = None
) -> PurgeResult:
    """Remove the tenant's events older than its retention period, in the caller's transaction."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("tenant_not_found", slug=str(tenant_id))
    cutoff = ensure_utc(now or utc_now()) - timedelta(days=retention_days(tenant))
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(
            text(
                "SELECT purged_count, through_sequence, through_hash"
                " FROM zhike_audit_purge(:tenant, :cutoff)"
            ),
            {"tenant": tenant_id, "cutoff": cutoff},
        ).one()
        purged, through_sequence, through_hash = int(row[0]), int(row[1]), row[2]
    else:
        purged, through_sequence, through_hash = _purge_portable(session, tenant_id, cutoff)
    if purged:
        record_event(
            session,
            Actor(tenant_id=tenant_id, user_id=None, role="system"),
            AuditAction.AUDIT_PURGE,
            object_name="audit_event",
            actor_kind=ActorKind.SYSTEM,
            details={
                "purged": purged,
                "cutoff": cutoff,
                "through_sequence": through_sequence,
                "through_hash": through_hash,
            },
        )
        logger.info("audit events purged", extra={"tenant_id": str(tenant_id), "purged": purged})
    return PurgeResult(purged, cutoff, through_sequence, through_hash)


def _purge_portable(
    session: Session, tenant_id: uuid.UUID, cutoff: datetime
) -> tuple[int, int, str | None]:
    """The same steps as the PostgreSQL function ``zhike_audit_purge``, for SQLite."""
    heads = HEADS
    events = AuditEvent.__table__
    head = session.execute(
        select(heads.c.last_sequence, heads.c.checkpoint_sequence, heads.c.checkpoint_hash)
        .where(heads.c.tenant_id == tenant_id)
        .with_for_update()
    ).first()
    if head is None:
        return 0, 0, None
    keep = session.scalar(
        select(events.c.sequence)
        .where(events.c.tenant_id == tenant_id, events.c.occurred_at >= cutoff)
        .order_by(events.c.sequence)
        .limit(1)
    )
    through = (keep if keep is not None else head.last_sequence + 1) - 1
    if through <= head.checkpoint_sequence:
        return 0, head.checkpoint_sequence, head.checkpoint_hash
    through_hash = session.scalar(
        select(events.c.hash).where(events.c.tenant_id == tenant_id, events.c.sequence == through)
    )
    if through_hash is None:
        raise RuntimeError(
            f"audit event {through} is missing from the chain; run zhike audit verify"
        )
    # The checkpoint moves first: the delete trigger only admits events it covers.
    session.execute(
        update(heads)
        .where(heads.c.tenant_id == tenant_id)
        .values(checkpoint_sequence=through, checkpoint_hash=through_hash, checkpoint_at=utc_now())
    )
    result = session.execute(
        delete(AuditEvent)
        .where(AuditEvent.tenant_id == tenant_id, AuditEvent.sequence <= through)
        .execution_options(synchronize_session=False, **{PURGE_OPTION: True})
    )
    return int(result.rowcount), through, through_hash  # type: ignore[attr-defined]
