"""Activity reminders, recurrence, visit check-in and outcomes; reminders in-app and by e-mail.

E-mail goes to a real SMTP server (aiosmtpd) that the test starts on 127.0.0.1.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.settings import Settings
from zhike.sales.reminders import scan_reminders


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _activity(client: TestClient, **values: Any) -> dict[str, Any]:
    response = client.post("/api/v1/activities", json={"subject": "拜访宁波港务", **values})
    assert response.status_code == 201, response.text
    return dict(response.json())


START = datetime(2030, 3, 4, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Monday


def test_reminder_notifies_once(client: TestClient, database: Database, tenant: TenantInfo) -> None:
    task = _activity(client, kind="task", subject="准备投标文件", due_at=START.isoformat())
    planned = client.put(
        f"/api/v1/activities/{task['id']}/plan", json={"remind_minutes_before": 30}
    )

    with database.session() as session:
        early = scan_reminders(session, tenant.tenant.id, START - timedelta(minutes=31))
    with database.session() as session:
        due = scan_reminders(session, tenant.tenant.id, START - timedelta(minutes=29))
    with database.session() as session:
        again = scan_reminders(session, tenant.tenant.id, START)

    assert planned.status_code == 200, planned.text
    assert planned.json()["remind_at"] == "2030-03-04T01:30:00Z"
    assert (early["activity_reminders"], due["activity_reminders"]) == (0, 1)
    assert again["activity_reminders"] == 0
    notices = client.get("/api/v1/notifications", params={"unread": True}).json()["items"]
    assert [notice["message"] for notice in notices] == ["提醒：2030-03-04 10:00 准备投标文件。"]
    read = client.post(f"/api/v1/notifications/{notices[0]['id']}/read")
    assert read.status_code == 204
    assert client.get("/api/v1/notifications", params={"unread": True}).json()["items"] == []


def test_weekly_recurrence_creates_series(client: TestClient) -> None:
    meeting = _activity(
        client, kind="meeting", subject="周例会", status="open", occurred_at=START.isoformat()
    )

    planned = client.put(
        f"/api/v1/activities/{meeting['id']}/plan",
        json={"recurrence_rule": "FREQ=WEEKLY;COUNT=4", "remind_minutes_before": 15},
    )
    other = _activity(
        client, kind="meeting", subject="月度复盘", status="open", occurred_at=START.isoformat()
    )
    unbounded = client.put(
        f"/api/v1/activities/{other['id']}/plan", json={"recurrence_rule": "FREQ=DAILY"}
    )
    invalid = client.put(
        f"/api/v1/activities/{other['id']}/plan",
        json={"recurrence_rule": "FREQ=SOMETIMES;COUNT=2"},
    )

    assert planned.status_code == 200, planned.text
    occurrences = planned.json()["occurrence_ids"]
    assert len(occurrences) == 3
    times = [
        client.get(f"/api/v1/activities/{identifier}").json()["occurred_at"]
        for identifier in occurrences
    ]
    assert times == ["2030-03-11T02:00:00Z", "2030-03-18T02:00:00Z", "2030-03-25T02:00:00Z"]
    second_plan = client.get(f"/api/v1/activities/{occurrences[0]}/plan").json()
    assert second_plan["remind_at"] == "2030-03-11T01:45:00Z"
    assert second_plan["series_id"] == meeting["id"]
    assert unbounded.status_code == 422
    assert unbounded.json()["errors"][0]["code"] == "recurrence_unbounded"
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["code"] == "invalid_recurrence"


def test_visit_check_in_and_outcome(client: TestClient) -> None:
    visit = _activity(client, kind="visit", status="open")
    call = _activity(client, kind="call", subject="电话回访")

    checked = client.post(
        f"/api/v1/activities/{visit['id']}/check-in",
        json={"latitude": 29.8683, "longitude": 121.544, "address": "宁波市鄞州区"},
    )
    not_visit = client.post(
        f"/api/v1/activities/{call['id']}/check-in", json={"latitude": 1, "longitude": 1}
    )
    out_of_range = client.post(
        f"/api/v1/activities/{visit['id']}/check-in", json={"latitude": 91, "longitude": 1}
    )
    outcome = client.post(
        f"/api/v1/activities/{visit['id']}/outcome",
        json={"outcome": "interested", "note": "客户希望下周看演示"},
    )

    assert checked.status_code == 200, checked.text
    assert (checked.json()["check_in_latitude"], checked.json()["check_in_address"]) == (
        29.8683,
        "宁波市鄞州区",
    )
    assert not_visit.status_code == 422
    assert not_visit.json()["errors"][0]["code"] == "check_in_visits_only"
    assert out_of_range.status_code == 422
    assert outcome.json()["outcome"] == "interested"
    done = client.get(f"/api/v1/activities/{visit['id']}").json()
    assert done["status"] == "done"
    assert done["completed_at"] is not None


def test_outcome_stamps_completion_time(client: TestClient) -> None:
    meeting = _activity(client, kind="meeting", subject="方案评审", status="open")
    before = datetime.now(UTC)

    response = client.post(
        f"/api/v1/activities/{meeting['id']}/outcome", json={"outcome": "interested"}
    )

    assert response.status_code == 200, response.text
    stored = client.get(f"/api/v1/activities/{meeting['id']}").json()
    completed = datetime.fromisoformat(stored["completed_at"])
    assert stored["status"] == "done"
    assert completed.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=5) <= completed <= datetime.now(UTC) + timedelta(seconds=5)


def test_plan_needs_edit_right(client: TestClient, make_user: Any) -> None:
    first, _ = make_user("sales_rep")
    second, _ = make_user("sales_rep")
    task = _activity(first, kind="task", subject="跟进", due_at=START.isoformat())

    refused = second.put(
        f"/api/v1/activities/{task['id']}/plan", json={"remind_minutes_before": 10}
    )

    assert refused.status_code == 404
    assert first.get(f"/api/v1/activities/{task['id']}/plan").json()["remind_at"] is None


def test_email_reminder_over_smtp(
    client: TestClient,
    database: Database,
    tenant: TenantInfo,
    smtp_server: tuple[_Inbox, int],
) -> None:
    from zhike.sales.reminder_jobs import deliver_reminders

    inbox, port = smtp_server
    task = _activity(client, kind="task", subject="续约电话", due_at=START.isoformat())
    client.put(
        f"/api/v1/activities/{task['id']}/plan",
        json={"remind_minutes_before": 60, "remind_by_email": True},
    )
    settings = Settings(
        database_url=database.settings.database_url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="crm@example.com",
    )

    first = deliver_reminders(database, START, settings, [tenant.tenant.id])
    second = deliver_reminders(database, START, settings, [tenant.tenant.id])

    assert (first["tenants"], first["activity_reminders"], first["emails"]) == (1, 1, 1)
    assert second["activity_reminders"] == 0
    mine = [envelope for envelope in inbox.messages if envelope.rcpt_tos == [tenant.admin_email]]
    assert len(mine) == 1
    message = message_from_bytes(mine[0].content)
    assert str(make_header(decode_header(message["Subject"]))).startswith("【知客】提醒")
    assert "续约电话" in message.get_payload(decode=True).decode("utf-8")
    assert message["From"] == "crm@example.com"


def test_queue_task_runs_a_pass(database: Database, tenant: TenantInfo) -> None:
    from zhike.sales.reminder_jobs import deliver_reminders_task

    result = deliver_reminders_task.call_local()

    assert result["tenants"] >= 1
    assert result["emails"] == 0
