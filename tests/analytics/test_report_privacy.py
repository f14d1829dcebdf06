"""Differentially private reports: allowed measures, clipping, noise and the monthly budget."""

from __future__ import annotations

import statistics
from typing import Any

from fastapi.testclient import TestClient

from zhike.analytics.privacy import add_noise
from zhike.analytics.query import ReportQuery


def _opportunity(client: TestClient, amount: str) -> None:
    response = client.post(
        "/api/v1/opportunities", json={"name": f"商机 {amount}", "stage": "won", "amount": amount}
    )
    assert response.status_code == 201, response.text


def _run(client: TestClient, query: dict[str, Any]) -> Any:
    return client.post("/api/v1/reports/run", json=query)


def test_clip_bounds_each_row_of_a_sum(client: TestClient) -> None:
    for amount in ("50.00", "1000.00", "80.00"):
        _opportunity(client, amount)
    query = {
        "object": "opportunities",
        "measures": [{"aggregate": "sum", "field": "amount", "clip": "100", "alias": "won"}],
    }
    response = _run(client, query)
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == [["230.00"]]
    assert response.json()["privacy"] is None


def test_private_report_budget_runs_out(client: TestClient) -> None:
    for amount in ("50.00", "70.00"):
        _opportunity(client, amount)
    query = {
        "object": "opportunities",
        "group_by": [{"field": "stage.key"}],
        "measures": [
            {"aggregate": "count"},
            {"aggregate": "sum", "field": "amount", "clip": "100"},
        ],
        "privacy": {"epsilon": 2},
    }
    first = _run(client, query)
    assert first.status_code == 200, first.text
    assert first.json()["privacy"] == {"epsilon": 2.0, "budget_remaining": 3.0}
    assert first.json()["rows"][0][0] == "won"
    assert _run(client, query).json()["privacy"]["budget_remaining"] == 1.0

    third = _run(client, query)
    assert third.status_code == 409
    assert third.json()["code"] == "report_privacy_budget_spent"
    assert "1.0" in third.json()["detail"]
    audit = client.get("/api/v1/audit/events", params={"action": "report.private"})
    assert audit.status_code == 200, audit.text
    assert len(audit.json()["items"]) == 2


def test_private_reports_refuse_measures_they_cannot_protect(client: TestClient) -> None:
    for measure in (
        {"aggregate": "avg", "field": "amount"},
        {"aggregate": "sum", "field": "amount"},
        {"aggregate": "count_distinct", "field": "owner_id"},
    ):
        query = {"object": "opportunities", "measures": [measure], "privacy": {"epsilon": 1}}
        response = _run(client, query)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "report_private_measure"


def test_laplace_noise_is_centred_with_the_expected_spread() -> None:
    query = ReportQuery.model_validate(
        {
            "object": "opportunities",
            "measures": [{"aggregate": "count"}],
            "privacy": {"epsilon": 0.5},
        }
    )
    draws = [add_noise(query, [[1000]], 0)[0][0] for _ in range(4000)]
    # Laplace(b) has mean 0 and mean absolute deviation b = 1 / epsilon = 2.
    assert abs(statistics.fmean(draws) - 1000) < 0.3
    spread = statistics.fmean(abs(draw - 1000) for draw in draws)
    assert 1.6 < spread < 2.4
    assert all(isinstance(draw, int) for draw in draws)
