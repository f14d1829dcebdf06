"""Sales forecast screen: the won-amount forecast per owner or team, other currencies apart."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from zhike.core.db import Database

from .conftest import save_screenshot
from .web_support import create_record, log_in

if TYPE_CHECKING:
    from testkit import TenantInfo

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def _month_start(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _won_deal(database: Database, tenant: TenantInfo, name: str, amount: str, closed: date) -> None:
    # Every won deal takes 40 days from engagement to close.
    create_record(
        database,
        tenant,
        "opportunities",
        name=name,
        owner_id=str(tenant.admin.id),
        stage="won",
        amount=amount,
        engaged_on=(closed - timedelta(days=40)).isoformat(),
        closed_on=closed.isoformat(),
    )


def _forecast_deals(database: Database, tenant: TenantInfo, month: date) -> None:
    # The seasonal part is the mean of the same month one and two quarters earlier.
    _won_deal(database, tenant, "华东续约", "700.10", _month_start(month, -3).replace(day=15))
    _won_deal(database, tenant, "华南新签", "300.00", _month_start(month, -6).replace(day=15))
    # Both open deals are 30 days old when the month starts, and every won deal took 40 days,
    # so each is expected to close inside the month.
    engaged = (month - timedelta(days=30)).isoformat()
    owner = str(tenant.admin.id)
    create_record(
        database,
        tenant,
        "opportunities",
        name="华北扩容",
        owner_id=owner,
        stage="proposal",
        amount="2000.00",
        engaged_on=engaged,
    )
    create_record(
        database,
        tenant,
        "opportunities",
        name="新加坡分公司",
        owner_id=owner,
        stage="proposal",
        amount="5000.00",
        currency="USD",
        engaged_on=engaged,
    )


def test_sales_forecast_groups_and_currencies(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    # The page opens on next month in the browser's time zone, which is this machine's.
    month = _month_start(datetime.now().astimezone().date(), 1)
    _forecast_deals(database, tenant, month)
    admin_name = tenant.admin.display_name

    page.goto("/sales/forecast")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="销售预测")).to_be_visible()
    expect(page.get_by_text("时间序列估计")).to_be_visible()
    expect(page.get_by_role("menuitem", name="销售预测")).to_be_visible()
    expect(page.locator("#forecast-month")).to_have_value(month.strftime("%Y-%m"))

    # The pipeline has no three months of track record yet, so it gets no weight and
    # the figure is the seasonal mean of 700.10 and 300.00.
    table = page.get_by_test_id("sales-forecast")
    expect(table).to_contain_text(admin_name)
    expect(table).to_contain_text("¥500.05")
    expect(table).to_contain_text("合计")
    others = page.get_by_test_id("other-currencies")
    expect(others).to_contain_text(admin_name)
    expect(others).to_contain_text("USD")
    expect(others).to_contain_text("US$5,000.00")
    note = page.get_by_test_id("other-currencies-note")
    expect(note).to_contain_text("1 个进行中商机")
    expect(note).to_contain_text("未计入上面的 CNY 预测")
    save_screenshot(page, "sales-forecast")

    # The administrator belongs to no team, so the team grouping has one unnamed row.
    page.get_by_test_id("forecast-grouping").get_by_text("按团队").click()
    expect(table).to_contain_text("无团队")
    expect(table).not_to_contain_text(admin_name)
    expect(others).to_contain_text("无团队")

    page.get_by_test_id("forecast-grouping").get_by_text("全公司").click()
    expect(table).to_contain_text("全公司")
    expect(table).to_contain_text("¥500.05")
