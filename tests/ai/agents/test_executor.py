"""How the executor handles failures: back-off retries, fallbacks, re-planning, escalation."""

from __future__ import annotations

import socket
import uuid
from datetime import timedelta

from agents_support import (
    COMPANY,
    PROFILE,
    CompanyInfoServer,
    DemoTenant,
    actor_of,
    advance,
    connectors,
    consenting_contact,
    decide,
    detail,
    new_lead,
    start_run,
    statuses,
    step_of,
    user_with_role,
)

from zhike.ai.agents.connectors import Connectors, SmtpMailer
from zhike.ai.agents.schemas import PersonResult
from zhike.ai.agents.service import AgentService
from zhike.core.db import Database
from zhike.core.timeutil import utc_now


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def refusing_mailer() -> SmtpMailer:
    return SmtpMailer("127.0.0.1", closed_port(), "sales@demo.example.com", timeout=5.0)


def test_retries_back_off_then_fall_back(
    database: Database, demo: DemoTenant, company_server: CompanyInfoServer
) -> None:
    rep = user_with_role(database, demo.tenant_id, "sales_rep", 4)
    actor = actor_of(database, demo.tenant_id, rep.email)
    lead_id = new_lead(database, actor, name="周洁", email="zhou.jie@example.com")
    company_server.profiles[COMPANY] = PROFILE
    company_server.failures.extend([503, 503, 503])
    tools = connectors(company_server)
    start = utc_now()

    run_id = start_run(database, actor, "lead_conversion", lead_id)
    first = advance(database, actor, run_id, tools, now=start)

    enrich = step_of(database, run_id, "enrich")
    assert first.status == "running"
    assert enrich.status == "pending"
    assert enrich.attempts == 1
    assert enrich.next_attempt_at == start + timedelta(seconds=30)
    assert first.wake_at == start + timedelta(seconds=30)

    early = advance(database, actor, run_id, tools, now=start + timedelta(seconds=29))
    assert early.steps_run == 0
    assert step_of(database, run_id, "enrich").attempts == 1

    advance(database, actor, run_id, tools, now=start + timedelta(seconds=30))
    second = step_of(database, run_id, "enrich")
    assert second.attempts == 2
    assert second.next_attempt_at == start + timedelta(seconds=90)

    finished = advance(database, actor, run_id, tools, now=start + timedelta(seconds=90))
    run = detail(database, actor, run_id)
    enrich_step = next(step for step in run.steps if step.key == "enrich")
    # Without an SMTP server the owner sends the email, so the run then waits for them.
    assert finished.status == "waiting_person"
    assert enrich_step.status == "done"
    assert enrich_step.tool == "lookup_company_in_crm"
    assert enrich_step.output["source"] == "crm"
    assert company_server.requests == [COMPANY] * 3
    kinds = [event.kind for event in run.trace if event.step_id == enrich_step.id]
    assert kinds.count("error") == 3
    assert kinds.count("retry") == 2
    assert kinds.count("fallback") == 1


def test_failed_send_replans_without_email(database: Database, demo: DemoTenant) -> None:
    rep = user_with_role(database, demo.tenant_id, "sales_rep", 5)
    actor = actor_of(database, demo.tenant_id, rep.email)
    lead_id = new_lead(database, actor, name="孙磊", email="sun.lei@example.com")
    # A consenting contact gets the email past the send gate to the refusing server.
    admin = actor_of(database, demo.tenant_id, demo.admin_email)
    consenting_contact(database, admin, "sun.lei@example.com")
    tools = Connectors(mailer=refusing_mailer())
    start = utc_now()

    run_id = start_run(database, actor, "lead_conversion", lead_id)
    advance(database, actor, run_id, tools, now=start)
    decide(database, actor, run_id, "send")
    moment = start
    for _ in range(3):
        advance(database, actor, run_id, tools, now=moment)
        moment += timedelta(hours=1)

    run = detail(database, actor, run_id)
    assert run.status == "done"
    assert run.replan_count == 1
    assert run.plan["chosen"] == "call_first"
    assert run.plan["failed_tools"] == ["send_email"]
    assert run.plan["history"][0]["chosen"] == "email_and_call"
    send = next(step for step in run.steps if step.key == "send")
    assert send.status == "skipped"
    assert send.attempts == 3
    assert send.error.startswith("failed, replaced by re-planning")
    assert [event.kind for event in run.trace].count("replan") == 1
    assert statuses(run)["analyse"] == "done"
    analyse = next(step for step in run.steps if step.key == "analyse")
    assert (
        sum(1 for event in run.trace if event.step_id == analyse.id and event.kind == "tool_call")
        == 1
    )
    assert run.outcome["is_goal_met"] is True


