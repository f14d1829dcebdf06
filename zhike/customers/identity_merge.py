"""Global customer ids through a merge and its unmerge.

Merging two records makes them one customer: every record, link and identity of
the retired record's global customer moves to the survivor's, and the retired
customer is marked merged into it. The moved rows are listed in the merge record
(``RecordMerge.identity_changes``), so an unmerge moves exactly those back and
reactivates the customer. A row that moved on again since the merge stays where it is.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhike.customers.identity import (
    RecordRef,
    model_for,
    refresh_record,
    retire_customer,
    set_record_customer,
)
from zhike.customers.identity_keys import LINKED_OBJECTS
from zhike.customers.identity_models import CustomerIdentity, CustomerLink, GlobalCustomer
from zhike.customers.merge_models import RecordMerge
from zhike.security.context import Actor


def _record_customers(
    session: Session, tenant_id: uuid.UUID, object_name: str, ids: tuple[uuid.UUID, ...]
) -> dict[uuid.UUID, uuid.UUID | None]:
    table = model_for(object_name).__table__
    rows = session.execute(
        select(table.c.id, table.c.global_customer_id).where(
            table.c.tenant_id == tenant_id, table.c.id.in_(ids)
        )
    ).all()
    return {row.id: row.global_customer_id for row in rows}


def _move(
    session: Session, tenant_id: uuid.UUID, away: uuid.UUID, into: uuid.UUID
) -> dict[str, Any]:
    """Move everything of customer ``away`` to ``into``; return what moved, by id."""
    records: list[list[str]] = []
    for object_name in LINKED_OBJECTS:
        table = model_for(object_name).__table__
        ids = list(
            session.scalars(
                select(table.c.id).where(
                    table.c.tenant_id == tenant_id, table.c.global_customer_id == away
                )
            )
        )
        if ids:
            session.execute(
                update(table)
                .where(table.c.id.in_(ids))
                .values(global_customer_id=into, updated_at=table.c.updated_at)
            )
            records.extend([object_name, str(record_id)] for record_id in ids)
    moved: dict[str, Any] = {"from": str(away), "into": str(into), "records": records}
    for name, model in (("links", CustomerLink), ("identities", CustomerIdentity)):
        ids = list(
            session.scalars(
                select(model.id).where(
                    model.tenant_id == tenant_id, model.global_customer_id == away
                )
            )
        )
        if ids:
            session.execute(update(model).where(model.id.in_(ids)).values(global_customer_id=into))
        moved[name] = [str(row_id) for row_id in ids]
    retire_customer(session, away, into)
    return moved


def unify_on_merge(
    session: Session, actor: Actor, merge: RecordMerge, survivor: Any
) -> dict[str, Any]:
    """Give the merged pair one global customer: the survivor's, or the retired record's."""
    found = _record_customers(
        session, actor.tenant_id, merge.object_name, (merge.survivor_id, merge.merged_id)
    )
    into, away = found.get(merge.survivor_id), found.get(merge.merged_id)
    changes: dict[str, Any] = {}
    if away is not None and into is None:
        # A survivor never linked takes the retired record's customer.
        ref = RecordRef(merge.object_name, merge.survivor_id)
        set_record_customer(session, actor.tenant_id, ref, away)
        changes = {"survivor_linked": str(away)}
    elif away is not None and into is not None and away != into:
        changes = _move(session, actor.tenant_id, away, into)
    session.expire_all()
    refresh_record(session, actor, merge.object_name, session.get(type(survivor), survivor.id))
    return changes


def restore_on_unmerge(
    session: Session, actor: Actor, merge: RecordMerge, survivor_model: Any
) -> None:
    """Undo ``unify_on_merge`` with the ids it recorded, then refresh the survivor's identities."""
    changes = merge.identity_changes or {}
    tenant_id = actor.tenant_id
    if "survivor_linked" in changes:
        ref = RecordRef(merge.object_name, merge.survivor_id)
        set_record_customer(session, tenant_id, ref, None)
        _drop_link(session, tenant_id, ref)
    elif "from" in changes:
        away, into = uuid.UUID(changes["from"]), uuid.UUID(changes["into"])
        for object_name, record_id in changes.get("records", []):
            table = model_for(object_name).__table__
            session.execute(
                update(table)
                .where(
                    table.c.tenant_id == tenant_id,
                    table.c.id == uuid.UUID(record_id),
                    table.c.global_customer_id == into,
                )
                .values(global_customer_id=away, updated_at=table.c.updated_at)
            )
        for name, model in (("links", CustomerLink), ("identities", CustomerIdentity)):
            ids = [uuid.UUID(row_id) for row_id in changes.get(name, [])]
            if ids:
                session.execute(
                    update(model)
                    .where(
                        model.tenant_id == tenant_id,
                        model.id.in_(ids),
                        model.global_customer_id == into,
                    )
                    .values(global_customer_id=away)
                )
        customer = session.get(GlobalCustomer, away)
        if customer is not None:
            customer.status, customer.merged_into_id = "active", None
    session.flush()
    session.expire_all()
    survivor = session.get(survivor_model, merge.survivor_id)
    if survivor is not None:
        refresh_record(session, actor, merge.object_name, survivor)


def _drop_link(session: Session, tenant_id: uuid.UUID, ref: RecordRef) -> None:
    for model in (CustomerIdentity, CustomerLink):
        for row in session.scalars(
            select(model).where(
                model.tenant_id == tenant_id,
                model.object_name == ref.object_name,
                model.record_id == ref.record_id,
            )
        ):
            session.delete(row)
    session.flush()
