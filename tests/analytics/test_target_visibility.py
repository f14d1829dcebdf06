"""Who reads which sales targets: the reader's data scope on opportunities decides."""

from __future__ import annotations

from analytics_support import add_team, log_in_user
from fastapi.testclient import TestClient
from testkit import TenantInfo

from zhike.analytics.periods import local_today
from zhike.core.db import Database
from zhike.sales.quotas import quarter_start

START = quarter_start(local_today("Asia/Shanghai"), 1).isoformat()


def _set_target(client: TestClient, amount: str, **subject: str) -> str:
    body = {"period_start": START, "amount": amount, **subject}
    response = client.put("/api/v1/sales/targets", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def _visible(client: TestClient, headers: dict[str, str]) -> set[str]:
    response = client.get("/api/v1/sales/targets", headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


class Organisation:
    """A company target, a region with two teams, and two reps in one team and one in the other."""

    def __init__(self, client: TestClient, database: Database, tenant: TenantInfo) -> None:
        region = add_team(database, tenant, "华东区")
        east = add_team(database, tenant, "上海组", parent_id=region)
        west = add_team(database, tenant, "杭州组", parent_id=region)
        other = add_team(database, tenant, "华南区")
        self.rep, self.rep_headers = log_in_user(
            client, database, tenant, "zhao", "sales_rep", east
        )
        self.peer, _ = log_in_user(client, database, tenant, "qian", "sales_rep", east)
        self.far, _ = log_in_user(client, database, tenant, "sun", "sales_rep", west)
        self.manager, self.manager_headers = log_in_user(
            client, database, tenant, "li", "sales_manager", region
        )
        self.director_headers = log_in_user(client, database, tenant, "zhou", "sales_director")[1]
        self.service_headers = log_in_user(client, database, tenant, "wu", "service_agent")[1]
        self.company = _set_target(client, "100000")
        self.region = _set_target(client, "60000", team_id=str(region))
        self.east = _set_target(client, "30000", team_id=str(east))
        self.west = _set_target(client, "30000", team_id=str(west))
        self.other = _set_target(client, "40000", team_id=str(other))
        self.rep_target = _set_target(client, "10000", user_id=str(self.rep))
        self.peer_target = _set_target(client, "12000", user_id=str(self.peer))
        self.far_target = _set_target(client, "9000", user_id=str(self.far))
        self.manager_target = _set_target(client, "5000", user_id=str(self.manager))


def test_rep_reads_own_team_and_company(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    org = Organisation(client, database, tenant)

    visible = _visible(client, org.rep_headers)

    assert visible == {org.company, org.region, org.east, org.rep_target}
    assert org.peer_target not in visible
    assert org.far_target not in visible


def test_manager_reads_team_below(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    org = Organisation(client, database, tenant)

    visible = _visible(client, org.manager_headers)

    assert visible == {
        org.company,
        org.region,
        org.east,
        org.west,
        org.rep_target,
        org.peer_target,
        org.far_target,
        org.manager_target,
    }
    assert org.other not in visible


def test_company_scope_reads_all(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    org = Organisation(client, database, tenant)

    assert len(_visible(client, {})) == 9
    assert len(_visible(client, org.director_headers)) == 9


def test_no_opportunity_read_no_targets(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    org = Organisation(client, database, tenant)

    assert _visible(client, org.service_headers) == set()


def test_rep_home_forecast_uses_own_target(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    org = Organisation(client, database, tenant)

    response = client.get("/api/v1/analytics/forecast-attainment", headers=org.rep_headers)

    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert [row["id"] for row in rows] == []
    assert response.json()["total"]["target"] == "100000.00"


def test_rep_filtered_by_period(client: TestClient, database: Database, tenant: TenantInfo) -> None:
    org = Organisation(client, database, tenant)

    response = client.get(
        "/api/v1/sales/targets", params={"period_start": START}, headers=org.rep_headers
    )

    assert response.status_code == 200, response.text
    personal = {item["user_id"] for item in response.json()["items"]} - {None}
    assert personal == {str(org.rep)}
