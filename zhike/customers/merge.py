"""Merging two contacts or two accounts into one, and undoing it.

The survivor takes the chosen values through the record service (field rights,
normalizers and the record.update audit apply). The retired record is only
soft-deleted with ``merged_into_id``, so its columns stay as they were and an
unmerge gets them back untouched. Related rows (activities, opportunities,
tickets, campaign members, consents, contacts of an account) are found from the
foreign keys in the schema and moved to the survivor. The merge record lists
each moved row. Moving a row is bookkeeping of the merge, not an edit of the
row, so its version and updated_at stay. The merge's audit event counts the
moved rows.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.db import Base
from zhike.core.errors import Conflict, InvalidInput, NotFound
from zhike.core.timeutil import utc_now
from zhike.customers.duplicates import (
    QUEUE_OBJECT,
    editable_record,
    get_candidate,
    ordered_pair,
)
from zhike.customers.identity import linking_paused
from zhike.customers.identity_merge import restore_on_unmerge, unify_on_merge
from zhike.customers.merge_models import DuplicateCandidate, RecordMerge
from zhike.customers.merge_schemas import FieldDecision, MergeOptions, MergePreview
from zhike.customers.relinking import count_related, move_rows, related_columns, rows_to_move
from zhike.customers.survivorship import decode, encode, plan_fields
from zhike.platform.objects import ObjectSpec, get_object
from zhike.platform.records import RecordService
from zhike.security.access import record_condition, require
from zhike.security.context import Actor
from zhike.security.encryption import EncryptedString

logger = logging.getLogger(__name__)


def _spec(object_name: str) -> ObjectSpec:
    if object_name not in ("contacts", "accounts"):
        raise InvalidInput("merge_unknown_object", object=object_name)
    return get_object(object_name)


def _table(spec: ObjectSpec) -> Table:
    table: Any = spec.model.__table__
    return table  # type: ignore[no-any-return]  # every CRM model maps one Table


def _row_snapshot(table: Table, record: Any) -> dict[str, Any]:
    return {
        column.key: encode(getattr(record, column.key))
        for column in table.c
        if not isinstance(column.type, EncryptedString)
    }


def _pair(
    session: Session, actor: Actor, spec: ObjectSpec, survivor_id: uuid.UUID, merged_id: uuid.UUID
) -> tuple[Any, Any]:
    require(actor, QUEUE_OBJECT, "update")
    if survivor_id == merged_id:
        raise InvalidInput("merge_same_record", id=str(survivor_id))
    survivor = editable_record(session, actor, spec.name, survivor_id)
    merged = editable_record(session, actor, spec.name, merged_id)
    return survivor, merged


def preview_merge(
    session: Session,
    actor: Actor,
    object_name: str,
    survivor_id: uuid.UUID,
    merged_id: uuid.UUID,
    options: MergeOptions,
) -> MergePreview:
    """Show each mergeable field's two values, which one survives and why, changing nothing."""
    spec = _spec(object_name)
    survivor, merged = _pair(session, actor, spec, survivor_id, merged_id)
    plan = plan_fields(actor, spec, survivor, merged, options)
    service = RecordService(session, actor, spec)
    shown_survivor, shown_merged = service.present(survivor), service.present(merged)
    fields = [
        FieldDecision(
            field=name,
            survivor_value=shown_survivor.get(name),
            merged_value=shown_merged.get(name),
            chosen=decision.chosen,
            rule=decision.rule,
            reason=decision.reason,
        )
        for name, decision in plan.items()
    ]
    return MergePreview(
        object_name=object_name,
        survivor_id=survivor_id,
        merged_id=merged_id,
        fields=fields,
        related_rows=count_related(session, actor, _table(spec), merged_id),
    )


