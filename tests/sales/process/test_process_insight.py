"""Rep activity insight: profiles, the best performers' benchmark, nudges, playbook and scopes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.sales.reminders import scan_reminders

Maker = Callable[..., tuple[TestClient, str]]


def _post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _team(client: TestClient, make_user: Maker, team_id: str) -> dict[str, Any]:
    """Three reps: a winner, a busy rep who moves nothing, and a quiet rep with a big account."""
    manager, manager_id = make_user("sales_manager", "经理", team_id=team_id)
    winner, winner_id = make_user("sales_rep", "冠军", manager_id=manager_id, team_id=team_id)
    busy, busy_id = make_user("sales_rep", "忙碌", manager_id=manager_id, team_id=team_id)
    quiet, quiet_id = make_user("sales_rep", "安静", manager_id=manager_id, team_id=team_id)
    yesterday = (utc_now() - timedelta(days=1)).isoformat()

    lead = _post(winner, "/api/v1/leads", {"name": "陈总", "company": "宁波港务"})
    contacted = datetime.fromisoformat(lead["created_at"]) + timedelta(hours=2)
    _post(
        winner,
        "/api/v1/activities",
        {
            "kind": "call",
            "subject": "首次联系",
            "lead_id": lead["id"],
            "occurred_at": contacted.isoformat(),
        },
    )
    for index in range(2):
        _post(
            winner,
            "/api/v1/activities",
            {"kind": "visit", "subject": f"拜访 {index}", "occurred_at": yesterday},
        )
        deal = _post(winner, "/api/v1/opportunities", {"name": f"赢单 {index}"})
        assert (
            winner.patch(f"/api/v1/opportunities/{deal['id']}", json={"stage": "won"}).status_code
            == 200
        )
    for index in range(6):
        _post(
            busy,
            "/api/v1/activities",
            {"kind": "call", "subject": f"电话 {index}", "occurred_at": yesterday},
        )
    _post(busy, "/api/v1/opportunities", {"name": "停滞商机"})
    _post(
        quiet, "/api/v1/activities", {"kind": "call", "subject": "电话", "occurred_at": yesterday}
    )
    deal = _post(quiet, "/api/v1/opportunities", {"name": "推进商机"})
    assert (
        quiet.patch(
            f"/api/v1/opportunities/{deal['id']}", json={"stage": "qualification"}
        ).status_code
        == 200
    )
    account = _post(quiet, "/api/v1/accounts", {"name": "华东电网", "tier": "KA"})
    return {
        "manager": manager,
        "winner": (winner, winner_id),
        "busy": (busy, busy_id),
        "quiet": (quiet, quiet_id),
        "account": account,
    }


def test_manager_sees_team_profiles(client: TestClient, make_user: Maker, team_id: str) -> None:
    team = _team(client, make_user, team_id)

    response = team["manager"].get("/api/v1/insight/reps", params={"days": 30})

    assert response.status_code == 200, response.text
    body = response.json()
    profiles = {profile["name"]: profile for profile in body["reps"]}
    assert sorted(profiles) == ["冠军", "安静", "忙碌"]
    assert body["top_performers"] == 1
    winner = profiles["冠军"]
    assert winner["is_top_performer"] is True
    assert winner["metrics"]["won_count"] == 2.0
    assert winner["metrics"]["win_rate"] == 1.0
    assert winner["metrics"]["lead_response_hours"] == 2.0
    assert winner["metrics"]["visits_per_week"] == round(2 / (30 / 7), 2)
    assert winner["progress_count"] == 2
    busy = profiles["忙碌"]
    assert (busy["activity_count"], busy["progress_count"]) == (6, 0)
    assert busy["metrics"]["calls_per_week"] == round(6 / (30 / 7), 2)
    assert busy["versus_top"]["visits_per_week"] == 0.0
    quiet = profiles["安静"]
    assert quiet["conversion_by_stage"] == {"prospecting": 1.0, "qualification": 0.0}
    assert quiet["untouched_high_value_accounts"] == 1
    assert body["benchmark"]["won_count"] == 2.0


def test_nudges_and_playbook(client: TestClient, make_user: Maker, team_id: str) -> None:
    team = _team(client, make_user, team_id)

    body = client.get("/api/v1/insight/reps", params={"days": 30}).json()

    nudges = {(nudge["kind"], nudge["user_id"]) for nudge in body["nudges"]}
    assert nudges == {
        ("low_progress", team["busy"][1]),
        ("untouched_account", team["quiet"][1]),
    }
    playbook = {item["metric"]: item for item in body["playbook"]}
    assert set(playbook) >= {"visits_per_week", "win_rate", "lead_response_hours"}
    assert playbook["win_rate"]["top_value"] == 1.0
    assert playbook["win_rate"]["others_value"] is None
    assert playbook["lead_response_hours"]["message"] == "新线索在 2 小时内联系（其他人：- 小时）。"


def test_rep_sees_only_self(client: TestClient, make_user: Maker, team_id: str) -> None:
    team = _team(client, make_user, team_id)
    busy, busy_id = team["busy"]

    own = busy.get("/api/v1/insight/reps", params={"days": 30}).json()
    other = busy.get(f"/api/v1/insight/reps/{team['winner'][1]}")

    assert [profile["user_id"] for profile in own["reps"]] == [busy_id]
    assert [nudge["kind"] for nudge in own["nudges"]] == ["low_progress"]
    assert own["benchmark"]["won_count"] == 2.0
    assert other.status_code == 403


def test_nudges_stored_once_a_week(
    client: TestClient, make_user: Maker, team_id: str, database: Database, tenant: TenantInfo
) -> None:
    team = _team(client, make_user, team_id)
    now = utc_now()

    with database.session() as session:
        first = scan_reminders(session, tenant.tenant.id, now)
    with database.session() as session:
        second = scan_reminders(session, tenant.tenant.id, now)

    assert (first["nudges"], second["nudges"]) == (2, 0)
    quiet_notices = team["quiet"][0].get("/api/v1/notifications").json()["items"]
    assert [notice["message"] for notice in quiet_notices] == [
        "您的一个重点客户已 30 天没有任何跟进，请安排电话或拜访。"
    ]
    assert quiet_notices[0]["record_id"] == team["account"]["id"]
