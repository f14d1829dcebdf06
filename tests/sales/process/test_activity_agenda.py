"""The activity agenda (overdue, today, upcoming), record activity lists and next steps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(days: int, hour: int = 12) -> str:
    """An instant ``days`` calendar days from today in Shanghai, at ``hour`` local time."""
    today = datetime.now(SHANGHAI).date()
    moment = datetime.combine(today + timedelta(days=days), time(hour), tzinfo=SHANGHAI)
    return moment.astimezone(UTC).isoformat()


def _activity(client: TestClient, **values: Any) -> dict[str, Any]:
    response = client.post("/api/v1/activities", json={"status": "open", **values})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _subjects(bucket: dict[str, Any]) -> list[str]:
    return [item["activity"]["subject"] for item in bucket["items"]]


def test_agenda_splits_by_local_day(client: TestClient) -> None:
    _activity(client, kind="call", subject="回访逾期", occurred_at=_local(-2))
    _activity(client, kind="task", subject="报价逾期", due_at=_local(-1))
    _activity(client, kind="meeting", subject="今天开会", occurred_at=_local(0))
    _activity(client, kind="visit", subject="下周拜访", occurred_at=_local(3))
    _activity(client, kind="visit", subject="远期拜访", occurred_at=_local(30))
    _activity(client, kind="call", subject="已完成", status="done", occurred_at=_local(0))

    response = client.get("/api/v1/activity-agenda")

    assert response.status_code == 200, response.text
    agenda = response.json()
    assert _subjects(agenda["overdue"]) == ["报价逾期", "回访逾期"]
    assert agenda["overdue"]["total"] == 2
    assert _subjects(agenda["today"]) == ["今天开会"]
    assert _subjects(agenda["upcoming"]) == ["下周拜访"]
    assert agenda["today"]["items"][0]["plan"] is None


def test_agenda_filters_kind_and_days(client: TestClient) -> None:
    _activity(client, kind="visit", subject="拜访一", occurred_at=_local(2))
    _activity(client, kind="call", subject="电话一", occurred_at=_local(2))
    _activity(client, kind="visit", subject="拜访二", occurred_at=_local(20))

    visits = client.get("/api/v1/activity-agenda", params={"kind": "visit", "days": 30})

    assert visits.status_code == 200, visits.text
    assert _subjects(visits.json()["upcoming"]) == ["拜访一", "拜访二"]


def test_agenda_rejects_bad_parameters(client: TestClient) -> None:
    kind = client.get("/api/v1/activity-agenda", params={"kind": "lunch"})
    owner = client.get("/api/v1/activity-agenda", params={"owner": "boss"})
    days = client.get("/api/v1/activity-agenda", params={"days": 365})

    assert kind.status_code == 400
    assert kind.json()["code"] == "invalid_activity_kind"
    assert "lunch" in kind.json()["detail"]
    assert owner.status_code == 400
    assert "boss" in owner.json()["detail"]
    assert days.status_code == 400
    assert "365" in days.json()["detail"]


def test_agenda_owner_scope(
    client: TestClient, make_user: Callable[..., tuple[TestClient, str]]
) -> None:
    rep, rep_id = make_user("sales_rep", "小王")
    other, _other_id = make_user("sales_rep", "小李")
    _activity(rep, kind="call", subject="小王的电话", occurred_at=_local(1))
    _activity(other, kind="call", subject="小李的电话", occurred_at=_local(1))

    own = rep.get("/api/v1/activity-agenda").json()
    everyone_for_rep = rep.get("/api/v1/activity-agenda", params={"owner": "all"}).json()
    peeking = rep.get("/api/v1/activity-agenda", params={"owner": _other_id}).json()
    admin_view = client.get("/api/v1/activity-agenda", params={"owner": rep_id}).json()
    admin_all = client.get("/api/v1/activity-agenda", params={"owner": "all"}).json()

    assert _subjects(own["upcoming"]) == ["小王的电话"]
    assert _subjects(everyone_for_rep["upcoming"]) == ["小王的电话"]
    assert _subjects(peeking["upcoming"]) == []
    assert _subjects(admin_view["upcoming"]) == ["小王的电话"]
    assert sorted(_subjects(admin_all["upcoming"])) == ["小李的电话", "小王的电话"]


def test_agenda_requires_login() -> None:
    from zhike.api.app import create_app

    with TestClient(create_app()) as anonymous:
        response = anonymous.get("/api/v1/activity-agenda")

    assert response.status_code == 401


def test_record_feed_plan_and_next_step(client: TestClient) -> None:
    account = client.post("/api/v1/accounts", json={"name": "宁波港务集团"}).json()
    visit = _activity(
        client,
        kind="visit",
        subject="上门拜访",
        occurred_at=_local(0, 10),
        account_id=account["id"],
    )
    planned = client.put(
        f"/api/v1/activities/{visit['id']}/plan",
        json={"remind_minutes_before": 15, "recurrence_rule": "FREQ=WEEKLY;COUNT=2"},
    )
    checked_in = client.post(
        f"/api/v1/activities/{visit['id']}/check-in",
        json={"latitude": 29.87, "longitude": 121.55, "address": "宁波市江北区"},
    )
    outcome = client.post(
        f"/api/v1/activities/{visit['id']}/outcome",
        json={
            "outcome": "follow_up",
            "note": "需要报价",
            "next_step": {"kind": "task", "subject": "发送报价", "start_at": _local(2, 9)},
        },
    )

    assert planned.status_code == 200, planned.text
    assert checked_in.status_code == 200, checked_in.text
    assert outcome.status_code == 200, outcome.text
    next_id = outcome.json()["next_activity_id"]
    follow_up = client.get(f"/api/v1/activities/{next_id}").json()
    assert follow_up["status"] == "open"
    assert follow_up["account_id"] == account["id"]
    assert follow_up["due_at"] == _local(2, 9).replace("+00:00", "Z")
    feed = client.get(f"/api/v1/accounts/{account['id']}/activities")
    assert feed.status_code == 200, feed.text
    items = feed.json()["items"]
    # Open first (the next step and the second occurrence), then the visit that is done.
    assert [item["activity"]["subject"] for item in items] == ["上门拜访", "发送报价", "上门拜访"]
    done = items[2]
    assert done["activity"]["status"] == "done"
    assert done["plan"]["outcome"] == "follow_up"
    assert done["plan"]["check_in_address"] == "宁波市江北区"
    assert done["plan"]["recurrence_rule"] == "FREQ=WEEKLY;COUNT=2"
    assert done["plan"]["next_activity_id"] == next_id


def test_record_activities_hidden_record(
    client: TestClient, make_user: Callable[..., tuple[TestClient, str]]
) -> None:
    rep, _rep_id = make_user("sales_rep")
    account = client.post("/api/v1/accounts", json={"name": "别人的客户"}).json()

    response = rep.get(f"/api/v1/accounts/{account['id']}/activities")
    unknown = client.get(f"/api/v1/products/{account['id']}/activities")

    assert response.status_code == 404
    assert unknown.status_code == 422


def test_series_start_off_rule_counts_first(client: TestClient) -> None:
    # 2030-03-03 is a Sunday; the rule repeats on Mondays and Wednesdays.
    sunday = datetime(2030, 3, 3, 2, 0, tzinfo=UTC)
    meeting = _activity(client, kind="meeting", subject="周会", occurred_at=sunday.isoformat())

    planned = client.put(
        f"/api/v1/activities/{meeting['id']}/plan",
        json={"recurrence_rule": "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=3"},
    )

    assert planned.status_code == 200, planned.text
    starts = sorted(
        client.get(f"/api/v1/activities/{occurrence}").json()["occurred_at"]
        for occurrence in planned.json()["occurrence_ids"]
    )
    assert starts == ["2030-03-04T02:00:00Z", "2030-03-06T02:00:00Z"]
