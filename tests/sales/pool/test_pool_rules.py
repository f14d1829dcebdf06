"""Public-pool rules over simulated weeks on a controlled clock: claims, limits, returns."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.errors import Conflict
from zhike.platform.objects import get_object
from zhike.platform.records import RecordService
from zhike.sales import pools
from zhike.sales.models import Lead
from zhike.sales.pool_models import PoolEntry, PoolEvent
from zhike.sales.pool_recycling import NOTIFICATION_KIND, recycle
from zhike.sales.pool_schemas import PoolWrite
from zhike.sales.process_models import Notification
from zhike.security.context import Actor, system_actor
from zhike.security.models import User

# Monday 2026-03-02, 10:00 in Shanghai.
MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def day(number: int, hours: float = 0) -> datetime:
    return MONDAY + timedelta(days=number, hours=hours)


def _pool(database: Database, admin: Actor, **settings: Any) -> uuid.UUID:
    values = {
        "name": f"华东公海-{uuid.uuid4().hex[:4]}",
        "provinces": ["上海", "浙江"],
        "max_owned_per_user": 3,
        "max_claims_per_day": 2,
        "return_after_days_without_activity": 7,
        "return_after_days_without_progress": 14,
        "warn_days_before": 2,
        **settings,
    }
    with database.session() as session:
        return pools.create_pool(session, admin, PoolWrite(**values)).id


def _pooled_leads(
    database: Database, admin: Actor, pool_id: uuid.UUID, count: int
) -> list[uuid.UUID]:
    with database.session() as session:
        service = RecordService(session, admin, get_object("leads"))
        ids = [
            service.create(
                {"name": f"客户{index}", "mobile": f"1390000{index:04d}", "province": "上海"}
            ).id
            for index in range(count)
        ]
        pools.move_to_pool(session, admin, pool_id, ids, "新线索入池", now=day(-1))
    return ids


def _claim(
    database: Database, actor: Actor, pool_id: uuid.UUID, lead_id: uuid.UUID, when: datetime
) -> None:
    with database.session() as session:
        pools.claim(session, actor, pool_id, lead_id, "有意向", now=when)


def _owner(database: Database, lead_id: uuid.UUID) -> uuid.UUID | None:
    with database.session() as session:
        return session.scalar(select(Lead.owner_id).where(Lead.id == lead_id))


def _follow_up(database: Database, actor: Actor, lead_id: uuid.UUID, when: datetime) -> None:
    with database.session() as session:
        RecordService(session, actor, get_object("activities")).create(
            {"kind": "call", "subject": "电话回访", "lead_id": lead_id, "occurred_at": when}
        )


def _recycle(database: Database, tenant: TenantInfo, when: datetime) -> Any:
    with database.session() as session:
        return recycle(session, system_actor(tenant.tenant.id), when)


def test_claim_limits_per_day_and_owned(
    database: Database,
    tenant: TenantInfo,
    make_user: Callable[..., User],
    actor_of: Callable[[User], Actor],
) -> None:
    admin = tenant.actor
    pool_id = _pool(database, admin)
    leads = _pooled_leads(database, admin, pool_id, 5)
    rep = actor_of(make_user())

    _claim(database, rep, pool_id, leads[0], day(0))
    _claim(database, rep, pool_id, leads[1], day(0, 1))
    with pytest.raises(Conflict) as daily:
        _claim(database, rep, pool_id, leads[2], day(0, 2))
    assert daily.value.code == "pool_daily_limit"
    assert _owner(database, leads[2]) is None

    # The day is the tenant's day: 23:30 in Shanghai is still Monday, 00:30 is Tuesday.
    with pytest.raises(Conflict):
        _claim(database, rep, pool_id, leads[2], day(0, 13.5))
    _claim(database, rep, pool_id, leads[2], day(0, 14.5))

    with pytest.raises(Conflict) as owned:
        _claim(database, rep, pool_id, leads[3], day(1, 1))
    assert owned.value.code == "pool_owned_limit"
    assert _owner(database, leads[3]) is None
    assert [_owner(database, lead) for lead in leads[:3]] == [rep.user_id] * 3


def test_claimed_record_cannot_be_claimed_again(
    database: Database,
    tenant: TenantInfo,
    make_user: Callable[..., User],
    actor_of: Callable[[User], Actor],
) -> None:
    admin = tenant.actor
    pool_id = _pool(database, admin)
    (lead,) = _pooled_leads(database, admin, pool_id, 1)
    first, second = actor_of(make_user()), actor_of(make_user())
    _claim(database, first, pool_id, lead, day(0))
    with pytest.raises(Conflict) as taken:
        _claim(database, second, pool_id, lead, day(0, 1))
    assert taken.value.code == "pool_record_taken"
    assert _owner(database, lead) == first.user_id


def test_weeks_of_returns_and_warnings(
    database: Database,
    tenant: TenantInfo,
    make_user: Callable[..., User],
    actor_of: Callable[[User], Actor],
) -> None:
    admin = tenant.actor
    pool_id = _pool(database, admin, max_owned_per_user=10, max_claims_per_day=10)
    active, quiet, late = _pooled_leads(database, admin, pool_id, 3)
    rep_user = make_user()
    rep = actor_of(rep_user)
    _claim(database, rep, pool_id, active, day(0))
    _claim(database, rep, pool_id, quiet, day(0))
    _claim(database, rep, pool_id, late, day(1))

    # Follow-ups on one lead every three days keep it, until the progress rule bites.
    for number in (3, 6, 9, 12):
        _follow_up(database, rep, active, day(number))

    report = _recycle(database, tenant, day(4, 1))
    assert report.warned == 0
    assert report.returned_without_activity == 0

    # Day 5: "quiet" is 2 days from its 7-day limit, so its owner is warned, once.
    report = _recycle(database, tenant, day(5, 1))
    assert report.warned == 1
    assert report.owners_notified == 1
    report = _recycle(database, tenant, day(5, 2))
    assert report.warned == 0
    with database.session() as session:
        notes = session.scalars(
            select(Notification).where(
                Notification.user_id == rep.user_id, Notification.kind == NOTIFICATION_KIND
            )
        ).all()
    assert len(notes) == 1
    assert notes[0].params["count"] == 1

    # Day 7: "quiet" returns without a follow-up; "late" (claimed a day later) is warned.
    report = _recycle(database, tenant, day(7, 1))
    assert report.returned_without_activity == 1
    assert report.warned == 1
    assert _owner(database, quiet) is None
    assert _owner(database, late) == rep.user_id
    assert _owner(database, active) == rep.user_id

    report = _recycle(database, tenant, day(8, 1))
    assert report.returned_without_activity == 1
    assert _owner(database, late) is None

    # Day 14: "active" had calls but stayed "new" for 14 days, so it returns for no progress.
    report = _recycle(database, tenant, day(13, 1))
    assert report.returned_without_progress == 0
    report = _recycle(database, tenant, day(14, 1))
    assert report.returned_without_progress == 1
    assert _owner(database, active) is None

    with database.session() as session:
        events = session.execute(
            select(PoolEvent.record_id, PoolEvent.action, PoolEvent.reason, PoolEvent.user_id)
            .where(PoolEvent.pool_id == pool_id, PoolEvent.action == "return")
            .order_by(PoolEvent.occurred_at)
        ).all()
    assert [(row[0], row[2]) for row in events] == [
        (quiet, "no_followup"),
        (late, "no_followup"),
        (active, "no_progress"),
    ]
    assert {row[3] for row in events} == {rep.user_id}


def test_progress_resets_the_progress_clock(
    database: Database,
    tenant: TenantInfo,
    make_user: Callable[..., User],
    actor_of: Callable[[User], Actor],
) -> None:
    admin = tenant.actor
    pool_id = _pool(database, admin, return_after_days_without_activity=None)
    (lead,) = _pooled_leads(database, admin, pool_id, 1)
    rep = actor_of(make_user())
    _claim(database, rep, pool_id, lead, day(0))
    with database.session() as session:
        RecordService(session, rep, get_object("leads")).update(lead, {"status": "working"}, None)
    _recycle(database, tenant, day(10))
    report = _recycle(database, tenant, day(15))
    assert report.returned_without_progress == 0
    report = _recycle(database, tenant, day(24, 1))
    assert report.returned_without_progress == 1


def test_deactivated_owner_loses_claims(
    database: Database,
    tenant: TenantInfo,
    make_user: Callable[..., User],
    actor_of: Callable[[User], Actor],
) -> None:
    admin = tenant.actor
    pool_id = _pool(database, admin)
    (lead,) = _pooled_leads(database, admin, pool_id, 1)
    user = make_user()
    _claim(database, actor_of(user), pool_id, lead, day(0))
    with database.session() as session:
        session.get(User, user.id).is_active = False  # type: ignore[union-attr]
    report = _recycle(database, tenant, day(1))
    assert report.returned_owner_left == 1
    assert _owner(database, lead) is None
    with database.session() as session:
        state = session.scalar(select(PoolEntry.state).where(PoolEntry.record_id == lead))
        claims = session.scalar(
            select(func.count())
            .select_from(PoolEvent)
            .where(PoolEvent.record_id == lead, PoolEvent.reason == "owner_left")
        )
    assert state == "pooled"
    assert claims == 1


def test_warning_event_per_record(
    database: Database,
    tenant: TenantInfo,
    make_user: Callable[..., User],
    actor_of: Callable[[User], Actor],
) -> None:
    admin = tenant.actor
    pool_id = _pool(database, admin, max_owned_per_user=10, max_claims_per_day=10)
    first, second, untouched = _pooled_leads(database, admin, pool_id, 3)
    rep = actor_of(make_user())
    _claim(database, rep, pool_id, first, day(0))
    _claim(database, rep, pool_id, second, day(0))

    report = _recycle(database, tenant, day(5, 1))

    assert report.warned == 2
    assert report.owners_notified == 1
    with database.session() as session:
        warnings = session.execute(
            select(PoolEvent.id, PoolEvent.record_id, PoolEvent.reason, PoolEvent.user_id).where(
                PoolEvent.pool_id == pool_id, PoolEvent.action == "warn"
            )
        ).all()
    assert sorted(row.record_id for row in warnings) == sorted([first, second])
    assert {row.reason for row in warnings} == {"no_followup"}
    assert {row.user_id for row in warnings} == {rep.user_id}
    assert {row.id.version for row in warnings} == {7}
    assert untouched not in {row.record_id for row in warnings}


def test_return_events_have_new_ids(
    database: Database,
    tenant: TenantInfo,
    make_user: Callable[..., User],
    actor_of: Callable[[User], Actor],
) -> None:
    admin = tenant.actor
    pool_id = _pool(database, admin, max_owned_per_user=10, max_claims_per_day=10)
    leads = _pooled_leads(database, admin, pool_id, 3)
    rep = actor_of(make_user())
    for lead in leads:
        _claim(database, rep, pool_id, lead, day(0))

    report = _recycle(database, tenant, day(7, 1))

    assert report.returned_without_activity == 3
    with database.session() as session:
        returns = session.execute(
            select(PoolEvent.id, PoolEvent.record_id, PoolEvent.user_id).where(
                PoolEvent.pool_id == pool_id, PoolEvent.action == "return"
            )
        ).all()
        states = set(session.scalars(select(PoolEntry.state).where(PoolEntry.pool_id == pool_id)))
        owners = set(session.scalars(select(Lead.owner_id).where(Lead.id.in_(leads))))
    assert len({row.id for row in returns}) == 3
    assert {row.id.version for row in returns} == {7}
    assert sorted(row.record_id for row in returns) == sorted(leads)
    assert {row.user_id for row in returns} == {rep.user_id}
    assert states == {"pooled"}
    assert owners == {None}
