"""SLA targets in business hours, the pause while waiting on the customer, and escalation."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from service_support import add_policy, add_user, intake
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.timeutil import ensure_utc
from zhike.service import sla
from zhike.service.jobs import run_sla_checks
from zhike.service.models import Ticket
from zhike.service.settings import tenant_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc]


def iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_due_times_skip_weekend(client: TestClient) -> None:
    add_policy(client, "normal", 60, 8 * 60)
    ticket = intake(client, opened_at=local(2026, 3, 6, 17, 30).isoformat())
    assert iso(ticket["first_response_due_at"]) == local(2026, 3, 9, 9, 30)
    assert iso(ticket["resolution_due_at"]) == local(2026, 3, 9, 16, 30)
    assert ticket["sla_state"] == "ok"


def test_due_times_skip_public_holiday(client: TestClient) -> None:
    add_policy(client, "normal", 60, 8 * 60)
    ticket = intake(client, opened_at=local(2025, 9, 30, 17, 30).isoformat())
    assert iso(ticket["first_response_due_at"]) == local(2025, 10, 9, 9, 30)


def test_due_times_use_adjusted_workday(client: TestClient) -> None:
    add_policy(client, "normal", 60, 8 * 60)
    ticket = intake(client, opened_at=local(2025, 9, 26, 17, 30).isoformat())
    # Sunday 2025-09-28 is an adjusted working day.
    assert iso(ticket["first_response_due_at"]) == local(2025, 9, 28, 9, 30)


def test_tenant_time_zone_and_hours(client: TestClient) -> None:
    response = client.put(
        "/api/v1/service/settings",
        json={
            "timezone": "Europe/Berlin",
            "holiday_calendar": "none",
            "working_hours": {
                day: [["08:00", "16:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
            },
        },
    )
    assert response.status_code == 200, response.text
    add_policy(client, "normal", 120, 8 * 60)
    berlin = ZoneInfo("Europe/Berlin")
    ticket = intake(client, opened_at=datetime(2026, 3, 27, 15, 0, tzinfo=berlin).isoformat())
    # One hour on Friday, then Monday 08:00 CEST after the clocks moved forward.
    assert iso(ticket["first_response_due_at"]) == datetime(2026, 3, 30, 9, 0, tzinfo=berlin)


def test_invalid_working_hours_are_rejected(client: TestClient) -> None:
    response = client.put(
        "/api/v1/service/settings", json={"working_hours": {"mon": [["18:00", "09:00"]]}}
    )
    assert response.status_code == 422
    assert "18:00-09:00" in response.text
    assert client.get("/api/v1/service/settings").json()["working_hours"]["mon"] == [
        ["09:00", "18:00"]
    ]


def test_tier_policy_wins(client: TestClient) -> None:
    add_policy(client, "normal", 240, 16 * 60)
    add_policy(client, "normal", 30, 4 * 60, customer_tier="vip")
    opened = local(2026, 3, 9, 9, 0)
    regular = intake(client, opened_at=opened.isoformat())
    vip = intake(client, opened_at=opened.isoformat(), customer_tier="vip")
    assert iso(regular["first_response_due_at"]) == local(2026, 3, 9, 13, 0)
    assert iso(vip["first_response_due_at"]) == local(2026, 3, 9, 9, 30)


def test_policy_rejects_resolution_before_response(client: TestClient) -> None:
    body = {"name": "快速", "priority": "high", "first_response_minutes": 15}

    response = client.post("/api/v1/service/sla/policies", json={**body, "resolution_minutes": 10})

    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == "resolution_minutes"
    assert error["code"] == "sla_resolution_before_response"
    assert "15" in error["message"]
    assert client.get("/api/v1/service/sla/policies").json() == []


def test_policy_rejects_unknown_escalation_step(client: TestClient) -> None:
    response = client.post(
        "/api/v1/service/sla/policies",
        json={
            "name": "标准",
            "priority": "normal",
            "first_response_minutes": 60,
            "resolution_minutes": 240,
            "escalation": {"notify": True, "page_ceo": True},
        },
    )

    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == "escalation.page_ceo"
    assert error["code"] == "sla_unknown_escalation_step"
    assert "raise_priority" in error["message"]


def test_no_policy_means_no_sla(client: TestClient) -> None:
    ticket = intake(client)
    assert ticket["sla_state"] == "none"
    assert ticket["resolution_due_at"] is None


def test_waiting_on_customer_pauses_clock(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    add_policy(client, "normal", 60, 4 * 60)
    ticket = intake(client, opened_at=local(2026, 3, 9, 9, 0).isoformat())
    pending = client.post(
        f"/api/v1/service/tickets/{ticket['id']}/status", json={"status": "pending"}
    ).json()
    assert pending["sla_state"] == "paused"
    assert pending["sla_paused_at"] is not None

    with database.session() as session:
        row = session.get(Ticket, uuid.UUID(ticket["id"]))
        assert row is not None
        calendar = tenant_calendar(session, tenant.tenant.id)
        row.sla_paused_at = local(2026, 3, 9, 10, 0)
        # Paused from Monday 10:00 to Tuesday 10:00: 8 working hours Monday, 1 Tuesday.
        waited = sla.resume(session, row, calendar, local(2026, 3, 10, 10, 0))
        assert waited == 9 * 3600
        assert row.sla_paused_seconds == 9 * 3600
        assert ensure_utc(row.resolution_due_at) == local(2026, 3, 10, 13, 0)  # type: ignore[arg-type]
        assert row.sla_state == "ok"


def test_resume_through_workflow_clears_pause(client: TestClient) -> None:
    add_policy(client, "normal", 60, 4 * 60)
    ticket = intake(client)
    client.post(f"/api/v1/service/tickets/{ticket['id']}/status", json={"status": "pending"})
    resumed = client.post(
        f"/api/v1/service/tickets/{ticket['id']}/status", json={"status": "open"}
    ).json()
    assert resumed["sla_paused_at"] is None
    assert resumed["sla_state"] == "ok"
    history = client.get(f"/api/v1/service/tickets/{ticket['id']}/history").json()
    resumed_event = [event for event in history["events"] if event["kind"] == "status"][-1]
    assert "paused_seconds" in resumed_event["data"]


def test_escalation_fires_before_breach(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    first_agent, _ = add_user(client, "service_agent")
    second_agent, _ = add_user(client, "service_agent")
    for agent in (first_agent, second_agent):
        client.put(f"/api/v1/service/agents/{agent}", json={"skills": [], "max_open_tickets": 5})
    add_policy(
        client,
        "high",
        60,
        4 * 60,
        warn_ratio=0.75,
        escalation={"notify": True, "reassign": True, "raise_priority": True},
    )
    opened = local(2026, 3, 9, 9, 0)
    ticket = intake(client, opened_at=opened.isoformat(), priority="high")
    original = ticket["assignee_id"]
    assert original in (first_agent, second_agent)
    due = iso(ticket["first_response_due_at"])
    assert due == local(2026, 3, 9, 10, 0)

    assert tenant.slug not in run_sla_checks(database, now=opened + timedelta(minutes=30))
    warned = run_sla_checks(database, now=opened + timedelta(minutes=46))
    escalations = warned[tenant.slug]
    assert len(escalations) == 1
    assert escalations[0]["level"] == 1
    assert escalations[0]["state"] == "at_risk"
    assert escalations[0]["priority"] == ["high", "urgent"]
    assert escalations[0]["assignee"][0] == original
    assert escalations[0]["assignee"][1] != original
    assert original in escalations[0]["notified"]

    current = client.get(f"/api/v1/tickets/{ticket['id']}").json()
    assert current["priority"] == "urgent"
    assert current["escalation_level"] == 1
    assert current["sla_state"] == "at_risk"
    # Still 14 minutes before the breach; a second run at the same level does nothing.
    assert opened + timedelta(minutes=46) < due
    assert tenant.slug not in run_sla_checks(database, now=opened + timedelta(minutes=50))

    breached = run_sla_checks(database, now=opened + timedelta(minutes=61))
    assert breached[tenant.slug][0]["level"] == 2
    assert breached[tenant.slug][0]["state"] == "breached"
    history = client.get(f"/api/v1/service/tickets/{ticket['id']}/history").json()
    assert [event["kind"] for event in history["events"]].count("escalation") == 2


def test_paused_ticket_is_not_escalated(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    add_policy(client, "normal", 60, 4 * 60)
    opened = local(2026, 3, 9, 9, 0)
    ticket = intake(client, opened_at=opened.isoformat())
    client.post(f"/api/v1/service/tickets/{ticket['id']}/status", json={"status": "pending"})
    later = run_sla_checks(database, now=opened + timedelta(days=3))
    assert tenant.slug not in later
    current = client.get(f"/api/v1/tickets/{ticket['id']}").json()
    assert current["escalation_level"] == 0
    assert current["sla_state"] == "paused"


def test_ticket_pending_before_policy_is_paused(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    """A ticket stored as pending before any policy existed, as in an import, stays paused."""
    opened = local(2026, 3, 9, 9, 0)
    with database.session() as session:
        ticket = Ticket(
            tenant_id=tenant.tenant.id,
            subject="等待客户提供日志",
            status="pending",
            opened_at=opened,
            updated_at=opened + timedelta(hours=1),
        )
        session.add(ticket)
        session.flush()
        ticket_id = ticket.id
    add_policy(client, "normal", 60, 4 * 60)
    with database.session() as session:
        stored = session.get_one(Ticket, ticket_id)
        sla.apply_targets(session, stored, tenant_calendar(session, tenant.tenant.id))
        assert stored.sla_paused_at is not None
        assert ensure_utc(stored.sla_paused_at) == opened + timedelta(hours=1)

    later = run_sla_checks(database, now=opened + timedelta(days=3))

    assert tenant.slug not in later
    current = client.get(f"/api/v1/tickets/{ticket_id}").json()
    assert current["escalation_level"] == 0
    assert current["sla_state"] == "paused"


def test_queue_orders_by_urgency(client: TestClient) -> None:
    add_policy(client, "normal", 60, 8 * 60)
    add_policy(client, "urgent", 15, 2 * 60)
    opened = local(2026, 3, 9, 9, 0)
    relaxed = intake(client, subject="咨询", opened_at=opened.isoformat())
    urgent = intake(client, subject="系统崩溃", priority="urgent", opened_at=opened.isoformat())
    late = intake(client, subject="上周五的", opened_at=(opened - timedelta(days=3)).isoformat())
    client.app.state.clock = lambda: opened + timedelta(minutes=5)  # type: ignore[attr-defined]
    try:
        items = client.get("/api/v1/service/queue").json()["items"]
    finally:
        client.app.state.clock = None  # type: ignore[attr-defined]
    order = [item["ticket"]["id"] for item in items]
    assert order == [late["id"], urgent["id"], relaxed["id"]]
    assert items[0]["sla_state"] == "breached"
    assert items[1]["remaining_seconds"] == 10 * 60
    assert items[1]["sla_target"] == "first_response"


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({}, "工作时间为空"),
        (
            {"mon": [["09:00", "12:00"], ["11:00", "18:00"]]},
            "周一的工作时段 09:00-12:00 与 11:00-18:00 重叠",
        ),
    ],
)
def test_empty_or_overlapping_hours_are_rejected(
    client: TestClient, hours: dict[str, Any], message: str
) -> None:
    response = client.put("/api/v1/service/settings", json={"working_hours": hours})

    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert message in error["message"]
    assert "工作时间" in error["message"]
    # The stored hours stay, and tickets still get due times.
    assert client.get("/api/v1/service/settings").json()["working_hours"]["mon"] == [
        ["09:00", "18:00"]
    ]


def test_ticket_without_priority_gets_the_normal_policy(client: TestClient) -> None:
    add_policy(client, "normal", 240, 16 * 60)

    created = client.post("/api/v1/tickets", json={"subject": "发票抬头写错了"})

    assert created.status_code == 201, created.text
    assert created.json()["priority"] == "normal"
    assert created.json()["sla_policy_id"] is not None
    assert created.json()["resolution_due_at"] is not None
