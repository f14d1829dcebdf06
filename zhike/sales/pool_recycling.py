"""The recycling run: refresh the follow-up clocks, return neglected records, warn owners.

Everything here is set-based, so a run costs a fixed number of statements per
pool whatever the number of entries, and no entry passes through Python:
1. follow-up and progress times are refreshed from activities, lead statuses
   and opportunity stage history with correlated UPDATEs;
2. records of converted or deleted leads stop being tracked;
3. records whose owner was deactivated, or whose follow-up or progress is
   older than the pool allows, go back to the pool, each with its reason;
4. records that will return within ``warn_days_before`` get a ``warn`` event
   each, and their owners one in-app notification per pool listing how many.

Every claim, return, warning and close leaves one ``sales_pool_events`` row
with its reason, written by ``INSERT ... SELECT`` (see ``pool_bulk``).

Lead progress is a rise in status rank and is timed by the run that sees it,
because leads keep no status history; account progress uses the exact time
of the latest stage change of the account's opportunities.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, case, exists, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now
from zhike.sales.models import Activity, Lead, Opportunity, OpportunityStageChange
from zhike.sales.pool_bulk import insert_events_from_entries
from zhike.sales.pool_models import PoolEntry, SalesPool
from zhike.sales.pool_schemas import RecycleReport
from zhike.sales.pools import POOLED_OBJECTS, lead_status_rank
from zhike.sales.process_models import Notification
from zhike.security.context import Actor
from zhike.security.models import User

logger = logging.getLogger(__name__)


def _table(model: Any) -> Table:
    """Return the model's Core table; bulk statements on it skip the ORM's bookkeeping."""
    return cast(Table, model.__table__)


NOTIFICATION_KIND = "pool_return_warning"

# Page cache of a recycling run on SQLite, in KiB (256 MiB). SQLite's default of 2 MiB
# is far smaller than the pages that a run over a large pool dirties, so SQLite keeps
# writing dirty pages to the WAL file before the commit and reading them back. The
# memory is taken only as pages are read, and the connection gets its previous size
# back when the run ends. See docs/benchmarks.md for the time and memory at 1,000,000
# entries.
SQLITE_RECYCLING_CACHE_KIB = 262_144


@contextmanager
def _sqlite_page_cache(session: Session, kibibytes: int) -> Iterator[None]:
    """Give the session's SQLite connection a larger page cache for the duration of a run."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{int(kibibytes)}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(previous or 0)}")


def recycle(
    session: Session,
    actor: Actor,
    now: datetime | None = None,
    pool_id: uuid.UUID | None = None,
) -> RecycleReport:
    """Run the return rules of every active pool of the actor's tenant (or of one pool)."""
    now = now or utc_now()
    report = RecycleReport()
    statement = select(SalesPool).where(
        SalesPool.tenant_id == actor.tenant_id,
        SalesPool.is_active.is_(True),
        SalesPool.deleted_at.is_(None),
    )
    if pool_id is not None:
        statement = statement.where(SalesPool.id == pool_id)
    with _sqlite_page_cache(session, SQLITE_RECYCLING_CACHE_KIB):
        for pool in session.scalars(statement.order_by(SalesPool.name)).all():
            counts = _recycle_pool(session, actor, pool, now, report)
            report.pools += 1
            record_event(
                session,
                actor,
                "pool.recycle",
                object_name="sales_pools",
                record_id=pool.id,
                details={"now": now.isoformat(), **counts},
            )
    logger.info(
        "pool recycling done", extra={"tenant_id": str(actor.tenant_id), **report.model_dump()}
    )
    return report


def _claimed(pool: SalesPool) -> Any:
    return and_(
        PoolEntry.tenant_id == pool.tenant_id,
        PoolEntry.pool_id == pool.id,
        PoolEntry.state == "claimed",
    )


