"""The duplicate review queue: scanning for candidate pairs, listing them, rejecting them.

A scan reads only the records the actor may read, so a job run by the system actor
covers the whole tenant while a manager's scan covers their own data scope. A pair
that was rejected or merged keeps its row, and a later scan leaves it alone.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.errors import Conflict, InvalidInput, NotFound
from zhike.core.timeutil import utc_now
from zhike.customers.matching.accounts import ACCOUNT_SPEC, account_match_record
from zhike.customers.matching.contacts import CONTACT_SPEC, match_record
from zhike.customers.matching.engine import (
    MatchSpec,
    Record,
    agreeing_fields,
    candidate_pairs,
    compare_pairs,
    score,
    train_model,
)
from zhike.customers.matching.fellegi_sunter import FellegiSunterModel
from zhike.customers.merge_models import DuplicateCandidate
from zhike.customers.merge_schemas import CandidateStatus, ScanResult
from zhike.customers.models import Account, Contact
from zhike.platform.objects import get_object
from zhike.platform.records import RecordService
from zhike.security.access import require, scope_select
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

QUEUE_OBJECT = "duplicate_candidates"
MERGEABLE_OBJECTS = ("contacts", "accounts")
# Below this many records EM has too few pairs to learn from; the starting m and u stand.
MIN_RECORDS_TO_TRAIN = 500
MAX_LIST = 500


def editable_record(session: Session, actor: Actor, object_name: str, record_id: uuid.UUID) -> Any:
    """Return the record if the actor may change it, else raise 404 as any record update does."""
    return RecordService(session, actor, get_object(object_name)).get(record_id, "update")


def ordered_pair(left: uuid.UUID, right: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return (left, right) if left < right else (right, left)


def _check_object(object_name: str) -> None:
    if object_name not in MERGEABLE_OBJECTS:
        raise InvalidInput("merge_unknown_object", object=object_name)


def _load_records(
    session: Session, actor: Actor, object_name: str
) -> tuple[list[uuid.UUID], list[Record], MatchSpec]:
    if object_name == "contacts":
        statement = scope_select(
            actor,
            Contact,
            select(
                Contact.id,
                Contact.name,
                Contact.mobile,
                Contact.email,
                Contact.city,
                Account.name.label("company"),
            ).outerjoin(Account, Account.id == Contact.account_id),
        ).order_by(Contact.id)
        rows = session.execute(statement).all()
        return [row.id for row in rows], [match_record(row._asdict()) for row in rows], CONTACT_SPEC
    accounts = scope_select(
        actor,
        Account,
        select(
            Account.id,
            Account.name,
            Account.unified_social_credit_code,
            Account.phone,
            Account.email,
            Account.city,
        ),
    ).order_by(Account.id)
    account_rows = session.execute(accounts).all()
    return (
        [row.id for row in account_rows],
        [account_match_record(row._asdict()) for row in account_rows],
        ACCOUNT_SPEC,
    )


def scan_duplicates(
    session: Session, actor: Actor, object_name: str, min_score: float
) -> ScanResult:
    """Queue every pair of readable records whose match probability reaches ``min_score``."""
    _check_object(object_name)
    require(actor, QUEUE_OBJECT, "create")
    require(actor, object_name, "read")
    ids, records, spec = _load_records(session, actor, object_name)

    pairs = candidate_pairs(records, spec)
    scores = compare_pairs(records, pairs, spec)
    if len(records) >= MIN_RECORDS_TO_TRAIN and len(pairs):
        model = train_model(records, scores, spec)
    else:
        model = FellegiSunterModel(tuple(len(c.levels) for c in spec.comparisons))
    score(scores, model)

    existing = {
        (row.first_id, row.second_id): row
        for row in session.scalars(
            select(DuplicateCandidate).where(
                DuplicateCandidate.tenant_id == actor.tenant_id,
                DuplicateCandidate.object_name == object_name,
            )
        )
    }

    queued = updated = skipped = 0
    for row in np.flatnonzero(scores.probabilities >= min_score):
        left, right = scores.pairs[row]
        first_id, second_id = ordered_pair(ids[int(left)], ids[int(right)])
        matched, reasons = _explain(scores.levels[row], bool(scores.deterministic[row]), spec)
        probability = round(float(scores.probabilities[row]), 4)
        candidate = existing.get((first_id, second_id))
        if candidate is None:
            session.add(
                DuplicateCandidate(
                    tenant_id=actor.tenant_id,
                    object_name=object_name,
                    first_id=first_id,
                    second_id=second_id,
                    score=probability,
                    matched_fields=matched,
                    reasons=reasons,
                )
            )
            queued += 1
        elif candidate.status == "open":
            candidate.score, candidate.matched_fields, candidate.reasons = (
                probability,
                matched,
                reasons,
            )
            updated += 1
        else:
            skipped += 1
    session.flush()

    result = ScanResult(
        object_name=object_name,
        records=len(records),
        pairs_compared=len(pairs),
        queued=queued,
        updated=updated,
        skipped_decided=skipped,
    )
    record_event(
        session,
        actor,
        "customers.duplicate_scan",
        object_name=QUEUE_OBJECT,
        details={**result.model_dump(), "min_score": min_score},
    )
    logger.info("duplicate scan finished", extra=result.model_dump())
    return result


def _explain(
    levels: Sequence[int], deterministic: bool, spec: MatchSpec
) -> tuple[list[str], list[str]]:
    reasons = agreeing_fields([int(level) for level in levels], spec)
    matched = [reason.split(":", 1)[0] for reason in reasons]
    if deterministic:
        reasons.insert(0, "strong_identifier")
    return matched, reasons


def list_candidates(
    session: Session,
    actor: Actor,
    object_name: str,
    status: CandidateStatus | None,
    min_score: float | None,
    limit: int,
) -> list[DuplicateCandidate]:
    """Pairs of which the actor may read both records, best score first."""
    _check_object(object_name)
    require(actor, QUEUE_OBJECT, "read")
    require(actor, object_name, "read")
    model: Any = Contact if object_name == "contacts" else Account
    readable = scope_select(actor, model, select(model.id))
    statement = select(DuplicateCandidate).where(
        DuplicateCandidate.tenant_id == actor.tenant_id,
        DuplicateCandidate.object_name == object_name,
    )
    if status != "merged":
        # A merged pair's retired record is gone from every scope; the others need both.
        statement = statement.where(
            DuplicateCandidate.first_id.in_(readable), DuplicateCandidate.second_id.in_(readable)
        )
    if status is not None:
        statement = statement.where(DuplicateCandidate.status == status)
    if min_score is not None:
        statement = statement.where(DuplicateCandidate.score >= min_score)
    statement = statement.order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id)
    return list(session.scalars(statement.limit(max(1, min(limit, MAX_LIST)))))


def get_candidate(
    session: Session, actor: Actor, candidate_id: uuid.UUID, action: str = "read"
) -> DuplicateCandidate:
    require(actor, QUEUE_OBJECT, action)
    candidate = session.scalars(
        select(DuplicateCandidate).where(
            DuplicateCandidate.tenant_id == actor.tenant_id,
            DuplicateCandidate.id == candidate_id,
        )
    ).first()
    if candidate is None:
        raise NotFound("merge_candidate_not_found", id=str(candidate_id))
    return candidate


def reject_candidate(session: Session, actor: Actor, candidate_id: uuid.UUID) -> DuplicateCandidate:
    """Mark a pair as not a duplicate; scans never queue it again."""
    candidate = get_candidate(session, actor, candidate_id, "update")
    if candidate.status != "open":
        raise Conflict("merge_candidate_decided", id=str(candidate.id), status=candidate.status)
    # Deciding about a pair needs the right to change both of its records.
    editable_record(session, actor, candidate.object_name, candidate.first_id)
    editable_record(session, actor, candidate.object_name, candidate.second_id)
    candidate.status = "rejected"
    candidate.decided_by = actor.user_id
    candidate.decided_at = utc_now()
    session.flush()
    record_event(
        session,
        actor,
        "customers.duplicate_reject",
        object_name=QUEUE_OBJECT,
        record_id=candidate.id,
        details={
            "object": candidate.object_name,
            "first_id": str(candidate.first_id),
            "second_id": str(candidate.second_id),
        },
    )
    return candidate
