"""Finding and moving the rows that point at a record, for merge and unmerge.

Related rows are found from the foreign keys in the schema, so a table added
later (a new kind of activity, a consent ledger) moves with a merge without a
change here.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Column, Table, UniqueConstraint, and_, select, update
from sqlalchemy.orm import Session

from zhike.core.db import Base
from zhike.security.context import Actor

# The pointer from a merged-away record to its survivor is not a relation to move.
POINTER_COLUMN = "merged_into_id"


def related_columns(table: Table) -> list[tuple[Table, Column[Any]]]:
    """Find every foreign key column in the schema that points at ``table``'s rows."""
    found = []
    for other in Base.metadata.sorted_tables:
        if "tenant_id" not in other.c or "id" not in other.c:
            continue
        for key in other.foreign_keys:
            if key.column.table is table and key.parent.name != POINTER_COLUMN:
                found.append((other, key.parent))
    return found


def _unique_partners(table: Table, column: Column[Any]) -> list[list[Column[Any]]]:
    """For each unique rule that includes ``column``, its other columns."""
    groups: list[list[Column[Any]]] = []
    rules: list[list[Column[Any]]] = [
        list(getattr(constraint, "columns", []))
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    rules.extend(list(index.columns) for index in table.indexes if index.unique)
    for members in rules:
        if column.key in {member.key for member in members}:
            groups.append([member for member in members if member.key != column.key])
    return groups


def rows_to_move(
    session: Session,
    actor: Actor,
    table: Table,
    column: Column[Any],
    merged_id: uuid.UUID,
    survivor_id: uuid.UUID,
) -> list[uuid.UUID]:
    """Rows pointing at the retired record that can point at the survivor instead.

    A row whose move would break a unique rule (the survivor is already enrolled in
    the same journey) stays with the retired record, which keeps it intact.
    """
    base = select(table.c.id).where(table.c.tenant_id == actor.tenant_id, column == merged_id)
    if table is column.table and "id" in table.c:
        base = base.where(table.c.id != survivor_id)
    ids = list(session.scalars(base))
    partners = _unique_partners(table, column)
    if not partners or not ids:
        return ids
    movable = []
    for row_id in ids:
        row = session.execute(select(table).where(table.c.id == row_id)).one()
        clash = False
        for group in partners:
            condition = and_(
                column == survivor_id,
                *[member == getattr(row, member.key) for member in group],
            )
            if session.scalar(select(table.c.id).where(condition).limit(1)) is not None:
                clash = True
        if not clash:
            movable.append(row_id)
    return movable


def move_rows(
    session: Session, table: Table, column: Column[Any], ids: list[uuid.UUID], target: uuid.UUID
) -> None:
    values: dict[str, Any] = {column.key: target}
    if "updated_at" in table.c:
        # Keep the row's own change time: see the module docstring.
        values["updated_at"] = table.c.updated_at
    session.execute(update(table).where(table.c.id.in_(ids)).values(values))


def count_related(
    session: Session, actor: Actor, table: Table, record_id: uuid.UUID
) -> dict[str, int]:
    counts: dict[str, int] = {}
    for other, column in related_columns(table):
        found = len(
            list(
                session.scalars(
                    select(other.c.id).where(
                        other.c.tenant_id == actor.tenant_id, column == record_id
                    )
                )
            )
        )
        if found:
            counts[f"{other.name}.{column.key}"] = found
    return counts
