"""The home dashboard: KPI cards, the funnel and forecast charts, and drill-down to records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from zhike.core.db import Database

from .conftest import save_screenshot
from .web_support import create_record, log_in

if TYPE_CHECKING:
    from testkit import TenantInfo

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def test_dashboard_charts_render_and_drill_down(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    create_record(
        database, tenant, "opportunities", name="云帆 CRM 二期", stage="won", amount="80000"
    )
    for name, stage in (("星河 ERP 集成", "proposal"), ("东方物流年框", "engaging")):
        create_record(database, tenant, "opportunities", name=name, stage=stage, amount="50000")

    page.goto("/")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)

    funnel = page.get_by_test_id("funnel-chart")
    expect(funnel.locator("svg")).to_have_count(1)
    # Filled shapes are the funnel's stages; label lines are drawn with fill="none".
    expect(funnel.locator('svg path:not([fill="none"])').first).to_be_visible()
    expect(funnel.locator("svg text").filter(has_text="报价谈判 1")).to_have_count(1)
    expect(funnel.locator("svg text").filter(has_text="方案沟通 1")).to_have_count(1)
    forecast = page.get_by_test_id("forecast-chart")
    expect(forecast.locator("svg")).to_have_count(1)
    expect(page.get_by_test_id("kpi-won_this_month")).to_contain_text("80,000")
    save_screenshot(page, "home-dashboard")

    # Stage names come from the server in the page's language; switching asks for them again.
    page.get_by_test_id("language-en").click()
    expect(funnel.locator("svg text").filter(has_text="报价谈判 1")).to_have_count(0)
    expect(page.get_by_test_id("funnel-chart").locator("svg text").first).to_be_visible()
    funnel_text = page.get_by_test_id("funnel-chart").locator("svg text").all_text_contents()
    assert not any("报价" in text for text in funnel_text), funnel_text
    page.get_by_test_id("language-zh-CN").click()
    expect(funnel.locator("svg text").filter(has_text="报价谈判 1")).to_have_count(1)

    page.get_by_test_id("kpi-open_pipeline").click()
    drawer = page.get_by_test_id("drill-list")
    expect(drawer.get_by_role("link", name="星河 ERP 集成")).to_be_visible()
    expect(drawer.get_by_role("link", name="东方物流年框")).to_be_visible()
    expect(drawer.get_by_role("link", name="云帆 CRM 二期")).to_have_count(0)
    save_screenshot(page, "home-drill-down")
    drawer.get_by_role("link", name="星河 ERP 集成").click()
    expect(page.get_by_test_id("record-title")).to_have_text("星河 ERP 集成")