def merge_records(
    session: Session,
    actor: Actor,
    object_name: str,
    survivor_id: uuid.UUID,
    merged_id: uuid.UUID,
    options: MergeOptions,
    candidate: DuplicateCandidate | None = None,
) -> RecordMerge:
    """Merge ``merged_id`` into ``survivor_id`` and keep all that an unmerge needs."""
    spec = _spec(object_name)
    table = _table(spec)
    survivor, merged = _pair(session, actor, spec, survivor_id, merged_id)
    plan = plan_fields(actor, spec, survivor, merged, options)
    merged_snapshot = _row_snapshot(table, merged)
    values_from_merged = {
        name: getattr(merged, name)
        for name, decision in plan.items()
        if decision.chosen == "merged"
        and encode(getattr(merged, name)) != encode(getattr(survivor, name))
    }
    survivor_before = {name: encode(getattr(survivor, name)) for name in values_from_merged}
    service = RecordService(session, actor, spec)
    if values_from_merged:
        # The merge unifies the pair's global customers itself, once the pair is final.
        with linking_paused(actor):
            service.update(survivor_id, values_from_merged, None)
    survivor_after = {name: encode(getattr(survivor, name)) for name in values_from_merged}

    repointed: list[dict[str, Any]] = []
    for other, column in related_columns(table):
        ids = rows_to_move(session, actor, other, column, merged_id, survivor_id)
        if ids:
            move_rows(session, other, column, ids, survivor_id)
            repointed.extend(
                {"table": other.name, "column": column.key, "row_id": str(row_id)} for row_id in ids
            )
    retired = session.execute(
        update(table)
        .where(table.c.id == merged_id, table.c.deleted_at.is_(None))
        .values(
            deleted_at=utc_now(),
            merged_into_id=survivor_id,
            updated_at=table.c.updated_at,
        )
    )
    if int(getattr(retired, "rowcount", 0) or 0) != 1:
        # Another request deleted or merged the record since it was read; roll back.
        raise Conflict("merge_record_changed", id=str(merged_id))
    merge = RecordMerge(
        tenant_id=actor.tenant_id,
        object_name=object_name,
        survivor_id=survivor_id,
        merged_id=merged_id,
        candidate_id=candidate.id if candidate is not None else None,
        survivor_before=survivor_before,
        survivor_after=survivor_after,
        merged_snapshot=merged_snapshot,
        field_choices={
            name: {"chosen": decision.chosen, "rule": decision.rule, "reason": decision.reason}
            for name, decision in plan.items()
        },
        repointed=repointed,
        merged_by=actor.user_id,
    )
    session.add(merge)
    session.flush()
    merge.identity_changes = unify_on_merge(session, actor, merge, survivor)
    session.flush()
    _close_candidate(session, actor, object_name, survivor_id, merged_id, merge, candidate)
    session.expire_all()
    details = {
        "merge_id": str(merge.id),
        "survivor_id": str(survivor_id),
        "merged_id": str(merged_id),
        "fields_taken": sorted(values_from_merged),
        "repointed_rows": len(repointed),
    }
    record_event(
        session,
        actor,
        "customers.merge",
        object_name=object_name,
        record_id=survivor_id,
        details=details,
    )
    record_event(
        session,
        actor,
        "customers.merged_away",
        object_name=object_name,
        record_id=merged_id,
        details=details,
    )
    logger.info("records merged", extra={"object": object_name, "merge_id": str(merge.id)})
    return merge


def _close_candidate(
    session: Session,
    actor: Actor,
    object_name: str,
    survivor_id: uuid.UUID,
    merged_id: uuid.UUID,
    merge: RecordMerge,
    candidate: DuplicateCandidate | None,
) -> None:
    if candidate is None:
        first_id, second_id = ordered_pair(survivor_id, merged_id)
        candidate = session.scalars(
            select(DuplicateCandidate).where(
                DuplicateCandidate.tenant_id == actor.tenant_id,
                DuplicateCandidate.object_name == object_name,
                DuplicateCandidate.first_id == first_id,
                DuplicateCandidate.second_id == second_id,
            )
        ).first()
        if candidate is None:
            return
    candidate.status = "merged"
    candidate.merge_id = merge.id
    candidate.decided_by = actor.user_id
    candidate.decided_at = utc_now()
    session.flush()


def accept_candidate(
    session: Session,
    actor: Actor,
    candidate_id: uuid.UUID,
    survivor_id: uuid.UUID | None,
    options: MergeOptions,
) -> RecordMerge:
    """Merge the pair of an open candidate; the older record survives unless one is named."""
    candidate = get_candidate(session, actor, candidate_id, "update")
    if candidate.status != "open":
        raise Conflict("merge_candidate_decided", id=str(candidate.id), status=candidate.status)
    pair = (candidate.first_id, candidate.second_id)
    if survivor_id is None:
        # Ids are time-ordered, so the smaller one is the record created first.
        survivor_id = pair[0]
    if survivor_id not in pair:
        raise InvalidInput("merge_survivor_not_in_pair", id=str(survivor_id))
    merged_id = pair[1] if survivor_id == pair[0] else pair[0]
    return merge_records(
        session, actor, candidate.object_name, survivor_id, merged_id, options, candidate
    )