def _recycle_pool(
    session: Session, actor: Actor, pool: SalesPool, now: datetime, report: RecycleReport
) -> dict[str, int]:
    counts: dict[str, int] = {}
    counts["followups_refreshed"] = _refresh_followups(session, pool, now)
    counts["progress_refreshed"] = _refresh_progress(session, pool, now)
    counts["closed"] = _close_finished(session, actor, pool, now)
    departed = select(User.id).where(
        User.tenant_id == pool.tenant_id,
        or_(User.is_active.is_(False), User.deleted_at.is_not(None)),
    )
    counts["returned_owner_left"] = return_entries(
        session, actor, pool, now, PoolEntry.owner_id.in_(departed), "owner_left"
    )
    if pool.return_after_days_without_activity:
        cutoff = now - timedelta(days=pool.return_after_days_without_activity)
        counts["returned_without_activity"] = return_entries(
            session, actor, pool, now, PoolEntry.followup_at < cutoff, "no_followup"
        )
    if pool.return_after_days_without_progress:
        cutoff = now - timedelta(days=pool.return_after_days_without_progress)
        counts["returned_without_progress"] = return_entries(
            session, actor, pool, now, PoolEntry.progress_at < cutoff, "no_progress"
        )
    counts["warned"], counts["owners_notified"] = _warn(session, actor, pool, now)
    for name, value in counts.items():
        setattr(report, name, getattr(report, name) + value)
    return counts


