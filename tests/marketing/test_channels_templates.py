"""SMS and WeCom channels against local servers, bounces and complaints, templates and variants."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from fastapi.testclient import TestClient
from marketing_support import (
    configure_email,
    create_contact,
    grant,
    sms_server,
    smtp_server,
    wecom_server,
)
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.marketing.consent import tenant_settings


def _message(client: TestClient, contact: str, channel: str, body: str = "您好") -> dict[str, Any]:
    response = client.post(
        "/api/v1/marketing/messages", json={"contact_id": contact, "channel": channel, "body": body}
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_sms_channel_signs_and_sends(client: TestClient) -> None:
    with sms_server("sms-secret") as (log, port):
        client.patch(
            "/api/v1/marketing/settings",
            json={
                "quiet_hours_start": None,
                "quiet_hours_end": None,
                "channels": {
                    "sms": {
                        "base_url": f"http://127.0.0.1:{port}",
                        "access_key_id": "key-1",
                        "access_key_secret": "sms-secret",
                        "sign_name": "知客",
                        "template_code": "SMS_0001",
                    }
                },
            },
        )
        good = create_contact(client, "短信客户", mobile="13812345678")
        bad = create_contact(client, "空号客户", mobile="17000000000")
        grant(client, good, "sms")
        grant(client, bad, "sms")

        sent = _message(client, good, "sms", "{{ contact.name }}，春季特惠")
        bounced = _message(client, bad, "sms")
        settings = client.get("/api/v1/marketing/settings").json()

        assert sent["status"] == "sent"
        assert bounced["status"] == "bounced"
        assert len(log.requests) == 1
        assert log.requests[0]["PhoneNumbers"] == "13812345678"
        assert json.loads(log.requests[0]["TemplateParam"]) == {"content": "短信客户，春季特惠"}
        assert settings["channels"]["sms"]["access_key_secret"] != "sms-secret"
        suppressed = client.get("/api/v1/marketing/suppressions").json()
        assert [(row["channel"], row["address"], row["reason"]) for row in suppressed] == [
            ("sms", "17000000000", "hard_bounce")
        ]


def test_wecom_channel_gets_token_and_sends(client: TestClient) -> None:
    with wecom_server("corp-1", "wecom-secret") as (log, port):
        client.patch(
            "/api/v1/marketing/settings",
            json={
                "quiet_hours_start": None,
                "quiet_hours_end": None,
                "channels": {
                    "wecom": {
                        "base_url": f"http://127.0.0.1:{port}",
                        "corp_id": "corp-1",
                        "corp_secret": "wecom-secret",
                        "agent_id": 1000002,
                    }
                },
            },
        )
        contact = create_contact(client, "企微客户", custom={})
        client.patch(f"/api/v1/contacts/{contact}", json={"custom": {}})
        from zhike.core.db import get_database
        from zhike.customers.models import Contact

        with get_database().session() as session:
            row = session.get(Contact, __import__("uuid").UUID(contact))
            assert row is not None
            row.custom = {"wecom_user_id": "wm_zhangsan"}
        grant(client, contact, "wecom")

        sent = _message(client, contact, "wecom", "新品到店")

        assert sent["status"] == "sent"
        assert log.requests == [
            {
                "touser": "wm_zhangsan",
                "msgtype": "text",
                "agentid": 1000002,
                "text": {"content": "新品到店"},
                "enable_duplicate_check": 1,
                "duplicate_check_interval": 1800,
            }
        ]


def test_smtp_bounce_suppresses_address(client: TestClient) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port)
        contact = create_contact(client, "退信", email="bounce-me@example.com")
        grant(client, contact)

        first = _message(client, contact, "email")
        second = _message(client, contact, "email")

        assert first["status"] == "bounced"
        assert second["status"] == "blocked"
        assert second["reason"] == "suppressed"
        assert sink.messages == []


def test_complaint_webhook_needs_signature(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with database.session() as session:
        key = tenant_settings(session, tenant.tenant.id).signing_key
    body = json.dumps({"type": "complaint", "address": "Angry@Example.com"}).encode()
    signature = "sha256=" + hmac.new(bytes.fromhex(key), body, hashlib.sha256).hexdigest()
    url = f"/api/v1/marketing/webhooks/email-feedback/{tenant.tenant.id}"

    forged = client.post(url, content=body, headers={"X-Zhike-Signature": "sha256=00"})
    accepted = client.post(url, content=body, headers={"X-Zhike-Signature": signature})

    assert forged.status_code == 403
    assert forged.json()["code"] == "marketing_bad_signature"
    assert accepted.status_code == 204
    suppressed = client.get("/api/v1/marketing/suppressions").json()
    assert [(row["address"], row["reason"]) for row in suppressed] == [
        ("angry@example.com", "complaint")
    ]


def test_template_merge_conditions_and_escaping(client: TestClient) -> None:
    contact = create_contact(client, "<b>李</b>", city="上海")
    template = client.post(
        "/api/v1/marketing/templates",
        json={
            "name": "城市问候",
            "channel": "email",
            "subject": "{{ contact.name }}的专属优惠",
            "body": (
                "<p>{{ contact.name }}</p>{% if contact.city == '上海' %}<p>上海门店见</p>"
                "{% else %}<p>线上见</p>{% endif %}"
            ),
        },
    ).json()

    rendered = client.post(
        f"/api/v1/marketing/templates/{template['id']}/render", json={"contact_id": contact}
    ).json()

    assert rendered["subject"] == "<b>李</b>的专属优惠"
    assert rendered["body"] == "<p>&lt;b&gt;李&lt;/b&gt;</p><p>上海门店见</p>"


def test_template_sandbox_and_syntax(client: TestClient) -> None:
    contact = create_contact(client, "沙箱")
    broken = client.post(
        "/api/v1/marketing/templates",
        json={
            "name": "坏模板",
            "channel": "email",
            "body": "第一行\n{% if contact.city %}没有结束",
        },
    )
    probing = client.post(
        "/api/v1/marketing/templates",
        json={"name": "越权模板", "channel": "email", "body": "{{ contact.__class__.__mro__ }}"},
    ).json()
    rendered = client.post(
        f"/api/v1/marketing/templates/{probing['id']}/render", json={"contact_id": contact}
    )

    assert broken.status_code == 400
    assert broken.json()["code"] == "marketing_template_syntax"
    assert (
        "line 2"
        in client.post(
            "/api/v1/marketing/templates",
            json={
                "name": "坏模板",
                "channel": "email",
                "body": "第一行\n{% if contact.city %}没有结束",
            },
            headers={"Accept-Language": "en"},
        ).json()["detail"]
    )
    assert rendered.status_code == 400
    assert rendered.json()["code"] == "marketing_template_render"
    assert "unsafe" in rendered.json()["detail"]


def test_variants_offline_without_provider(client: TestClient) -> None:
    template = client.post(
        "/api/v1/marketing/templates",
        json={
            "name": "离线变体",
            "channel": "email",
            "subject": "春季新品",
            "body": "{{ contact.name }}您好",
        },
    ).json()

    response = client.post(f"/api/v1/marketing/templates/{template['id']}/variants?count=2")

    assert response.status_code == 200
    body = response.json()
    assert body["source"] == "offline"
    assert [variant["subject"] for variant in body["variants"]] == [
        "【限时】春季新品",
        "春季新品——为您精选",
    ]


class _LLM(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _LLM.seen.append(request)
        content = json.dumps(
            {
                "variants": [
                    {"subject": "新品上市", "body": "{{ contact.name }}，新品到了"},
                    {"subject": "坏", "body": "{% if %}"},
                ]
            },
            ensure_ascii=False,
        )
        reply = {
            "id": "chat-1",
            "object": "chat.completion",
            "model": "test-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_variants_through_gateway_are_redacted(client: TestClient) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LLM)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _LLM.seen = []
        provider = client.post(
            "/api/v1/llm/providers",
            json={
                "name": "local-test",
                "base_url": f"http://127.0.0.1:{server.server_address[1]}/v1",
                "chat_model": "test-model",
                "api_key": "sk-test-1234567890",
            },
        )
        assert provider.status_code == 201, provider.text
        policy = client.put("/api/v1/llm/policy", json={"allow_external": True})
        assert policy.status_code == 200, policy.text
        template = client.post(
            "/api/v1/marketing/templates",
            json={
                "name": "网关变体",
                "channel": "email",
                "subject": "新品",
                "body": "如有疑问请致电 13812345678 联系王经理",
            },
        ).json()

        response = client.post(f"/api/v1/marketing/templates/{template['id']}/variants?count=2")

        body = response.json()
        assert body["source"] == "local-test"
        assert body["variants"] == [{"subject": "新品上市", "body": "{{ contact.name }}，新品到了"}]
        sent = json.dumps(_LLM.seen, ensure_ascii=False)
        assert "13812345678" not in sent
    finally:
        server.shutdown()
