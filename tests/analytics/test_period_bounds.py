"""Dates at the edges of the calendar: 400 with a stable code, never a 500."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from analytics_support import log_in_user
from fastapi.testclient import TestClient
from testkit import TenantInfo

from zhike.analytics.periods import previous_range, resolve_period, unit_range
from zhike.core.db import Database
from zhike.core.errors import InvalidInput

OUT_OF_RANGE_EN = (
    "as_of {value} is outside the supported dates; use a date from 1900-01-01 to 2999-12-31."
)
OUT_OF_RANGE_ZH = "as_of {value} 超出支持的日期范围；请使用 1900-01-01 至 2999-12-31 之间的日期。"


def _report(period: str, as_of: str, *, compare: bool = False) -> dict[str, Any]:
    return {
        "object": "opportunities",
        "as_of": as_of,
        "filters": [{"field": "closed_on", "op": "relative", "value": period}],
        "compare_previous": compare,
    }


@pytest.mark.parametrize(
    ("period", "as_of"),
    [("last_quarter", "0001-01-15"), ("next_year", "9999-06-15"), ("this_month", "1899-12-31")],
)
def test_report_as_of_outside_calendar(client: TestClient, period: str, as_of: str) -> None:
    response = client.post(
        "/api/v1/reports/run", json=_report(period, as_of), headers={"Accept-Language": "en"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "date_out_of_range"
    assert response.json()["detail"] == OUT_OF_RANGE_EN.format(value=as_of)


def test_report_as_of_message_in_chinese(client: TestClient) -> None:
    response = client.post(
        "/api/v1/reports/run",
        json=_report("next_year", "9999-06-15"),
        headers={"Accept-Language": "zh-CN"},
    )

    assert response.status_code == 400
    assert response.json()["detail"] == OUT_OF_RANGE_ZH.format(value="9999-06-15")


@pytest.mark.parametrize(
    ("period", "as_of", "compare"),
    [
        ("next_year", "2999-12-31", False),
        ("next_30_days", "2999-12-15", False),
        ("last_quarter", "1900-02-01", False),
        ("this_quarter", "1900-02-01", True),
    ],
)
def test_report_period_past_calendar_edge(
    client: TestClient, period: str, as_of: str, compare: bool
) -> None:
    response = client.post(
        "/api/v1/reports/run",
        json=_report(period, as_of, compare=compare),
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "period_out_of_range"
    assert response.json()["detail"].startswith("Period ")
    assert "1900-01-01 to 2999-12-31" in response.json()["detail"]


def test_report_inside_calendar_edges(client: TestClient) -> None:
    for period, as_of in (("this_year", "2999-12-31"), ("this_quarter", "1900-01-01")):
        response = client.post("/api/v1/reports/run", json=_report(period, as_of))

        assert response.status_code == 200, response.text
        assert response.json()["rows"] == [[0]]


@pytest.mark.parametrize("compare", [False, True])
def test_report_between_past_calendar_edge(client: TestClient, compare: bool) -> None:
    body = {
        "object": "opportunities",
        "filters": [{"field": "closed_on", "op": "between", "value": ["9999-01-01", "9999-12-31"]}],
        "compare_previous": compare,
    }

    response = client.post("/api/v1/reports/run", json=body, headers={"Accept-Language": "en"})

    assert response.status_code == 400
    assert response.json()["code"] == "date_out_of_range"
    assert "9999-01-01" in response.json()["detail"]


def test_ask_between_past_calendar_edge(client: TestClient) -> None:
    body = {"question": "2026-01-01到9999-12-31的赢单金额"}

    response = client.post("/api/v1/assistant/ask", json=body)

    assert response.status_code == 400
    assert response.json()["code"] == "date_out_of_range"


def test_ask_as_of_outside_calendar(client: TestClient) -> None:
    body = {"question": "本季度赢单金额", "as_of": "9999-12-31"}

    answered = client.post("/api/v1/assistant/ask", json=body, headers={"Accept-Language": "en"})
    streamed = client.post("/api/v1/assistant/ask/stream", json=body)

    assert answered.status_code == 400
    assert answered.json()["code"] == "date_out_of_range"
    assert answered.json()["detail"] == OUT_OF_RANGE_EN.format(value="9999-12-31")
    assert streamed.status_code == 400
    assert streamed.json()["code"] == "date_out_of_range"
    assert streamed.json()["detail"] == OUT_OF_RANGE_ZH.format(value="9999-12-31")


def test_ask_as_of_at_calendar_edge(client: TestClient) -> None:
    body = {"question": "明年赢单金额", "as_of": "2999-06-15"}

    response = client.post("/api/v1/assistant/ask", json=body)

    assert response.status_code == 400
    assert response.json()["code"] == "period_out_of_range"


def test_target_period_outside_calendar(client: TestClient) -> None:
    body = {"period_start": "9999-10-01", "amount": "1000"}

    response = client.put("/api/v1/sales/targets", json=body, headers={"Accept-Language": "en"})

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [error["code"] for error in errors] == ["date_out_of_range"]
    assert errors[0]["field"] == "period_start"
    assert errors[0]["value"] == "9999-10-01"
    assert client.get("/api/v1/sales/targets").json()["items"] == []


def test_attainment_period_outside_calendar(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    log_in_user(client, database, tenant, "wu", "sales_rep")

    response = client.get(
        "/api/v1/analytics/forecast-attainment", params={"period_start": "9999-10-01"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "date_out_of_range"


@pytest.mark.parametrize(
    ("call", "label"),
    [
        (lambda: resolve_period("next_year", date(9999, 6, 15), 1), "next_year"),
        (lambda: resolve_period("last_quarter", date(1, 1, 15), 1), "last_quarter"),
        (lambda: resolve_period("next_9999_days", date(9999, 1, 1), 1), "next_9999_days"),
        (lambda: resolve_period("tomorrow", date.max, 1), "tomorrow"),
        (lambda: unit_range("fiscal_year", date(9999, 12, 1), 4), "fiscal_year"),
        (lambda: previous_range(None, date(1, 1, 10), date(1, 2, 10), 1), "0001-01-10..0001-02-10"),
    ],
)
def test_period_helpers_raise_invalid_input(call: Any, label: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        call()

    assert raised.value.code == "period_out_of_range"
    assert raised.value.params["period"] == label
