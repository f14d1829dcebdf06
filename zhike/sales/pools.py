"""Public pools (公海): configuration, claims, releases and what a pool shows.

A lead or account in a pool has no owner, so the data scope of a rep's role
does not reach it. The pool view is the one way to see it, and it presents
rows through field-level security, so contact details stay masked. Claiming
makes the rep the owner, after which the ordinary record views and the
audited reveal apply. Every claim, release and return is a row in
``sales_pool_events`` with its reason, and an audit event.

Functions take ``now`` so that tests and the recycling job run the rules on a
controlled clock; it defaults to the current time.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, inspect, select, update
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhike.core.ids import new_id
from zhike.core.timeutil import ensure_utc, load_zone, utc_now
from zhike.customers.models import Account
from zhike.customers.schemas import AccountRead
from zhike.platform.query import decode_cursor_for, encode_cursor
from zhike.sales.models import Lead
from zhike.sales.pool_models import PoolEntry, PoolEvent, SalesPool
from zhike.sales.pool_schemas import PoolWrite
from zhike.sales.schemas import LeadRead
from zhike.security.access import require, scope_select
from zhike.security.context import Actor
from zhike.security.fields import present_many

logger = logging.getLogger(__name__)

POOL_OBJECT = "sales_pools"
# Lead statuses in the order they progress; a higher rank later is progress.
LEAD_STATUS_RANK = {"new": 0, "working": 1, "qualified": 2, "converted": 3}
MAX_PAGE = 200


@dataclass(frozen=True)
class PooledObject:
    name: str
    model: Any
    read_schema: Any


POOLED_OBJECTS = {
    "leads": PooledObject("leads", Lead, LeadRead),
    "accounts": PooledObject("accounts", Account, AccountRead),
}


def lead_status_rank(column: Any) -> Any:
    """SQL expression of a lead status's rank (disqualified and unknown count as new)."""
    return case(*((column == status, rank) for status, rank in LEAD_STATUS_RANK.items()), else_=0)


def pooled_object(name: str) -> PooledObject:
    try:
        return POOLED_OBJECTS[name]
    except KeyError:
        raise InvalidInput("pool_unknown_object", object=name) from None


# --- configuration -------------------------------------------------------------------


def _pool_values(data: PoolWrite) -> dict[str, Any]:
    values = data.model_dump()
    values["product_ids"] = [str(value) for value in data.product_ids]
    values["member_team_ids"] = [str(value) for value in data.member_team_ids]
    values["provinces"] = sorted({text.strip() for text in data.provinces if text.strip()})
    return values


def _check_unique_name(
    session: Session, actor: Actor, name: str, pool_id: uuid.UUID | None
) -> None:
    statement = select(SalesPool.id).where(
        SalesPool.tenant_id == actor.tenant_id, SalesPool.name == name
    )
    existing = session.scalar(statement)
    if existing is not None and existing != pool_id:
        raise Conflict("pool_name_exists", name=name)


def _clear_other_defaults(session: Session, actor: Actor, pool: SalesPool) -> None:
    if pool.is_default:
        session.execute(
            update(SalesPool)
            .where(
                SalesPool.tenant_id == actor.tenant_id,
                SalesPool.object_name == pool.object_name,
                SalesPool.id != pool.id,
                SalesPool.is_default.is_(True),
            )
            .values(is_default=False, version=SalesPool.version + 1)
            .execution_options(synchronize_session=False)
        )


def create_pool(session: Session, actor: Actor, data: PoolWrite) -> SalesPool:
    require(actor, POOL_OBJECT, "create")
    values = _pool_values(data)
    _check_unique_name(session, actor, data.name, None)
    pool = SalesPool(tenant_id=actor.tenant_id, **values)
    session.add(pool)
    session.flush()
    _clear_other_defaults(session, actor, pool)
    record_event(
        session,
        actor,
        "config.change",
        object_name=POOL_OBJECT,
        record_id=pool.id,
        details={"created": values | {"id": str(pool.id)}},
    )
    return pool


