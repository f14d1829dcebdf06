"""Browser tests of the analytics screens: the sales funnel and customer value."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from testkit import TenantInfo

from zhike.core.db import Database

from .conftest import save_screenshot
from .web_support import create_record, log_in, update_record

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def test_funnel_shows_each_stage_and_its_conversion(
    page: Page, database: Database, tenant: TenantInfo
) -> None:
    moved = create_record(database, tenant, "opportunities", name="甲商机", stage="prospecting")
    update_record(database, tenant, "opportunities", moved["id"], stage="proposal")
    create_record(database, tenant, "opportunities", name="乙商机", stage="prospecting")

    page.goto("/analytics/funnel")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)

    expect(page.get_by_role("heading", name="销售漏斗")).to_be_visible()
    table = page.get_by_test_id("funnel-table")
    expect(table.get_by_role("row").filter(has_text="初步接洽")).to_contain_text("2")
    expect(table.get_by_role("row").filter(has_text="初步接洽")).to_contain_text("50%")
    expect(page.get_by_label("各阶段到达的商机数").locator("svg")).to_be_visible()
    save_screenshot(page, "analytics-funnel")


def test_customer_value_ranks_accounts(page: Page, database: Database, tenant: TenantInfo) -> None:
    start = date(2025, 1, 6)
    for number in range(12):
        account = create_record(database, tenant, "accounts", name=f"价值客户{number:02d}")
        for deal in range(1 + number % 3):
            values: dict[str, Any] = {
                "name": f"订单{number}-{deal}",
                "account_id": account["id"],
                "stage": "won",
                "amount": f"{1000 + number * 500}.00",
                "closed_on": (start + timedelta(weeks=number * 3 + deal * 4)).isoformat(),
            }
            create_record(database, tenant, "opportunities", **values)

    page.goto("/analytics/customer-value")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)

    expect(page.get_by_role("heading", name="客户价值")).to_be_visible()
    table = page.get_by_test_id("value-table")
    expect(table.get_by_role("link", name="价值客户11")).to_be_visible()
    expect(table.get_by_role("row")).to_have_count(13)
    save_screenshot(page, "analytics-customer-value")
