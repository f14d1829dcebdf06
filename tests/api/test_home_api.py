"""The home summary: a role sees its own, its team's or the company's figures, with drill-downs."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from testkit import TenantInfo

from zhike.ai.models.models import ModelScore, ModelVersion
from zhike.api.app import create_app
from zhike.core.db import Database
from zhike.sales.models import OpportunityStageChange
from zhike.sales.quotas import quarter_start

PASSWORD = "Zhike-home-2026"


@dataclass
class Team:
    rep: TestClient
    manager: TestClient
    rep_id: str
    other_id: str
    team_id: str


def _login(slug: str, email: str) -> TestClient:
    test_client = TestClient(create_app())
    response = test_client.post(
        "/api/v1/auth/login", json={"tenant": slug, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    test_client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return test_client


def _user(client: TestClient, role: str, team_id: str | None) -> tuple[str, str]:
    email = f"{role}-{secrets.token_hex(3)}@example.com"
    response = client.post(
        "/api/v1/users",
        json={
            "email": email,
            "display_name": role,
            "password": PASSWORD,
            "role": role,
            "team_id": team_id,
        },
    )
    assert response.status_code == 201, response.text
    return email, response.json()["id"]


@pytest.fixture
def team(client: TestClient, tenant: object) -> Iterator[Team]:
    """A team with a manager and a rep, and a second rep outside the team."""
    team_id = client.post("/api/v1/teams", json={"name": "华东销售部"}).json()["id"]
    rep_email, rep_id = _user(client, "sales_rep", team_id)
    manager_email, _ = _user(client, "sales_manager", team_id)
    _, other_id = _user(client, "sales_rep", None)
    slug = tenant.slug  # type: ignore[attr-defined]
    with _login(slug, rep_email) as rep, _login(slug, manager_email) as manager:
        yield Team(rep, manager, rep_id, other_id, team_id)


def _today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()


def _opportunity(client: TestClient, owner: str, stage: str, amount: str, **extra: str) -> str:
    body = {
        "name": f"商机 {secrets.token_hex(2)}",
        "owner_id": owner,
        "stage": stage,
        "amount": amount,
    }
    response = client.post("/api/v1/opportunities", json={**body, **extra})
    assert response.status_code == 201, response.text
    return response.json()["id"]  # type: ignore[no-any-return]


def _kpis(body: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {item["key"]: item for item in body["kpis"]}


def test_home_scopes_by_role(client: TestClient, team: Team) -> None:
    today = _today().isoformat()
    _opportunity(client, team.rep_id, "won", "1000")
    _opportunity(client, team.other_id, "won", "500")
    _opportunity(client, team.rep_id, "proposal", "2000", expected_close_date=today)
    _opportunity(client, team.other_id, "engaging", "3000", expected_close_date=today)

    rep = team.rep.get("/api/v1/home").json()
    manager = team.manager.get("/api/v1/home").json()
    admin = client.get("/api/v1/home").json()

    assert (rep["scope"], manager["scope"], admin["scope"]) == ("own", "team", "company")
    assert _kpis(rep)["won_this_month"]["value"] == "1000.00"
    assert _kpis(manager)["won_this_month"]["value"] == "1000.00"
    assert _kpis(admin)["won_this_month"]["value"] == "1500.00"
    assert _kpis(rep)["open_pipeline"]["value"] == "2000.00"
    assert _kpis(admin)["open_pipeline"]["value"] == "5000.00"
    funnel = {stage["key"]: stage["count"] for stage in admin["funnel"]}
    assert funnel == {
        "prospecting": 0,
        "qualification": 0,
        "engaging": 1,
        "proposal": 1,
        "commit": 0,
    }
    assert [stage["count"] for stage in rep["funnel"] if stage["key"] == "engaging"] == [0]
    assert rep["forecast"]["won"] == "1000.00"
    assert rep["forecast"]["weighted_pipeline"] == "1200.00"
    assert rep["forecast"]["forecast"] == "2200.00"
    assert rep["forecast"]["target"] is None


def test_funnel_other_currency_counts(client: TestClient, team: Team) -> None:
    _opportunity(client, team.rep_id, "proposal", "2000")
    _opportunity(client, team.rep_id, "proposal", "700", currency="USD")

    admin = client.get("/api/v1/home").json()

    (proposal,) = [stage for stage in admin["funnel"] if stage["key"] == "proposal"]
    assert (proposal["count"], proposal["amount"], proposal["other_currency_count"]) == (
        2,
        "2000.00",
        1,
    )
    listed = client.get("/api/v1/opportunities", params=proposal["drill"]["filters"]).json()
    assert len(listed["items"]) == proposal["count"]


def test_kpi_drill_filters_list_the_same_records(client: TestClient, team: Team) -> None:
    _opportunity(client, team.rep_id, "won", "1000")
    _opportunity(client, team.other_id, "won", "500")
    _opportunity(client, team.rep_id, "proposal", "2000")

    for viewer, expected in ((client, 2), (team.rep, 1)):
        drill = _kpis(viewer.get("/api/v1/home").json())["won_this_month"]["drill"]
        listed = viewer.get(f"/api/v1/{drill['object']}", params=drill["filters"])
        assert listed.status_code == 200, listed.text
        assert len(listed.json()["items"]) == expected


def test_forecast_against_targets(client: TestClient, team: Team) -> None:
    start = quarter_start(_today(), 1)
    _opportunity(client, team.rep_id, "won", "1000")
    _opportunity(client, team.other_id, "won", "500")

    rep_target = client.put(
        "/api/v1/sales/targets",
        json={"period_start": start.isoformat(), "user_id": team.rep_id, "amount": "10000"},
    )
    team_target = client.put(
        "/api/v1/sales/targets",
        json={"period_start": start.isoformat(), "team_id": team.team_id, "amount": "40000"},
    )
    replaced = client.put(
        "/api/v1/sales/targets",
        json={"period_start": start.isoformat(), "user_id": team.rep_id, "amount": "20000"},
    )
    company = client.put(
        "/api/v1/sales/targets", json={"period_start": start.isoformat(), "amount": "100000"}
    )

    assert rep_target.status_code == team_target.status_code == company.status_code == 200
    assert replaced.json()["id"] == rep_target.json()["id"]
    assert len(client.get("/api/v1/sales/targets").json()["items"]) == 3
    rep = team.rep.get("/api/v1/home").json()["forecast"]
    assert (rep["target"], rep["attainment"]) == ("20000.00", 0.05)
    assert team.manager.get("/api/v1/home").json()["forecast"]["target"] == "40000.00"
    admin = client.get("/api/v1/home").json()["forecast"]
    assert (admin["target"], admin["attainment"]) == ("100000.00", 0.015)


def test_target_writes_are_checked(client: TestClient, team: Team) -> None:
    start = quarter_start(_today(), 1)
    body = {"period_start": start.isoformat(), "amount": "100"}

    denied = team.rep.put("/api/v1/sales/targets", json=body)
    shifted = client.put(
        "/api/v1/sales/targets",
        json={**body, "period_start": (start + timedelta(days=1)).isoformat()},
    )
    unknown = client.put("/api/v1/sales/targets", json={**body, "user_id": str(uuid.uuid4())})

    assert denied.status_code == 403
    assert shifted.status_code == 422
    assert shifted.json()["errors"][0]["code"] == "target_not_quarter_start"
    assert unknown.json()["errors"][0]["code"] == "reference_not_found"
    assert client.get("/api/v1/sales/targets").json()["items"] == []


def test_tasks_of_the_user(client: TestClient, team: Team) -> None:
    now = datetime.now(UTC)
    for subject, due in (("逾期回访", -1), ("本周拜访", 3), ("下月复盘", 30)):
        created = team.rep.post(
            "/api/v1/activities",
            json={
                "kind": "task",
                "subject": subject,
                "status": "open",
                "due_at": (now + timedelta(days=due)).isoformat(),
            },
        )
        assert created.status_code == 201, created.text

    tasks = team.rep.get("/api/v1/home").json()["tasks"]
    listed = team.rep.get("/api/v1/activities", params=tasks["drill"]["filters"]).json()["items"]

    assert (tasks["overdue"], tasks["due_soon"]) == (1, 1)
    assert [(item["subject"], item["is_overdue"]) for item in tasks["items"]] == [
        ("逾期回访", True),
        ("本周拜访", False),
    ]
    assert sorted(item["subject"] for item in listed) == ["本周拜访", "逾期回访"]
    assert client.get("/api/v1/home").json()["tasks"]["items"] == []


def _accounts(client: TestClient, team: Team) -> list[str]:
    accounts = []
    for owner, name in ((team.rep_id, "杭州云帆科技"), (team.other_id, "上海星河贸易")):
        response = client.post("/api/v1/accounts", json={"name": name, "owner_id": owner})
        assert response.status_code == 201, response.text
        accounts.append(response.json()["id"])
    return accounts


def _churn_version(database: Database, tenant: TenantInfo, status: str) -> uuid.UUID:
    """Insert a churn model version row, so tests set scores without training a model."""
    with database.session() as session:
        version = ModelVersion(
            tenant_id=tenant.tenant.id,
            template="churn_risk",
            status=status,
            learner="logistic_regression",
            artifact=b"",
            artifact_sha256="0" * 64,
        )
        session.add(version)
        session.flush()
        return version.id


def _score_accounts(
    database: Database, accounts: list[str], scores: tuple[float, ...], version: uuid.UUID | None
) -> None:
    with database.session() as session:
        for account, score in zip(accounts, scores, strict=True):
            session.execute(
                update(ModelScore)
                .where(
                    ModelScore.template == "churn_risk",
                    ModelScore.record_id == uuid.UUID(account),
                )
                .values(score=score, label="high", model_version_id=version, source="model")
            )


def test_at_risk_unavailable_without_churn_model(
    client: TestClient, team: Team, database: Database, tenant: TenantInfo
) -> None:
    # Creating an account scores it with the cold-start rules, which alone do not count.
    accounts = _accounts(client, team)
    with database.session() as session:
        rule_scores = session.scalars(
            select(ModelScore.source).where(
                ModelScore.tenant_id == tenant.tenant.id, ModelScore.template == "churn_risk"
            )
        ).all()
    assert rule_scores == ["rules", "rules"]
    assert client.get("/api/v1/models/versions").json() == []

    home = client.get("/api/v1/home").json()
    assert home["at_risk_available"] is False
    assert home["at_risk"] == []

    # A candidate that was never promoted does not make the panel available either.
    candidate = _churn_version(database, tenant, "candidate")
    _score_accounts(database, accounts, (0.91, 0.72), candidate)
    assert client.get("/api/v1/home").json()["at_risk_available"] is False


def test_at_risk_available_with_production_model(
    client: TestClient, team: Team, database: Database, tenant: TenantInfo
) -> None:
    accounts = _accounts(client, team)
    version = _churn_version(database, tenant, "production")
    # A production version whose scores are not written yet still reports "not scored".
    assert client.get("/api/v1/home").json()["at_risk_available"] is False

    _score_accounts(database, accounts, (0.12, 0.08), version)
    home = client.get("/api/v1/home").json()
    assert home["at_risk_available"] is True
    assert home["at_risk"] == []


def test_at_risk_accounts_are_scoped(
    client: TestClient, team: Team, database: Database, tenant: TenantInfo
) -> None:
    assert client.get("/api/v1/home").json()["at_risk_available"] is False
    accounts = _accounts(client, team)
    version = _churn_version(database, tenant, "production")
    _score_accounts(database, accounts, (0.91, 0.72), version)

    rep = team.rep.get("/api/v1/home").json()
    admin = client.get("/api/v1/home").json()

    assert [item["name"] for item in rep["at_risk"]] == ["杭州云帆科技"]
    assert [item["name"] for item in admin["at_risk"]] == ["杭州云帆科技", "上海星河贸易"]
    assert admin["at_risk"][0]["drill"] == {
        "object": "accounts",
        "filters": {},
        "record_id": accounts[0],
    }


def test_stalled_deals_are_scoped(client: TestClient, team: Team, database: Database) -> None:
    now = datetime.now(UTC)
    finished = [_opportunity(client, team.other_id, "proposal", "100") for _ in range(5)]
    stuck_rep = _opportunity(client, team.rep_id, "qualification", "700")
    stuck_other = _opportunity(client, team.other_id, "qualification", "800")
    tenant_id = uuid.UUID(client.get("/api/v1/auth/me").json()["tenant_id"])
    stages = {
        stage["key"]: stage["id"]
        for stage in client.get("/api/v1/pipeline/stages").json()["stages"]
    }
    with database.session() as session:
        # Five past stays of two days in qualification, and two open stays of sixty days.
        for opportunity in finished:
            session.execute(
                update(OpportunityStageChange)
                .where(OpportunityStageChange.opportunity_id == uuid.UUID(opportunity))
                .values(changed_at=now - timedelta(days=18))
            )
            session.add(
                OpportunityStageChange(
                    tenant_id=tenant_id,
                    opportunity_id=uuid.UUID(opportunity),
                    to_stage_id=uuid.UUID(stages["qualification"]),
                    changed_at=now - timedelta(days=20),
                )
            )
        for opportunity in (stuck_rep, stuck_other):
            session.execute(
                update(OpportunityStageChange)
                .where(OpportunityStageChange.opportunity_id == uuid.UUID(opportunity))
                .values(changed_at=now - timedelta(days=60))
            )

    rep = team.rep.get("/api/v1/home").json()["stalled"]
    admin = client.get("/api/v1/home").json()["stalled"]

    assert [item["opportunity_id"] for item in rep] == [stuck_rep]
    assert sorted(item["opportunity_id"] for item in admin) == sorted([stuck_rep, stuck_other])
    assert rep[0]["amount"] == "700.00"
    assert rep[0]["days_in_stage"] >= 60
    # The stalled-deal endpoint returns deals with the same scope as the home page.
    rep_api = team.rep.get("/api/v1/sales/stalled").json()
    admin_api = client.get("/api/v1/sales/stalled").json()
    assert [item["opportunity_id"] for item in rep_api] == [stuck_rep]
    assert sorted(item["opportunity_id"] for item in admin_api) == sorted([stuck_rep, stuck_other])


def test_sales_forecast_reads_only_visible_deals(client: TestClient, team: Team) -> None:
    first = _today().replace(day=1)
    month = first.isoformat()
    # A deal each won in the same month last year gives both owners a seasonal figure.
    last_year = first.replace(year=first.year - 1, day=15).isoformat()
    _opportunity(client, team.rep_id, "won", "700", closed_on=last_year)
    _opportunity(client, team.other_id, "won", "800", closed_on=last_year)

    rep = team.rep.get("/api/v1/sales/forecast", params={"month": month, "group": "owner"})
    admin = client.get("/api/v1/sales/forecast", params={"month": month, "group": "owner"})

    assert rep.status_code == 200, rep.text
    assert admin.status_code == 200, admin.text
    admin_keys = {row["key"] for row in admin.json()["forecast"]}
    assert admin_keys >= {team.rep_id, team.other_id}
    assert team.other_id not in {row["key"] for row in rep.json()["forecast"]}


def _month_start(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _closed_deal(client: TestClient, owner: str, amount: str, closed: date, **extra: str) -> None:
    # Every won deal takes 40 days from engagement to close, so close probabilities are 0 or 1.
    engaged = (closed - timedelta(days=40)).isoformat()
    _opportunity(
        client, owner, "won", amount, engaged_on=engaged, closed_on=closed.isoformat(), **extra
    )


def test_sales_forecast_keeps_currencies_apart(client: TestClient, team: Team) -> None:
    month = _month_start(_today().replace(day=1), 1)
    params = {"month": month.isoformat(), "group": "owner"}
    # The seasonal part is the mean of the same position one and two quarters earlier.
    _closed_deal(client, team.rep_id, "700.10", _month_start(month, -3).replace(day=15))
    _closed_deal(client, team.rep_id, "300.00", _month_start(month, -6).replace(day=15))
    before = team.manager.get("/api/v1/sales/forecast", params=params)

    # A yen deal won one quarter earlier and one open yen deal must change no yuan figure.
    yen = {"currency": "JPY"}
    _closed_deal(client, team.rep_id, "90000000", _month_start(month, -3).replace(day=20), **yen)
    engaged = (month - timedelta(days=30)).isoformat()
    _opportunity(client, team.rep_id, "proposal", "500000000", engaged_on=engaged, **yen)
    after = team.manager.get("/api/v1/sales/forecast", params=params)

    assert before.status_code == 200, before.text
    assert after.status_code == 200, after.text
    body = after.json()
    assert body["currency"] == "CNY"
    assert body["month"] == month.isoformat()
    assert body["forecast"] == before.json()["forecast"]
    assert body["forecast"] == [{"key": team.rep_id, "name": "sales_rep", "amount": "500.05"}]
    assert before.json()["other_currencies"] == []
    # No deal was lost and every won deal took 40 days. The open one is 30 days old at the
    # start of the month, so it closes inside the month with probability 1.
    assert body["other_currencies"] == [
        {
            "key": team.rep_id,
            "name": "sales_rep",
            "currency": "JPY",
            "open_deals": 1,
            "weighted_amount": "500000000",
        }
    ]
    # A month written as YYYY-MM gives the same forecast.
    short = team.manager.get(
        "/api/v1/sales/forecast", params={"month": month.strftime("%Y-%m"), "group": "owner"}
    )
    assert short.status_code == 200, short.text
    assert short.json() == body


def test_sales_forecast_names_teams(client: TestClient, team: Team) -> None:
    month = _month_start(_today().replace(day=1), 1)
    _closed_deal(client, team.rep_id, "800.00", _month_start(month, -3).replace(day=15))
    _closed_deal(client, team.other_id, "100.00", _month_start(month, -3).replace(day=15))

    response = client.get(
        "/api/v1/sales/forecast", params={"month": month.isoformat(), "group": "team"}
    )

    assert response.status_code == 200, response.text
    rows = {row["key"]: row for row in response.json()["forecast"]}
    assert rows[team.team_id] == {"key": team.team_id, "name": "华东销售部", "amount": "800.00"}
    assert rows["-"] == {"key": "-", "name": None, "amount": "100.00"}


def test_home_needs_login(client: TestClient) -> None:
    anonymous = TestClient(create_app())

    response = anonymous.get("/api/v1/home")

    assert response.status_code == 401
