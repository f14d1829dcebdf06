"""The agent API: runs, trace, approvals, cancel, the live stream, settings and permissions."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from testkit import TenantInfo

from zhike.ai.agents.executor import advance_run
from zhike.ai.agents.models import AgentRun, AgentSetting
from zhike.core.db import Database
from zhike.security.auth import hash_password
from zhike.security.models import User

PASSWORD = "Agent-password-2026"
LEAD = {
    "name": "陈静",
    "company": "苏州恒远精密机械有限公司",
    "title": "采购经理",
    "email": "chen.jing@hengyuan.example.com",
    "mobile": "13912345678",
    "lead_source": "展会",
    "status": "new",
}


def login_as(
    client: TestClient, database: Database, tenant: TenantInfo, role: str
) -> dict[str, str]:
    email = f"{role}-{uuid.uuid4().hex[:6]}@{tenant.slug}.example.com"
    with database.session() as session:
        session.add(
            User(
                tenant_id=tenant.tenant.id,
                email=email,
                display_name=role,
                password_hash=hash_password(PASSWORD),
                role=role,
            )
        )
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant": tenant.slug, "email": email, "password": PASSWORD},
        headers={"Authorization": ""},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def create_lead(client: TestClient, headers: dict[str, str] | None = None) -> str:
    response = client.post("/api/v1/leads", json=LEAD, headers=headers or {})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def start(
    client: TestClient, lead_id: str, headers: dict[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/agents/runs",
        json={"agent": "lead_conversion", "subject_id": lead_id, **extra},
        headers=headers or {},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def run_count(database: Database, tenant: TenantInfo) -> int:
    with database.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AgentRun)
                .where(AgentRun.tenant_id == tenant.tenant.id)
            )
            or 0
        )


def test_run_lifecycle_through_the_api(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    lead_id = create_lead(client)
    created = start(client, lead_id)
    assert created["status"] == "pending"
    assert created["agent"] == "lead_conversion"
    assert created["owner_id"] == str(tenant.admin.id)

    advance_run(database, tenant.tenant.id, uuid.UUID(created["id"]))
    response = client.get(f"/api/v1/agents/runs/{created['id']}")
    assert response.status_code == 200
    run = response.json()
    assert run["status"] == "waiting_person"
    assert run["plan"]["chosen"] == "email_and_call"
    steps = {step["key"]: step for step in run["steps"]}
    # No SMTP server is configured, so the owner sends the drafted email.
    assert steps["send"]["executor"] == "person"
    assert steps["send"]["status"] == "waiting_person"
    assert steps["analyse"]["output"]["email"] == "c***@hengyuan.example.com"
    assert "13912345678" not in json.dumps(run, ensure_ascii=False)

    listed = client.get("/api/v1/agents/runs", params={"status": "waiting_person"})
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]

    result = client.post(
        f"/api/v1/agents/runs/{created['id']}/steps/{steps['send']['id']}/result",
        json={"outcome": "done", "note": "已发送"},
    )
    assert result.status_code == 200, result.text
    advance_run(database, tenant.tenant.id, uuid.UUID(created["id"]))
    done = client.get(f"/api/v1/agents/runs/{created['id']}").json()
    assert done["status"] == "done"
    assert done["outcome"]["is_goal_met"] is True

    stream = client.get(
        f"/api/v1/agents/runs/{created['id']}/events", headers={"Last-Event-ID": "0"}
    )
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    blocks = [block for block in stream.text.split("\n\n") if block.strip()]
    assert blocks[-1] == 'event: end\ndata: {"status": "done"}'
    assert len(blocks) == len(done["trace"]) + 1
    first = blocks[0].splitlines()
    assert first[0] == "id: 1"
    assert first[1] == "event: state"
    assert json.loads(first[2][6:])["message"] == "run created"

    resumed = client.get(f"/api/v1/agents/runs/{created['id']}/events", params={"after": 3})
    ids = [
        int(line[4:])
        for block in resumed.text.split("\n\n")
        for line in block.splitlines()
        if line.startswith("id: ")
    ]
    assert ids == list(range(4, len(done["trace"]) + 1))


def test_approve_and_reject_need_a_waiting_step(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    settings = client.put(
        "/api/v1/agents/settings/lead_conversion",
        json={
            "config": {
                "smtp": {
                    "host": "127.0.0.1",
                    "port": 2525,
                    "sender": "s@example.com",
                    "password": "smtp-secret",
                }
            }
        },
    )
    assert settings.status_code == 200, settings.text
    assert settings.json()["config"]["smtp"]["password"] == "********"
    with database.session() as session:
        stored = session.scalar(
            select(AgentSetting.config).where(AgentSetting.tenant_id == tenant.tenant.id)
        )
    assert stored is not None
    assert stored["smtp"]["password"].startswith("v1:")
    assert "smtp-secret" not in json.dumps(stored)
    kept = client.put(
        "/api/v1/agents/settings/lead_conversion",
        json={"config": {**settings.json()["config"], "hot_threshold": 0.7}},
    )
    assert kept.status_code == 200, kept.text
    with database.session() as session:
        again = session.scalar(
            select(AgentSetting.config).where(AgentSetting.tenant_id == tenant.tenant.id)
        )
    assert again is not None
    assert again["smtp"]["password"] == stored["smtp"]["password"]
    lead_id = create_lead(client)
    created = start(client, lead_id)
    advance_run(database, tenant.tenant.id, uuid.UUID(created["id"]))
    run = client.get(f"/api/v1/agents/runs/{created['id']}").json()
    steps = {step["key"]: step for step in run["steps"]}
    assert run["status"] == "waiting_approval"
    assert steps["send"]["needs_approval"] is True
    assert steps["send"]["approval_reason"] == "outbound"

    wrong = client.post(
        f"/api/v1/agents/runs/{created['id']}/steps/{steps['draft']['id']}/approve", json={}
    )
    assert wrong.status_code == 409
    assert wrong.json()["code"] == "agent_step_not_waiting"

    rejected = client.post(
        f"/api/v1/agents/runs/{created['id']}/steps/{steps['send']['id']}/reject",
        json={"note": "措辞需要修改"},
    )
    assert rejected.status_code == 200
    again = client.post(
        f"/api/v1/agents/runs/{created['id']}/steps/{steps['send']['id']}/approve", json={}
    )
    assert again.status_code == 409
    advance_run(database, tenant.tenant.id, uuid.UUID(created["id"]))
    run = client.get(f"/api/v1/agents/runs/{created['id']}").json()
    send = next(step for step in run["steps"] if step["key"] == "send")
    assert send["status"] == "skipped"
    assert send["decision"] == "rejected"
    assert run["status"] == "done"

    cancelled = client.post(f"/api/v1/agents/runs/{created['id']}/cancel", json={})
    assert cancelled.status_code == 409
    assert cancelled.json()["code"] == "agent_run_finished"


def test_agents_list_and_dry_run(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    agents = client.get("/api/v1/agents", headers={"Accept-Language": "en"})
    assert agents.status_code == 200
    names = [agent["name"] for agent in agents.json()]
    assert names == ["churn_rescue", "lead_conversion", "service_triage", "stalled_deal"]
    assert agents.json()[1]["title"] == "Lead conversion"
    assert agents.json()[1]["needs_subject"] is True

    lead_id = create_lead(client)
    created = start(client, lead_id, is_dry_run=True)
    advance_run(database, tenant.tenant.id, uuid.UUID(created["id"]))
    run = client.get(f"/api/v1/agents/runs/{created['id']}").json()
    assert run["status"] == "done"
    assert run["is_dry_run"] is True
    lead = client.get(f"/api/v1/leads/{lead_id}").json()
    assert lead["status"] == "new"


def test_invalid_requests_are_rejected(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    unknown = client.post("/api/v1/agents/runs", json={"agent": "nope"})
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "agent_not_found"
    missing = client.post("/api/v1/agents/runs", json={"agent": "lead_conversion"})
    assert missing.status_code == 400
    assert missing.json()["code"] == "agent_subject_required"
    extra = client.post("/api/v1/agents/runs", json={"agent": "lead_conversion", "owner_id": "x"})
    assert extra.status_code == 422
    bad_config = client.put(
        "/api/v1/agents/settings/lead_conversion", json={"config": {"hot_threshold": 3}}
    )
    assert bad_config.status_code == 422
    assert bad_config.json()["errors"][0]["field"] == "hot_threshold"
    disabled = client.put("/api/v1/agents/settings/lead_conversion", json={"is_enabled": False})
    assert disabled.status_code == 200
    lead_id = create_lead(client)
    refused = client.post(
        "/api/v1/agents/runs", json={"agent": "lead_conversion", "subject_id": lead_id}
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "agent_disabled"
    assert run_count(database, tenant) == 0


def test_permissions_follow_roles_and_ownership(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    anonymous = client.get("/api/v1/agents/runs", headers={"Authorization": ""})
    assert anonymous.status_code == 401

    rep = login_as(client, database, tenant, "sales_rep")
    other_rep = login_as(client, database, tenant, "sales_rep")
    auditor = login_as(client, database, tenant, "auditor")
    lead_id = create_lead(client, rep)
    created = start(client, lead_id, rep)
    advance_run(database, tenant.tenant.id, uuid.UUID(created["id"]))

    assert client.get(f"/api/v1/agents/runs/{created['id']}", headers=rep).status_code == 200
    hidden = client.get(f"/api/v1/agents/runs/{created['id']}", headers=other_rep)
    assert hidden.status_code == 404
    assert client.get("/api/v1/agents/runs", headers=other_rep).json()["items"] == []
    assert (
        client.get(f"/api/v1/agents/runs/{created['id']}/events", headers=other_rep).status_code
        == 404
    )
    cancel = client.post(f"/api/v1/agents/runs/{created['id']}/cancel", json={}, headers=other_rep)
    assert cancel.status_code == 404
    # The other rep cannot start a run on a lead they cannot read.
    foreign = client.post(
        "/api/v1/agents/runs",
        json={"agent": "lead_conversion", "subject_id": lead_id},
        headers=other_rep,
    )
    assert foreign.status_code == 404
    assert client.get("/api/v1/agents/runs", headers=auditor).status_code == 403
    settings = client.put(
        "/api/v1/agents/settings/lead_conversion", json={"is_enabled": False}, headers=rep
    )
    assert settings.status_code == 403
    with database.session() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(AgentSetting)
                .where(AgentSetting.tenant_id == tenant.tenant.id)
            )
            == 0
        )
    # The administrator reads every run of the tenant and may cancel it.
    assert [item["id"] for item in client.get("/api/v1/agents/runs").json()["items"]] == [
        created["id"]
    ]
    cancelled = client.post(
        f"/api/v1/agents/runs/{created['id']}/cancel", json={"note": "不再需要"}
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert run_count(database, tenant) == 1
