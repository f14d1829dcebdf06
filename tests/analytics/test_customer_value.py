"""Customer value (RFM, BG/NBD, Gamma-Gamma) and next-best-product suggestions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from zhike.analytics import clv, value_eval
from zhike.analytics.recommend import ItemRecommender

PUBLISHED_BGNBD = value_eval.PUBLISHED_BGNBD
CALIBRATION_END = value_eval.CDNOW_CALIBRATION_END


def _simulate(customers: int, seed: int) -> list[clv.Purchase]:
    """Purchases drawn from the BG/NBD story with the published CDNOW parameters."""
    rng = np.random.default_rng(seed)
    start = date(2024, 1, 1)
    rates = rng.gamma(PUBLISHED_BGNBD["r"], 1 / PUBLISHED_BGNBD["alpha"], customers)
    dropout = rng.beta(PUBLISHED_BGNBD["a"], PUBLISHED_BGNBD["b"], customers)
    purchases = []
    for customer in range(customers):
        week = float(rng.uniform(0, 12))
        purchases.append(
            clv.Purchase(str(customer), start + timedelta(days=int(week * 7)), Decimal(20))
        )
        while True:
            week += float(rng.exponential(1 / rates[customer]))
            if week > 39:
                break
            day = start + timedelta(days=int(week * 7))
            purchases.append(clv.Purchase(str(customer), day, Decimal(20)))
            if rng.random() < dropout[customer]:
                break
    return purchases


def test_bgnbd_recovers_the_parameters_it_was_simulated_with() -> None:
    summary = clv.summarize(_simulate(6000, seed=11), date(2024, 1, 1) + timedelta(weeks=39))
    fitted = clv.fit_bgnbd(summary)
    got = {"r": fitted.r, "alpha": fitted.alpha, "a": fitted.a, "b": fitted.b}
    for name, expected in PUBLISHED_BGNBD.items():
        assert got[name] == pytest.approx(expected, rel=0.35), (name, got)


def test_bgnbd_on_cdnow_beats_rate_baselines(
    data_dir: Path,
) -> None:
    result = value_eval.evaluate_cdnow(data_dir)
    summary = clv.summarize(value_eval.load_cdnow_sample(data_dir), CALIBRATION_END)

    def likelihood(values: dict[str, float]) -> float:
        log_values = np.log(np.array([values[name] for name in ("r", "alpha", "a", "b")]))
        return clv._bgnbd_negative_log_likelihood(
            log_values, summary.frequency, summary.recency, summary.age
        )

    # The fit is at least as likely as the published parameters on this part of the data.
    assert likelihood(result["bgnbd"]) <= likelihood(PUBLISHED_BGNBD) + 1e-6
    assert result["bgnbd"]["r"] == pytest.approx(PUBLISHED_BGNBD["r"], rel=0.1)
    assert result["bgnbd"]["alpha"] == pytest.approx(PUBLISHED_BGNBD["alpha"], rel=0.15)
    assert result["mae_bgnbd"] < result["mae_own_rate"]
    assert result["mae_bgnbd"] < result["mae_mean_rate"]

    spend = clv.GammaGamma(**result["gamma_gamma"])
    repeat = summary.frequency > 0
    expected_value = spend.expected_value(summary.frequency[repeat], summary.monetary[repeat])
    # Shrinkage keeps every estimate between the customer's own mean and the population's.
    population = spend.p * spend.v / (spend.q - 1)
    low = np.minimum(summary.monetary[repeat], population) - 1e-9
    high = np.maximum(summary.monetary[repeat], population) + 1e-9
    assert bool(np.all((expected_value >= low) & (expected_value <= high)))


def test_rfm_segments_name_the_obvious_customers() -> None:
    as_of = date(2025, 12, 31)
    purchases = []
    for customer in range(50):
        # Customer 0 buys often, much and recently; customer 49 bought once long ago.
        count = 50 - customer
        for offset in range(count):
            day = as_of - timedelta(days=customer * 7 + offset * 3)
            purchases.append(clv.Purchase(f"c{customer:02d}", day, Decimal(count * 10)))
    summary = clv.summarize(purchases, as_of)
    _, _, _, segments = clv.rfm_segments(summary, as_of)
    by_customer = dict(zip(summary.customers, segments, strict=True))
    assert by_customer["c00"] == "champions"
    assert by_customer["c49"] == "hibernating"


def test_suggestions_rank_by_shared_buyers() -> None:
    model = ItemRecommender.from_pairs(
        [("A", "X"), ("A", "Y"), ("B", "X"), ("B", "Y"), ("C", "X"), ("C", "Z"), ("D", "X")]
    )
    first, second = model.recommend(["X"], k=2)
    # cos(X, Y) = 2 / sqrt(4 * 2) beats cos(X, Z) = 1 / sqrt(4 * 1).
    assert (first.product, second.product) == ("Y", "Z")
    assert first.score == pytest.approx(2 / 8**0.5, abs=1e-4)
    assert (first.reasons[0].product, first.reasons[0].shared_buyers) == ("X", 2)
    assert [s.product for s in model.recommend([], k=2)] == ["X", "Y"]
    assert all(s.popular for s in model.recommend([], k=2))


def test_pipeline_set_suggestions_match_or_beat_popularity(data_dir: Path) -> None:
    result = value_eval.evaluate_pipeline(data_dir, k=3)
    assert result["accounts"] > 50
    assert result["hit_rate_at_3_model"] >= result["hit_rate_at_3_popularity"]


def _won(client: TestClient, account: str, product: str, closed: date, amount: str) -> None:
    response = client.post(
        "/api/v1/opportunities",
        json={
            "name": f"订单 {closed.isoformat()}",
            "account_id": account,
            "product_id": product,
            "stage": "won",
            "amount": amount,
            "closed_on": closed.isoformat(),
        },
    )
    assert response.status_code == 201, response.text


def test_customer_value_and_suggestions_through_the_api(client: TestClient) -> None:
    products = [
        client.post(
            "/api/v1/products", json={"name": name, "code": name, "list_price": "100"}
        ).json()["id"]
        for name in ("云主机", "数据库", "对象存储")
    ]
    accounts = [
        client.post("/api/v1/accounts", json={"name": f"客户{number:02d}"}).json()["id"]
        for number in range(12)
    ]
    start = date(2025, 1, 6)
    for number, account in enumerate(accounts):
        for deal in range(1 + number % 4):
            closed = start + timedelta(weeks=number * 2 + deal * 5)
            product = products[0] if deal == 0 else products[1 + (number + deal) % 2]
            _won(client, account, product, closed, f"{1000 + number * 100}.00")

    report = client.get("/api/v1/analytics/customer-value", params={"horizon_weeks": 26})
    assert report.status_code == 200, report.text
    body: dict[str, Any] = report.json()
    assert (body["customers"], body["currency"]) == (12, "CNY")
    values = [Decimal(item["lifetime_value"]) for item in body["items"]]
    assert values == sorted(values, reverse=True)
    assert {item["account_id"] for item in body["items"]} == set(accounts)
    assert all(0 <= item["probability_alive"] <= 1 for item in body["items"])
    assert set(body["parameters"]["bgnbd"]) == {"r", "alpha", "a", "b"}

    lonely = accounts[0]  # bought only 云主机
    suggestions = client.get(f"/api/v1/accounts/{lonely}/product-suggestions").json()
    suggested = [item["product_id"] for item in suggestions["items"]]
    assert products[0] not in suggested
    assert set(suggested) == set(products[1:])
    assert suggestions["items"][0]["reasons"][0]["product_name"] == "云主机"
