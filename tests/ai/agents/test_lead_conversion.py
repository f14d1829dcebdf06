"""Lead conversion end to end on a demo tenant, offline: plan, tasks, approval, outcome."""

from __future__ import annotations

import json
import uuid
from email import message_from_string
from email.message import EmailMessage
from email.policy import default

from agents_support import (
    COMPANY,
    PROFILE,
    CompanyInfoServer,
    DemoTenant,
    SmtpSink,
    actor_of,
    advance,
    connectors,
    consenting_contact,
    decide,
    detail,
    new_lead,
    start_run,
    statuses,
    user_with_role,
)
from sqlalchemy import func, select

from zhike.ai.agents.models import AgentToolEffect
from zhike.core.db import Database
from zhike.sales.models import Activity, Lead


def activities_of(database: Database, lead_id: uuid.UUID) -> list[Activity]:
    with database.session() as session:
        return list(
            session.scalars(
                select(Activity).where(Activity.lead_id == lead_id).order_by(Activity.kind)
            )
        )


def test_lead_conversion_runs_to_done_after_approval(
    database: Database, demo: DemoTenant, company_server: CompanyInfoServer, smtp_sink: SmtpSink
) -> None:
    rep = user_with_role(database, demo.tenant_id, "sales_rep")
    actor = actor_of(database, demo.tenant_id, rep.email)
    lead_id = new_lead(database, actor)
    admin = actor_of(database, demo.tenant_id, demo.admin_email)
    contact_id = consenting_contact(database, admin, "wang.ming@yunqi.example.com")
    company_server.profiles[COMPANY] = PROFILE
    tools = connectors(company_server, smtp_sink)
    before = {activity.id for activity in activities_of(database, lead_id)}

    run_id = start_run(database, actor, "lead_conversion", lead_id)
    rested = advance(database, actor, run_id, tools)

    run = detail(database, actor, run_id)
    assert rested.status == "waiting_approval", (
        run.error,
        [(e.message, e.data) for e in run.trace],
    )
    assert run.status == "waiting_approval"
    assert run.plan["chosen"] == "email_and_call"
    assert [plan["key"] for plan in run.plan["candidates"]] == [
        "email_and_call",
        "call_first",
        "nurture",
    ]
    scores = [plan["score"] for plan in run.plan["candidates"]]
    assert scores == sorted(scores, reverse=True)
    assert all(plan["explanation"] for plan in run.plan["candidates"])
    assert [goal["key"] for goal in run.goal["sub_goals"]] == ["understand", "engage", "progress"]
    band = next(step.output["band"] for step in run.steps if step.key == "score")
    assert band in ("hot", "warm", "cold")
    expected = {
        "analyse": "done",
        "products": "done",
        "enrich": "done",
        "score": "done",
        "draft": "done",
        "send": "waiting_approval",
        "follow_up_hot": "done" if band == "hot" else "skipped",
        "follow_up_warm": "done" if band == "warm" else "skipped",
        "follow_up_cold": "done" if band == "cold" else "skipped",
        "mark_working": "done",
    }
    assert statuses(run) == expected, [e.data for e in run.trace if e.kind == "error"][:2]
    enrich = next(step for step in run.steps if step.key == "enrich")
    assert enrich.output["profile"]["industry"] == "智能制造"
    assert enrich.executor == "external"
    draft = next(step for step in run.steps if step.key == "draft")
    assert "王" in draft.output["body"]
    assert draft.output["source"] == "template"
    assert company_server.requests == [COMPANY]
    assert smtp_sink.messages == []

    trace_text = json.dumps(
        [event.model_dump(mode="json") for event in run.trace], ensure_ascii=False
    )
    assert "13812345678" not in trace_text
    assert "wang.ming@yunqi.example.com" not in trace_text
    assert "w***@yunqi.example.com" in trace_text
    kinds = [event.kind for event in run.trace]
    assert kinds[:2] == ["state", "plan"]
    assert "approval_requested" in kinds

    decide(database, actor, run_id, "send")
    finished = advance(database, actor, run_id, tools)
    run = detail(database, actor, run_id)

    assert finished.status == "done"
    assert run.status == "done"
    assert statuses(run)["send"] == "done"
    assert len(smtp_sink.messages) == 1
    assert smtp_sink.messages[0]["to"] == ["wang.ming@yunqi.example.com"]
    delivered = message_from_string(smtp_sink.messages[0]["content"], policy=default)
    assert isinstance(delivered, EmailMessage)
    assert "/api/v1/marketing/unsubscribe/" in delivered.get_content()
    send = next(step for step in run.steps if step.key == "send")
    assert send.output["status"] == "sent"
    assert send.output["contact_id"] == str(contact_id)
    assert run.outcome["blocked_messages"] == []
    assert run.outcome["is_goal_met"] is True
    assert run.outcome["criteria_met"] == run.outcome["criteria_total"] == 4
    kinds = [a.kind for a in activities_of(database, lead_id) if a.id not in before]
    follow_ups = {"hot": ["call", "meeting"], "warm": ["call"], "cold": ["task"]}[band]
    assert sorted(kinds) == sorted([*follow_ups, "email"])
    with database.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        assert lead.status == "working"


