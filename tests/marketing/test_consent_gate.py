"""Consent ledger, signed links, suppression and the send gate on every send path."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from marketing_support import (
    PASSWORD,
    configure_email,
    create_contact,
    grant,
    run_cycle,
    smtp_server,
)
from sqlalchemy import select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.marketing.automation_models import MessageSend
from zhike.marketing.campaign_send import SendMessageArguments, send_message_tool
from zhike.marketing.consent import tenant_settings
from zhike.marketing.gate import quiet_until


def _send(client: TestClient, contact_id: str, **extra: object) -> dict[str, object]:
    response = client.post(
        "/api/v1/marketing/messages",
        json={
            "contact_id": contact_id,
            "channel": "email",
            "subject": "春季新品",
            "body": "<p>{{ contact.name }}，您好</p>",
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def _unsubscribe_link(message: object) -> str:
    header = str(message["List-Unsubscribe"])  # type: ignore[index]
    return header.strip("<>").removeprefix("http://testserver")


def test_send_without_consent_is_blocked(client: TestClient) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port)
        contact = create_contact(client, "李雷", email="lilei@example.com")

        sent = _send(client, contact)

        assert sent["status"] == "blocked"
        assert sent["reason"] == "no_consent"
        assert sent["path"] == "api"
        assert sink.messages == []


def test_send_with_consent_is_delivered(client: TestClient) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port)
        contact = create_contact(client, "韩梅梅", email="hanmeimei@example.com")
        grant(client, contact)

        sent = _send(client, contact)

        assert sent["status"] == "sent"
        messages = sink.to("hanmeimei@example.com")
        assert len(messages) == 1
        assert messages[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert messages[0]["Subject"] == "春季新品"
        html = messages[0].get_body(("html",)).get_content()  # type: ignore[attr-defined]
        assert "韩梅梅，您好" in html


def test_unsubscribe_link_blocks_next_send(client: TestClient) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port)
        contact = create_contact(client, "张伟", email="zhangwei@example.com")
        grant(client, contact)
        assert _send(client, contact)["status"] == "sent"
        link = _unsubscribe_link(sink.messages[0])

        page = client.get(link)
        assert page.status_code == 200
        # Showing the page changes nothing: only the POST unsubscribes.
        assert _send(client, contact)["status"] == "sent"

        done = client.post(link, content="List-Unsubscribe=One-Click")
        assert done.status_code == 200
        # The very next request, right after the unsubscribe committed, is refused.
        after = _send(client, contact)

        assert after["status"] == "blocked"
        assert after["reason"] == "no_consent"
        assert len(sink.messages) == 2
        ledger = client.get(f"/api/v1/marketing/contacts/{contact}/consents").json()
        assert [line["status"] for line in ledger] == ["granted", "withdrawn"]
        assert ledger[1]["source"] == "unsubscribe_link"
        suppressed = client.get("/api/v1/marketing/suppressions").json()
        assert [(row["address"], row["reason"]) for row in suppressed] == [
            ("zhangwei@example.com", "unsubscribed")
        ]


def test_altered_unsubscribe_link_is_rejected(client: TestClient) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port)
        contact = create_contact(client, "王芳", email="wangfang@example.com")
        grant(client, contact)
        _send(client, contact)
        link = _unsubscribe_link(sink.messages[0])
        tenant_part, body, signature = link.rsplit("/", 1)[1].split(".")
        forged = link.rsplit("/", 1)[0] + "/" + ".".join((tenant_part, body + "x", signature))

        response = client.post(forged)

        assert response.status_code == 400
        assert response.json()["code"] == "marketing_invalid_link"
        ledger = client.get(f"/api/v1/marketing/contacts/{contact}/consents").json()
        assert [line["status"] for line in ledger] == ["granted"]


def test_expired_unsubscribe_link_is_rejected(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    from zhike.marketing.consent import sign_token

    contact = create_contact(client, "赵敏", email="zhaomin@example.com")
    with database.session() as session:
        settings = tenant_settings(session, tenant.tenant.id)
        token = sign_token(
            settings,
            {
                "k": "unsubscribe",
                "c": contact.replace("-", ""),
                "ch": "email",
                "p": "marketing",
                "e": 1,
            },
        )

    response = client.post(f"/api/v1/marketing/unsubscribe/{token}")

    assert response.status_code == 400
    assert response.json()["code"] == "marketing_link_expired"


def test_double_opt_in_waits_for_confirmation(client: TestClient) -> None:
    with smtp_server() as (_, port):
        configure_email(client, port, double_opt_in_channels=["email"])
        contact = create_contact(client, "陈静", email="chenjing@example.com")

        pending = grant(client, contact)
        before = _send(client, contact)
        confirmed = client.get(str(pending["confirmation_url"]).removeprefix("http://testserver"))
        after = _send(client, contact)

        assert pending["status"] == "pending"
        assert before["reason"] == "consent_pending"
        assert confirmed.status_code == 200
        assert after["status"] == "sent"
        ledger = client.get(f"/api/v1/marketing/contacts/{contact}/consents").json()
        assert [line["status"] for line in ledger] == ["pending", "granted"]
        assert ledger[1]["source"] == "double_opt_in"


def test_manual_suppression_blocks_send(client: TestClient) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port)
        contact = create_contact(client, "刘洋", email="LiuYang@Example.com")
        grant(client, contact)
        response = client.post(
            "/api/v1/marketing/suppressions",
            json={"channel": "email", "address": " liuyang@example.com ", "note": "客户电话要求"},
        )
        assert response.status_code == 201

        sent = _send(client, contact)

        assert sent["reason"] == "suppressed"
        assert sink.messages == []


def test_frequency_cap_blocks_extra_sends(client: TestClient) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port, frequency_cap=2)
        contact = create_contact(client, "孙丽", email="sunli@example.com")
        grant(client, contact)

        results = [_send(client, contact)["status"] for _ in range(3)]

        assert results == ["sent", "sent", "blocked"]
        assert len(sink.messages) == 2


def test_quiet_hours_in_contact_zone(database: Database, tenant: TenantInfo) -> None:
    with database.session() as session:
        settings = tenant_settings(session, tenant.tenant.id)
        settings.quiet_hours_start, settings.quiet_hours_end = "21:00", "08:00"
        # 14:30 UTC is 22:30 in Shanghai (quiet) and 09:30 in New York (not quiet).
        now = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)

        shanghai = quiet_until(settings, "Asia/Shanghai", now)
        new_york = quiet_until(settings, "America/New_York", now)

        assert shanghai == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)
        assert new_york is None


def test_quiet_hours_defer_api_send(client: TestClient) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port, quiet_hours_start="00:00", quiet_hours_end="23:59")
        contact = create_contact(client, "周杰", email="zhoujie@example.com")
        grant(client, contact)

        sent = _send(client, contact)

        assert sent["status"] == "deferred"
        assert sent["reason"] == "quiet_hours"
        assert sink.messages == []


def test_every_path_goes_through_gate(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    """Journey, campaign, API and agent sends: consented contacts get mail, others are blocked."""
    with smtp_server() as (sink, port):
        configure_email(client, port)
        allowed = create_contact(client, "许可", email="allowed@example.com", city="杭州")
        refused = create_contact(client, "未许可", email="refused@example.com", city="杭州")
        grant(client, allowed)
        segment = client.post(
            "/api/v1/marketing/segments",
            json={
                "name": "杭州客户",
                "definition": {"filters": [{"field": "city", "op": "eq", "value": "杭州"}]},
            },
        ).json()
        assert segment["member_count"] == 2
        campaign = client.post(
            "/api/v1/campaigns", json={"name": "春季活动", "channel": "email"}
        ).json()
        journey = client.post(
            "/api/v1/marketing/journeys",
            json={
                "name": "欢迎旅程",
                "graph": {
                    "trigger": {"kind": "manual"},
                    "start": "hello",
                    "steps": [
                        {
                            "type": "send",
                            "id": "hello",
                            "channel": "email",
                            "subject": "欢迎",
                            "body": "欢迎加入",
                        }
                    ],
                },
            },
        ).json()
        assert (
            client.post(f"/api/v1/marketing/journeys/{journey['id']}/activate").status_code == 200
        )

        client.post(
            f"/api/v1/marketing/journeys/{journey['id']}/enrollments",
            json={"ids": [allowed, refused]},
        )
        client.post(
            f"/api/v1/marketing/campaigns/{campaign['id']}/send",
            json={
                "segment_id": segment["id"],
                "channel": "email",
                "subject": "活动",
                "body": "春季活动开始",
            },
        )
        for contact in (allowed, refused):
            _send(client, contact)
        with database.session() as session:
            for contact in (allowed, refused):
                send_message_tool(
                    session,
                    tenant.actor,
                    SendMessageArguments(
                        contact_id=contact, channel="email", subject="提醒", body="您的专属优惠"
                    ),
                )
        run_cycle(database)

        with database.session() as session:
            rows = session.execute(
                select(
                    MessageSend.path, MessageSend.address, MessageSend.status, MessageSend.reason
                ).where(MessageSend.tenant_id == tenant.tenant.id)
            ).all()
        outcome = sorted((path, address, status, reason) for path, address, status, reason in rows)
        assert outcome == sorted(
            [
                (path, "allowed@example.com", "sent", None)
                for path in ("agent", "api", "campaign", "journey")
            ]
            + [
                (path, "refused@example.com", "blocked", "no_consent")
                for path in ("agent", "api", "campaign", "journey")
            ]
        )
        assert len(sink.to("allowed@example.com")) == 4
        assert sink.to("refused@example.com") == []


def test_rep_cannot_send_marketing(
    client: TestClient, tenant: TenantInfo, database: Database
) -> None:
    email = f"rep-{secrets.token_hex(3)}@example.com"
    created = client.post(
        "/api/v1/users",
        json={"email": email, "display_name": "王销售", "password": PASSWORD, "role": "sales_rep"},
    )
    assert created.status_code == 201, created.text
    contact = create_contact(client, "客户甲", email="kehu@example.com")
    with TestClient(client.app) as rep:
        token = rep.post(
            "/api/v1/auth/login", json={"tenant": tenant.slug, "email": email, "password": PASSWORD}
        ).json()["access_token"]
        rep.headers["Authorization"] = f"Bearer {token}"

        response = rep.post(
            "/api/v1/marketing/messages",
            json={"contact_id": contact, "channel": "email", "body": "hi"},
        )
        consent = rep.post(
            "/api/v1/marketing/consents",
            json={
                "contact_id": contact,
                "channel": "phone",
                "source": "call",
                "wording_version": "v1",
            },
        )

    assert response.status_code == 403
    assert response.json()["code"] == "action_forbidden"
    assert consent.status_code == 201
    with database.session() as session:
        assert (
            session.scalars(
                select(MessageSend).where(MessageSend.tenant_id == tenant.tenant.id)
            ).all()
            == []
        )


def test_anonymous_cannot_read_consents(database: Database, client: TestClient) -> None:
    contact = create_contact(client, "匿名测试", email="anon@example.com")
    with TestClient(client.app) as anonymous:
        response = anonymous.get(f"/api/v1/marketing/contacts/{contact}/consents")
    assert response.status_code == 401


def test_link_text_has_no_secret(client: TestClient) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port)
        contact = create_contact(client, "链接测试", email="links@example.com")
        grant(client, contact)
        _send(client, contact, body='<a href="https://zhike.example.com/offer">看看</a>')

        html = sink.messages[0].get_body(("html",)).get_content()  # type: ignore[union-attr]
        links = re.findall(r'href="([^"]+)"', html)

        assert len(links) == 1
        assert links[0].startswith("http://testserver/api/v1/marketing/t/c/")
        redirect = client.get(links[0].removeprefix("http://testserver"), follow_redirects=False)
        assert redirect.status_code == 302
        assert redirect.headers["location"] == "https://zhike.example.com/offer"
