"""Browser tests of the service settings screen: escalation messages and holiday calendars."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.timeutil import load_zone, utc_now
from zhike.service.calendar import china_holidays

from .conftest import save_screenshot
from .web_support import log_in

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def test_escalation_channels_and_wecom_secret(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    page.goto("/service/settings")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="服务设置")).to_be_visible()

    page.get_by_test_id("channel-breach-wecom").click()
    page.get_by_test_id("channel-handoff-email").click()
    page.get_by_test_id("wecom-corp-id").fill("ww-demo-corp")
    page.get_by_test_id("wecom-agent-id").locator("input").fill("1000002")
    page.get_by_test_id("wecom-secret").fill("demo-secret-9a8b")
    page.get_by_test_id("escalation-save").click()
    expect(page.get_by_test_id("escalation-saved")).to_be_visible()

    page.reload()
    expect(page.get_by_test_id("wecom-secret")).to_have_value("****9a8b")
    expect(page.get_by_test_id("channel-breach-wecom").locator("input")).to_be_checked()
    expect(page.get_by_test_id("channel-handoff-email").locator("input")).to_be_checked()
    expect(page.get_by_test_id("channel-warning-wecom").locator("input")).not_to_be_checked()
    save_screenshot(page, "service-settings-escalation")


def test_wecom_without_secret_shows_error(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    page.goto("/service/settings")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)

    page.get_by_test_id("channel-warning-wecom").click()
    page.get_by_test_id("escalation-save").click()

    expect(page.get_by_test_id("escalation-error")).to_contain_text("尚未设置企业微信应用")


def test_holiday_calendar_import_and_warning(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    today = utc_now().astimezone(load_zone("Asia/Shanghai")).date()
    shipped = china_holidays().years
    missing = [year for year in (today.year, today.year + 1) if year not in shipped]
    target = today.year + 1

    page.goto("/service/settings")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    page.get_by_role("tab", name="节假日日历").click()
    calendars = page.get_by_test_id("holiday-calendars")
    expect(calendars.get_by_test_id("calendar-source")).to_be_visible()
    if missing:
        expect(calendars.get_by_test_id("calendar-missing")).to_contain_text(
            f"{', '.join(str(year) for year in missing)} 年没有节假日日历"
        )

    calendars.get_by_test_id("calendar-year").locator("input").fill(str(target))
    calendars.get_by_test_id("calendar-open").click()
    calendars.get_by_test_id("calendar-file").set_input_files(
        files=[
            {
                "name": f"holidays-{target}.csv",
                "mimeType": "text/csv",
                "buffer": (
                    "date,kind,name\n"
                    f"{target}-10-01,holiday,国庆节\n"
                    f"{target}-10-02,holiday,国庆节\n"
                ).encode(),
            }
        ]
    )

    expect(calendars.get_by_test_id("calendar-saved")).to_contain_text(f"已导入 {target} 年日历")
    expect(calendars.get_by_test_id("calendar-days").locator("tbody tr")).to_have_count(2)
    expect(calendars.get_by_test_id("calendar-source")).to_have_text("本公司维护")
    expect(calendars.get_by_test_id("calendar-years")).to_contain_text(str(target))
    if missing == [target]:
        expect(calendars.get_by_test_id("calendar-missing")).to_have_count(0)
    save_screenshot(page, "service-settings-calendars")

    calendars.get_by_test_id("calendar-file").set_input_files(
        files=[
            {
                "name": "broken.csv",
                "mimeType": "text/csv",
                "buffer": f"date,kind,name\n{target}-02-30,holiday,错日\n".encode(),
            }
        ]
    )
    expect(calendars.get_by_test_id("calendar-error")).to_contain_text(f"{target}-02-30")
    expect(calendars.get_by_test_id("calendar-error")).to_contain_text("不是日期")
    # The stored year is unchanged by the rejected file.
    expect(calendars.get_by_test_id("calendar-days").locator("tbody tr")).to_have_count(2)
