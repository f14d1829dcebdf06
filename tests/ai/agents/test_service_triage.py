"""Service triage end to end on a demo tenant, offline: classify, route, reply draft, escalation."""

from __future__ import annotations

import json
import uuid

from agents_support import (
    DemoTenant,
    actor_of,
    advance,
    detail,
    start_run,
    statuses,
    step_of,
    user_with_role,
)
from sqlalchemy import select

from zhike.ai.agents.schemas import PersonResult
from zhike.ai.agents.service import AgentService
from zhike.core.db import Database
from zhike.customers.models import Contact
from zhike.knowledge.objects import KB_ARTICLES
from zhike.knowledge.service import KnowledgeService
from zhike.platform.records import RecordService
from zhike.sales.models import Activity
from zhike.sales.objects import ACTIVITIES
from zhike.security.context import Actor
from zhike.service.models import Ticket
from zhike.service.objects import TICKETS

ANSWER = "请检查网关电源与网线，重启网关后在平台查看在线状态。"


def publish_answer(database: Database, actor: Actor) -> None:
    with database.session() as session:
        article = RecordService(session, actor, KB_ARTICLES).create(
            {
                "kind": "faq",
                "title": "网关离线无法连接怎么办",
                "body": ANSWER,
                "similar_questions": ["网关掉线", "网关连接不上平台"],
            }
        )
        KnowledgeService(session, actor).transition(article.id, "publish", None)


def new_ticket(database: Database, actor: Actor, description: str) -> uuid.UUID:
    with database.session() as session:
        contact = session.scalar(
            select(Contact)
            .where(Contact.tenant_id == actor.tenant_id, Contact.email.is_not(None))
            .order_by(Contact.id)
        )
        assert contact is not None
        ticket = RecordService(session, actor, TICKETS).create(
            {
                "subject": "网关离线无法连接",
                "description": description,
                "priority": "normal",
                "status": "new",
                "contact_id": contact.id,
                "account_id": contact.account_id,
            }
        )
        return ticket.id


def test_triage_routes_drafts_and_escalates(database: Database, demo: DemoTenant) -> None:
    admin = actor_of(database, demo.tenant_id, demo.admin_email)
    agent_user = user_with_role(database, demo.tenant_id, "service_agent")
    actor = actor_of(database, demo.tenant_id, agent_user.email)
    publish_answer(database, admin)
    ticket_id = new_ticket(
        database, actor, "网关昨天开始离线，已影响生产。客户很不满，要求退款并投诉。"
    )

    run_id = start_run(database, actor, "service_triage", ticket_id)
    rested = advance(database, actor, run_id)

    run = detail(database, actor, run_id)
    assert rested.status == "waiting_person"
    assert run.plan["chosen"] == "auto_triage"
    assert statuses(run) == {
        "read": "done",
        "history": "done",
        "classify": "done",
        "route": "done",
        "reply": "done",
        "send_reply": "waiting_person",
        "escalate": "waiting_person",
    }
    by_key = {step.key: step for step in run.steps}
    history = by_key["history"].output
    assert history["customer"] is not None
    assert history["recent"]
    assert history["other_open_tickets"] >= 0
    escalate_inputs = json.dumps(by_key["escalate"].inputs, ensure_ascii=False)
    assert "$steps.history.recent" in escalate_inputs
    classification = by_key["classify"].output
    assert classification["category"] == "故障报修"
    assert classification["source"] == "rules"
    assert classification["needs_escalation"] is True
    assert {"退款", "投诉"} <= set(classification["escalation_reasons"])
    assert classification["priority"] == "high"
    reply = by_key["reply"].output
    assert reply["is_grounded"] is True
    assert ANSWER in reply["body"]
    routed_to = uuid.UUID(by_key["route"].output["owner_id"])
    assert by_key["send_reply"].assignee_id == routed_to
    assert by_key["send_reply"].executor == "person"
    with database.session() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        assert ticket.owner_id == routed_to
        assert ticket.category == "故障报修"
        assert ticket.priority == "high"
        assert ticket.status == "open"
        task = session.get(Activity, by_key["send_reply"].activity_id)
        assert task is not None
        assert task.kind == "task"
        assert task.status == "open"
        assert task.owner_id == routed_to
        assert task.ticket_id == ticket_id
        assert ANSWER in (task.body or "")

    # The routed agent reports through the run; the supervisor just closes the CRM task.
    routed = actor_of(database, demo.tenant_id, _email_of(database, routed_to))
    with database.session() as session:
        AgentService(session, routed, enqueue=lambda tenant_id, run_id: None).report_result(
            run_id, by_key["send_reply"].id, PersonResult(note="已电话确认并发送")
        )
    escalation = step_of(database, run_id, "escalate")
    with database.session() as session:
        RecordService(session, admin, ACTIVITIES).update(
            escalation.activity_id, {"status": "done"}, None
        )
    finished = advance(database, actor, run_id)

    run = detail(database, actor, run_id)
    assert finished.status == "done"
    assert statuses(run)["send_reply"] == "done"
    assert statuses(run)["escalate"] == "done"
    by_key = {step.key: step for step in run.steps}
    assert by_key["send_reply"].output["note"] == "已电话确认并发送"
    assert by_key["send_reply"].output["completed_by"] == str(routed_to)
    assert by_key["escalate"].output["outcome"] == "done"
    assert run.outcome["is_goal_met"] is True
    kinds = [event.kind for event in run.trace]
    assert kinds.count("person_task") == 2
    assert kinds.count("person_result") == 2


def test_calm_ticket_is_not_escalated(database: Database, demo: DemoTenant) -> None:
    agent_user = user_with_role(database, demo.tenant_id, "service_agent", 1)
    actor = actor_of(database, demo.tenant_id, agent_user.email)
    ticket_id = new_ticket(database, actor, "请问如何导出设备报表？")

    run_id = start_run(database, actor, "service_triage", ticket_id)
    advance(database, actor, run_id)

    run = detail(database, actor, run_id)
    by_key = {step.key: step for step in run.steps}
    assert by_key["classify"].output["needs_escalation"] is False
    assert by_key["escalate"].status == "skipped"
    assert by_key["escalate"].error == "trigger condition not met"


def _email_of(database: Database, user_id: uuid.UUID) -> str:
    from zhike.security.models import User

    with database.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.email
