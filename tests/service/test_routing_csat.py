"""Routing by skills, load and turn; resolution-time prediction; CSAT surveys; quality scores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from service_support import add_policy, add_user, intake


def test_assignment_by_skill_then_load_then_turn(client: TestClient) -> None:
    skilled, _ = add_user(client, "service_agent")
    second, _ = add_user(client, "service_agent")
    third, _ = add_user(client, "service_agent")
    client.put(
        f"/api/v1/service/agents/{skilled}", json={"skills": ["账户与登录"], "max_open_tickets": 1}
    )
    client.put(f"/api/v1/service/agents/{second}", json={"skills": ["账单与支付"]})
    client.put(f"/api/v1/service/agents/{third}", json={"skills": []})

    first_ticket = intake(client)
    assert first_ticket["assignee_id"] == skilled
    assert first_ticket["owner_id"] == skilled
    reasons = first_ticket["routing"]["assignment"]["reasons"]
    assert reasons[0] == {"code": "skill", "value": ["账户与登录"]}

    # The skilled agent is full, so the others share the work in turn.
    following = [intake(client)["assignee_id"] for _ in range(3)]
    assert set(following[:2]) == {second, third}
    assert following[2] == following[0]
    agents = {row["user_id"]: row for row in client.get("/api/v1/service/agents").json()}
    assert agents[skilled]["open_tickets"] == 1
    assert agents[following[0]]["open_tickets"] == 2
    # Agents are listed by the names people know them by.
    assert agents[skilled]["display_name"] == "service_agent 用户"
    saved = client.put(f"/api/v1/service/agents/{skilled}", json={"skills": ["账户与登录"]})
    assert (saved.json()["display_name"], saved.json()["open_tickets"]) == ("service_agent 用户", 1)


def test_unavailable_agent_gets_nothing(client: TestClient) -> None:
    away, _ = add_user(client, "service_agent")
    client.put(f"/api/v1/service/agents/{away}", json={"is_available": False})
    ticket = intake(client)
    assert ticket["assignee_id"] is None
    response = client.post(f"/api/v1/service/tickets/{ticket['id']}/assign", json={})
    assert response.status_code == 409
    assert response.json()["code"] == "ticket_no_agent_available"


def test_resolution_time_from_similar_tickets(client: TestClient) -> None:
    opened = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    for hours in (2, 4, 6, 8, 30):
        response = client.post(
            "/api/v1/tickets",
            json={
                "subject": "退款进度",
                "category": "退款与售后",
                "priority": "normal",
                "status": "resolved",
                "opened_at": opened.isoformat(),
                "resolved_at": (opened + timedelta(hours=hours)).isoformat(),
            },
        )
        assert response.status_code == 201, response.text
    ticket = intake(client, subject="申请退款", description="商品有问题")
    assert ticket["category"] == "退款与售后"
    assert ticket["predicted_resolution_hours"] == 6.0
    assert ticket["routing"]["resolution_time"] == {
        "basis": "category_priority",
        "tickets": 5,
        "median_hours": 6.0,
    }


def test_keyword_rules_from_settings(client: TestClient) -> None:
    response = client.put(
        "/api/v1/service/settings",
        json={"keyword_rules": [{"category": "会员权益", "keywords": ["会员", "积分"]}]},
    )
    assert response.status_code == 200, response.text
    ticket = intake(client, subject="积分没到账", description="会员积分少了")
    assert ticket["category"] == "会员权益"
    unmatched = intake(client, subject="随便问问", description="")
    assert unmatched["category"] is None
    assert unmatched["routing"]["classification"]["source"] == "none"


def test_csat_survey_after_resolution(client: TestClient) -> None:
    ticket = intake(client)
    before = client.post(f"/api/v1/service/tickets/{ticket['id']}/survey")
    assert before.status_code == 409
    assert before.json()["code"] == "csat_not_resolved"
    client.post(f"/api/v1/service/tickets/{ticket['id']}/status", json={"status": "resolved"})
    link = client.post(f"/api/v1/service/tickets/{ticket['id']}/survey").json()
    token = link["token"]

    anonymous = TestClient(client.app)
    page = anonymous.get(f"/api/v1/service/csat/{token}")
    assert page.status_code == 200, page.text
    assert page.json()["ticket_number"] == ticket["number"]
    assert page.json()["rating"] is None
    answered = anonymous.post(
        f"/api/v1/service/csat/{token}", json={"rating": 5, "comment": "很快就解决了"}
    )
    assert answered.status_code == 200, answered.text
    again = anonymous.post(f"/api/v1/service/csat/{token}", json={"rating": 1})
    assert again.status_code == 409
    assert again.json()["code"] == "csat_survey_answered"
    assert anonymous.get(f"/api/v1/service/csat/{token}").json()["rating"] == 5

    summary = client.get("/api/v1/service/csat/summary").json()
    assert summary == {"sent": 1, "answered": 1, "csat": 1.0}


def test_tampered_survey_token_is_rejected(client: TestClient) -> None:
    ticket = intake(client)
    client.post(f"/api/v1/service/tickets/{ticket['id']}/status", json={"status": "resolved"})
    token = client.post(f"/api/v1/service/tickets/{ticket['id']}/survey").json()["token"]
    tenant_hex, survey_hex, signature = token.split(".")
    forged = f"{tenant_hex}.{survey_hex}.{'A' * len(signature)}"
    anonymous = TestClient(client.app)
    for bad in (forged, "not-a-token", f"{tenant_hex}.{survey_hex}"):
        response = anonymous.post(f"/api/v1/service/csat/{bad}", json={"rating": 1})
        assert response.status_code == 404
        assert response.json()["code"] == "csat_survey_not_found"
    assert anonymous.get(f"/api/v1/service/csat/{token}").json()["rating"] is None


def test_quality_score_with_reasons(client: TestClient) -> None:
    add_policy(client, "normal", 24 * 60, 5 * 24 * 60, uses_business_hours=False)
    ticket = intake(client, description="太慢了，非常失望，我要投诉")
    client.post(
        f"/api/v1/service/tickets/{ticket['id']}/messages", json={"body": "非常抱歉，已为您处理。"}
    )
    client.post(
        f"/api/v1/service/tickets/{ticket['id']}/customer-messages",
        json={"body": "好的，谢谢，很满意"},
    )
    client.post(f"/api/v1/service/tickets/{ticket['id']}/status", json={"status": "resolved"})
    token = client.post(f"/api/v1/service/tickets/{ticket['id']}/survey").json()["token"]
    TestClient(client.app).post(f"/api/v1/service/csat/{token}", json={"rating": 4})

    quality = client.get(
        f"/api/v1/service/tickets/{ticket['id']}/quality", headers={"Accept-Language": "en"}
    ).json()
    codes = [reason["code"] for reason in quality["reasons"]]
    assert quality["sentiment_source"] == "lexicon"
    assert quality["sentiment_start"] < 0.4
    assert quality["sentiment_end"] > 0.6
    assert codes == [
        "sentiment_improved",
        "ended_positive",
        "first_response_on_time",
        "resolved",
        "csat",
    ]
    assert quality["is_resolved"] is True
    assert quality["csat_rating"] == 4
    assert sum(reason["impact"] for reason in quality["reasons"]) == 10 + 5 + 10 + 10 + 7.5
    assert quality["score"] == 100.0  # 70 plus the reasons, capped at 100
    assert quality["reasons"][-1]["message"] == "The customer rated the service 4 out of 5."


def test_quality_of_unanswered_ticket(client: TestClient) -> None:
    ticket = intake(client, description="东西坏了")
    quality = client.get(f"/api/v1/service/tickets/{ticket['id']}/quality").json()
    assert quality["is_resolved"] is False
    assert [reason["code"] for reason in quality["reasons"]] == [
        "ended_negative",
        "no_response_yet",
    ]
    assert quality["score"] == 50.0
