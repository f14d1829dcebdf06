"""Campaign metrics, A/B statistics and attribution, checked by hand and on public data."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path as FilePath

import pytest
from attribution_data import bank_paths, olist_paths
from fastapi.testclient import TestClient
from marketing_support import PASSWORD, configure_email, create_contact, grant, smtp_server
from testkit import TenantInfo

from zhike.marketing.attribution import (
    MODELS,
    Path,
    Touch,
    attribute,
    conversion_probability,
    removal_effects,
)
from zhike.marketing.measurement import minimum_sample_size, two_proportion_test

DAY0 = datetime(2026, 5, 1, tzinfo=UTC)


def _small_paths() -> list[Path]:
    return [
        Path([Touch("A", DAY0 - timedelta(days=7)), Touch("B", DAY0)], True, 100.0, DAY0),
        Path([Touch("A", DAY0)], False, 0.0),
        Path([Touch("B", DAY0)], True, 50.0, DAY0),
    ]


def test_rule_based_models_match_hand_results() -> None:
    results = attribute(_small_paths(), half_life_days=7)

    assert results["first_touch"] == {"A": 100.0, "B": 50.0}
    assert results["last_touch"] == {"B": 150.0}
    assert results["linear"] == {"A": 50.0, "B": 100.0}
    # Path 1: A is one half-life before the conversion, so weights 1/2 and 1.
    assert results["time_decay"]["A"] == pytest.approx(100 / 3)
    assert results["time_decay"]["B"] == pytest.approx(200 / 3 + 50)
    assert results["position_based"] == {"A": 50.0, "B": 100.0}


def test_markov_removal_effect_matches_hand_result() -> None:
    # start->A 2/3, start->B 1/3, A->B 1/2, A->null 1/2, B->conversion 1:
    # P = 2/3 * 1/2 + 1/3 = 2/3; without A, P = 1/3 (effect 1/2); without B, P = 0 (effect 1).
    paths = _small_paths()

    effects = removal_effects(paths)
    credits = attribute(paths)["markov"]

    assert effects["A"] == pytest.approx(0.5)
    assert effects["B"] == pytest.approx(1.0)
    assert credits["A"] == pytest.approx(50.0)
    assert credits["B"] == pytest.approx(100.0)


def test_position_based_three_touches() -> None:
    path = Path([Touch("A", DAY0), Touch("B", DAY0), Touch("C", DAY0)], True, 100.0, DAY0)

    credits = attribute([path])["position_based"]

    assert credits == pytest.approx({"A": 40.0, "B": 20.0, "C": 40.0})


def test_two_proportion_test_matches_hand_result() -> None:
    # 20/100 against 30/100: pooled 0.25, standard error sqrt(0.25 * 0.75 * 0.02) = 0.0612.
    z, p_value = two_proportion_test(20, 100, 30, 100)

    assert z == pytest.approx(1.63299, abs=1e-4)
    assert p_value == pytest.approx(0.10247, abs=1e-4)


def test_minimum_sample_size_known_value() -> None:
    # 10 % to 15 %, alpha 0.05 two-sided, power 0.8: 686 per arm by the standard formula.
    assert minimum_sample_size(0.10, 0.05) == 686


def test_attribution_on_olist_lead_funnel(data_dir: FilePath) -> None:
    paths = olist_paths(data_dir / "olist_marketing_funnel")
    conversions = sum(path.converted for path in paths)

    results = attribute(paths)

    assert len(paths) == 6400
    assert conversions > 0
    for model in MODELS:
        assert sum(results[model].values()) == pytest.approx(conversions)
    # One touch per lead: every rule-based model gives the same credit per origin.
    for model in ("last_touch", "linear", "time_decay", "position_based"):
        assert results[model] == pytest.approx(results["first_touch"])


def test_attribution_on_bank_campaign(data_dir: FilePath) -> None:
    paths = bank_paths(data_dir / "bank_marketing")
    conversions = sum(path.converted for path in paths)

    results = attribute(paths)

    assert len(paths) == 32950
    for model in MODELS:
        assert sum(results[model].values()) == pytest.approx(conversions)
    assert conversion_probability_is_share(paths)
    # A success in the previous campaign converts far more often than it occurs, so the
    # data-driven model credits it more than its share of first touches would.
    markov = results["markov"]
    assert markov["previous:success"] > results["last_touch"].get("previous:success", 0.0)


def conversion_probability_is_share(paths: list[Path]) -> bool:
    from zhike.marketing.attribution import _transitions

    touched = [path for path in paths if path.touches]
    share = sum(path.converted for path in touched) / len(touched)
    return abs(conversion_probability(_transitions(paths)) - share) < 1e-9


def test_campaign_metrics_and_attribution_api(client: TestClient) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port)
        buyer = create_contact(client, "买家", email="buyer@example.com")
        browser = create_contact(client, "浏览者", email="browser@example.com")
        for contact in (buyer, browser):
            grant(client, contact)
        segment = client.post(
            "/api/v1/marketing/segments", json={"name": "全部联系人", "definition": {}}
        ).json()
        campaign = client.post(
            "/api/v1/campaigns", json={"name": "五月促销", "channel": "email", "budget": "1000.00"}
        ).json()
        webinar = client.post(
            "/api/v1/campaigns", json={"name": "线上研讨会", "channel": "webinar"}
        ).json()
        requested = client.post(
            f"/api/v1/marketing/campaigns/{campaign['id']}/send",
            json={
                "segment_id": segment["id"],
                "channel": "email",
                "subject": "促销",
                "body": '<a href="https://zhike.example.com/sale">去看看</a>',
            },
        )
        assert requested.json() == {"requested": 2}
        from marketing_support import run_cycle

        from zhike.core.db import get_database

        run_cycle(get_database())
        message = sink.to("buyer@example.com")[0]
        assert isinstance(message, EmailMessage)
        html_part = message.get_body(("html",))
        assert html_part is not None
        html = html_part.get_content()
        pixel = html.split('<img src="http://testserver')[1].split('"')[0]
        click = html.split('href="http://testserver')[1].split('"')[0]
        assert client.get(pixel).headers["content-type"] == "image/gif"
        assert client.get(click, follow_redirects=False).status_code == 302
        earlier = (datetime.now(UTC) - timedelta(days=3)).isoformat()
        client.post(
            "/api/v1/campaign_members",
            json={"campaign_id": webinar["id"], "contact_id": buyer, "touched_at": earlier},
        )
        won = client.post(
            "/api/v1/opportunities",
            json={
                "name": "五月大单",
                "contact_id": buyer,
                "stage": "won",
                "amount": "5000.00",
                "closed_on": str(datetime.now(UTC).date() + timedelta(days=1)),
            },
        )
        assert won.status_code == 201, won.text

        metrics = client.get(f"/api/v1/marketing/campaigns/{campaign['id']}/metrics").json()
        compared = client.get("/api/v1/marketing/attribution").json()

        assert (metrics["delivered"], metrics["opened"], metrics["clicked"]) == (2, 1, 1)
        assert metrics["converted"] == 1
        assert metrics["revenue_influenced"] == [{"currency": "CNY", "amount": "5000.00"}]
        assert metrics["cost"] == [{"currency": "CNY", "amount": "1000.00"}]
        assert metrics["roi"] == "4.0000"
        assert metrics["roi_currency"] == "CNY"
        assert metrics["roi_unavailable_reason"] is None
        assert compared["conversions"] == 1
        assert compared["revenue"] == [{"currency": "CNY", "amount": "5000.00"}]
        rows = {(row["campaign"], row["currency"]): row for row in compared["rows"]}
        assert set(rows) == {("线上研讨会", "CNY"), ("五月促销", "CNY")}
        assert rows[("线上研讨会", "CNY")]["first_touch"] == "5000.00"
        assert rows[("五月促销", "CNY")]["last_touch"] == "5000.00"
        assert rows[("五月促销", "CNY")]["linear"] == "2500.00"
        markov_total = Decimal(rows[("线上研讨会", "CNY")]["markov"]) + Decimal(
            rows[("五月促销", "CNY")]["markov"]
        )
        assert markov_total == pytest.approx(Decimal("5000.00"), abs=Decimal("0.02"))

        _won(client, "五月美元单", "800.00", "USD", contact_id=buyer)
        mixed = client.get(f"/api/v1/marketing/campaigns/{campaign['id']}/metrics").json()
        mixed_comparison = client.get("/api/v1/marketing/attribution").json()
        webinar_metrics = client.get(f"/api/v1/marketing/campaigns/{webinar['id']}/metrics")

    assert mixed["converted"] == 2
    assert mixed["revenue_influenced"] == [
        {"currency": "CNY", "amount": "5000.00"},
        {"currency": "USD", "amount": "800.00"},
    ]
    assert mixed["roi"] is None
    assert mixed["roi_currency"] is None
    assert mixed["roi_unavailable_reason"] == "currency_mismatch"
    assert mixed_comparison["conversions"] == 2
    assert mixed_comparison["revenue"] == [
        {"currency": "CNY", "amount": "5000.00"},
        {"currency": "USD", "amount": "800.00"},
    ]
    mixed_rows = {(row["campaign"], row["currency"]): row for row in mixed_comparison["rows"]}
    assert mixed_rows[("五月促销", "USD")]["last_touch"] == "800.00"
    assert mixed_rows[("五月促销", "CNY")]["last_touch"] == "5000.00"
    assert mixed_rows[("线上研讨会", "USD")]["first_touch"] == "800.00"
    assert webinar_metrics.status_code == 200
    assert webinar_metrics.json()["cost"] == []
    assert webinar_metrics.json()["roi"] is None
    assert webinar_metrics.json()["roi_unavailable_reason"] == "no_cost"


def test_planned_campaign_has_no_roi_yet(client: TestClient) -> None:
    created = client.post(
        "/api/v1/campaigns", json={"name": "双十一预热", "channel": "email", "budget": "3000.00"}
    )
    assert created.status_code == 201, created.text
    metrics_url = f"/api/v1/marketing/campaigns/{created.json()['id']}/metrics"

    planned = client.get(metrics_url).json()
    started = client.patch(
        f"/api/v1/campaigns/{created.json()['id']}",
        json={"status": "active"},
        headers={"If-Match": created.headers["ETag"]},
    )
    active = client.get(metrics_url).json()
    scheduled = client.post(
        "/api/v1/campaigns",
        json={
            "name": "年货节",
            "channel": "email",
            "budget": "500.00",
            "status": "active",
            "starts_on": str(datetime.now(UTC).date() + timedelta(days=5)),
        },
    )
    assert scheduled.status_code == 201, scheduled.text
    later = client.get(f"/api/v1/marketing/campaigns/{scheduled.json()['id']}/metrics").json()

    assert planned["roi"] is None
    assert planned["roi_unavailable_reason"] == "not_started"
    assert planned["cost"] == [{"currency": "CNY", "amount": "3000.00"}]
    assert started.status_code == 200, started.text
    assert active["roi"] == "-1.0000"
    assert active["roi_unavailable_reason"] is None
    assert later["roi"] is None
    assert later["roi_unavailable_reason"] == "not_started"


def _won(client: TestClient, name: str, amount: str, currency: str, **buyer: str) -> str:
    response = client.post(
        "/api/v1/opportunities",
        json={
            "name": name,
            "stage": "won",
            "amount": amount,
            "currency": currency,
            "closed_on": str(datetime.now(UTC).date() + timedelta(days=1)),
            **buyer,
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


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


def test_marketer_sees_totals_not_opportunities(client: TestClient, tenant: TenantInfo) -> None:
    buyer = create_contact(client, "老客户", email="loyal@example.com")
    campaign = client.post(
        "/api/v1/campaigns",
        json={"name": "老客回馈", "channel": "event", "budget": "200.00", "currency": "CNY"},
    ).json()
    touched = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    member = client.post(
        "/api/v1/campaign_members",
        json={"campaign_id": campaign["id"], "contact_id": buyer, "touched_at": touched},
    )
    assert member.status_code == 201, member.text
    opportunity_id = _won(client, "老客续约", "1200.00", "CNY", contact_id=buyer)
    metrics_url = f"/api/v1/marketing/campaigns/{campaign['id']}/metrics"
    anonymous = TestClient(client.app)
    rep = _login_as(client, tenant, "sales_rep")
    analyst = _login_as(client, tenant, "analyst")
    marketer = _login_as(client, tenant, "marketer")
    director = _login_as(client, tenant, "sales_director")

    seen = marketer.get(metrics_url)
    compared = marketer.get("/api/v1/marketing/attribution")
    listed = marketer.get("/api/v1/opportunities")
    read = marketer.get(f"/api/v1/opportunities/{opportunity_id}")

    assert anonymous.get(metrics_url).status_code == 401
    assert rep.get(metrics_url).status_code == 403
    assert rep.get(metrics_url).json()["code"] == "action_forbidden"
    assert rep.get("/api/v1/marketing/attribution").status_code == 403
    assert analyst.get(metrics_url).status_code == 200
    assert director.get(metrics_url).status_code == 200
    assert seen.status_code == 200, seen.text
    assert seen.json()["converted"] == 1
    assert seen.json()["revenue_influenced"] == [{"currency": "CNY", "amount": "1200.00"}]
    assert seen.json()["roi"] == "5.0000"
    assert compared.status_code == 200, compared.text
    assert compared.json()["conversions"] == 1
    assert compared.json()["revenue"] == [{"currency": "CNY", "amount": "1200.00"}]
    # Aggregates only: neither response names the opportunity.
    assert opportunity_id not in seen.text
    assert opportunity_id not in compared.text
    assert "老客续约" not in seen.text + compared.text
    assert listed.status_code == 403
    assert read.status_code == 403
