"""Escalation messages by email and WeCom: settings, sending, token refresh, retries and hand-offs.

WeCom and SMTP are local servers speaking the real protocols (see fake_servers.py).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fake_servers import FakeWeCom, Inbox, smtp_server, wecom_server
from fastapi.testclient import TestClient
from service_support import add_policy, add_user, intake, login
from sqlalchemy import select
from testkit import TenantInfo

from zhike.audit.models import AuditEvent
from zhike.core.db import Database
from zhike.core.settings import Settings
from zhike.security.models import Tenant
from zhike.service.escalation_delivery import MAX_ATTEMPTS, deliver_due
from zhike.service.jobs import run_sla_checks
from zhike.service.models import EscalationDelivery
from zhike.service.wecom import forget_tokens

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPENED = datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)  # a Monday at 09:00
CORP_ID = "ww-test-corp"
CORP_SECRET = "corp-secret-value-7f3a"


@pytest.fixture
def wecom() -> Iterator[FakeWeCom]:
    forget_tokens()
    with wecom_server(CORP_ID, CORP_SECRET) as server:
        yield server
    forget_tokens()


@pytest.fixture
def mail() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


def _smtp_settings(database: Database, port: int) -> Settings:
    return Settings(
        database_url=database.settings.database_url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="desk@example.com",
    )


def _configure(
    client: TestClient, wecom: FakeWeCom, channels: dict[str, list[str]], secret: str = CORP_SECRET
) -> dict[str, object]:
    response = client.put(
        "/api/v1/service/escalation-delivery",
        json={
            "channels": channels,
            "wecom": {
                "base_url": wecom.base_url,
                "corp_id": CORP_ID,
                "agent_id": 1000002,
                "corp_secret": secret,
            },
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _wecom_id(client: TestClient, user_id: str, wecom_user_id: str) -> None:
    response = client.put(
        f"/api/v1/service/agents/{user_id}",
        json={"skills": [], "max_open_tickets": 5, "wecom_user_id": wecom_user_id},
    )
    assert response.status_code == 200, response.text


def _rows(database: Database, ticket_id: str) -> list[EscalationDelivery]:
    with database.session() as session:
        rows = session.scalars(
            select(EscalationDelivery)
            .where(EscalationDelivery.ticket_id == uuid.UUID(ticket_id))
            .order_by(EscalationDelivery.event, EscalationDelivery.channel)
        ).all()
        session.expunge_all()
        return list(rows)


def test_settings_store_secret_encrypted(
    client: TestClient, database: Database, tenant: TenantInfo, wecom: FakeWeCom
) -> None:
    shown = _configure(client, wecom, {"warning": ["email", "wecom"], "breach": ["wecom"]})

    assert shown["channels"] == {"warning": ["email", "wecom"], "breach": ["wecom"], "handoff": []}
    assert shown["wecom"] == {
        "base_url": wecom.base_url,
        "corp_id": CORP_ID,
        "agent_id": 1000002,
        "corp_secret": "****7f3a",
    }
    with database.session() as session:
        stored = session.get(Tenant, tenant.tenant.id)
        assert stored is not None
        raw = json.dumps(stored.settings)
        audit = json.dumps(
            [
                event.changes
                for event in session.scalars(
                    select(AuditEvent).where(AuditEvent.tenant_id == tenant.tenant.id)
                )
            ],
            default=str,
        )
    assert CORP_SECRET not in raw
    assert CORP_SECRET not in audit
    assert "wecom.corp_secret" in audit

    # Sending the mask back keeps the stored secret.
    again = _configure(client, wecom, {"warning": ["wecom"]}, secret="****7f3a")
    assert again["wecom"]["corp_secret"] == "****7f3a"  # type: ignore[index]


def test_wecom_without_application_is_rejected(client: TestClient) -> None:
    response = client.put(
        "/api/v1/service/escalation-delivery", json={"channels": {"breach": ["wecom"]}}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "service_wecom_not_configured"
    current = client.get("/api/v1/service/escalation-delivery").json()
    assert current["channels"] == {"warning": [], "breach": [], "handoff": []}
    assert current["wecom"] is None


def test_settings_need_administrator(
    client: TestClient, tenant: TenantInfo, wecom: FakeWeCom
) -> None:
    _, email = add_user(client, "service_agent")
    with login(tenant.slug, email) as agent:
        denied_read = agent.get("/api/v1/service/escalation-delivery")
        denied_write = agent.put(
            "/api/v1/service/escalation-delivery", json={"channels": {"warning": ["email"]}}
        )

    assert denied_read.status_code == 403
    assert denied_write.status_code == 403
    current = client.get("/api/v1/service/escalation-delivery").json()
    assert current["channels"]["warning"] == []


def test_warning_and_breach_go_out(
    client: TestClient,
    database: Database,
    tenant: TenantInfo,
    wecom: FakeWeCom,
    mail: tuple[Inbox, int],
) -> None:
    inbox, port = mail
    settings = _smtp_settings(database, port)
    admin_id = str(tenant.admin.id)
    _wecom_id(client, admin_id, "zhangsan")
    wecom.known_users.add("zhangsan")
    _configure(client, wecom, {"warning": ["email", "wecom"], "breach": ["wecom"]})
    add_policy(client, "normal", 60, 8 * 60)
    ticket = intake(client, opened_at=OPENED.isoformat())

    run_sla_checks(database, now=OPENED + timedelta(minutes=46))
    pending = _rows(database, ticket["id"])
    counts = deliver_due(
        database, settings, OPENED + timedelta(minutes=46), tenant_ids=[tenant.tenant.id]
    )

    assert [(row.event, row.channel, row.status) for row in pending] == [
        ("warning", "email", "pending"),
        ("warning", "wecom", "pending"),
    ]
    assert counts == {"sent": 2}
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["to"] == tenant.admin_email
    assert inbox.messages[0]["subject"] == f"【知客】工单 {ticket['number']} 即将超出 SLA 时限"
    assert "2026-03-09 10:00" in inbox.messages[0]["text"]
    assert len(wecom.sent) == 1
    assert wecom.sent[0]["touser"] == "zhangsan"
    assert wecom.sent[0]["agentid"] == 1000002
    assert ticket["number"] in wecom.sent[0]["text"]["content"]
    assert wecom.token_fetches == 1

    run_sla_checks(database, now=OPENED + timedelta(minutes=61))
    deliver_due(database, settings, OPENED + timedelta(minutes=61), tenant_ids=[tenant.tenant.id])
    rows = _rows(database, ticket["id"])

    assert [(row.event, row.channel, row.status) for row in rows] == [
        ("breach", "wecom", "sent"),
        ("warning", "email", "sent"),
        ("warning", "wecom", "sent"),
    ]
    assert len(wecom.sent) == 2
    assert "已超出 SLA" in wecom.sent[1]["text"]["content"]
    # The cached token served the second message.
    assert wecom.token_fetches == 1
    assert len(inbox.messages) == 1


def test_expired_token_is_refreshed(
    client: TestClient, database: Database, tenant: TenantInfo, wecom: FakeWeCom
) -> None:
    admin_id = str(tenant.admin.id)
    _wecom_id(client, admin_id, "lisi")
    wecom.known_users.add("lisi")
    _configure(client, wecom, {"warning": ["wecom"], "breach": ["wecom"]})
    add_policy(client, "normal", 60, 8 * 60)
    ticket = intake(client, opened_at=OPENED.isoformat())
    settings = Settings(database_url=database.settings.database_url)

    run_sla_checks(database, now=OPENED + timedelta(minutes=46))
    deliver_due(database, settings, OPENED + timedelta(minutes=46), tenant_ids=[tenant.tenant.id])
    wecom.expire_tokens()
    run_sla_checks(database, now=OPENED + timedelta(minutes=61))
    counts = deliver_due(
        database, settings, OPENED + timedelta(minutes=61), tenant_ids=[tenant.tenant.id]
    )

    assert counts == {"sent": 1}
    assert wecom.token_fetches == 2
    assert [row.status for row in _rows(database, ticket["id"])] == ["sent", "sent"]
    assert [row.attempts for row in _rows(database, ticket["id"])] == [1, 1]


def test_failed_send_is_recorded_and_retried(
    client: TestClient,
    database: Database,
    tenant: TenantInfo,
    wecom: FakeWeCom,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin_id = str(tenant.admin.id)
    _wecom_id(client, admin_id, "wangwu")
    wecom.known_users.add("wangwu")
    _configure(client, wecom, {"warning": ["wecom"]})
    add_policy(client, "normal", 60, 8 * 60)
    ticket = intake(client, opened_at=OPENED.isoformat())
    settings = Settings(database_url=database.settings.database_url)
    wecom.failures.append((-1, "system busy"))
    moment = OPENED + timedelta(minutes=46)

    run_sla_checks(database, now=moment)
    # httpx logs each request URL at INFO; WeCom puts the secret and the token in those URLs.
    with (
        caplog.at_level(logging.INFO, logger="zhike.service.escalation_delivery"),
        caplog.at_level(logging.INFO, logger="httpx"),
    ):
        first = deliver_due(database, settings, moment, tenant_ids=[tenant.tenant.id])
    failed = _rows(database, ticket["id"])[0]
    too_early = deliver_due(
        database, settings, moment + timedelta(seconds=30), tenant_ids=[tenant.tenant.id]
    )
    later = deliver_due(
        database, settings, moment + timedelta(seconds=61), tenant_ids=[tenant.tenant.id]
    )
    done = _rows(database, ticket["id"])[0]

    assert first == {"pending": 1}
    assert failed.status == "pending"
    assert failed.attempts == 1
    assert failed.last_error == "WeComError: message/send failed: errcode -1 system busy"
    assert failed.next_attempt_at == moment + timedelta(seconds=60)
    assert too_early == {}
    assert later == {"sent": 1}
    assert (done.status, done.attempts, done.last_error) == ("sent", 2, None)
    assert len(wecom.sent) == 1
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "escalation delivery attempt" in logged
    assert "HTTP Request" in logged
    assert CORP_SECRET not in logged
    assert all(token not in logged for token in wecom.tokens)


def test_unreachable_server_fails_after_attempts(
    client: TestClient, database: Database, tenant: TenantInfo, wecom: FakeWeCom
) -> None:
    admin_id = str(tenant.admin.id)
    _wecom_id(client, admin_id, "zhaoliu")
    _configure(client, wecom, {"warning": ["email"]})
    add_policy(client, "normal", 60, 8 * 60)
    ticket = intake(client, opened_at=OPENED.isoformat())
    # Nothing listens on this port, so every attempt fails to connect.
    from fake_servers import free_port

    settings = _smtp_settings(database, free_port())
    moment = OPENED + timedelta(minutes=46)
    run_sla_checks(database, now=moment)

    for _ in range(MAX_ATTEMPTS):
        moment += timedelta(hours=2)
        deliver_due(database, settings, moment, tenant_ids=[tenant.tenant.id])
    row = _rows(database, ticket["id"])[0]
    listed = client.get("/api/v1/service/escalation-deliveries", params={"status": "failed"}).json()
    retried = client.post(f"/api/v1/service/escalation-deliveries/{row.id}/retry")

    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert row.last_error is not None
    assert row.last_error.startswith("ToolFailed: email not sent")
    assert [item["id"] for item in listed] == [str(row.id)]
    assert listed[0]["ticket_number"] == ticket["number"]
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)


def test_person_without_wecom_id_is_skipped(
    client: TestClient, database: Database, tenant: TenantInfo, wecom: FakeWeCom
) -> None:
    _configure(client, wecom, {"warning": ["wecom"]})
    add_policy(client, "normal", 60, 8 * 60)
    ticket = intake(client, opened_at=OPENED.isoformat())
    settings = Settings(database_url=database.settings.database_url)

    run_sla_checks(database, now=OPENED + timedelta(minutes=46))
    counts = deliver_due(
        database, settings, OPENED + timedelta(minutes=46), tenant_ids=[tenant.tenant.id]
    )
    row = _rows(database, ticket["id"])[0]

    assert counts == {"skipped": 1}
    assert row.last_error == "the recipient has no WeCom user id in the agent settings"
    assert wecom.sent == []


def test_unknown_wecom_user_is_an_error(
    client: TestClient, database: Database, tenant: TenantInfo, wecom: FakeWeCom
) -> None:
    admin_id = str(tenant.admin.id)
    _wecom_id(client, admin_id, "left-company")
    _configure(client, wecom, {"warning": ["wecom"]})
    add_policy(client, "normal", 60, 8 * 60)
    ticket = intake(client, opened_at=OPENED.isoformat())
    settings = Settings(database_url=database.settings.database_url)

    run_sla_checks(database, now=OPENED + timedelta(minutes=46))
    deliver_due(database, settings, OPENED + timedelta(minutes=46), tenant_ids=[tenant.tenant.id])
    row = _rows(database, ticket["id"])[0]

    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "WeComError: WeCom does not know the user id left-company"


def test_bot_handoff_sends_email(
    client: TestClient, database: Database, tenant: TenantInfo, mail: tuple[Inbox, int]
) -> None:
    inbox, port = mail
    response = client.put(
        "/api/v1/service/escalation-delivery", json={"channels": {"handoff": ["email"]}}
    )
    assert response.status_code == 200, response.text
    conversation = client.post("/api/v1/bot/conversations").json()["conversation_id"]
    reply = client.post(
        f"/api/v1/bot/conversations/{conversation}/messages", json={"text": "转人工"}
    ).json()

    counts = deliver_due(database, _smtp_settings(database, port), tenant_ids=[tenant.tenant.id])

    assert reply["action"] == "handoff"
    assert counts == {"sent": 1}
    assert inbox.messages[0]["to"] == tenant.admin_email
    assert inbox.messages[0]["subject"] == f"【知客】机器人已转人工：工单 {reply['ticket_number']}"


def test_no_channels_means_no_messages(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    add_policy(client, "normal", 60, 8 * 60)
    ticket = intake(client, opened_at=OPENED.isoformat())

    escalated = run_sla_checks(database, now=OPENED + timedelta(minutes=46))

    assert escalated[tenant.slug][0]["level"] == 1
    assert _rows(database, ticket["id"]) == []
