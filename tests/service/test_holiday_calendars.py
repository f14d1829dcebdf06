"""Holiday calendars kept by administrators: import, export, edit, validation, year boundary."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from service_support import add_policy, add_user, intake, login
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.service import calendar as calendar_module
from zhike.service.settings import tenant_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A made-up 2027 schedule for the tests; the official one was not published when written.
CALENDAR_2027 = (
    "date,kind,name\n"
    "2027-01-01,holiday,元旦\n"
    "2027-01-03,workday,元旦调休\n"
    "2027-02-06,holiday,春节\n"
    "2027-02-07,holiday,春节\n"
)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _import(client: TestClient, year: int, content: str, name: str = "holidays.csv") -> object:
    return client.post(
        f"/api/v1/service/holiday-calendars/{year}/import",
        files={"file": (name, content.encode("utf-8"), "text/csv")},
    )


def test_year_boundary_without_calendar(client: TestClient) -> None:
    add_policy(client, "normal", 60, 8 * 60)
    # Thursday 2026-12-31, 17:30: half an hour left that day.
    ticket = intake(client, opened_at=local(2026, 12, 31, 17, 30).isoformat())
    # No 2027 calendar: Friday 2027-01-01 counts as an ordinary working day.
    assert iso(ticket["first_response_due_at"]) == local(2027, 1, 1, 9, 30)


def test_year_boundary_with_imported_calendar(client: TestClient) -> None:
    imported = _import(client, 2027, CALENDAR_2027)
    assert imported.status_code == 200, imported.text  # type: ignore[attr-defined]
    add_policy(client, "normal", 60, 8 * 60)

    ticket = intake(client, opened_at=local(2026, 12, 31, 17, 30).isoformat())

    # 2027-01-01 is a holiday and Sunday 2027-01-03 an adjusted working day.
    assert iso(ticket["first_response_due_at"]) == local(2027, 1, 3, 9, 30)
    assert iso(ticket["resolution_due_at"]) == local(2027, 1, 3, 16, 30)


def test_import_reads_back_and_exports(client: TestClient) -> None:
    imported = _import(client, 2027, CALENDAR_2027)
    read = client.get("/api/v1/service/holiday-calendars/2027").json()
    exported_csv = client.get(
        "/api/v1/service/holiday-calendars/2027/export", params={"format": "csv"}
    )
    exported_json = client.get(
        "/api/v1/service/holiday-calendars/2027/export", params={"format": "json"}
    )

    assert imported.status_code == 200  # type: ignore[attr-defined]
    assert read["source"] == "company"
    assert read["version"] == 1
    assert [(day["date"], day["kind"]) for day in read["days"]] == [
        ("2027-01-01", "holiday"),
        ("2027-01-03", "workday"),
        ("2027-02-06", "holiday"),
        ("2027-02-07", "holiday"),
    ]
    assert exported_csv.text == CALENDAR_2027
    assert exported_csv.headers["content-disposition"] == 'attachment; filename="holidays-2027.csv"'
    assert json.loads(exported_json.text) == {
        "year": 2027,
        "holidays": {"2027-01-01": "元旦", "2027-02-06": "春节", "2027-02-07": "春节"},
        "adjusted_workdays": {"2027-01-03": "元旦调休"},
    }
    # The JSON export imports again unchanged, as a new version.
    again = _import(client, 2027, exported_json.text, name="holidays-2027.json")
    assert again.status_code == 200, again.text  # type: ignore[attr-defined]
    assert again.json()["version"] == 2  # type: ignore[attr-defined]
    assert again.json()["days"] == read["days"]  # type: ignore[attr-defined]


def test_shipped_year_exports(client: TestClient) -> None:
    read = client.get("/api/v1/service/holiday-calendars/2026").json()
    exported = client.get("/api/v1/service/holiday-calendars/2026/export").text

    assert read["source"] == "shipped"
    assert "2026-02-14,workday," in exported
    assert "2026-10-01,holiday,National Day" in exported


def test_invalid_rows_are_all_reported(client: TestClient) -> None:
    content = (
        "date,kind,name\n"
        "2027-13-01,holiday,错月\n"
        "2026-12-31,holiday,去年\n"
        "2027-01-01,vacation,元旦\n"
        "2027-01-01,holiday,元旦\n"
        "2027-01-01,holiday,元旦重复\n"
        "2027-01-04,workday,周一\n"
    )

    response = _import(client, 2027, content)

    assert response.status_code == 422  # type: ignore[attr-defined]
    errors = response.json()["errors"]  # type: ignore[attr-defined]
    assert [(error["field"], error["value"], error["code"]) for error in errors] == [
        ("line 2", "2027-13-01", "holiday_date_invalid"),
        ("line 3", "2026-12-31", "holiday_date_outside_year"),
        ("line 4", "vacation", "holiday_kind_invalid"),
        ("line 6", "2027-01-01", "holiday_date_twice"),
        ("line 7", "2027-01-04", "holiday_workday_not_weekend"),
    ]
    assert errors[1]["message"] == (
        "2026-12-31（第 3 行）不在 2027 年内；一个日历只含一年，请把该日期放到对应年份的文件中。"
    )
    assert client.get("/api/v1/service/holiday-calendars/2027").json()["source"] == "none"


def test_import_errors_name_line_in_english(client: TestClient) -> None:
    client.headers["Accept-Language"] = "en"
    content = "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-30,holiday,错日\n"

    response = _import(client, 2027, content)

    assert response.status_code == 422  # type: ignore[attr-defined]
    errors = response.json()["errors"]  # type: ignore[attr-defined]
    assert [(error["field"], error["code"]) for error in errors] == [
        ("line 3", "holiday_date_invalid")
    ]
    assert errors[0]["message"] == (
        "2027-02-30 (line 3) is not a date; write it as YYYY-MM-DD, e.g. 2027-01-01."
    )


def test_unreadable_files_are_rejected(client: TestClient) -> None:
    missing_column = _import(client, 2027, "day,name\n2027-01-01,元旦\n")
    bad_json = _import(client, 2027, "{not json", name="holidays.json")
    wrong_year = _import(client, 2027, json.dumps({"year": 2028}), name="h.json")
    empty = _import(client, 2027, "date,kind,name\n")

    assert missing_column.status_code == 400  # type: ignore[attr-defined]
    assert missing_column.json()["code"] == "holiday_columns_missing"  # type: ignore[attr-defined]
    assert bad_json.status_code == 400  # type: ignore[attr-defined]
    assert bad_json.json()["code"] == "holiday_import_unreadable"  # type: ignore[attr-defined]
    assert wrong_year.status_code == 422  # type: ignore[attr-defined]
    assert empty.status_code == 400  # type: ignore[attr-defined]
    assert empty.json()["code"] == "holiday_file_empty"  # type: ignore[attr-defined]
    assert client.get("/api/v1/service/holiday-calendars/2027").json()["source"] == "none"


def test_edit_and_delete_year(client: TestClient) -> None:
    put = client.put(
        "/api/v1/service/holiday-calendars/2027",
        json={"days": [{"date": "2027-10-01", "kind": "holiday", "name": "国庆节"}]},
    )
    deleted = client.delete("/api/v1/service/holiday-calendars/2027")
    after = client.get("/api/v1/service/holiday-calendars/2027").json()
    missing = client.delete("/api/v1/service/holiday-calendars/2027")

    assert put.status_code == 200, put.text
    assert put.json()["days"] == [{"date": "2027-10-01", "kind": "holiday", "name": "国庆节"}]
    assert deleted.status_code == 204
    assert after["source"] == "none"
    assert missing.status_code == 404
    assert missing.json()["code"] == "holiday_year_not_found"


def test_import_needs_administrator(client: TestClient, tenant: TenantInfo) -> None:
    _, email = add_user(client, "service_agent")
    with login(tenant.slug, email) as agent:
        denied = _import(agent, 2027, CALENDAR_2027)
        readable = agent.get("/api/v1/service/holiday-calendars")

    assert denied.status_code == 403  # type: ignore[attr-defined]
    assert readable.status_code == 200
    assert client.get("/api/v1/service/holiday-calendars/2027").json()["source"] == "none"


def test_missing_year_is_reported(client: TestClient) -> None:
    client.app.state.clock = lambda: datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    try:
        before = client.get("/api/v1/service/holiday-calendars").json()
        _import(client, 2027, CALENDAR_2027)
        after = client.get("/api/v1/service/holiday-calendars").json()
    finally:
        del client.app.state.clock  # type: ignore[attr-defined]

    assert before["uses_chinese_calendar"] is True
    assert before["missing_years"] == [2027]
    assert after["missing_years"] == []
    assert {"year": 2027, "source": "company", "holidays": 3, "workdays": 1} in after["years"]


def test_uncovered_year_logged_once(
    database: Database, tenant: TenantInfo, caplog: pytest.LogCaptureFixture
) -> None:
    calendar_module._warned_years.clear()
    with database.session() as session:
        first = tenant_calendar(session, tenant.tenant.id)
        second = tenant_calendar(session, tenant.tenant.id)
    with caplog.at_level(logging.WARNING, logger="zhike.service.calendar"):
        first.add(local(2026, 12, 31, 17, 0), 4 * 3600)
        second.add(local(2026, 12, 31, 17, 0), 4 * 3600)
        first.between(local(2027, 1, 4, 9, 0), local(2027, 1, 5, 9, 0))

    warnings = [record for record in caplog.records if "no holiday calendar" in record.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].__dict__["year"] == 2027
    assert warnings[0].__dict__["tenant_id"] == str(tenant.tenant.id)