def get_merge(session: Session, actor: Actor, merge_id: uuid.UUID) -> RecordMerge:
    require(actor, QUEUE_OBJECT, "read")
    merge = session.scalars(
        select(RecordMerge).where(
            RecordMerge.tenant_id == actor.tenant_id, RecordMerge.id == merge_id
        )
    ).first()
    if merge is None:
        raise NotFound("merge_not_found", id=str(merge_id))
    require(actor, merge.object_name, "read")
    return merge


def _retired_record(session: Session, actor: Actor, spec: ObjectSpec, merge: RecordMerge) -> None:
    """Check the actor may change the retired record, which no scoped read returns any more."""
    table = _table(spec)
    grant = require(actor, spec.name, "update")
    found = session.scalar(
        select(table.c.id).where(
            table.c.tenant_id == actor.tenant_id,
            table.c.id == merge.merged_id,
            table.c.merged_into_id == merge.survivor_id,
            record_condition(actor, spec.name, spec.model, grant, "update"),
        )
    )
    if found is None:
        raise NotFound("record_not_found", object=spec.name, id=str(merge.merged_id))


def unmerge(
    session: Session, actor: Actor, merge_id: uuid.UUID
) -> tuple[RecordMerge, list[str], list[str], int]:
    """Bring the retired record and its related rows back and undo the survivor's changes.

    A survivor field edited after the merge keeps its newer value; every other field
    the merge filled returns to what the survivor held before. Returns the merge, the
    restored fields, the fields whose later edit was kept_edits and the rows moved back.
    """
    require(actor, QUEUE_OBJECT, "update")
    merge = get_merge(session, actor, merge_id)
    if merge.unmerged_at is not None:
        raise Conflict("merge_already_undone", id=str(merge.id))
    spec = _spec(merge.object_name)
    table = _table(spec)
    survivor = editable_record(session, actor, spec.name, merge.survivor_id)
    _retired_record(session, actor, spec, merge)

    restore: dict[str, Any] = {}
    kept_edits: list[str] = []
    for name, before in merge.survivor_before.items():
        if encode(getattr(survivor, name)) == merge.survivor_after.get(name):
            restore[name] = decode(table.c[name], before)
        else:
            kept_edits.append(name)
    if restore:
        with linking_paused(actor):
            RecordService(session, actor, spec).update(merge.survivor_id, restore, None)

    session.execute(
        update(table)
        .where(table.c.id == merge.merged_id)
        .values(deleted_at=None, merged_into_id=None, updated_at=table.c.updated_at)
    )
    tables = {other.name: other for other in Base.metadata.sorted_tables}
    restored_rows = 0
    for entry in merge.repointed:
        other = tables[entry["table"]]
        column = other.c[entry["column"]]
        values: dict[str, Any] = {column.key: merge.merged_id}
        if "updated_at" in other.c:
            values["updated_at"] = other.c.updated_at
        # A row moved on again since (re-pointed by hand) stays where it is now.
        result = session.execute(
            update(other)
            .where(
                other.c.id == uuid.UUID(entry["row_id"]),
                other.c.tenant_id == actor.tenant_id,
                column == merge.survivor_id,
            )
            .values(values)
        )
        restored_rows += int(getattr(result, "rowcount", 0) or 0)

    restore_on_unmerge(session, actor, merge, spec.model)
    merge.unmerged_at = utc_now()
    merge.unmerged_by = actor.user_id
    if merge.candidate_id is not None:
        candidate = session.get(DuplicateCandidate, merge.candidate_id)
        if candidate is not None and candidate.tenant_id == actor.tenant_id:
            # The pair is undecided again: it goes back to the queue for a new decision.
            candidate.status, candidate.merge_id = "open", None
            candidate.decided_by, candidate.decided_at = None, None
    session.flush()
    session.expire_all()
    details = {
        "merge_id": str(merge.id),
        "survivor_id": str(merge.survivor_id),
        "merged_id": str(merge.merged_id),
        "restored_fields": sorted(restore),
        "kept_later_edits": sorted(kept_edits),
        "restored_rows": restored_rows,
    }
    for record_id in (merge.survivor_id, merge.merged_id):
        record_event(
            session,
            actor,
            "customers.unmerge",
            object_name=spec.name,
            record_id=record_id,
            details=details,
        )
    logger.info("merge undone", extra={"object": spec.name, "merge_id": str(merge.id)})
    return merge, sorted(restore), sorted(kept_edits), restored_rows
