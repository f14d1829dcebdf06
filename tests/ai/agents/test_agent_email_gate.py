"""Agent email passes the marketing send gate and waits for approval unless a rule allows it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from agents_support import (
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
    step_of,
    user_with_role,
)
from sqlalchemy import select

from zhike.ai.agents.models import AgentStep
from zhike.ai.agents.service import AgentService
from zhike.core.db import Database
from zhike.core.timeutil import load_zone, utc_now
from zhike.customers.models import Contact
from zhike.marketing.automation_models import MessageSend
from zhike.marketing.consent import tenant_settings
from zhike.security.context import Actor


def _sends(database: Database, tenant_id: uuid.UUID, contact_id: uuid.UUID) -> list[MessageSend]:
    with database.session() as session:
        return list(
            session.scalars(
                select(MessageSend).where(
                    MessageSend.tenant_id == tenant_id, MessageSend.contact_id == contact_id
                )
            )
        )


def _approved_run(
    database: Database, actor: Actor, lead_id: uuid.UUID, smtp_sink: SmtpSink
) -> uuid.UUID:
    tools = connectors(None, smtp_sink)
    run_id = start_run(database, actor, "lead_conversion", lead_id)
    rested = advance(database, actor, run_id, tools)
    assert rested.status == "waiting_approval"
    decide(database, actor, run_id, "send")
    finished = advance(database, actor, run_id, tools)
    assert finished.status == "done"
    return run_id


@pytest.mark.parametrize(
    ("case", "reason"),
    [("withdrawn", "no_consent"), ("do_not_contact", "do_not_contact"), ("quiet", "quiet_hours")],
)
def test_gate_blocks_approved_email(
    database: Database, demo: DemoTenant, smtp_sink: SmtpSink, case: str, reason: str
) -> None:
    admin = actor_of(database, demo.tenant_id, demo.admin_email)
    rep = user_with_role(database, demo.tenant_id, "sales_rep", 2)
    actor = actor_of(database, demo.tenant_id, rep.email)
    email = f"{case}.{uuid.uuid4().hex[:6]}@example.com"
    lead_id = new_lead(database, actor, name="陈静", email=email)
    contact_id = consenting_contact(
        database, admin, email, status="withdrawn" if case == "withdrawn" else "granted"
    )
    with database.session() as session:
        if case == "do_not_contact":
            contact = session.get(Contact, contact_id)
            assert contact is not None
            contact.do_not_contact = True
        if case == "quiet":
            # Quiet hours from an hour ago to an hour ahead in the tenant's zone hold now.
            local = utc_now().astimezone(load_zone("Asia/Shanghai"))
            settings = tenant_settings(session, demo.tenant_id)
            settings.quiet_hours_start = (local - timedelta(hours=1)).strftime("%H:%M")
            settings.quiet_hours_end = (local + timedelta(hours=1)).strftime("%H:%M")
    try:
        run_id = _approved_run(database, actor, lead_id, smtp_sink)
    finally:
        with database.session() as session:
            settings = tenant_settings(session, demo.tenant_id)
            settings.quiet_hours_start = settings.quiet_hours_end = None

    run = detail(database, actor, run_id)
    send = step_of(database, run_id, "send")
    assert smtp_sink.messages == []
    assert statuses(run)["send"] == "done"
    assert send.output["is_sent"] is False
    assert send.output["status"] == "blocked"
    assert send.output["reason"] == reason
    assert run.outcome["blocked_messages"] == [
        {"step": "send", "tool": "send_email", "contact_id": str(contact_id), "reason": reason}
    ]
    rows = _sends(database, demo.tenant_id, contact_id)
    assert [(row.path, row.status, row.reason) for row in rows] == [("agent", "blocked", reason)]
    assert run.outcome["is_goal_met"] is True


def test_lead_without_contact_is_blocked(
    database: Database, demo: DemoTenant, smtp_sink: SmtpSink
) -> None:
    rep = user_with_role(database, demo.tenant_id, "sales_rep", 3)
    actor = actor_of(database, demo.tenant_id, rep.email)
    lead_id = new_lead(database, actor, name="杨帆", email=f"{uuid.uuid4().hex[:8]}@example.com")

    run_id = _approved_run(database, actor, lead_id, smtp_sink)

    run = detail(database, actor, run_id)
    assert smtp_sink.messages == []
    assert run.outcome["blocked_messages"] == [
        {"step": "send", "tool": "send_email", "contact_id": None, "reason": "contact_missing"}
    ]


def test_consented_email_is_sent_once_and_recorded(
    database: Database, demo: DemoTenant, smtp_sink: SmtpSink
) -> None:
    admin = actor_of(database, demo.tenant_id, demo.admin_email)
    rep = user_with_role(database, demo.tenant_id, "sales_rep", 4)
    actor = actor_of(database, demo.tenant_id, rep.email)
    email = f"granted.{uuid.uuid4().hex[:6]}@example.com"
    lead_id = new_lead(database, actor, name="林峰", email=email)
    contact_id = consenting_contact(database, admin, email)

    run_id = _approved_run(database, actor, lead_id, smtp_sink)
    advance(database, actor, run_id, connectors(None, smtp_sink))

    send = step_of(database, run_id, "send")
    assert [message["to"] for message in smtp_sink.messages] == [[email]]
    assert send.output["status"] == "sent"
    rows = _sends(database, demo.tenant_id, contact_id)
    assert [(row.path, row.status, row.address) for row in rows] == [("agent", "sent", email)]
    assert rows[0].provider_message_id == send.output["message_id"]


def test_send_waits_for_approval_by_default(
    database: Database, demo: DemoTenant, smtp_sink: SmtpSink
) -> None:
    admin = actor_of(database, demo.tenant_id, demo.admin_email)
    rep = user_with_role(database, demo.tenant_id, "sales_rep", 5)
    actor = actor_of(database, demo.tenant_id, rep.email)
    email = f"waits.{uuid.uuid4().hex[:6]}@example.com"
    lead_id = new_lead(database, actor, name="黄磊", email=email)
    contact_id = consenting_contact(database, admin, email)
    tools = connectors(None, smtp_sink)

    run_id = start_run(database, actor, "lead_conversion", lead_id)
    rested = advance(database, actor, run_id, tools)

    send = step_of(database, run_id, "send")
    assert rested.status == "waiting_approval"
    assert send.status == "waiting_approval"
    assert send.approval_reason == "outbound"
    assert smtp_sink.messages == []
    assert _sends(database, demo.tenant_id, contact_id) == []

    decide(database, actor, run_id, "send", approve=False)
    advance(database, actor, run_id, tools)

    assert step_of(database, run_id, "send").status == "skipped"
    assert smtp_sink.messages == []
    assert _sends(database, demo.tenant_id, contact_id) == []


def test_auto_approved_send_still_passes_gate(
    database: Database, demo: DemoTenant, smtp_sink: SmtpSink
) -> None:
    admin = actor_of(database, demo.tenant_id, demo.admin_email)
    rep = user_with_role(database, demo.tenant_id, "sales_rep", 6)
    actor = actor_of(database, demo.tenant_id, rep.email)
    email = f"auto.{uuid.uuid4().hex[:6]}@example.com"
    lead_id = new_lead(database, actor, name="罗敏", email=email)
    contact_id = consenting_contact(database, admin, email, status="withdrawn")
    with database.session() as session:
        AgentService(session, admin).update_setting(
            "lead_conversion", None, {"auto_approve_outbound": True}
        )
    try:
        run_id = start_run(database, actor, "lead_conversion", lead_id)
        finished = advance(database, actor, run_id, connectors(None, smtp_sink))
    finally:
        with database.session() as session:
            AgentService(session, admin).update_setting("lead_conversion", None, {})

    run = detail(database, actor, run_id)
    assert finished.status == "done"
    assert "approval_requested" not in [event.kind for event in run.trace]
    assert smtp_sink.messages == []
    assert run.outcome["blocked_messages"][0]["reason"] == "no_consent"
    assert run.outcome["blocked_messages"][0]["contact_id"] == str(contact_id)


def test_step_stored_without_approval_still_waits(
    database: Database, demo: DemoTenant, smtp_sink: SmtpSink
) -> None:
    admin = actor_of(database, demo.tenant_id, demo.admin_email)
    rep = user_with_role(database, demo.tenant_id, "sales_rep", 7)
    actor = actor_of(database, demo.tenant_id, rep.email)
    email = f"later.{uuid.uuid4().hex[:6]}@example.com"
    lead_id = new_lead(database, actor, name="宋佳", email=email)
    consenting_contact(database, admin, email)
    tools = connectors(None, smtp_sink)
    run_id = start_run(database, actor, "lead_conversion", lead_id)
    advance(database, actor, run_id, tools)
    # The state a step has when it was planned while automatic approval was on.
    with database.session() as session:
        send = session.get(AgentStep, step_of(database, run_id, "send").id)
        assert send is not None
        send.needs_approval = False
        send.approval_reason = None
        send.status = "pending"

    rested = advance(database, actor, run_id, tools)

    assert rested.status == "waiting_approval"
    assert step_of(database, run_id, "send").status == "waiting_approval"
    assert smtp_sink.messages == []
