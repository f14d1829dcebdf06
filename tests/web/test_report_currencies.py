"""Browser test of a report whose amounts are in two currencies: one total line per currency."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from testkit import TenantInfo

from zhike.analytics.saved import create_report
from zhike.analytics.saved_schemas import SavedReportWrite
from zhike.core.db import Database

from .conftest import save_screenshot
from .web_support import create_record, log_in

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def test_report_total_per_currency(page: Page, database: Database, tenant: TenantInfo) -> None:
    for name, amount, currency in (
        ("华东项目", "1000.00", "CNY"),
        ("华南项目", "400.00", "CNY"),
        ("海外项目", "150.50", "USD"),
    ):
        create_record(
            database,
            tenant,
            "opportunities",
            name=name,
            stage="won",
            amount=amount,
            currency=currency,
        )
    body = SavedReportWrite.model_validate(
        {
            "name": "赢单总额",
            "query": {
                "object": "opportunities",
                "measures": [{"aggregate": "count"}, {"aggregate": "sum", "field": "amount"}],
            },
        }
    )
    with database.session() as session:
        report_id = create_report(session, tenant.actor, body).id

    page.goto(f"/analytics/reports/{report_id}")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    # A saved report runs when it opens, without pressing Run.

    table = page.get_by_test_id("report-table")
    lines = table.get_by_test_id("report-currency-line")
    expect(lines).to_have_text(["¥1,400.00", "US$150.50"])
    # The count is one figure: deals are counted whatever their currency.
    expect(table.get_by_role("row").nth(1)).to_contain_text("3")
    expect(page.get_by_test_id("report-currency-note")).to_contain_text(
        "金额涉及多种币种（CNY, USD），不同币种不相加"
    )
    table.scroll_into_view_if_needed()
    save_screenshot(page, "analytics-report-currencies")

    with page.expect_download() as download:
        page.get_by_test_id("report-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["计数", "求和 · 金额 (CNY)", "求和 · 金额 (USD)"],
        ["3", "1400.00", "150.50"],
    ]
