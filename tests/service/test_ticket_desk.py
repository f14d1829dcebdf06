"""The ticket desk over the API: intake, workflow, conversation, history, permissions."""

from __future__ import annotations

from fastapi.testclient import TestClient
from service_support import add_user, intake, login
from testkit import TenantInfo


def test_intake_numbers_and_classifies(client: TestClient) -> None:
    first = intake(client, "email", requester_email="li@example.com", external_id="<m1@mail>")
    second = intake(client, "web_chat", subject="发票开错了", description="请重开增值税发票")
    assert first["number"] == "T000001"
    assert second["number"] == "T000002"
    assert first["channel"] == "email"
    assert first["status"] == "new"
    assert first["category"] == "账户与登录"
    assert first["category_source"] == "keywords"
    reasons = first["routing"]["classification"]["reasons"]
    assert {"code": "keyword", "value": "登录"} in reasons
    assert second["category"] == "账单与支付"
    assert first["routing"]["resolution_time"]["basis"] == "default"
    assert first["predicted_resolution_hours"] == 24.0
    # The requester's email is personal data and shown masked.
    assert first["requester_email"] != "li@example.com"


def test_repeated_external_id_returns_first(client: TestClient) -> None:
    first = intake(client, "email", external_id="<same@mail>")
    again = client.post(
        "/api/v1/service/intake/email",
        json={"subject": "重复投递", "external_id": "<same@mail>"},
    )
    assert again.status_code == 201
    assert again.json()["id"] == first["id"]
    listed = client.get("/api/v1/tickets", params={"external_id": "<same@mail>"}).json()
    assert len(listed["items"]) == 1


