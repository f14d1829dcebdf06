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
from .web_support import add_user, log_in

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


def test_admin_sets_up_an_agent(page: Any, database: Database, tenant: TenantInfo) -> None:
    add_user(database, tenant, "wang.xiao", "service_agent", "坐席王晓")
    add_user(database, tenant, "li.qiang", "sales_rep", "销售李强")
    page.goto("/service/settings")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    page.get_by_role("tab", name="坐席").click()
    agents = page.get_by_test_id("agents-settings")
    expect(agents.get_by_test_id("agents-table")).to_contain_text("还没有坐席")

    # A sales rep may not work tickets: the server's reason is shown in the dialog.
    agents.get_by_test_id("agent-add").click()
    dialog = page.get_by_test_id("agent-dialog")
    dialog.get_by_test_id("agent-user").locator("input").fill("销售")
    dialog.get_by_role("option", name="销售李强").click()
    dialog.get_by_test_id("agent-save").click()
    expect(dialog.get_by_test_id("agent-error")).to_contain_text("销售李强")

    dialog.get_by_test_id("agent-user").locator("input").fill("坐席")
    dialog.get_by_role("option", name="坐席王晓").click()
    skills = dialog.get_by_test_id("agent-skills").locator("input")
    skills.fill("账单与支付")
    # A skill that no agent has yet is offered as a new option for the typed text.
    dialog.get_by_role("option", name="账单与支付").click()
    dialog.get_by_test_id("agent-capacity").locator("input").fill("8")
    dialog.get_by_test_id("agent-save").click()
    expect(dialog).to_be_hidden()

    row = agents.get_by_test_id("agents-table").locator("tr", has_text="坐席王晓")
    expect(row).to_contain_text("账单与支付")
    expect(row).to_contain_text("0 / 8")
    expect(row).to_contain_text("是")

    row.get_by_role("button", name="编辑").click()
    expect(dialog).to_contain_text("编辑坐席：坐席王晓")
    dialog.get_by_test_id("agent-available").click()
    dialog.get_by_test_id("agent-save").click()
    expect(dialog).to_be_hidden()
    expect(row).to_contain_text("否")
    save_screenshot(page, "service-settings-agents")


def test_admin_defines_an_sla_policy(page: Any, database: Database, tenant: TenantInfo) -> None:
    page.goto("/service/settings")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    page.get_by_role("tab", name="SLA 策略").click()
    policies = page.get_by_test_id("sla-policies")
    expect(policies.get_by_test_id("sla-table")).to_contain_text("还没有 SLA 策略")

    policies.get_by_test_id("sla-add").click()
    dialog = page.get_by_test_id("sla-dialog")
    dialog.get_by_test_id("sla-name").fill("VIP 紧急工单")
    dialog.get_by_test_id("sla-priority").get_by_text("紧急").click()
    dialog.get_by_test_id("sla-tier").fill("VIP")
    dialog.get_by_test_id("sla-first-response").locator("input").fill("30")
    # A resolution target shorter than the first response is rejected with both values.
    dialog.get_by_test_id("sla-resolution").locator("input").fill("20")
    dialog.get_by_test_id("sla-name").click()
    dialog.get_by_test_id("sla-save").click()
    expect(dialog.get_by_test_id("sla-dialog-error")).to_contain_text("请设为至少 30 分钟")

    dialog.get_by_test_id("sla-resolution").locator("input").fill("240")
    dialog.get_by_test_id("sla-name").click()
    expect(dialog).to_contain_text("4小时")
    dialog.get_by_test_id("sla-save").click()
    expect(dialog).to_be_hidden()

    row = policies.get_by_test_id("sla-table").locator("tr", has_text="VIP 紧急工单")
    expect(row).to_contain_text("紧急")
    expect(row).to_contain_text("30分钟")
    expect(row).to_contain_text("4小时")
    expect(row).to_contain_text("启用")

    row.get_by_role("button", name="停用").click()
    page.get_by_role("button", name="确定").click()
    expect(policies.get_by_test_id("sla-notice")).to_contain_text("已停用“VIP 紧急工单”")
    expect(row).to_contain_text("已停用")
    save_screenshot(page, "service-settings-sla")


def test_admin_changes_desk_hours_and_keywords(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    page.goto("/service/settings")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    page.get_by_role("tab", name="工作时间与分派").click()
    desk = page.get_by_test_id("desk-settings")
    expect(desk.get_by_test_id("desk-workday-mon").locator("input")).to_be_checked()
    expect(desk.get_by_test_id("desk-workday-sat").locator("input")).not_to_be_checked()

    desk.get_by_test_id("desk-auto-assign").click()
    desk.get_by_test_id("desk-workday-sat").click()
    desk.get_by_test_id("desk-add-rule").click()
    rules = desk.locator("[data-test^='desk-rule-category-']")
    last = rules.count() - 1
    rules.nth(last).fill("发票问题")
    keywords = desk.get_by_test_id(f"desk-rule-keywords-{last}").locator("input")
    keywords.fill("开票")
    desk.get_by_role("option", name="开票").click()
    desk.get_by_test_id("desk-save").click()
    expect(desk.get_by_test_id("desk-saved")).to_be_visible()

    page.reload()
    page.get_by_role("tab", name="工作时间与分派").click()
    expect(desk.get_by_test_id("desk-workday-sat").locator("input")).to_be_checked()
    expect(desk.get_by_test_id("desk-auto-assign")).not_to_have_class("is-checked")
    expect(desk.get_by_test_id(f"desk-rule-{last}")).to_contain_text("开票")
    expect(desk.get_by_test_id(f"desk-rule-category-{last}")).to_have_value("发票问题")
    save_screenshot(page, "service-settings-desk")
