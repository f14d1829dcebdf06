"""Rebuilding and checking the opportunity rollup against the opportunities it counts.

The triggers (``rollup_triggers.py``) keep the rollup exact on their own. These
functions recompute it for a database that was loaded with the triggers off
(a restore, a manual copy). They also compare it with the opportunities, so
drift is noticed and repaired. Both are administration work of the system, not of a
user, so they take a session and an optional tenant id rather than an actor.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, insert, literal_column, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from zhike.analytics.rollup_models import OpportunityRollup
from zhike.analytics.rollup_triggers import bucket_key_sql, closed_month_sql
from zhike.core.db import Database
from zhike.sales.models import Opportunity
from zhike.security.models import Tenant
from zhike.security.tenancy import bind_tenant

logger = logging.getLogger(__name__)

# How many differing rows a check reports by key; the count covers all of them.
MAX_LISTED_DIFFERENCES = 20


@dataclass
class RollupCheck:
    """The outcome of comparing the rollup with the opportunities of one tenant or all."""

    expected_rows: int
    actual_rows: int
    differing_rows: int
    # (tenant id, bucket key) of the first differing rows.
    examples: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_consistent(self) -> bool:
        return self.differing_rows == 0


def _expected_rows(dialect: str, tenant_id: uuid.UUID | None) -> Select[Any]:
    """Build the grouping of the opportunities into rollup rows, in the table's column order."""
    source = Opportunity.__table__.c
    month: ColumnElement[Any] = literal_column(closed_month_sql(dialect, Opportunity.__tablename__))
    rows = select(
        source.tenant_id,
        source.owner_id,
        source.stage_id,
        source.currency,
        month.label("closed_month"),
        source.amount,
    ).where(source.deleted_at.is_(None))
    if tenant_id is not None:
        rows = rows.where(source.tenant_id == tenant_id)
    # Grouped outside, so the key is computed from grouped columns only (PostgreSQL requires it).
    opportunities = rows.subquery("o")
    grouped = opportunities.c
    return select(
        grouped.tenant_id,
        literal_column(bucket_key_sql(dialect, "o", "closed_month")),
        grouped.owner_id,
        grouped.stage_id,
        grouped.currency,
        grouped.closed_month,
        func.count(),
        func.count(grouped.amount),
        func.coalesce(func.sum(grouped.amount), 0),
    ).group_by(
        grouped.tenant_id,
        grouped.owner_id,
        grouped.stage_id,
        grouped.currency,
        grouped.closed_month,
    )


def rebuild_rollups(session: Session, tenant_id: uuid.UUID | None = None) -> int:
    """Recompute the rollup of one tenant (or of every tenant) and return its row count.

    On PostgreSQL the opportunities are locked in SHARE mode for the rest of the
    transaction: readers go on, writers wait, so no change can fall between the
    delete and the recount. SQLite has one writer at a time anyway.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("LOCK TABLE opportunities IN SHARE MODE"))
    removal = delete(OpportunityRollup)
    if tenant_id is not None:
        removal = removal.where(OpportunityRollup.tenant_id == tenant_id)
    session.execute(removal)
    columns = [column.name for column in OpportunityRollup.__table__.c]
    session.execute(
        insert(OpportunityRollup).from_select(columns, _expected_rows(dialect, tenant_id))
    )
    # Counted afterwards: psycopg returned -1 as the row count of this INSERT ... SELECT.
    counted = select(func.count()).select_from(OpportunityRollup)
    if tenant_id is not None:
        counted = counted.where(OpportunityRollup.tenant_id == tenant_id)
    count = int(session.scalar(counted) or 0)
    logger.info(
        "opportunity rollup rebuilt",
        extra={"tenant_id": str(tenant_id) if tenant_id else "all", "rows": count},
    )
    return count


def check_rollups(session: Session, tenant_id: uuid.UUID | None = None) -> RollupCheck:
    """Compare the rollup with a fresh grouping of the opportunities, row by row.

    NOTE: on PostgreSQL the two reads see different snapshots, so a write that
    commits between them shows as a difference. A rebuild then repairs nothing
    but is still exact.
    """
    dialect = session.get_bind().dialect.name
    expected = {
        (str(row[0]), row[1]): tuple(row[6:9])
        for row in session.execute(_expected_rows(dialect, tenant_id))
    }
    rollup = OpportunityRollup.__table__.c
    stored = select(
        rollup.tenant_id,
        rollup.bucket_key,
        rollup.record_count,
        rollup.amount_count,
        rollup.amount_sum,
    )
    if tenant_id is not None:
        stored = stored.where(rollup.tenant_id == tenant_id)
    actual = {(str(row[0]), row[1]): tuple(row[2:5]) for row in session.execute(stored)}
    differing = sorted(
        key for key in expected.keys() | actual.keys() if expected.get(key) != actual.get(key)
    )
    check = RollupCheck(
        expected_rows=len(expected),
        actual_rows=len(actual),
        differing_rows=len(differing),
        examples=differing[:MAX_LISTED_DIFFERENCES],
    )
    if not check.is_consistent:
        logger.warning(
            "opportunity rollup differs from the opportunities",
            extra={
                "tenant_id": str(tenant_id) if tenant_id else "all",
                "differing_rows": check.differing_rows,
            },
        )
    return check


def repair_rollups(database: Database) -> dict[str, int]:
    """Check every tenant's rollup and rebuild those that differ; return the counts of each."""
    with database.session() as session:
        tenant_ids = list(session.scalars(select(Tenant.id).order_by(Tenant.id)))
    checked = rebuilt = 0
    for tenant_id in tenant_ids:
        try:
            with database.session() as session:
                bind_tenant(session, tenant_id)
                if not check_rollups(session, tenant_id).is_consistent:
                    rebuild_rollups(session, tenant_id)
                    rebuilt += 1
            checked += 1
        except SQLAlchemyError:
            # One tenant's failure must not stop the others, and the next run retries it.
            logger.exception("opportunity rollup check failed", extra={"tenant_id": str(tenant_id)})
    return {"tenants_checked": checked, "tenants_rebuilt": rebuilt}