def update_pool(
    session: Session, actor: Actor, pool_id: uuid.UUID, data: PoolWrite, expected: int | None
) -> SalesPool:
    require(actor, POOL_OBJECT, "update")
    pool = get_pool(session, actor, pool_id)
    if expected is not None and pool.version != expected:
        raise Conflict("version_mismatch", expected=expected, current=pool.version)
    values = _pool_values(data)
    if values["object_name"] != pool.object_name and _entry_count(session, pool) > 0:
        raise Conflict("pool_object_in_use", name=pool.name)
    _check_unique_name(session, actor, data.name, pool.id)
    before = {name: getattr(pool, name) for name in values}
    for name, value in values.items():
        setattr(pool, name, value)
    session.flush()
    _clear_other_defaults(session, actor, pool)
    changes = {
        name: [before[name], values[name]] for name in values if before[name] != values[name]
    }
    record_event(
        session, actor, "config.change", object_name=POOL_OBJECT, record_id=pool.id, changes=changes
    )
    return pool


def _entry_count(session: Session, pool: SalesPool) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(PoolEntry).where(PoolEntry.pool_id == pool.id)
        )
        or 0
    )


def get_pool(session: Session, actor: Actor, pool_id: uuid.UUID) -> SalesPool:
    require(actor, POOL_OBJECT, "read")
    pool = session.scalar(
        scope_select(actor, SalesPool, select(SalesPool)).where(SalesPool.id == pool_id)
    )
    if pool is None:
        raise NotFound("pool_not_found", id=str(pool_id))
    return pool


def list_pools(session: Session, actor: Actor) -> list[tuple[SalesPool, int, int]]:
    """Return each pool with its pooled and claimed counts, in name order."""
    require(actor, POOL_OBJECT, "read")
    pools = list(
        session.scalars(scope_select(actor, SalesPool, select(SalesPool)).order_by(SalesPool.name))
    )
    counts: dict[tuple[uuid.UUID, str], int] = {
        (pool_id, state): count
        for pool_id, state, count in session.execute(
            select(PoolEntry.pool_id, PoolEntry.state, func.count())
            .where(PoolEntry.tenant_id == actor.tenant_id)
            .group_by(PoolEntry.pool_id, PoolEntry.state)
        )
    }
    return [
        (pool, counts.get((pool.id, "pooled"), 0), counts.get((pool.id, "claimed"), 0))
        for pool in pools
    ]


def pool_for(
    session: Session,
    tenant_id: uuid.UUID,
    object_name: str,
    province: str | None,
    product_id: uuid.UUID | None,
) -> SalesPool | None:
    """Pick the pool a record belongs to: region and product match first, then the default."""
    pools = list(
        session.scalars(
            select(SalesPool)
            .where(
                SalesPool.tenant_id == tenant_id,
                SalesPool.object_name == object_name,
                SalesPool.is_active.is_(True),
                SalesPool.deleted_at.is_(None),
            )
            .order_by(SalesPool.name)
        )
    )
    return choose_pool(pools, province, product_id)


def choose_pool(
    pools: list[SalesPool], province: str | None, product_id: uuid.UUID | None
) -> SalesPool | None:
    def fits(pool: SalesPool) -> bool:
        if pool.provinces and province not in pool.provinces:
            return False
        return not (pool.product_ids and str(product_id) not in pool.product_ids)

    specific = [pool for pool in pools if (pool.provinces or pool.product_ids) and fits(pool)]
    if specific:
        # The pool with more conditions is the narrower one, so it wins.
        return max(specific, key=lambda pool: bool(pool.provinces) + bool(pool.product_ids))
    return next((pool for pool in pools if pool.is_default), None)


# --- membership and limits -------------------------------------------------------------


def _require_member(actor: Actor, pool: SalesPool) -> None:
    if not pool.is_active or pool.deleted_at is not None:
        raise Conflict("pool_inactive", name=pool.name)
    if not pool.member_team_ids:
        return
    teams = {str(team) for team in (*actor.team_path, actor.team_id) if team is not None}
    if teams & set(pool.member_team_ids):
        return
    grant = actor.grants.grant(POOL_OBJECT)
    if grant is not None and "update" in grant.actions:
        return
    raise Forbidden("pool_not_member", name=pool.name)


