"""Stalled-deal and churn-rescue agents end to end on a demo tenant, offline."""

from __future__ import annotations

import uuid
from datetime import timedelta

from agents_support import (
    DemoTenant,
    actor_of,
    advance,
    detail,
    start_run,
    user_with_role,
)
from sqlalchemy import select, update

from zhike.ai.agents.models import AgentObservation
from zhike.ai.agents.schemas import PersonResult
from zhike.ai.agents.service import AgentService
from zhike.ai.models.models import ModelScore
from zhike.ai.models.scoring import score_template
from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.customers.models import Account
from zhike.sales.models import Activity, Opportunity
from zhike.security.context import Actor, system_actor
from zhike.security.models import User

# The demo's open deals, seen two months later: most have overstayed their stage.
LATER = timedelta(days=60)


def no_enqueue(tenant_id: uuid.UUID, run_id: uuid.UUID) -> None:
    return None


def report_all_people(database: Database, actor: Actor, run_id: uuid.UUID) -> int:
    run = detail(database, actor, run_id)
    waiting = [step for step in run.steps if step.status == "waiting_person"]
    with database.session() as session:
        service = AgentService(session, actor, enqueue=no_enqueue)
        for step in waiting:
            service.report_result(run_id, step.id, PersonResult(note="已处理"))
    return len(waiting)


def test_stalled_deals_are_diagnosed_and_actions_scheduled(
    database: Database, demo: DemoTenant
) -> None:
    manager = user_with_role(database, demo.tenant_id, "sales_manager")
    actor = actor_of(database, demo.tenant_id, manager.email)
    now = utc_now() + LATER

    run_id = start_run(database, actor, "stalled_deal")
    rested = advance(database, actor, run_id, now=now)

    run = detail(database, actor, run_id)
    deals = run.plan["facts"]["deals"]
    assert len(deals) == 5
    assert run.plan["chosen"] == "coach_owner"
    with database.session() as session:
        owners = {
            session.get(Opportunity, uuid.UUID(deal["opportunity_id"])).owner_id  # type: ignore[union-attr]
            for deal in deals
        }
        team = set(session.scalars(select(User.id).where(User.id.in_(actor.subtree_members))))
    assert owners <= team | {manager.id}
    by_key = {step.key: step for step in run.steps}
    assert by_key["scan"].output == {"count": 5}
    for index in range(1, 6):
        diagnosis = by_key[f"diagnose_{index}"]
        assert diagnosis.status == "done"
        assert diagnosis.output["reasons"][0] == "long_in_stage"
        assert by_key[f"schedule_{index}"].status == "done"
        assert by_key[f"schedule_{index}"].output["count"] == len(diagnosis.output["actions"])
        expected = "waiting_person" if diagnosis.output["is_severe"] else "skipped"
        assert by_key[f"review_{index}"].status == expected
    severe = sum(1 for index in range(1, 6) if by_key[f"diagnose_{index}"].output["is_severe"])
    assert rested.status == ("waiting_person" if severe else "done")
    scheduled = [
        uuid.UUID(identifier)
        for index in range(1, 6)
        for identifier in by_key[f"schedule_{index}"].output["activity_ids"]
    ]
    with database.session() as session:
        rows = list(session.scalars(select(Activity).where(Activity.id.in_(scheduled))))
    assert len(rows) == len(scheduled)
    assert all(row.status == "open" and row.opportunity_id is not None for row in rows)

    assert report_all_people(database, actor, run_id) == severe
    finished = advance(database, actor, run_id, now=now)
    run = detail(database, actor, run_id)
    assert finished.status == "done"
    assert run.outcome["is_goal_met"] is True
    assert run.outcome["criteria_met"] == 10