def test_unknown_channel_is_rejected(client: TestClient) -> None:
    response = client.post("/api/v1/service/intake/fax", json={"subject": "传真"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "channel"


def test_workflow_rejects_invalid_transition(client: TestClient) -> None:
    ticket = intake(client)
    closed = client.post(
        f"/api/v1/service/tickets/{ticket['id']}/status", json={"status": "closed"}
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["closed_at"] is not None
    reopened = client.post(
        f"/api/v1/service/tickets/{ticket['id']}/status", json={"status": "open"}
    )
    assert reopened.status_code == 409
    assert reopened.json()["code"] == "ticket_closed_status"
    assert "新建工单" in reopened.json()["detail"]
    # The generic record API follows the same workflow.
    patched = client.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "pending"})
    assert patched.status_code == 409
    assert client.get(f"/api/v1/tickets/{ticket['id']}").json()["status"] == "closed"


def test_reply_opens_ticket_and_records_history(client: TestClient) -> None:
    ticket = intake(client)
    note = client.post(
        f"/api/v1/service/tickets/{ticket['id']}/messages",
        json={"body": "先查一下登录日志", "is_internal": True},
    )
    assert note.status_code == 201
    assert client.get(f"/api/v1/tickets/{ticket['id']}").json()["status"] == "new"
    reply = client.post(
        f"/api/v1/service/tickets/{ticket['id']}/messages",
        json={"body": "您好，请清除缓存后重试。"},
    )
    assert reply.status_code == 201
    current = client.get(f"/api/v1/tickets/{ticket['id']}").json()
    assert current["status"] == "open"
    assert current["first_responded_at"] is not None
    pending = client.post(
        f"/api/v1/service/tickets/{ticket['id']}/status", json={"status": "pending"}
    )
    assert pending.json()["status"] == "pending"
    answer = client.post(
        f"/api/v1/service/tickets/{ticket['id']}/customer-messages",
        json={"body": "还是不行"},
    )
    assert answer.status_code == 201
    assert client.get(f"/api/v1/tickets/{ticket['id']}").json()["status"] == "open"

    history = client.get(f"/api/v1/service/tickets/{ticket['id']}/history").json()
    assert [message["author_kind"] for message in history["messages"]] == [
        "customer",
        "agent",
        "agent",
        "customer",
    ]
    assert history["messages"][1]["is_internal"] is True
    kinds = [event["kind"] for event in history["events"]]
    assert kinds == ["created", "first_response", "status", "status", "status"]
    statuses = [
        (event["data"]["old"], event["data"]["new"])
        for event in history["events"]
        if event["kind"] == "status"
    ]
    assert statuses == [("new", "open"), ("open", "pending"), ("pending", "open")]


def test_history_is_audited(client: TestClient) -> None:
    ticket = intake(client)
    client.post(f"/api/v1/service/tickets/{ticket['id']}/status", json={"status": "open"})
    events = client.get("/api/v1/audit/events", params={"record_id": ticket["id"]}).json()
    actions = [event["action"] for event in events["items"]]
    assert "ticket.created" in actions
    assert "ticket.status" in actions
    assert "record.update" in actions


def test_sales_rep_cannot_take_intake(client: TestClient, tenant: TenantInfo) -> None:
    _, email = add_user(client, "sales_rep")
    with login(tenant.slug, email) as rep:
        response = rep.post("/api/v1/service/intake/api", json={"subject": "越权创建"})
        assert response.status_code == 403
    listed = client.get("/api/v1/tickets", params={"q": "越权创建"}).json()
    assert listed["items"] == []


def test_service_agent_works_queue(client: TestClient, tenant: TenantInfo) -> None:
    agent_id, email = add_user(client, "service_agent")
    ticket = intake(client)
    with login(tenant.slug, email) as agent:
        assigned = agent.post(
            f"/api/v1/service/tickets/{ticket['id']}/assign", json={"assignee_id": agent_id}
        )
        assert assigned.status_code == 200, assigned.text
        assert assigned.json()["assignee_id"] == agent_id
        queue = agent.get("/api/v1/service/queue", params={"mine": "true"}).json()
        assert [item["ticket"]["id"] for item in queue["items"]] == [ticket["id"]]
        settings = agent.put("/api/v1/service/settings", json={"auto_assign": False})
        assert settings.status_code == 403
    history = client.get(f"/api/v1/service/tickets/{ticket['id']}/history").json()
    assigned_events = [event for event in history["events"] if event["kind"] == "assigned"]
    assert assigned_events[0]["data"] == {"old": None, "new": agent_id}


def test_assign_to_unknown_user_is_rejected(client: TestClient) -> None:
    ticket = intake(client)
    response = client.post(
        f"/api/v1/service/tickets/{ticket['id']}/assign",
        json={"assignee_id": "01900000-0000-7000-8000-000000000000"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "ticket_unknown_agent"
    assert client.get(f"/api/v1/tickets/{ticket['id']}").json()["assignee_id"] is None


def test_invalid_transition_names_statuses(client: TestClient) -> None:
    ticket = intake(client)
    client.post(f"/api/v1/service/tickets/{ticket['id']}/status", json={"status": "resolved"})

    response = client.post(
        f"/api/v1/service/tickets/{ticket['id']}/status", json={"status": "pending"}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_invalid_transition"
    detail = response.json()["detail"]
    assert "“已解决”" in detail
    assert "“等待客户”" in detail
    assert "处理中、已关闭" in detail


def test_assign_to_sales_rep_is_rejected(client: TestClient) -> None:
    ticket = intake(client)
    rep_id, _ = add_user(client, "sales_rep")

    response = client.post(
        f"/api/v1/service/tickets/{ticket['id']}/assign", json={"assignee_id": rep_id}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "ticket_agent_not_allowed"
    assert "sales_rep 用户" in response.json()["detail"]
    assert client.get(f"/api/v1/tickets/{ticket['id']}").json()["assignee_id"] is None


def test_patch_assignee_to_sales_rep_is_rejected(client: TestClient) -> None:
    ticket = intake(client)
    rep_id, _ = add_user(client, "sales_rep")
    etag = client.get(f"/api/v1/tickets/{ticket['id']}").headers["ETag"]

    response = client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        json={"assignee_id": rep_id},
        headers={"If-Match": etag},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "ticket_agent_not_allowed"
    stored = client.get(f"/api/v1/tickets/{ticket['id']}").json()
    assert stored["assignee_id"] is None
    assert stored["owner_id"] != rep_id


def test_reply_to_closed_ticket_is_rejected(client: TestClient) -> None:
    ticket = intake(client)
    client.post(f"/api/v1/service/tickets/{ticket['id']}/status", json={"status": "closed"})
    response = client.post(
        f"/api/v1/service/tickets/{ticket['id']}/messages", json={"body": "补充"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "ticket_closed"
