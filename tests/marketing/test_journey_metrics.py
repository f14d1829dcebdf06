"""Journey metrics per step and A/B branch: conversions, revenue per currency, cost and ROI."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from marketing_support import PASSWORD, configure_email, create_contact, grant, smtp_server
from sqlalchemy import func, select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.marketing.automation_models import JourneyStepCost
from zhike.marketing.journey_engine import run_due
from zhike.marketing.journey_metrics import parse_variants
from zhike.marketing.money_totals import return_on_investment
from zhike.marketing.sending import dispatch_due

SEND_COST = {"email": {"amount": "0.05", "currency": "CNY"}}


def _graph(weight_a: int, weight_b: int) -> dict[str, Any]:
    def send(step_id: str, subject: str, next_step: str) -> dict[str, Any]:
        return {
            "type": "send",
            "id": step_id,
            "channel": "email",
            "subject": subject,
            "body": subject,
            "next": next_step,
        }

    return {
        "trigger": {"kind": "manual"},
        "start": "split",
        "steps": [
            {
                "type": "split",
                "id": "split",
                "branches": [
                    {"name": "A", "weight": weight_a, "next": "a"},
                    {"name": "B", "weight": weight_b, "next": "b"},
                ],
            },
            send("a", "甲方案", "pause"),
            send("b", "乙方案", "pause"),
            {"type": "wait", "id": "pause", "minutes": 60, "next": "follow"},
            {"type": "send", "id": "follow", "channel": "email", "body": "跟进"},
        ],
    }


def _advance(database: Database, minutes: int = 0) -> None:
    moment = utc_now() + timedelta(minutes=minutes)
    while run_due(database, moment):
        pass
    while dispatch_due(database, now=moment):
        pass


def _enroll(client: TestClient, journey_id: str, contacts: list[str]) -> None:
    response = client.post(
        f"/api/v1/marketing/journeys/{journey_id}/enrollments", json={"ids": contacts}
    )
    assert response.status_code == 200, response.text


def _won(client: TestClient, amount: str, currency: str, days: int, **buyer: str) -> None:
    response = client.post(
        "/api/v1/opportunities",
        json={
            "name": f"赢单 {amount} {currency}",
            "stage": "won",
            "amount": amount,
            "currency": currency,
            "closed_on": str(datetime.now(UTC).date() + timedelta(days=days)),
            **buyer,
        },
    )
    assert response.status_code == 201, response.text


def _run_journey(client: TestClient, database: Database) -> tuple[str, dict[str, str]]:
    """Send branch A to two contacts and branch B to two, then the follow-up an hour later.

    The branch weights change between the two enrolments (the journey is paused to
    edit them), so each contact's branch is known without depending on the hash.
    """
    account = client.post("/api/v1/accounts", json={"name": "甲公司"})
    assert account.status_code == 201, account.text
    people = {
        "a1": create_contact(client, "甲一", email="a1@example.com"),
        "a2": create_contact(
            client, "甲二", email="a2@example.com", account_id=account.json()["id"]
        ),
        "b1": create_contact(client, "乙一", email="b1@example.com"),
        "b2": create_contact(client, "乙二", email="b2@example.com"),
        "account": str(account.json()["id"]),
    }
    for key in ("a1", "a2", "b1", "b2"):
        grant(client, people[key])
    created = client.post(
        "/api/v1/marketing/journeys", json={"name": "分流旅程", "graph": _graph(1, 0)}
    )
    assert created.status_code == 201, created.text
    journey_id = str(created.json()["id"])
    assert client.post(f"/api/v1/marketing/journeys/{journey_id}/activate").status_code == 200
    _enroll(client, journey_id, [people["a1"], people["a2"]])
    _advance(database)
    assert client.post(f"/api/v1/marketing/journeys/{journey_id}/pause").status_code == 200
    edited = client.put(
        f"/api/v1/marketing/journeys/{journey_id}",
        json={"name": "分流旅程", "graph": _graph(0, 1)},
    )
    assert edited.status_code == 200, edited.text
    assert client.post(f"/api/v1/marketing/journeys/{journey_id}/activate").status_code == 200
    _enroll(client, journey_id, [people["b1"], people["b2"]])
    _advance(database)
    _advance(database, minutes=61)
    return journey_id, people


def _metrics(client: TestClient, journey_id: str, **query: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/marketing/journeys/{journey_id}/step-metrics", params=query)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _money(rows: list[dict[str, str]]) -> dict[str, Decimal]:
    return {row["currency"]: Decimal(row["amount"]) for row in rows}


def test_step_and_branch_metrics_with_costs(client: TestClient, database: Database) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port, send_costs=SEND_COST)
        journey_id, people = _run_journey(client, database)
        first_message = sink.to("a1@example.com")[0]
        assert isinstance(first_message, EmailMessage)
        html_part = first_message.get_body(("html",))
        assert html_part is not None
        pixel = html_part.get_content().split('<img src="http://testserver')[1].split('"')[0]
        assert client.get(pixel).status_code == 200
        assert len(sink.messages) == 8
    _won(client, "1000.00", "CNY", 1, contact_id=people["a1"])
    _won(client, "500.00", "CNY", 1, account_id=people["account"])
    _won(client, "200.00", "USD", 1, contact_id=people["b1"])
    # Closes 40 days after the deliveries: outside the 30-day attribution window.
    _won(client, "999.00", "CNY", 40, contact_id=people["b2"])
    for step_id, amount in (("a", "100.00"), ("follow", "20.00")):
        response = client.put(
            f"/api/v1/marketing/journeys/{journey_id}/step-costs/{step_id}",
            json={"amount": amount, "currency": "cny"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["currency"] == "CNY"

    result = _metrics(client, journey_id)

    assert result["model"] == "last_touch"
    assert result["attribution_window_days"] == 30
    steps = {row["step_id"]: row for row in result["steps"]}
    assert list(steps) == ["split", "a", "b", "pause", "follow"]
    assert [steps[name]["delivered"] for name in ("a", "b", "follow")] == [2, 2, 4]
    assert steps["a"]["opened"] == 1
    assert steps["b"]["opened"] == 0
    # Last touch: the follow-up, delivered an hour after a and b, gets every conversion.
    assert steps["follow"]["converted"] == 3.0
    assert steps["a"]["converted"] == 0.0
    assert steps["a"]["influenced_conversions"] == 2
    assert steps["b"]["influenced_conversions"] == 1
    assert _money(steps["follow"]["revenue"]) == {
        "CNY": Decimal("1500.00"),
        "USD": Decimal("200.00"),
    }
    assert steps["a"]["revenue"] == []
    assert _money(steps["a"]["cost"]) == {"CNY": Decimal("100.10")}
    assert steps["a"]["fixed_cost"] == {"currency": "CNY", "amount": "100.00"}
    assert steps["a"]["send_cost"] == {"currency": "CNY", "amount": "0.05"}
    assert steps["a"]["roi"] == "-1.0000"
    assert _money(steps["follow"]["cost"]) == {"CNY": Decimal("20.20")}
    assert steps["follow"]["roi"] is None
    assert steps["follow"]["roi_unavailable_reason"] == "currency_mismatch"
    assert steps["pause"]["roi_unavailable_reason"] == "no_cost"
    assert steps["split"]["step_type"] == "split"
    total = result["total"]
    assert total["delivered"] == 8
    assert total["converted"] == 3.0
    assert _money(total["revenue"]) == {"CNY": Decimal("1500.00"), "USD": Decimal("200.00")}
    assert _money(total["cost"]) == {"CNY": Decimal("120.40")}
    branches = {row["branch"]: row for row in result["branches"]}
    assert branches["A"]["delivered"] == 4
    assert branches["A"]["opened"] == 1
    assert branches["A"]["converted"] == 2.0
    assert _money(branches["A"]["revenue"]) == {"CNY": Decimal("1500.00")}
    # Per-send 0.20, all of a's fixed cost and half of follow's (2 of its 4 deliveries).
    assert _money(branches["A"]["cost"]) == {"CNY": Decimal("110.20")}
    expected_roi = ((Decimal("1500") - Decimal("110.20")) / Decimal("110.20")).quantize(
        Decimal("0.0001")
    )
    assert branches["A"]["roi"] == str(expected_roi)
    assert branches["A"]["roi_currency"] == "CNY"
    assert _money(branches["B"]["revenue"]) == {"USD": Decimal("200.00")}
    assert _money(branches["B"]["cost"]) == {"CNY": Decimal("10.20")}
    assert branches["B"]["roi_unavailable_reason"] == "currency_mismatch"

    first = _metrics(client, journey_id, model="first_touch")
    first_steps = {row["step_id"]: row for row in first["steps"]}
    assert first_steps["a"]["converted"] == 2.0
    assert first_steps["b"]["converted"] == 1.0
    assert first_steps["follow"]["converted"] == 0.0
    assert first_steps["a"]["roi"] == str(
        ((Decimal("1500") - Decimal("100.10")) / Decimal("100.10")).quantize(Decimal("0.0001"))
    )

    linear = _metrics(client, journey_id, model="linear")
    linear_steps = {row["step_id"]: row for row in linear["steps"]}
    assert linear_steps["a"]["converted"] == 1.0
    assert _money(linear_steps["b"]["revenue"]) == {"USD": Decimal("100.00")}
    assert _money(linear_steps["follow"]["revenue"]) == {
        "CNY": Decimal("750.00"),
        "USD": Decimal("100.00"),
    }

    markov = _metrics(client, journey_id, model="markov")
    markov_steps = {row["step_id"]: row for row in markov["steps"]}
    credited = sum(markov_steps[name]["converted"] for name in ("a", "b", "follow"))
    assert credited == pytest.approx(3.0)
    revenue = sum(
        (_money(markov_steps[name]["revenue"]).get("CNY", Decimal(0)) for name in ("a", "follow")),
        Decimal(0),
    )
    assert revenue == pytest.approx(Decimal("1500.00"), abs=Decimal("0.02"))


def test_period_filter_and_invalid_queries(client: TestClient, database: Database) -> None:
    with smtp_server() as (_sink, port):
        configure_email(client, port)
        journey_id, people = _run_journey(client, database)
    _won(client, "1000.00", "CNY", 1, contact_id=people["a1"])
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    url = f"/api/v1/marketing/journeys/{journey_id}/step-metrics"

    past = _metrics(client, journey_id, start="2020-01-01", end="2020-01-31")
    around = _metrics(
        client,
        journey_id,
        start=str(tomorrow - timedelta(days=3)),
        end=str(tomorrow + timedelta(days=1)),
    )
    conflict = client.get(url, params={"period": "this_month", "start": "2020-01-01"})
    reversed_dates = client.get(url, params={"start": "2020-02-01", "end": "2020-01-01"})
    unknown_period = client.get(url, params={"period": "next_century"})
    unknown_model = client.get(url, params={"model": "random"})

    assert (past["starts_on"], past["ends_on"]) == ("2020-01-01", "2020-01-31")
    assert past["total"]["delivered"] == 0
    assert past["total"]["converted"] == 0.0
    assert around["total"]["delivered"] == 8
    assert around["total"]["converted"] == 1.0
    assert conflict.status_code == 400
    assert conflict.json()["code"] == "marketing_period_conflict"
    assert reversed_dates.status_code == 400
    assert reversed_dates.json()["code"] == "marketing_period_order"
    assert "2020-01-01" in reversed_dates.json()["detail"]
    assert unknown_period.status_code == 400
    assert unknown_period.json()["code"] == "report_unknown_period"
    assert unknown_model.status_code == 422


def test_step_cost_input_validation(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    created = client.post(
        "/api/v1/marketing/journeys", json={"name": "成本校验", "graph": _graph(1, 1)}
    )
    journey_id = created.json()["id"]
    base = f"/api/v1/marketing/journeys/{journey_id}/step-costs"

    missing_step = client.put(f"{base}/nowhere", json={"amount": "10.00"})
    bad_currency = client.put(f"{base}/a", json={"amount": "10.00", "currency": "XYZ"})
    negative = client.put(f"{base}/a", json={"amount": "-1"})
    missing_cost = client.delete(f"{base}/a")
    bad_send_cost = client.patch(
        "/api/v1/marketing/settings",
        json={"send_costs": {"fax": {"amount": "1", "currency": "CNY"}}},
    )

    assert missing_step.status_code == 404
    assert missing_step.json()["code"] == "marketing_journey_step_not_found"
    assert "nowhere" in missing_step.json()["detail"]
    assert bad_currency.status_code == 422
    assert negative.status_code == 422
    assert missing_cost.status_code == 404
    assert missing_cost.json()["code"] == "marketing_step_cost_not_found"
    assert bad_send_cost.status_code == 422
    assert "fax" in bad_send_cost.text
    with database.session() as session:
        count = session.scalar(
            select(func.count(JourneyStepCost.id)).where(
                JourneyStepCost.tenant_id == tenant.tenant.id
            )
        )
    assert count == 0

    saved = client.put(f"{base}/a", json={"amount": "10.00"})
    changed = client.put(f"{base}/a", json={"amount": "12.50", "currency": "USD"})
    listed = client.get(base)
    removed = client.delete(f"{base}/a")

    assert saved.json()["version"] == 1
    assert changed.json()["version"] == 2
    assert [(row["step_id"], row["amount"], row["currency"]) for row in listed.json()] == [
        ("a", "12.50", "USD")
    ]
    assert removed.status_code == 204
    assert client.get(base).json() == []


def _login_as(client: TestClient, tenant: TenantInfo, role: str) -> TestClient:
    email = f"{role}-{secrets.token_hex(3)}@example.com"
    created = client.post(
        "/api/v1/users",
        json={"email": email, "display_name": role, "password": PASSWORD, "role": role},
    )
    assert created.status_code == 201, created.text
    other = TestClient(client.app)
    token = other.post(
        "/api/v1/auth/login", json={"tenant": tenant.slug, "email": email, "password": PASSWORD}
    ).json()["access_token"]
    other.headers["Authorization"] = f"Bearer {token}"
    return other


def test_step_metrics_and_costs_by_role(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    created = client.post(
        "/api/v1/marketing/journeys", json={"name": "权限旅程", "graph": _graph(1, 1)}
    )
    journey_id = created.json()["id"]
    metrics_url = f"/api/v1/marketing/journeys/{journey_id}/step-metrics"
    cost_url = f"/api/v1/marketing/journeys/{journey_id}/step-costs/a"
    anonymous = TestClient(client.app)
    rep = _login_as(client, tenant, "sales_rep")
    analyst = _login_as(client, tenant, "analyst")
    marketer = _login_as(client, tenant, "marketer")

    assert anonymous.get(metrics_url).status_code == 401
    assert anonymous.put(cost_url, json={"amount": "1.00"}).status_code == 401
    assert rep.get(metrics_url).status_code == 403
    assert rep.put(cost_url, json={"amount": "1.00"}).status_code == 403
    assert analyst.get(metrics_url).status_code == 200
    assert analyst.put(cost_url, json={"amount": "1.00"}).status_code == 403
    with database.session() as session:
        stored = session.scalars(
            select(JourneyStepCost).where(JourneyStepCost.journey_id == uuid.UUID(journey_id))
        ).all()
    assert stored == []
    assert marketer.get(metrics_url).status_code == 200
    assert marketer.put(cost_url, json={"amount": "1.00"}).status_code == 200


def test_marketer_sees_journey_revenue_totals(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with smtp_server() as (_sink, port):
        configure_email(client, port)
        journey_id, people = _run_journey(client, database)
    _won(client, "1000.00", "CNY", 1, contact_id=people["a1"])
    _won(client, "200.00", "USD", 1, contact_id=people["b1"])
    marketer = _login_as(client, tenant, "marketer")

    seen = marketer.get(f"/api/v1/marketing/journeys/{journey_id}/step-metrics")
    listed = marketer.get("/api/v1/opportunities")

    assert seen.status_code == 200, seen.text
    total = seen.json()["total"]
    assert total["converted"] == 2.0
    assert _money(total["revenue"]) == {"CNY": Decimal("1000.00"), "USD": Decimal("200.00")}
    assert seen.json() == _metrics(client, journey_id)
    assert listed.status_code == 403


def test_roi_rules() -> None:
    cny = {"CNY": Decimal("300")}

    assert return_on_investment(cny, {"CNY": Decimal("100")}) == (Decimal("2.0000"), "CNY", None)
    assert return_on_investment(cny, {}) == (None, None, "no_cost")
    assert return_on_investment(cny, {"CNY": Decimal("0")}) == (None, None, "no_cost")
    assert return_on_investment(cny, {"CNY": Decimal("1"), "USD": Decimal("1")}) == (
        None,
        None,
        "mixed_currencies",
    )
    assert return_on_investment({"USD": Decimal("5")}, {"CNY": Decimal("1")}) == (
        None,
        None,
        "currency_mismatch",
    )
    assert return_on_investment({}, {"CNY": Decimal("50")}) == (Decimal("-1.0000"), "CNY", None)


def test_parse_variants() -> None:
    assert parse_variants("s1=A/s2=B") == [("s1", "A"), ("s2", "B")]
    assert parse_variants(None) == []
    assert parse_variants("broken") == []


def test_blocked_reasons_and_unspent_cost(client: TestClient, database: Database) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port, send_costs=SEND_COST)
        silent = [create_contact(client, f"未同意{n}", email=f"n{n}@example.com") for n in range(3)]
        without_address = create_contact(client, "无邮箱")
        graph = {
            "trigger": {"kind": "manual"},
            "start": "mail",
            "steps": [{"type": "send", "id": "mail", "channel": "email", "body": "你好"}],
        }
        created = client.post("/api/v1/marketing/journeys", json={"name": "无同意", "graph": graph})
        assert created.status_code == 201, created.text
        journey_id = str(created.json()["id"])
        assert client.post(f"/api/v1/marketing/journeys/{journey_id}/activate").status_code == 200
        _enroll(client, journey_id, [*silent, without_address])
        _advance(database)
        assert sink.messages == []

    result = _metrics(client, journey_id)
    total = result["total"]
    assert (total["requested"], total["blocked"], total["delivered"]) == (4, 4, 0)
    assert total["blocked_reasons"] == {"no_consent": 3, "no_address": 1}
    assert total["deferred_reasons"] == {}
    # The per-send cost is set, but nothing was delivered: no spending yet, not "no cost".
    assert total["cost"] == []
    assert total["roi"] is None
    assert total["roi_unavailable_reason"] == "no_cost_incurred"
    [step] = result["steps"]
    assert step["blocked_reasons"] == {"no_consent": 3, "no_address": 1}
    assert step["roi_unavailable_reason"] == "no_cost_incurred"

    cleared = client.patch("/api/v1/marketing/settings", json={"send_costs": {"email": None}})
    assert cleared.status_code == 200, cleared.text
    assert _metrics(client, journey_id)["total"]["roi_unavailable_reason"] == "no_cost"