def test_stalled_deals_found_on_demo_day(database: Database, demo: DemoTenant) -> None:
    admin = actor_of(database, demo.tenant_id, demo.admin_email)

    run_id = start_run(database, admin, "stalled_deal", is_dry_run=True)
    advance(database, admin, run_id, now=utc_now())

    deals = detail(database, admin, run_id).plan["facts"]["deals"]
    assert len(deals) == 5
    assert len({deal["owner_id"] for deal in deals}) == 5
    assert all(deal["days_in_stage"] > deal["limit_days"] for deal in deals)


def test_stalled_deals_of_a_rep_are_only_their_own(database: Database, demo: DemoTenant) -> None:
    rep = user_with_role(database, demo.tenant_id, "sales_rep", 3)
    actor = actor_of(database, demo.tenant_id, rep.email)

    run_id = start_run(database, actor, "stalled_deal", is_dry_run=True)
    advance(database, actor, run_id, now=utc_now() + LATER)

    deals = detail(database, actor, run_id).plan["facts"]["deals"]
    assert deals
    assert {deal["owner_id"] for deal in deals} == {str(rep.id)}


def test_churn_rescue_acts_on_rising_risk_only(database: Database, demo: DemoTenant) -> None:
    admin = actor_of(database, demo.tenant_id, demo.admin_email)
    director = user_with_role(database, demo.tenant_id, "sales_director")
    actor = actor_of(database, demo.tenant_id, director.email)
    with database.session() as session:
        score_template(session, system_actor(demo.tenant_id), "churn_risk")
        AgentService(session, admin).update_setting(
            "churn_rescue", None, {"alert_threshold": 0.99, "min_rise": 0.2}
        )

    first = start_run(database, actor, "churn_rescue")
    assert advance(database, actor, first).status == "done"
    baseline = detail(database, actor, first)
    assert baseline.plan["facts"]["count"] == 0
    assert [step.key for step in baseline.steps] == ["remember"]
    with database.session() as session:
        remembered = session.scalar(
            select(AgentObservation.id).where(AgentObservation.tenant_id == demo.tenant_id)
        )
        assert remembered is not None
        risen = list(
            session.scalars(
                select(ModelScore.record_id)
                .where(
                    ModelScore.tenant_id == demo.tenant_id,
                    ModelScore.template == "churn_risk",
                    ModelScore.score < 0.7,
                )
                .order_by(ModelScore.record_id)
                .limit(2)
            )
        )
        session.execute(
            update(ModelScore)
            .where(ModelScore.tenant_id == demo.tenant_id, ModelScore.record_id.in_(risen))
            .values(score=ModelScore.score + 0.25)
        )

    second = start_run(database, actor, "churn_rescue")
    rested = advance(database, actor, second)

    run = detail(database, actor, second)
    flagged = {uuid.UUID(item["account_id"]) for item in run.plan["facts"]["accounts"]}
    assert flagged == set(risen)
    assert rested.status == "waiting_person"
    by_key = {step.key: step for step in run.steps}
    for index in (1, 2):
        plan = by_key[f"plan_{index}"].output
        assert plan["actions"][0]["kind"] == "call"
        assert by_key[f"assign_{index}"].status == "waiting_person"
        assert by_key[f"schedule_{index}"].status == "pending"
    with database.session() as session:
        owners = {
            account.id: account.owner_id
            for account in session.scalars(select(Account).where(Account.id.in_(risen)))
        }
    chosen = run.plan["chosen"]
    for index in (1, 2):
        step = by_key[f"assign_{index}"]
        account_id = uuid.UUID(by_key[f"plan_{index}"].output["account_id"])
        if chosen == "owner_led":
            assert step.assignee_id == owners[account_id]

    assert report_all_people(database, actor, second) == 2
    finished = advance(database, actor, second)
    run = detail(database, actor, second)
    assert finished.status == "done"
    assert run.outcome["is_goal_met"] is True
    by_key = {step.key: step for step in run.steps}
    assert by_key["schedule_1"].output["count"] == len(by_key["plan_1"].output["actions"])

    third = start_run(database, actor, "churn_rescue")
    advance(database, actor, third)
    assert detail(database, actor, third).plan["facts"]["count"] == 0