def local_day_start(now: datetime, zone: str) -> datetime:
    local = ensure_utc(now).astimezone(load_zone(zone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(
        ensure_utc(now).tzinfo
    )


def claims_today(
    session: Session, actor: Actor, pool: SalesPool, user_id: uuid.UUID, now: datetime
) -> int:
    start = local_day_start(now, actor.timezone)
    return int(
        session.scalar(
            select(func.count())
            .select_from(PoolEvent)
            .where(
                PoolEvent.tenant_id == actor.tenant_id,
                PoolEvent.pool_id == pool.id,
                PoolEvent.action == "claim",
                PoolEvent.user_id == user_id,
                PoolEvent.occurred_at >= start,
                PoolEvent.occurred_at <= now,
            )
        )
        or 0
    )


def owned_in_pool(session: Session, pool: SalesPool, user_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(PoolEntry)
            .where(
                PoolEntry.tenant_id == pool.tenant_id,
                PoolEntry.pool_id == pool.id,
                PoolEntry.owner_id == user_id,
                PoolEntry.state == "claimed",
            )
        )
        or 0
    )


def _check_limits(
    session: Session, actor: Actor, pool: SalesPool, user_id: uuid.UUID, now: datetime
) -> None:
    if pool.max_owned_per_user is not None:
        owned = owned_in_pool(session, pool, user_id)
        if owned >= pool.max_owned_per_user:
            raise Conflict("pool_owned_limit", limit=pool.max_owned_per_user, name=pool.name)
    if pool.max_claims_per_day is not None:
        claimed = claims_today(session, actor, pool, user_id, now)
        if claimed >= pool.max_claims_per_day:
            raise Conflict("pool_daily_limit", limit=pool.max_claims_per_day, name=pool.name)


def return_due_at(pool: SalesPool, entry: PoolEntry) -> datetime | None:
    """When the entry goes back to the pool unless followed up or progressed."""
    moments = []
    if pool.return_after_days_without_activity and entry.followup_at is not None:
        moments.append(entry.followup_at + timedelta(days=pool.return_after_days_without_activity))
    if pool.return_after_days_without_progress and entry.progress_at is not None:
        moments.append(entry.progress_at + timedelta(days=pool.return_after_days_without_progress))
    return min(moments) if moments else None


# --- what a pool shows -------------------------------------------------------------------


def pool_items(
    session: Session,
    actor: Actor,
    pool_id: uuid.UUID,
    limit: int = 50,
    cursor: str | None = None,
    search: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """List the unclaimed records of a pool, oldest in the pool first, contact details masked."""
    pool = get_pool(session, actor, pool_id)
    target = pooled_object(pool.object_name)
    require(actor, target.name, "read")
    _require_member(actor, pool)
    limit = max(1, min(limit, MAX_PAGE))
    model = target.model
    columns = [model.__table__.c[name] for name in target.read_schema.model_fields]
    statement = (
        select(PoolEntry.id.label("entry_id"), PoolEntry.entered_at, *columns)
        .join(model, model.id == PoolEntry.record_id)
        .where(
            PoolEntry.tenant_id == actor.tenant_id,
            PoolEntry.pool_id == pool.id,
            PoolEntry.state == "pooled",
            model.deleted_at.is_(None),
        )
        .order_by(PoolEntry.entered_at, PoolEntry.id)
        .limit(limit + 1)
    )
    if search and search.strip():
        statement = statement.where(model.name.contains(search.strip(), autoescape=True))
    if cursor:
        entered, entry_id = decode_cursor_for(cursor, inspect(PoolEntry).columns.entered_at)
        statement = statement.where(
            (PoolEntry.entered_at > entered)
            | ((PoolEntry.entered_at == entered) & (PoolEntry.id > entry_id))
        )
    rows = list(session.execute(statement))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].entered_at, rows[-1].entry_id, "entered_at")
    records = [
        target.read_schema.model_validate(
            {name: getattr(row, name) for name in target.read_schema.model_fields}
        ).model_dump(mode="json")
        for row in rows
    ]
    shown = present_many(session, actor, target.name, records)
    for item, row in zip(shown, rows, strict=True):
        item["pool_entered_at"] = ensure_utc(row.entered_at).isoformat()
    return shown, next_cursor


def pool_events(
    session: Session, actor: Actor, object_name: str, record_id: uuid.UUID
) -> list[PoolEvent]:
    """The claim, release and return history of one record the actor may read."""
    target = pooled_object(object_name)
    require(actor, target.name, "read")
    readable = session.scalar(
        scope_select(actor, target.model, select(target.model.id)).where(
            target.model.id == record_id
        )
    )
    if readable is None:
        entry_pool = session.scalar(
            select(PoolEntry.pool_id).where(
                PoolEntry.tenant_id == actor.tenant_id,
                PoolEntry.record_id == record_id,
                PoolEntry.state == "pooled",
            )
        )
        if entry_pool is None:
            raise NotFound("record_not_found", object=object_name, id=str(record_id))
        _require_member(actor, get_pool(session, actor, entry_pool))
    return list(
        session.scalars(
            select(PoolEvent)
            .where(PoolEvent.tenant_id == actor.tenant_id, PoolEvent.record_id == record_id)
            .order_by(PoolEvent.occurred_at, PoolEvent.id)
        )
    )