def test_rejected_email_is_not_sent(
    database: Database, demo: DemoTenant, smtp_sink: SmtpSink
) -> None:
    rep = user_with_role(database, demo.tenant_id, "sales_rep", 1)
    actor = actor_of(database, demo.tenant_id, rep.email)
    lead_id = new_lead(database, actor, name="李娜", email="li.na@example.com")
    tools = connectors(None, smtp_sink)

    run_id = start_run(database, actor, "lead_conversion", lead_id)
    rested = advance(database, actor, run_id, tools)
    run = detail(database, actor, run_id)
    assert rested.status == "waiting_approval", [(s.key, s.status, s.error) for s in run.steps]
    decide(database, actor, run_id, "send", approve=False)
    finished = advance(database, actor, run_id, tools)

    run = detail(database, actor, run_id)
    assert finished.status == "done"
    assert statuses(run)["send"] == "skipped"
    assert smtp_sink.messages == []
    assert run.outcome["is_goal_met"] is True
    assert [a.kind for a in activities_of(database, lead_id)].count("email") == 0


def test_dry_run_changes_nothing(
    database: Database, demo: DemoTenant, company_server: CompanyInfoServer, smtp_sink: SmtpSink
) -> None:
    rep = user_with_role(database, demo.tenant_id, "sales_rep", 2)
    actor = actor_of(database, demo.tenant_id, rep.email)
    lead_id = new_lead(database, actor, name="赵强", email="zhao.qiang@example.com")
    company_server.profiles[COMPANY] = PROFILE
    before = [activity.id for activity in activities_of(database, lead_id)]

    run_id = start_run(database, actor, "lead_conversion", lead_id, is_dry_run=True)
    finished = advance(database, actor, run_id, connectors(company_server, smtp_sink))

    run = detail(database, actor, run_id)
    assert finished.status == "done"
    assert run.is_dry_run is True
    assert run.outcome["is_dry_run"] is True
    by_key = {step.key: step for step in run.steps}
    assert by_key["send"].output["is_simulated"] is True
    assert by_key["send"].output["would_call"] == "send_email"
    assert by_key["enrich"].output["is_simulated"] is True
    assert by_key["mark_working"].output["would_call"] == "update_lead_status"
    assert by_key["draft"].output.get("is_simulated") is None
    assert smtp_sink.messages == []
    assert company_server.requests == []
    assert [activity.id for activity in activities_of(database, lead_id)] == before
    with database.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        assert lead.status == "new"
        effects = session.scalar(
            select(func.count())
            .select_from(AgentToolEffect)
            .where(AgentToolEffect.idempotency_key.like(f"{run_id}:%"))
        )
        assert effects == 0
