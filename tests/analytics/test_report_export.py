"""Report files: CSV and XLSX exports, formula neutralising, time offsets, audit, anonymisation."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from analytics_support import add_opportunity, add_user, log_in_user, stage_ids
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from testkit import TenantInfo

from zhike.analytics.anonymise import age_band, amount_range, years_band
from zhike.audit.models import AuditEvent
from zhike.core.db import Database
from zhike.core.i18n import load_catalog
from zhike.customers.models import Account, Contact


def _account(database: Database, tenant: TenantInfo, name: str) -> uuid.UUID:
    with database.session() as session:
        account = Account(tenant_id=tenant.tenant.id, name=name, owner_id=tenant.admin.id)
        session.add(account)
        session.flush()
        return account.id


def _export_events(database: Database, tenant: TenantInfo) -> list[dict[str, Any]]:
    with database.session() as session:
        return [
            dict(details or {})
            for details in session.scalars(
                select(AuditEvent.details)
                .where(AuditEvent.tenant_id == tenant.tenant.id, AuditEvent.action == "export")
                .order_by(AuditEvent.sequence)
            )
        ]


BY_ACCOUNT: dict[str, Any] = {
    "object": "opportunities",
    "group_by": [{"field": "account.name", "alias": "account"}],
    "measures": [
        {"aggregate": "sum", "field": "amount", "alias": "amount"},
        {"aggregate": "max", "field": "created_at", "alias": "latest"},
    ],
}


def test_csv_export_neutralises_formulas(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    won = stage_ids(database, tenant)["won"]
    owner = add_user(database, tenant, "he")
    formula = _account(database, tenant, '=HYPERLINK("http://127.0.0.1/x","点我")')
    plain = _account(database, tenant, "宁波港务")
    created = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)  # 2026-04-01 00:30 in Shanghai
    add_opportunity(database, tenant, owner, won, "-12.50", account_id=formula, created_at=created)
    add_opportunity(database, tenant, owner, won, "99.99", account_id=plain, created_at=created)

    response = client.post(
        "/api/v1/reports/export", json={"query": BY_ACCOUNT, "format": "csv", "title": "客户金额"}
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        "filename*=UTF-8''%E5%AE%A2%E6%88%B7%E9%87%91%E9%A2%9D.csv"
        in (response.headers["content-disposition"])
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["客户 / 客户名称", "金额 (CNY)", "最大值 · 创建时间"],
        ['\'=HYPERLINK("http://127.0.0.1/x","点我")', "-12.50", "2026-04-01T00:30:00+08:00"],
        ["宁波港务", "99.99", "2026-04-01T00:30:00+08:00"],
    ]
    events = _export_events(database, tenant)
    assert len(events) == 1
    assert events[0]["format"] == "csv"
    assert events[0]["rows"] == 2
    assert events[0]["report"] == "客户金额"


def test_xlsx_export_of_saved_report(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    won = stage_ids(database, tenant)["won"]
    owner = add_user(database, tenant, "gao")
    account = _account(database, tenant, "+SUM(A1:A2)")
    created = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    add_opportunity(database, tenant, owner, won, "1234.56", account_id=account, created_at=created)
    saved = client.post(
        "/api/v1/reports/saved", json={"name": "客户/金额: 报表", "query": BY_ACCOUNT}
    ).json()

    response = client.get(f"/api/v1/reports/saved/{saved['id']}/export?format=xlsx")

    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet.title == "客户 金额  报表"
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == ["客户 / 客户名称", "金额 (CNY)", "最大值 · 创建时间 (Asia/Shanghai)"]
    assert values[1][0] == "'+SUM(A1:A2)"
    assert Decimal(str(values[1][1])) == Decimal("1234.56")
    # Wall-clock time of Shanghai: the cell holds no zone, the header names it.
    assert values[1][2] == datetime(2026, 1, 2, 11, 4, tzinfo=UTC).replace(tzinfo=None)
    assert _export_events(database, tenant)[0]["report_id"] == saved["id"]


def test_export_headers_follow_request_language(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    won = stage_ids(database, tenant)["won"]
    owner = add_user(database, tenant, "zhou")
    add_opportunity(
        database, tenant, owner, won, "10.00", account_id=_account(database, tenant, "甲")
    )
    query = {
        "object": "opportunities",
        "filters": [{"field": "created_at", "op": "relative", "value": "this_month"}],
        "group_by": [
            {"field": "owner.display_name", "alias": "owner"},
            {"field": "created_at", "bucket": "month"},
        ],
        "measures": [
            {"aggregate": "count", "alias": "deals"},
            {"aggregate": "sum", "field": "amount"},
        ],
        "compare_previous": True,
    }
    headers_by_language = {}

    for language in ("zh-CN", "en"):
        response = client.post(
            "/api/v1/reports/export",
            json={"query": query, "format": "csv"},
            headers={"Accept-Language": language},
        )
        assert response.status_code == 200, response.text
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        headers_by_language[language] = lines[0]

    assert headers_by_language["zh-CN"] == [
        "负责人",
        "创建时间 (月)",
        "商机数",
        "求和 · 金额 (CNY)",
        "商机数（上期）",
        "商机数（变化）",
        "求和 · 金额（上期） (CNY)",
        "求和 · 金额（变化） (CNY)",
    ]
    assert headers_by_language["en"] == [
        "Owner",
        "Created at (Month)",
        "Deals",
        "Sum · Amount (CNY)",
        "Deals (previous period)",
        "Deals (change)",
        "Sum · Amount (previous period) (CNY)",
        "Sum · Amount (change) (CNY)",
    ]
    # The audit record keeps the column names, whatever the language of the file.
    assert _export_events(database, tenant)[-1]["columns"][:2] == ["owner", "created_at:month"]


def test_export_needs_export_right(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    _, rep_headers = log_in_user(client, database, tenant, "ma", "sales_rep")

    response = client.post(
        "/api/v1/reports/export", json={"query": BY_ACCOUNT, "format": "csv"}, headers=rep_headers
    )
    unknown = client.post("/api/v1/reports/export", json={"query": BY_ACCOUNT, "format": "pdf"})

    assert response.status_code == 403
    assert unknown.status_code == 422
    assert _export_events(database, tenant) == []


def _contact(database: Database, tenant: TenantInfo, **values: Any) -> None:
    with database.session() as session:
        session.add(Contact(tenant_id=tenant.tenant.id, owner_id=tenant.admin.id, **values))


def test_anonymised_export_generalises_and_suppresses(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    people = [
        ("张伟", "zw@example.com", "浙江", "杭州", 36),
        ("李娜", "ln@example.com", "浙江", "宁波", 34),
        ("王芳", "wf@example.com", "浙江", "杭州", 41),
        ("刘洋", "ly@example.com", "江苏", "南京", 35),
    ]
    for name, email, province, city, age in people:
        _contact(
            database,
            tenant,
            name=name,
            email=email,
            province=province,
            city=city,
            custom={"age": age},
        )
    query = {
        "object": "contacts",
        "group_by": [
            {"field": "email"},
            {"field": "owner_id"},
            {"field": "city"},
            {"field": "custom.age", "alias": "age"},
            {"field": "created_at", "bucket": "day", "alias": "day"},
        ],
        "measures": [{"aggregate": "count", "alias": "contacts"}],
        "as_of": "2026-06-30",
    }

    preview = client.post("/api/v1/reports/anonymised?k=2", json=query)
    exported = client.post(
        "/api/v1/reports/export", json={"query": query, "format": "csv", "anonymise": {"k": 2}}
    )

    assert preview.status_code == 200, preview.text
    assert [column["name"] for column in preview.json()["columns"]] == [
        "province",
        "age",
        "day",
        "contacts",
    ]
    # Zhejiang 30-39 holds two people; Zhejiang 40-49 and Jiangsu 30-39 hold one each.
    rows = preview.json()["rows"]
    assert len(rows) == 1
    assert rows[0][:2] == ["浙江", "30-39"]
    assert rows[0][2] == datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    assert rows[0][3] == 2
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    # The day bucket became months, and the header says so.
    assert lines[0] == ["省份", "custom.age", "创建时间 (月)", "计数"]
    assert len(lines) == 2
    event = _export_events(database, tenant)[-1]
    assert event["anonymisation"]["k"] == 2
    assert event["anonymisation"]["removed"] == ["email", "owner_id"]
    assert event["anonymisation"]["generalised"] == {
        "city": "province",
        "age": "age_band",
        "day": "month",
    }
    assert event["anonymisation"]["suppressed_groups"] == 2
    assert event["anonymisation"]["suppressed_records"] == 2


def test_anonymised_amounts_become_ranges(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    won = stage_ids(database, tenant)["won"]
    owner = add_user(database, tenant, "lu")
    for amount in ("1500", "2500", "9000", "150000"):
        add_opportunity(database, tenant, owner, won, amount)
    query = {
        "object": "opportunities",
        "group_by": [{"field": "amount", "alias": "amount"}],
        "measures": [
            {"aggregate": "count", "alias": "deals"},
            {"aggregate": "max", "field": "amount", "alias": "largest"},
        ],
    }

    response = client.post("/api/v1/reports/anonymised?k=3", json=query)
    averaged = client.post(
        "/api/v1/reports/anonymised?k=3",
        json={**query, "measures": [{"aggregate": "avg", "field": "amount"}]},
    )

    assert response.status_code == 200, response.text
    assert response.json()["rows"] == [["1000-10000", 3, "1000-10000"]]
    assert averaged.status_code == 400
    assert averaged.json()["code"] == "report_anonymise_merge"


def test_generalisation_bands() -> None:
    assert amount_range(Decimal("-1")) == "<0"
    assert amount_range(Decimal("999.99")) == "0-1000"
    assert amount_range(Decimal("1000")) == "1000-10000"
    assert amount_range(Decimal("25000000")) == ">=10000000"
    assert amount_range(None) is None
    assert age_band(date(1990, 7, 1), date(2026, 6, 30)) == "30-39"
    assert age_band(date(1986, 6, 30), date(2026, 6, 30)) == "40-49"
    assert age_band("2020-01-01", date(2026, 6, 30)) == "0-9"
    assert years_band("34") == "30-39"
    assert years_band(70.5) == "70-79"
    assert years_band("unknown") is None


def test_column_labels_match_web_catalogs() -> None:
    # The server keeps a copy of the report screen's column labels for file headers.
    web = Path(__file__).resolve().parents[2] / "web" / "src" / "locales"
    for locale in ("zh-CN", "en"):
        screen = json.loads((web / locale / "analytics.json").read_text("utf-8"))
        server = load_catalog(locale)
        for group, copy in (
            (screen["report"]["aggregates"], "aggregate"),
            (screen["report"]["buckets"], "bucket_name"),
            (screen["columns"], "alias"),
        ):
            copied = {
                key.removeprefix(f"report_column.{copy}."): text
                for key, text in server.items()
                if key.startswith(f"report_column.{copy}.")
            }
            assert copied == group, (locale, copy)
        for suffix in ("previous", "change"):
            comparison = screen["report"]["comparison"][suffix]
            assert server[f"report_column.{suffix}"] == comparison, (locale, suffix)