def _refresh_followups(session: Session, pool: SalesPool, now: datetime) -> int:
    """Move ``followup_at`` to the latest done activity on the record, when it is newer."""
    link = Activity.lead_id if pool.object_name == "leads" else Activity.account_id
    done = and_(
        link == PoolEntry.record_id,
        Activity.tenant_id == pool.tenant_id,
        Activity.deleted_at.is_(None),
        Activity.status == "done",
        Activity.occurred_at <= now,
    )
    latest = select(func.max(Activity.occurred_at)).where(done).scalar_subquery()
    newer = exists().where(done, Activity.occurred_at > PoolEntry.followup_at)
    result = session.connection().execute(
        update(_table(PoolEntry))
        .where(_claimed(pool), newer)
        .values(followup_at=latest, warned_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


def _refresh_progress(session: Session, pool: SalesPool, now: datetime) -> int:
    if pool.object_name == "leads":
        rank = (
            select(lead_status_rank(Lead.status))
            .where(Lead.id == PoolEntry.record_id)
            .scalar_subquery()
        )
        result = session.connection().execute(
            update(_table(PoolEntry))
            .where(_claimed(pool), rank > PoolEntry.progress_rank)
            .values(progress_rank=rank, progress_at=now, warned_at=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)
    changed = and_(
        OpportunityStageChange.opportunity_id == Opportunity.id,
        Opportunity.account_id == PoolEntry.record_id,
        Opportunity.tenant_id == pool.tenant_id,
        OpportunityStageChange.changed_at <= now,
    )
    latest = (
        select(func.max(OpportunityStageChange.changed_at))
        .select_from(OpportunityStageChange)
        .join(Opportunity, OpportunityStageChange.opportunity_id == Opportunity.id)
        .where(changed)
        .scalar_subquery()
    )
    newer = (
        select(OpportunityStageChange.id)
        .join(Opportunity, OpportunityStageChange.opportunity_id == Opportunity.id)
        .where(changed, OpportunityStageChange.changed_at > PoolEntry.progress_at)
        .exists()
    )
    result = session.connection().execute(
        update(_table(PoolEntry))
        .where(_claimed(pool), newer)
        .values(progress_at=latest, warned_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


def _close_finished(session: Session, actor: Actor, pool: SalesPool, now: datetime) -> int:
    """Stop tracking converted or deleted leads and deleted accounts, with one event each."""
    model = POOLED_OBJECTS[pool.object_name].model
    finished = model.deleted_at.is_not(None)
    if pool.object_name == "leads":
        finished = or_(finished, Lead.status == "converted")
    gone = select(model.id).where(model.tenant_id == pool.tenant_id, finished)
    open_and_gone = and_(
        PoolEntry.tenant_id == pool.tenant_id,
        PoolEntry.pool_id == pool.id,
        PoolEntry.state.in_(("pooled", "claimed")),
        PoolEntry.record_id.in_(gone),
    )
    connection = session.connection()
    insert_events_from_entries(
        connection,
        actor,
        pool_id=pool.id,
        object_name=pool.object_name,
        action="close",
        reason="finished",
        user_column=PoolEntry.owner_id,
        condition=open_and_gone,
        now=now,
    )
    closed = connection.execute(
        update(_table(PoolEntry))
        .where(open_and_gone)
        .values(state="closed")
        .execution_options(synchronize_session=False)
    ).rowcount
    return int(closed)


def return_entries(
    session: Session, actor: Actor, pool: SalesPool, now: datetime, condition: Any, reason: str
) -> int:
    """Return every claimed entry matching ``condition`` to the pool in three statements.

    The event rows are written first, while the entries still name their owner,
    then the records lose their owner, then the entries go back to the pool.
    ``condition`` reads only entry and user columns, which the first two
    statements leave alone, so all three select the same entries.
    """
    model = POOLED_OBJECTS[pool.object_name].model
    due = and_(_claimed(pool), condition)
    connection = session.connection()
    insert_events_from_entries(
        connection,
        actor,
        pool_id=pool.id,
        object_name=pool.object_name,
        action="return",
        reason=reason,
        user_column=PoolEntry.owner_id,
        condition=due,
        now=now,
    )
    connection.execute(
        update(_table(model))
        .where(
            model.tenant_id == pool.tenant_id,
            model.id.in_(select(PoolEntry.record_id).where(due)),
        )
        .values(owner_id=None, updated_at=now, version=model.version + 1)
        .execution_options(synchronize_session=False)
    )
    returned = connection.execute(
        update(_table(PoolEntry))
        .where(due)
        .values(
            state="pooled",
            last_owner_id=PoolEntry.owner_id,
            owner_id=None,
            entered_at=now,
            claimed_at=None,
            warned_at=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    return int(returned)


def _warn(session: Session, actor: Actor, pool: SalesPool, now: datetime) -> tuple[int, int]:
    """Mark entries that will return within the warning window, with one ``warn`` event each.

    Each owner gets one notification per run and pool. The event's reason names
    the rule that will return the record: ``no_followup`` when the follow-up
    clock is the one running out, else ``no_progress``.
    """
    windows: list[Any] = []
    for days, column in (
        (pool.return_after_days_without_activity, PoolEntry.followup_at),
        (pool.return_after_days_without_progress, PoolEntry.progress_at),
    ):
        if days:
            lead_days = max(0, days - pool.warn_days_before)
            windows.append(column < now - timedelta(days=lead_days))
        else:
            windows.append(None)
    active = [window for window in windows if window is not None]
    if not active or pool.warn_days_before <= 0:
        return 0, 0
    connection = session.connection()
    result = connection.execute(
        update(_table(PoolEntry))
        .where(_claimed(pool), PoolEntry.warned_at.is_(None), or_(*active))
        .values(warned_at=now)
        .execution_options(synchronize_session=False)
    )
    warned = int(result.rowcount)
    if not warned:
        return 0, 0
    followup_window = windows[0]
    reason = (
        case((followup_window, literal("no_followup")), else_=literal("no_progress"))
        if followup_window is not None
        else "no_progress"
    )
    insert_events_from_entries(
        connection,
        actor,
        pool_id=pool.id,
        object_name=pool.object_name,
        action="warn",
        reason=reason,
        user_column=PoolEntry.owner_id,
        condition=and_(_claimed(pool), PoolEntry.warned_at == now),
        now=now,
    )
    per_owner = session.execute(
        select(
            PoolEntry.owner_id,
            func.count(),
            func.min(PoolEntry.followup_at),
            func.min(PoolEntry.progress_at),
        )
        .where(_claimed(pool), PoolEntry.warned_at == now, PoolEntry.owner_id.is_not(None))
        .group_by(PoolEntry.owner_id)
    ).all()
    notifications = []
    for owner_id, count, oldest_followup, oldest_progress in per_owner:
        due = _earliest_due(pool, oldest_followup, oldest_progress)
        notifications.append(
            {
                "id": new_id(),
                "tenant_id": pool.tenant_id,
                "user_id": owner_id,
                "kind": NOTIFICATION_KIND,
                "params": {
                    "pool": pool.name,
                    "pool_id": str(pool.id),
                    "count": int(count),
                    "due_at": due.isoformat() if due else None,
                },
                "object_name": "sales_pools",
                "record_id": pool.id,
                "dedup_key": f"pool-warn:{pool.id}:{owner_id}:{now.isoformat()}",
                "created_at": now,
            }
        )
    if notifications:
        session.execute(insert(_table(Notification)), notifications)
    return warned, len(notifications)


def _earliest_due(
    pool: SalesPool, followup: datetime | None, progress: datetime | None
) -> datetime | None:
    moments = []
    if pool.return_after_days_without_activity and followup is not None:
        moments.append(followup + timedelta(days=pool.return_after_days_without_activity))
    if pool.return_after_days_without_progress and progress is not None:
        moments.append(progress + timedelta(days=pool.return_after_days_without_progress))
    return min(moments) if moments else None
