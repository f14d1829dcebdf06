"""The context engine: the asker, the customer's history, links, ranking, memory and permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from context_support import (
    EMAIL,
    MOBILE,
    actor_of,
    add_activity,
    add_customer,
    add_ticket,
    add_user,
    this_morning,
)
from fastapi.testclient import TestClient
from testkit import TenantInfo

from zhike.ai.context.memory import remember_interaction
from zhike.ai.context.schemas import InteractionCreate, RecordRef, Subject, Where
from zhike.ai.context.service import build_context
from zhike.ai.models.models import ModelScore
from zhike.core.db import Database
from zhike.core.errors import NotFound
from zhike.core.timeutil import utc_now
from zhike.security.models import Team, User
from zhike.service.models import TicketMessage


def test_morning_complaint_is_in_afternoon_context(database: Database, tenant: TenantInfo) -> None:
    customer = add_customer(database, tenant)
    morning = this_morning()
    ticket_id = add_ticket(
        database,
        tenant,
        customer,
        "快递延迟三天还没到，客户投诉",
        morning,
        status="open",
        priority="high",
        category="complaint",
        channel="phone",
    )
    add_activity(
        database,
        tenant,
        customer,
        "已联系物流催件",
        morning + timedelta(hours=1),
        ticket_id=ticket_id,
    )

    with database.session() as session:
        context = build_context(
            session,
            actor_of(database, tenant),
            Subject(email=EMAIL.upper()),
            Where(module="service", channel="web_chat"),
        )

    assert context.customer is not None
    assert context.customer.contact_id == customer.contact_id
    assert context.customer.account_id == customer.account_id
    assert context.customer.matched_by == "email"
    ticket = next(item for item in context.items if item.id == ticket_id)
    assert ticket.is_open
    assert ticket.channel == "phone"
    assert ticket.progress == ["已联系物流催件"]
    assert context.ranked()[0].id == ticket_id
    assert context.open_issues == [ticket_id]
    assert {"open", "complaint", "priority_high"} <= set(ticket.reasons)


def test_ticket_conversation_is_part_of_progress(database: Database, tenant: TenantInfo) -> None:
    customer = add_customer(database, tenant)
    morning = this_morning()
    ticket_id = add_ticket(database, tenant, customer, "快递延迟", morning, status="open")
    with database.session() as session:
        for minutes, author, body in (
            (0, "customer", "订单三天了还没发货"),
            (30, "agent", "已催仓库今天发出"),
        ):
            session.add(
                TicketMessage(
                    tenant_id=tenant.tenant.id,
                    ticket_id=ticket_id,
                    author_kind=author,
                    body=body,
                    created_at=morning + timedelta(minutes=minutes),
                )
            )

    with database.session() as session:
        context = build_context(session, actor_of(database, tenant), Subject(phone=MOBILE))

    ticket = next(item for item in context.items if item.id == ticket_id)
    assert ticket.progress == ["customer: 订单三天了还没发货", "agent: 已催仓库今天发出"]
    assert "发货" in ticket.topics


def test_phone_in_another_format_recognises_contact(database: Database, tenant: TenantInfo) -> None:
    customer = add_customer(database, tenant)

    with database.session() as session:
        context = build_context(
            session,
            actor_of(database, tenant),
            Subject(phone=f"+86 {MOBILE[:3]}-{MOBILE[3:7]}-{MOBILE[7:]}"),
        )

    assert context.customer is not None
    assert context.customer.contact_id == customer.contact_id
    assert context.customer.matched_by == "phone"


def test_complaint_then_refund_is_linked_and_ranked(database: Database, tenant: TenantInfo) -> None:
    customer = add_customer(database, tenant)
    now = utc_now()
    complaint = add_ticket(
        database,
        tenant,
        customer,
        "投诉：物流延迟一周",
        now - timedelta(days=5),
        status="open",
        category="complaint",
    )
    refund = add_ticket(
        database,
        tenant,
        customer,
        "物流延迟，申请退款",
        now - timedelta(days=3),
        status="new",
    )
    routine = add_ticket(
        database,
        tenant,
        customer,
        "咨询发票抬头怎么填",
        now - timedelta(days=120),
        status="open",
        priority="low",
        category="inquiry",
    )
    add_ticket(
        database,
        tenant,
        customer,
        "咨询产品手册",
        now - timedelta(days=90),
        status="closed",
        category="inquiry",
    )

    with database.session() as session:
        context = build_context(
            session, actor_of(database, tenant), Subject(contact_id=customer.contact_id), now=now
        )

    assert [item.id for item in context.items] == [routine, complaint, refund]
    assert [(link.cause_id, link.effect_id, link.reason) for link in context.links] == [
        (complaint, refund, "complaint_then_remedy")
    ]
    assert context.links[0].gap_hours == 48.0
    assert "物流" in context.links[0].shared_topics
    ranks = {item.id: item.rank for item in context.items}
    assert ranks[complaint] < ranks[routine]
    assert ranks[refund] < ranks[routine]


def test_new_event_is_in_the_next_context(database: Database, tenant: TenantInfo) -> None:
    customer = add_customer(database, tenant)
    actor = actor_of(database, tenant)
    with database.session() as session:
        before = build_context(session, actor, Subject(phone=MOBILE))

    with database.session() as session:
        remembered = remember_interaction(
            session,
            actor,
            InteractionCreate(
                subject=Subject(phone=MOBILE),
                channel="web_chat",
                summary="客户在网页咨询退款进度",
                session_id="chat-42",
            ),
        )
    with database.session() as session:
        after = build_context(session, actor, Subject(email=EMAIL))

    assert before.items == []
    assert remembered.customer.contact_id == customer.contact_id
    assert [(item.id, item.channel, item.title) for item in after.items] == [
        (remembered.activity_id, "web_chat", "客户在网页咨询退款进度")
    ]


def test_unknown_customer_is_not_remembered(database: Database, tenant: TenantInfo) -> None:
    with database.session() as session, pytest.raises(NotFound) as raised:
        remember_interaction(
            session,
            actor_of(database, tenant),
            InteractionCreate(
                subject=Subject(phone="13900000000"), channel="phone", summary="来电"
            ),
        )

    assert raised.value.code == "assistant_unknown_customer"


def test_asker_and_screen_record_name_the_customer(database: Database, tenant: TenantInfo) -> None:
    customer = add_customer(database, tenant)
    with database.session() as session:
        team = Team(tenant_id=tenant.tenant.id, name="华东客服组")
        session.add(team)
        session.flush()
        agent = User(
            tenant_id=tenant.tenant.id,
            email=f"agent@{tenant.slug}.example.com",
            display_name="客服小李",
            role="service_agent",
            team_id=team.id,
        )
        session.add(agent)
        session.flush()
        agent_id = agent.id

    with database.session() as session:
        context = build_context(
            session,
            actor_of(database, tenant, agent_id),
            where=Where(
                module="service", record=RecordRef(object="contacts", id=customer.contact_id)
            ),
        )

    assert context.asker.role == "service_agent"
    assert context.asker.role_name == "客服专员"
    assert context.asker.team == "华东客服组"
    assert context.asker.timezone == "Asia/Shanghai"
    assert context.asker.permissions["tickets"] == ["create", "read", "update"]
    assert "opportunities" not in context.asker.permissions
    assert context.customer is not None
    assert context.customer.matched_by == "contact_id"
    assert context.hidden_kinds == ["opportunities"]


def test_other_reps_customer_has_no_history(database: Database, tenant: TenantInfo) -> None:
    customer = add_customer(database, tenant)
    add_ticket(database, tenant, customer, "投诉：物流延迟", this_morning(), status="open")
    rep = add_user(database, tenant, "rep", "sales_rep")

    with database.session() as session:
        by_phone = build_context(session, actor_of(database, tenant, rep), Subject(phone=MOBILE))
        by_id = build_context(
            session, actor_of(database, tenant, rep), Subject(contact_id=customer.contact_id)
        )

    assert by_phone.customer is None
    assert by_phone.items == []
    assert by_id.customer is None


def test_owner_rep_sees_own_items_only(database: Database, tenant: TenantInfo) -> None:
    rep = add_user(database, tenant, "owner-rep", "sales_rep")
    customer = add_customer(database, tenant, owner_id=rep)
    mine = add_activity(database, tenant, customer, "拜访客户", this_morning(), owner_id=rep)
    add_activity(database, tenant, customer, "管理员的备注", this_morning())

    with database.session() as session:
        context = build_context(
            session, actor_of(database, tenant, rep), Subject(account_id=customer.account_id)
        )

    assert [item.id for item in context.items] == [mine]


def test_stored_scores_are_included(database: Database, tenant: TenantInfo) -> None:
    customer = add_customer(database, tenant)
    with database.session() as session:
        session.add(
            ModelScore(
                tenant_id=tenant.tenant.id,
                object_name="accounts",
                record_id=customer.account_id,
                template="churn",
                score=0.82,
                label="high",
                source="rules",
                top_factors=[{"feature": "open_complaints", "effect": 0.4}],
            )
        )

    with database.session() as session:
        context = build_context(
            session, actor_of(database, tenant), Subject(account_id=customer.account_id)
        )

    stored = {score.template: score for score in context.scores}
    assert (stored["churn"].score, stored["churn"].label) == (0.82, "high")
    assert stored["churn"].top_factors == [{"feature": "open_complaints", "effect": 0.4}]
    assert {score.record_id for score in context.scores} == {customer.account_id}


def test_api_context_and_interactions(
    database: Database, tenant: TenantInfo, client: TestClient
) -> None:
    customer = add_customer(database, tenant)

    created = client.post(
        "/api/v1/assistant/interactions",
        json={"subject": {"email": EMAIL}, "channel": "email", "summary": "客户来信询问发货时间"},
    )
    context = client.post(
        "/api/v1/assistant/context",
        json={"subject": {"phone": MOBILE}, "where": {"module": "service", "channel": "phone"}},
    )
    missing = client.post(
        "/api/v1/assistant/interactions",
        json={"subject": {"phone": "13900000000"}, "channel": "phone", "summary": "来电"},
    )
    empty = client.post(
        "/api/v1/assistant/interactions",
        json={"subject": {}, "channel": "phone", "summary": "来电"},
    )

    assert created.status_code == 201, created.text
    assert created.json()["customer"]["contact_id"] == str(customer.contact_id)
    assert context.status_code == 200, context.text
    body = context.json()
    assert body["customer"]["matched_by"] == "phone"
    assert [(item["kind"], item["channel"], item["title"]) for item in body["items"]] == [
        ("activity", "email", "客户来信询问发货时间")
    ]
    assert body["asker"]["role"] == "administrator"
    assert missing.status_code == 404
    assert missing.json()["code"] == "assistant_unknown_customer"
    assert empty.status_code == 422
