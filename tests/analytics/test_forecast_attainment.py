"""Forecast against target per owner and team: won, committed, weighted pipeline and targets."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from analytics_support import add_opportunity, add_team, log_in_user, stage_ids
from fastapi.testclient import TestClient
from testkit import TenantInfo

from zhike.analytics.periods import local_today
from zhike.core.db import Database
from zhike.sales.quotas import add_months, quarter_start

TODAY = local_today("Asia/Shanghai")
START = quarter_start(TODAY, 1)
END = add_months(START, 3)


def _set_target(client: TestClient, amount: str, **subject: str) -> None:
    body = {"period_start": START.isoformat(), "amount": amount, **subject}
    response = client.put("/api/v1/sales/targets", json=body)
    assert response.status_code == 200, response.text


def _attainment(client: TestClient, headers: dict[str, str] | None = None, **params: str) -> Any:
    response = client.get(
        "/api/v1/analytics/forecast-attainment", params=params, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    return response.json()


def _pipeline(database: Database, tenant: TenantInfo, owner: Any) -> None:
    stages = stage_ids(database, tenant)
    inside = START + timedelta(days=20)
    add_opportunity(database, tenant, owner, stages["won"], "1000", closed_on=START)
    add_opportunity(database, tenant, owner, stages["commit"], "500", expected_close_date=inside)
    add_opportunity(
        database, tenant, owner, stages["prospecting"], "200", expected_close_date=inside
    )
    # Outside the quarter, lost, or won in an earlier quarter: none of these count.
    add_opportunity(database, tenant, owner, stages["proposal"], "900", expected_close_date=END)
    add_opportunity(database, tenant, owner, stages["lost"], "700", closed_on=START)
    add_opportunity(
        database, tenant, owner, stages["won"], "800", closed_on=START - timedelta(days=1)
    )


def test_attainment_per_owner(client: TestClient, database: Database, tenant: TenantInfo) -> None:
    rep, _ = log_in_user(client, database, tenant, "zhao", "sales_rep")
    _pipeline(database, tenant, rep)
    _set_target(client, "4000", user_id=str(rep))
    _set_target(client, "10000")

    report = _attainment(client)

    assert report["period_start"] == START.isoformat()
    assert report["period_end"] == END.isoformat()
    assert report["currency"] == "CNY"
    row = next(item for item in report["rows"] if item["id"] == str(rep))
    assert row["name"] == "zhao"
    assert Decimal(row["target"]) == Decimal("4000")
    assert Decimal(row["won"]) == Decimal("1000")
    assert Decimal(row["committed"]) == Decimal("1500")
    # 500 at the commit stage's 80% and 200 at prospecting's 10%.
    assert Decimal(row["weighted_pipeline"]) == Decimal("420.00")
    assert Decimal(row["forecast"]) == Decimal("1420.00")
    assert row["attainment"] == 0.25
    assert row["forecast_attainment"] == 0.355
    assert Decimal(report["total"]["target"]) == Decimal("10000")
    assert Decimal(report["total"]["won"]) == Decimal("1000")


def test_attainment_per_team(client: TestClient, database: Database, tenant: TenantInfo) -> None:
    east = add_team(database, tenant, "华东")
    west = add_team(database, tenant, "华西")
    rep, _ = log_in_user(client, database, tenant, "qian", "sales_rep", team_id=east)
    other, _ = log_in_user(client, database, tenant, "sun", "sales_rep", team_id=west)
    _pipeline(database, tenant, rep)
    _set_target(client, "3000", user_id=str(rep))
    _set_target(client, "2000", user_id=str(other))
    _set_target(client, "8000", team_id=str(west))

    report = _attainment(client, group_by="team")
    by_name = {row["name"]: row for row in report["rows"]}

    # The east team has no target of its own, so its members' targets add up.
    assert Decimal(by_name["华东"]["target"]) == Decimal("3000")
    assert Decimal(by_name["华东"]["won"]) == Decimal("1000")
    assert Decimal(by_name["华西"]["target"]) == Decimal("8000")
    assert Decimal(by_name["华西"]["won"]) == Decimal("0")

    filtered = _attainment(client, group_by="owner", team_id=str(east))
    assert [row["name"] for row in filtered["rows"]] == ["qian"]
    assert Decimal(filtered["total"]["target"]) == Decimal("3000")


def test_rep_sees_own_deals_only(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    rep, rep_headers = log_in_user(client, database, tenant, "li", "sales_rep")
    colleague, _ = log_in_user(client, database, tenant, "zhou", "sales_rep")
    _pipeline(database, tenant, rep)
    _pipeline(database, tenant, colleague)
    _set_target(client, "2000", user_id=str(colleague))

    report = _attainment(client, rep_headers)

    assert [row["id"] for row in report["rows"]] == [str(rep)]
    assert Decimal(report["total"]["won"]) == Decimal("1000")


def test_attainment_rejects_bad_input(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    not_quarter = START + timedelta(days=1)
    response = client.get(
        "/api/v1/analytics/forecast-attainment", params={"period_start": not_quarter.isoformat()}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "target_not_quarter_start"
    assert START.isoformat() in response.json()["detail"]

    wrong_group = client.get("/api/v1/analytics/forecast-attainment", params={"group_by": "region"})
    assert wrong_group.status_code == 422

    _, agent_headers = log_in_user(client, database, tenant, "wu", "service_agent")
    denied = client.get("/api/v1/analytics/forecast-attainment", headers=agent_headers)
    assert denied.status_code == 403

    anonymous = client.get("/api/v1/analytics/forecast-attainment", headers={"Authorization": ""})
    assert anonymous.status_code == 401