def test_failed_step_escalates_to_the_manager(database: Database, demo: DemoTenant) -> None:
    admin = actor_of(database, demo.tenant_id, demo.admin_email)
    rep = user_with_role(database, demo.tenant_id, "sales_rep", 6)
    actor = actor_of(database, demo.tenant_id, rep.email)
    lead_id = new_lead(database, actor, name="钱芳", email="qian.fang@example.com")
    consenting_contact(database, admin, "qian.fang@example.com")
    with database.session() as session:
        AgentService(session, admin).update_setting("lead_conversion", None, {"max_replans": 0})
    tools = Connectors(mailer=refusing_mailer())
    start = utc_now()
    try:
        run_id = start_run(database, actor, "lead_conversion", lead_id)
        advance(database, actor, run_id, tools, now=start)
        decide(database, actor, run_id, "send")
        moment = start
        for _ in range(3):
            rested = advance(database, actor, run_id, tools, now=moment)
            moment += timedelta(hours=1)
    finally:
        with database.session() as session:
            AgentService(session, admin).update_setting("lead_conversion", None, {})

    send = step_of(database, run_id, "send")
    assert rested.status == "waiting_person"
    assert send.status == "waiting_person"
    assert send.tool == "person_task"
    assert send.executor == "person"
    assert send.assignee_id == rep.manager_id
    run = detail(database, actor, run_id)
    assert [event.kind for event in run.trace].count("escalation") == 1

    with database.session() as session:
        AgentService(session, actor, enqueue=lambda tenant_id, run_id: None).report_result(
            run_id, send.id, PersonResult(note="已手动发送", values={"sent_by": "manager"})
        )
    finished = advance(database, actor, run_id, tools, now=moment)
    assert finished.status == "done"
    assert step_of(database, run_id, "send").output["sent_by"] == "manager"


def test_cancelled_run_stops(database: Database, demo: DemoTenant) -> None:
    rep = user_with_role(database, demo.tenant_id, "sales_rep", 7)
    actor = actor_of(database, demo.tenant_id, rep.email)
    lead_id = new_lead(database, actor, name="吴昊", email="wu.hao@example.com")

    run_id = start_run(database, actor, "lead_conversion", lead_id)
    advance(database, actor, run_id)
    with database.session() as session:
        AgentService(session, actor).cancel(run_id, "客户已自行联系")
    after = advance(database, actor, run_id)

    run = detail(database, actor, run_id)
    assert after.is_claimed is False
    assert run.status == "cancelled"
    assert statuses(run)["send"] == "cancelled"
    assert run.error == "客户已自行联系"


def test_unknown_subject_fails_at_start(database: Database, demo: DemoTenant) -> None:
    import pytest

    from zhike.core.errors import NotFound

    rep = user_with_role(database, demo.tenant_id, "sales_rep", 8)
    actor = actor_of(database, demo.tenant_id, rep.email)
    with pytest.raises(NotFound) as raised:
        start_run(database, actor, "lead_conversion", uuid.uuid4())
    assert raised.value.code == "record_not_found"
