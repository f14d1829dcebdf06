"""Assignment rules: round-robin, weights, territory, product, score band, hours, departures."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import case, select, update
from testkit import TenantInfo

from zhike.ai.models.models import ModelScore
from zhike.core.db import Database
from zhike.platform.objects import get_object
from zhike.platform.records import RecordService
from zhike.sales import assignment
from zhike.sales.models import Lead
from zhike.sales.pool_schemas import AssignmentRuleWrite
from zhike.security.context import system_actor
from zhike.security.models import User

# Monday 10:00 and 22:00 in Shanghai.
WORKING = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
EVENING = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def _leads(
    database: Database, tenant: TenantInfo, rows: list[dict[str, object]]
) -> list[uuid.UUID]:
    actor = system_actor(tenant.tenant.id)
    with database.session() as session:
        service = RecordService(session, actor, get_object("leads"))
        return [service.create(row).id for row in rows]


def _rule(database: Database, tenant: TenantInfo, **values: object) -> None:
    with database.session() as session:
        assignment.create_rule(session, tenant.actor, AssignmentRuleWrite.model_validate(values))


def _run(
    database: Database, tenant: TenantInfo, now: datetime = WORKING
) -> dict[uuid.UUID, uuid.UUID | None]:
    with database.session() as session:
        assignment.assign_leads(session, system_actor(tenant.tenant.id), None, now)
        return dict(
            session.execute(
                select(Lead.id, Lead.owner_id).where(Lead.tenant_id == tenant.tenant.id)
            ).all()
        )


def test_round_robin_and_territory(
    database: Database, tenant: TenantInfo, make_user: Callable[..., User]
) -> None:
    east, west_one, west_two = make_user(), make_user(), make_user()
    _rule(
        database,
        tenant,
        name="华东",
        position=1,
        provinces=["上海"],
        members=[{"user_id": east.id}],
    )
    _rule(
        database,
        tenant,
        name="其他",
        position=2,
        members=[{"user_id": west_one.id}, {"user_id": west_two.id}],
    )
    shanghai = _leads(database, tenant, [{"name": f"沪{n}", "province": "上海"} for n in range(2)])
    others = _leads(database, tenant, [{"name": f"川{n}", "province": "四川"} for n in range(4)])
    owners = _run(database, tenant)
    assert {owners[lead] for lead in shanghai} == {east.id}
    assert [owners[lead] for lead in others] == [west_one.id, west_two.id, west_one.id, west_two.id]

    # The round-robin position carries over to the next run.
    (later,) = _leads(database, tenant, [{"name": "川9", "province": "四川"}])
    assert _run(database, tenant)[later] == west_one.id


def test_weighted_with_capacity(
    database: Database, tenant: TenantInfo, make_user: Callable[..., User]
) -> None:
    heavy, light, full = make_user(), make_user(), make_user()
    _rule(
        database,
        tenant,
        name="按权重",
        method="weighted",
        members=[
            {"user_id": heavy.id, "weight": 3},
            {"user_id": light.id, "weight": 1},
            {"user_id": full.id, "weight": 5, "capacity": 0},
        ],
    )
    leads = _leads(database, tenant, [{"name": f"线索{n}"} for n in range(8)])
    counts = Counter(_run(database, tenant)[lead] for lead in leads)
    assert counts == {heavy.id: 6, light.id: 2}


def test_product_score_band_and_hours(
    database: Database, tenant: TenantInfo, make_user: Callable[..., User]
) -> None:
    specialist, hot, day_shift = make_user(), make_user(), make_user()
    with database.session() as session:
        product = (
            RecordService(session, tenant.actor, get_object("products"))
            .create({"name": "智能门锁"})
            .id
        )
    _rule(
        database,
        tenant,
        name="门锁",
        position=1,
        product_ids=[product],
        members=[{"user_id": specialist.id}],
    )
    _rule(database, tenant, name="高分", position=2, min_score=80, members=[{"user_id": hot.id}])
    _rule(
        database,
        tenant,
        name="白班",
        position=3,
        working_hours={"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"},
        members=[{"user_id": day_shift.id}],
    )
    lock, scored, plain = _leads(
        database, tenant, [{"name": "甲", "product_id": product}, {"name": "乙"}, {"name": "丙"}]
    )
    # Leads are scored on write by the cold-start rules; pin clear scores for the band.
    with database.session() as session:
        session.execute(
            update(ModelScore)
            .where(ModelScore.tenant_id == tenant.tenant.id, ModelScore.template == "lead_score")
            .values(score=case((ModelScore.record_id == scored, 0.91), else_=0.2))
        )
    evening = _run(database, tenant, EVENING)
    assert (evening[lock], evening[scored], evening[plain]) == (specialist.id, hot.id, None)
    assert _run(database, tenant, WORKING)[plain] == day_shift.id


def test_departed_owner_leads_reassigned(
    database: Database, tenant: TenantInfo, make_user: Callable[..., User]
) -> None:
    leaving, staying = make_user(), make_user()
    _rule(database, tenant, name="全员", members=[{"user_id": leaving.id}, {"user_id": staying.id}])
    leads = _leads(database, tenant, [{"name": f"线索{n}"} for n in range(4)])
    assert set(_run(database, tenant).values()) == {leaving.id, staying.id}
    with database.session() as session:
        session.get(User, leaving.id).is_active = False  # type: ignore[union-attr]
    from zhike.sales.pool_jobs import run_pool_maintenance

    result = run_pool_maintenance(database, tenant.slug, WORKING)
    assert result["departed_owners"][str(leaving.id)]["leads"] == 2
    owners = _run(database, tenant)
    assert {owners[lead] for lead in leads} == {staying.id}
