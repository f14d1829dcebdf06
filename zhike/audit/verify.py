"""Recomputing a tenant's chain and reporting the first place where it breaks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.audit.chain import hash_row
from zhike.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from zhike.audit.service import AuditAction

BATCH_SIZE = 2000


class Problem(StrEnum):
    """What ``verify_chain`` found wrong; the values are stable for scripts."""

    TAMPERED = "tampered"  # the stored hash does not match the event's content
    MISSING = "missing"  # a sequence number is skipped: an event was removed
    BROKEN_LINK = "broken_link"  # previous_hash differs from the hash of the event before
    TRUNCATED = "truncated"  # the chain ends before the head says it does
    CHECKPOINT_UNRECORDED = "checkpoint_unrecorded"  # no audit.purge event names the checkpoint


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    checked: int
    head_sequence: int
    head_hash: str
    checkpoint_sequence: int
    problem: Problem | None = None
    sequence: int | None = None
    event_id: uuid.UUID | None = None
    expected: str | None = None
    found: str | None = None


def verify_chain(session: Session, tenant_id: uuid.UUID) -> VerifyResult:
    """Walk the tenant's events in sequence order from the retention checkpoint."""
    head = session.get(AuditChainHead, tenant_id)
    if head is None:
        return VerifyResult(True, 0, 0, GENESIS_HASH, 0)
    base = VerifyResult(True, 0, head.last_sequence, head.last_hash, head.checkpoint_sequence)
    expected_sequence = head.checkpoint_sequence + 1
    previous_hash = head.checkpoint_hash
    checked = 0
    last_purge: tuple[object, object] | None = None
    table = AuditEvent.__table__
    # Only events the head already counts: later ones belong to appends still in flight.
    rows = session.execute(
        select(table)
        .where(table.c.tenant_id == tenant_id, table.c.sequence <= head.last_sequence)
        .order_by(table.c.sequence)
        .execution_options(yield_per=BATCH_SIZE)
    ).mappings()
    for row in rows:
        sequence, event_id = row["sequence"], row["id"]
        if sequence != expected_sequence:
            return replace(
                base,
                ok=False,
                checked=checked,
                problem=Problem.MISSING,
                sequence=expected_sequence,
                event_id=event_id,
                expected=str(expected_sequence),
                found=str(sequence),
            )
        if row["previous_hash"] != previous_hash:
            return replace(
                base,
                ok=False,
                checked=checked,
                problem=Problem.BROKEN_LINK,
                sequence=sequence,
                event_id=event_id,
                expected=previous_hash,
                found=row["previous_hash"],
            )
        recomputed = hash_row(row)
        if recomputed != row["hash"]:
            return replace(
                base,
                ok=False,
                checked=checked,
                problem=Problem.TAMPERED,
                sequence=sequence,
                event_id=event_id,
                expected=recomputed,
                found=row["hash"],
            )
        if row["action"] == AuditAction.AUDIT_PURGE and isinstance(row["details"], dict):
            last_purge = (
                row["details"].get("through_sequence"),
                row["details"].get("through_hash"),
            )
        checked += 1
        expected_sequence += 1
        previous_hash = row["hash"]
    if expected_sequence - 1 != head.last_sequence or previous_hash != head.last_hash:
        return replace(
            base,
            ok=False,
            checked=checked,
            problem=Problem.TRUNCATED,
            sequence=expected_sequence,
            expected=f"{head.last_sequence}:{head.last_hash}",
            found=f"{expected_sequence - 1}:{previous_hash}",
        )
    if head.checkpoint_sequence and last_purge != (head.checkpoint_sequence, head.checkpoint_hash):
        return replace(
            base,
            ok=False,
            checked=checked,
            problem=Problem.CHECKPOINT_UNRECORDED,
            sequence=head.checkpoint_sequence,
            expected=f"{head.checkpoint_sequence}:{head.checkpoint_hash}",
            found=f"{last_purge[0]}:{last_purge[1]}" if last_purge else None,
        )
    return replace(base, checked=checked)