# --- claims, releases, moves ---------------------------------------------------------


def add_event(
    session: Session,
    actor: Actor,
    entry: PoolEntry,
    action: str,
    reason: str,
    now: datetime,
    user_id: uuid.UUID | None,
    note: str | None = None,
) -> None:
    session.add(
        PoolEvent(
            id=new_id(),
            tenant_id=actor.tenant_id,
            pool_id=entry.pool_id,
            object_name=entry.object_name,
            record_id=entry.record_id,
            action=action,
            reason=reason,
            note=note,
            user_id=user_id,
            actor_id=actor.user_id,
            occurred_at=now,
        )
    )


def _set_owner(
    session: Session,
    target: PooledObject,
    record_id: uuid.UUID,
    owner_id: uuid.UUID | None,
    now: datetime,
    expected_owner: Any,
) -> bool:
    """Change the owner only if it is still ``expected_owner``; False when someone was faster."""
    model = target.model
    statement = update(model).where(model.id == record_id, model.deleted_at.is_(None))
    if expected_owner is None:
        statement = statement.where(model.owner_id.is_(None))
    elif expected_owner is not ...:
        statement = statement.where(model.owner_id == expected_owner)
    result = session.execute(
        statement.values(
            owner_id=owner_id, updated_at=now, version=model.version + 1
        ).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _lock_pool(session: Session, pool: SalesPool) -> None:
    """Serialise claims in one pool, so that two claims cannot both pass the limits."""
    session.execute(select(SalesPool.id).where(SalesPool.id == pool.id).with_for_update()).first()


def claim(
    session: Session,
    actor: Actor,
    pool_id: uuid.UUID,
    record_id: uuid.UUID,
    reason: str,
    note: str | None = None,
    now: datetime | None = None,
) -> tuple[PoolEntry, SalesPool]:
    """Make the actor the owner of a pooled record, within the pool's limits."""
    now = now or utc_now()
    if actor.user_id is None:
        raise Forbidden("pool_claim_needs_user")
    pool = get_pool(session, actor, pool_id)
    target = pooled_object(pool.object_name)
    require(actor, target.name, "update")
    _require_member(actor, pool)
    _lock_pool(session, pool)
    entry = session.scalar(
        select(PoolEntry).where(
            PoolEntry.tenant_id == actor.tenant_id,
            PoolEntry.pool_id == pool.id,
            PoolEntry.record_id == record_id,
        )
    )
    if entry is None:
        raise NotFound("pool_record_not_found", id=str(record_id), name=pool.name)
    if entry.state != "pooled":
        raise Conflict("pool_record_taken", id=str(record_id))
    _check_limits(session, actor, pool, actor.user_id, now)
    if not _set_owner(session, target, record_id, actor.user_id, now, None):
        raise Conflict("pool_record_taken", id=str(record_id))
    status = None
    if target.name == "leads":
        status = session.scalar(select(Lead.status).where(Lead.id == record_id))
    entry.state = "claimed"
    entry.owner_id = actor.user_id
    entry.claimed_at = now
    entry.followup_at = now
    entry.progress_at = now
    entry.progress_rank = LEAD_STATUS_RANK.get(status or "new", 0)
    entry.warned_at = None
    entry.claim_count += 1
    add_event(session, actor, entry, "claim", reason, now, actor.user_id, note)
    session.flush()
    record_event(
        session,
        actor,
        "pool.claim",
        object_name=target.name,
        record_id=record_id,
        details={"pool_id": str(pool.id), "reason": reason, "note": note},
    )
    logger.info("pool claim", extra={"pool_id": str(pool.id), "record_id": str(record_id)})
    return entry, pool


def release(
    session: Session,
    actor: Actor,
    object_name: str,
    record_id: uuid.UUID,
    reason: str,
    note: str | None = None,
    pool_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> tuple[PoolEntry, SalesPool]:
    """Give an owned record back to a pool; the owner or anyone whose scope may update it."""
    now = now or utc_now()
    target = pooled_object(object_name)
    require(actor, target.name, "update")
    model = target.model
    record = session.scalar(
        scope_select(actor, model, select(model), "update").where(model.id == record_id)
    )
    if record is None:
        raise NotFound("record_not_found", object=object_name, id=str(record_id))
    if object_name == "leads" and record.status == "converted":
        raise Conflict("pool_lead_converted", id=str(record_id))
    entry = session.scalar(
        select(PoolEntry).where(
            PoolEntry.tenant_id == actor.tenant_id,
            PoolEntry.object_name == object_name,
            PoolEntry.record_id == record_id,
        )
    )
    if entry is not None and entry.state == "pooled":
        raise Conflict("pool_record_already_pooled", id=str(record_id))
    if pool_id is not None:
        pool = get_pool(session, actor, pool_id)
    elif entry is not None:
        pool = get_pool(session, actor, entry.pool_id)
    else:
        found = pool_for(
            session,
            actor.tenant_id,
            object_name,
            record.province,
            getattr(record, "product_id", None),
        )
        if found is None:
            raise Conflict("pool_none_for_record", object=object_name)
        pool = found
    if pool.object_name != object_name or not pool.is_active:
        raise Conflict("pool_wrong_object", name=pool.name, object=object_name)
    previous_owner = record.owner_id
    _set_owner(session, target, record_id, None, now, ...)
    entry = _pool_entry(session, actor, entry, pool, object_name, record_id, now, previous_owner)
    add_event(session, actor, entry, "release", reason, now, previous_owner, note)
    session.flush()
    session.expire(record)
    record_event(
        session,
        actor,
        "pool.release",
        object_name=object_name,
        record_id=record_id,
        details={
            "pool_id": str(pool.id),
            "reason": reason,
            "note": note,
            "previous_owner_id": str(previous_owner) if previous_owner else None,
        },
    )
    return entry, pool


def _pool_entry(
    session: Session,
    actor: Actor,
    entry: PoolEntry | None,
    pool: SalesPool,
    object_name: str,
    record_id: uuid.UUID,
    now: datetime,
    previous_owner: uuid.UUID | None,
) -> PoolEntry:
    if entry is None:
        entry = PoolEntry(
            id=new_id(),
            tenant_id=actor.tenant_id,
            object_name=object_name,
            record_id=record_id,
            claim_count=0,
            progress_rank=0,
        )
        session.add(entry)
    entry.pool_id = pool.id
    entry.state = "pooled"
    entry.owner_id = None
    entry.last_owner_id = previous_owner
    entry.entered_at = now
    entry.claimed_at = None
    entry.warned_at = None
    return entry


def move_to_pool(
    session: Session,
    actor: Actor,
    pool_id: uuid.UUID,
    record_ids: list[uuid.UUID],
    reason: str,
    note: str | None = None,
    now: datetime | None = None,
) -> int:
    """Put records the actor may update into a pool (new leads, or customers to hand back)."""
    now = now or utc_now()
    pool = get_pool(session, actor, pool_id)
    require(actor, POOL_OBJECT, "update")
    moved = 0
    for record_id in dict.fromkeys(record_ids):
        release(session, actor, pool.object_name, record_id, reason, note, pool.id, now)
        moved += 1
    return moved


def enter_new_record(
    session: Session,
    actor: Actor,
    pool: SalesPool,
    object_name: str,
    record_id: uuid.UUID,
    owner_id: uuid.UUID | None,
    reason: str,
    now: datetime,
) -> PoolEntry:
    """Track a just-created record in ``pool``: pooled when unowned, else claimed by its owner."""
    entry = PoolEntry(
        id=new_id(),
        tenant_id=actor.tenant_id,
        pool_id=pool.id,
        object_name=object_name,
        record_id=record_id,
        state="claimed" if owner_id else "pooled",
        owner_id=owner_id,
        entered_at=now,
        claimed_at=now if owner_id else None,
        followup_at=now if owner_id else None,
        progress_at=now if owner_id else None,
        progress_rank=0,
        claim_count=0,
    )
    session.add(entry)
    add_event(session, actor, entry, "assign" if owner_id else "enter", reason, now, owner_id)
    return entry


def close_entry(
    session: Session,
    actor: Actor,
    object_name: str,
    record_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> None:
    """Stop tracking a record (a converted lead): it neither returns nor can be claimed."""
    entry = session.scalar(
        select(PoolEntry).where(
            PoolEntry.tenant_id == actor.tenant_id,
            PoolEntry.object_name == object_name,
            PoolEntry.record_id == record_id,
        )
    )
    if entry is None or entry.state == "closed":
        return
    entry.state = "closed"
    add_event(session, actor, entry, "close", reason, now, entry.owner_id)
