"""Activity screens: a recurring visit with a reminder, check-in, outcome and the record page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from zhike.core.db import Database

from .conftest import save_screenshot
from .web_support import choose_option, create_record, log_in

if TYPE_CHECKING:
    from testkit import TenantInfo

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _tomorrow_at_ten() -> str:
    tomorrow = datetime.now(SHANGHAI).date() + timedelta(days=1)
    return f"{tomorrow.isoformat()} 10:00"


def _pick_datetime(scope: Any, label: str, value: str) -> None:
    field = scope.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")


def test_recurring_visit_check_in_and_outcome(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    account = create_record(database, tenant, "accounts", name="宁波港务集团")
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 29.8683, "longitude": 121.544})

    page.goto(f"/accounts/{account['id']}")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    page.get_by_role("tab", name=re.compile("^活动")).click()
    page.get_by_test_id("quick-more").click()
    dialog = page.get_by_test_id("activity-dialog")
    dialog.get_by_test_id("activity-kind").get_by_text("拜访", exact=True).click()
    dialog.get_by_label("主题").fill("季度拜访")
    _pick_datetime(dialog, "开始时间", _tomorrow_at_ten())
    choose_option(page, dialog.get_by_role("combobox", name="提醒"), "提前 15 分钟")
    dialog.get_by_test_id("activity-reminder-email").click()
    choose_option(page, dialog.get_by_role("combobox", name="频率"), "每周")
    weekdays = dialog.get_by_test_id("recurrence-weekdays")
    weekdays.get_by_text("一", exact=True).click()
    weekdays.get_by_text("三", exact=True).click()
    dialog.get_by_text("按日期结束", exact=True).click()
    _pick_datetime(dialog, "截止日期", "2027-03-01")
    expect(dialog.get_by_test_id("recurrence-summary")).to_have_text("每周一、三 直到 2027-03-01")
    dialog.get_by_text("按次数结束", exact=True).click()
    count = dialog.get_by_role("spinbutton", name="次数")
    count.fill("3")
    count.press("Tab")
    expect(dialog.get_by_test_id("recurrence-summary")).to_have_text("每周一、三，共 3 次")
    dialog.get_by_test_id("activity-save").click()
    expect(page.get_by_text("已创建活动“季度拜访”，另有 2 次重复")).to_be_visible()
    expect(page.get_by_role("tab", name="活动 (3)")).to_be_visible()

    page.goto("/sales/activities")
    expect(page.get_by_role("heading", name="我的活动")).to_be_visible()
    upcoming = page.get_by_test_id("activities-upcoming")
    first_row = upcoming.locator("tbody tr").first
    expect(first_row).to_contain_text("季度拜访")
    expect(first_row).to_contain_text("宁波港务集团")
    expect(first_row.get_by_test_id("activity-reminder-info")).to_contain_text("含邮件")
    expect(first_row.get_by_test_id("activity-recurrence-info")).to_have_text("每周一、三，共 3 次")

    first_row.get_by_test_id("activity-check-in").click()
    check_in = page.get_by_test_id("check-in-dialog")
    expect(check_in.get_by_label("纬度")).to_have_value("29.868300")
    expect(check_in.get_by_label("经度")).to_have_value("121.544000")
    check_in.get_by_label("地址").fill("宁波市江北区")
    check_in.get_by_test_id("check-in-submit").click()
    expect(first_row.get_by_test_id("activity-check-in-info")).to_contain_text("宁波市江北区")

    first_row.get_by_test_id("activity-complete").click()
    outcome = page.get_by_test_id("outcome-dialog")
    choose_option(page, outcome.get_by_role("combobox", name="结果"), "有意向")
    outcome.get_by_label("说明").fill("客户要正式报价")
    outcome.get_by_test_id("outcome-next").click()
    outcome.get_by_label("下一步主题").fill("发送报价单")
    outcome.get_by_test_id("outcome-submit").click()
    expect(page.get_by_text("已记录结果并安排下一步")).to_be_visible()
    expect(upcoming).to_contain_text("发送报价单")
    expect(page.locator(".el-loading-mask")).to_have_count(0)
    save_screenshot(page, "activities-mine")

    page.goto(f"/accounts/{account['id']}")
    # The count arrives after the page, so find the tab first and wait for its count.
    tab = page.get_by_role("tab", name=re.compile(r"^活动"))
    expect(tab).to_have_text("活动 (4)", timeout=30_000)
    tab.click()
    done_row = page.get_by_test_id("record-activity-list").locator("tbody tr", has_text="有意向")
    expect(done_row).to_contain_text("季度拜访")
    expect(done_row.get_by_test_id("activity-outcome-note")).to_have_text("客户要正式报价")
    expect(done_row.get_by_test_id("activity-check-in-info")).to_contain_text("宁波市江北区")
    expect(done_row.get_by_test_id("activity-recurrence-info")).to_have_text("每周一、三，共 3 次")
    save_screenshot(page, "activities-record")


def test_agenda_shows_overdue_and_quick_add(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    lead = create_record(database, tenant, "leads", name="王经理", company="杭州云栖科技")
    yesterday = datetime.now(SHANGHAI) - timedelta(days=1)
    create_record(
        database,
        tenant,
        "activities",
        kind="call",
        subject="回电确认需求",
        status="open",
        occurred_at=yesterday.isoformat(),
        lead_id=lead["id"],
    )

    page.goto(f"/leads/{lead['id']}")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    page.get_by_role("tab", name="活动 (1)").click()
    page.get_by_test_id("quick-subject").fill("发送产品资料")
    page.get_by_test_id("quick-add").click()
    expect(page.get_by_role("tab", name="活动 (2)")).to_be_visible()

    page.goto("/sales/activities")
    expect(page.get_by_test_id("bucket-overdue")).to_contain_text("已逾期（1）")
    expect(page.get_by_test_id("activities-overdue")).to_contain_text("回电确认需求")
    expect(page.get_by_test_id("activities-overdue")).to_contain_text("王经理")
    choose_option(page, page.get_by_role("combobox", name="类型"), "拜访")
    expect(page.get_by_test_id("bucket-overdue")).to_contain_text("已逾期（0）")
