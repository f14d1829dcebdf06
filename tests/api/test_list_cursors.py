"""Hand-made list cursors: a sort value that does not fit the sort field is a 400, never a 500."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from zhike.ai.agents.models import AgentRun
from zhike.core.db import Database
from zhike.core.errors import InvalidInput
from zhike.platform.query import apply_sort_and_cursor, encode_cursor

RECORD_ID = "0190a3c4-0000-7000-8000-000000000001"


def _cursor(kind: str, raw: Any, field: str) -> str:
    payload = json.dumps([[kind, raw], RECORD_ID, field]).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


# (sort field, cursor value kind, raw value) that a list must reject with invalid_cursor.
ACCOUNT_MISFITS = [
    ("name", "raw", 5),
    ("name", "raw", 5.5),
    ("name", "raw", True),
    ("name", "raw", None),
    ("name", "raw", ["甲公司"]),
    ("name", "raw", {"name": "甲公司"}),
    ("name", "raw", "甲\x00公司"),
    ("name", "raw", "\ud800"),
    ("name", "Decimal", "5"),
    ("name", "date", "2024-03-05"),
    ("name", "datetime", "2024-03-05T08:00:00+00:00"),
    ("employee_count", "raw", "五十"),
    ("employee_count", "raw", 1.5),
    ("employee_count", "raw", False),
    ("employee_count", "raw", 2**70),
    ("employee_count", "Decimal", "50"),
    ("annual_revenue", "raw", 5),
    ("annual_revenue", "raw", "1000000"),
    ("annual_revenue", "Decimal", "NaN"),
    ("annual_revenue", "Decimal", "Infinity"),
    ("annual_revenue", "Decimal", "1e400"),
    ("annual_revenue", "Decimal", "10000000000000000"),
    ("annual_revenue", "Decimal", "0.001"),
    ("created_at", "raw", "2024-03-05T08:00:00+00:00"),
    ("created_at", "raw", 1709625600),
    ("created_at", "raw", None),
    ("created_at", "datetime", "2024-03-05T08:00:00"),
    ("created_at", "date", "2024-03-05"),
]

# Values that fit each field, including NULL where the field may be empty.
ACCOUNT_FITS = [
    ("name", "raw", "甲公司"),
    ("employee_count", "raw", 50),
    ("employee_count", "raw", None),
    ("annual_revenue", "Decimal", "1000000.50"),
    ("annual_revenue", "raw", None),
    ("created_at", "datetime", "2024-03-05T16:00:00+08:00"),
]


@pytest.fixture
def accounts(client: TestClient) -> list[dict[str, Any]]:
    rows = [
        {"name": "甲公司", "employee_count": 50, "annual_revenue": "1000000.50"},
        {"name": "乙公司", "employee_count": None, "annual_revenue": None},
        {"name": "丙公司", "employee_count": 7, "annual_revenue": "20.00"},
    ]
    created = []
    for row in rows:
        response = client.post("/api/v1/accounts", json=row)
        assert response.status_code == 201, response.text
        created.append(response.json())
    return created


def _list_ids(client: TestClient) -> list[str]:
    body = client.get("/api/v1/accounts", params={"sort": "name", "limit": 100}).json()
    return sorted(item["id"] for item in body["items"])


@pytest.mark.parametrize(("field", "kind", "raw"), ACCOUNT_MISFITS)
def test_account_cursor_misfit_is_rejected(
    client: TestClient, accounts: list[dict[str, Any]], field: str, kind: str, raw: Any
) -> None:
    before = _list_ids(client)

    for sort in (field, f"-{field}"):
        response = client.get(
            "/api/v1/accounts",
            params={"sort": sort, "cursor": _cursor(kind, raw, field)},
            headers={"Accept-Language": "en"},
        )

        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_cursor"
        assert response.json()["detail"].endswith("Start the list again without a cursor.")
    assert _list_ids(client) == before


@pytest.mark.parametrize(("field", "kind", "raw"), ACCOUNT_FITS)
def test_account_cursor_that_fits_is_accepted(
    client: TestClient, accounts: list[dict[str, Any]], field: str, kind: str, raw: Any
) -> None:
    for sort in (field, f"-{field}"):
        response = client.get(
            "/api/v1/accounts", params={"sort": sort, "cursor": _cursor(kind, raw, field)}
        )

        assert response.status_code == 200, response.text


def test_cursor_misfit_message_names_value_and_fix(
    client: TestClient, accounts: list[dict[str, Any]]
) -> None:
    cursor = _cursor("raw", 5, "name")

    english = client.get(
        "/api/v1/accounts",
        params={"sort": "name", "cursor": cursor},
        headers={"Accept-Language": "en"},
    )
    chinese = client.get(
        "/api/v1/accounts",
        params={"sort": "name", "cursor": cursor},
        headers={"Accept-Language": "zh-CN"},
    )

    assert english.json()["detail"] == (
        f"Cursor {cursor} does not fit sort field name: its value 5 is a whole number, "
        "but the field contains text. Start the list again without a cursor."
    )
    assert chinese.json()["detail"] == (
        f"分页游标 {cursor} 与排序字段 name 不符：游标中的值 5 是整数，而该字段的值是文本。"
        "请去掉游标，从头重新加载列表。"
    )


def test_cursor_with_bad_record_id_is_rejected(
    client: TestClient, accounts: list[dict[str, Any]]
) -> None:
    for record_id in (5, ["x"], None, "not-a-uuid"):
        payload = json.dumps([["raw", "甲公司"], record_id, "name"]).encode()
        cursor = base64.urlsafe_b64encode(payload).decode().rstrip("=")

        response = client.get("/api/v1/accounts", params={"sort": "name", "cursor": cursor})

        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize("sort", ["employee_count", "-employee_count", "annual_revenue"])
def test_issued_cursors_page_through_nulls(
    client: TestClient, accounts: list[dict[str, Any]], sort: str
) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"sort": sort, "limit": 1}

    for _ in range(len(accounts) + 1):
        response = client.get("/api/v1/accounts", params=params)
        assert response.status_code == 200, response.text
        seen += [item["id"] for item in response.json()["items"]]
        if response.json()["next_cursor"] is None:
            break
        params["cursor"] = response.json()["next_cursor"]

    assert sorted(seen) == sorted(account["id"] for account in accounts)
    assert len(seen) == len(accounts)


def test_campaign_date_cursor_checks_kind(client: TestClient) -> None:
    created = client.post("/api/v1/campaigns", json={"name": "春季展会", "starts_on": "2024-03-05"})
    assert created.status_code == 201, created.text

    date_cursor = _cursor("date", "2024-03-01", "starts_on")
    time_cursor = _cursor("datetime", "2024-03-01T00:00:00+00:00", "starts_on")
    fits = client.get("/api/v1/campaigns", params={"sort": "starts_on", "cursor": date_cursor})
    misfit = client.get("/api/v1/campaigns", params={"sort": "starts_on", "cursor": time_cursor})

    assert fits.status_code == 200, fits.text
    assert [item["name"] for item in fits.json()["items"]] == ["春季展会"]
    assert misfit.status_code == 400, misfit.text
    assert misfit.json()["code"] == "invalid_cursor"


def test_agent_run_cursor_misfit_is_rejected(client: TestClient) -> None:
    for cursor in (_cursor("raw", "yesterday", "created_at"), _cursor("raw", 5, "created_at")):
        response = client.get("/api/v1/agents/runs", params={"cursor": cursor})

        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_cursor"


def test_pool_cursor_misfit_is_rejected(client: TestClient) -> None:
    pool = client.post(
        "/api/v1/sales/pools",
        json={"name": "华南公海", "max_owned_per_user": 1, "max_claims_per_day": 5},
    )
    assert pool.status_code == 201, pool.text
    items = f"/api/v1/sales/pools/{pool.json()['id']}/items"

    for cursor in (_cursor("raw", 5, "entered_at"), _cursor("raw", None, "entered_at")):
        response = client.get(items, params={"cursor": cursor})

        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_cursor"
    entered = _cursor("datetime", "2024-03-05T08:00:00Z", "entered_at")
    fits = client.get(items, params={"cursor": entered})
    assert fits.status_code == 200, fits.text


def test_boolean_sort_cursor_runs_on_database(database: Database) -> None:
    # No API object sorts by a boolean yet, so the keyset query runs here against the real database.
    column = AgentRun.__table__.c.is_dry_run
    with database.session() as session:
        for value in (True, False):
            statement = apply_sort_and_cursor(
                select(func.count()).select_from(AgentRun),
                AgentRun,
                "is_dry_run",
                descending=not value,
                cursor=encode_cursor(value, uuid.UUID(RECORD_ID), column.key),
            )
            assert session.scalar(statement.order_by(None)) is not None

        with pytest.raises(InvalidInput) as raised:
            apply_sort_and_cursor(
                select(AgentRun), AgentRun, "is_dry_run", False, _cursor("raw", 1, "is_dry_run")
            )
    assert raised.value.code == "invalid_cursor"
    assert "true or false" in raised.value.message("en")
