"""Browser tests of the analytics screens: funnel, customer value, reports and dashboards."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from testkit import TenantInfo

from zhike.analytics.dashboards import create_dashboard
from zhike.analytics.periods import local_today
from zhike.analytics.saved import create_report
from zhike.analytics.saved_models import Dashboard, ReportSchedule, SavedReport
from zhike.analytics.saved_schemas import DashboardWrite, SavedReportWrite
from zhike.core.db import Database
from zhike.sales.quotas import TargetWrite, quarter_start, save_target
from zhike.security.models import Team

from .conftest import save_screenshot
from .web_support import choose_option, create_record, log_in, update_record

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


def _saved_report(database: Database, tenant: TenantInfo, name: str) -> str:
    body = SavedReportWrite.model_validate(
        {
            "name": name,
            "query": {
                "object": "opportunities",
                "group_by": [{"field": "stage.key", "alias": "stage"}],
                "measures": [{"aggregate": "count", "alias": "deals"}],
            },
        }
    )
    with database.session() as session:
        return str(create_report(session, tenant.actor, body).id)


def _team(database: Database, tenant: TenantInfo, name: str) -> Any:
    with database.session() as session:
        team = Team(tenant_id=tenant.tenant.id, name=name)
        session.add(team)
        session.flush()
        return team.id


def _pick(page: Page, combobox: str, option: str) -> None:
    choose_option(page, page.get_by_role("combobox", name=combobox, exact=True), option)


def test_report_builder_runs_saves_and_exports(
    page: Page, database: Database, tenant: TenantInfo
) -> None:
    create_record(database, tenant, "opportunities", name="甲商机", stage="won", amount="100.00")
    create_record(database, tenant, "opportunities", name="乙商机", stage="won", amount="50.00")
    create_record(database, tenant, "opportunities", name="丙商机", stage="proposal", amount="9.00")
    team_id = _team(database, tenant, "华东")

    page.goto("/analytics/reports/new")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="报表设计器")).to_be_visible()
    table = page.get_by_test_id("report-table")
    # The live preview runs the default report (count by owner) without pressing Run.
    expect(table.get_by_role("row").filter(has_text=tenant.admin.display_name)).to_contain_text("3")

    _pick(page, "分组字段 1", "阶段")
    page.get_by_role("button", name="添加指标").click()
    expect(table.get_by_role("columnheader", name="求和 · 金额")).to_be_visible()
    expect(table.get_by_role("row").filter(has_text="赢单")).to_contain_text("150.00")
    expect(table.get_by_role("row").filter(has_text="报价谈判")).to_contain_text("9.00")

    page.get_by_role("button", name="添加筛选").click()
    _pick(page, "筛选字段 1", "阶段")
    _pick(page, "条件 1", "属于")
    _pick(page, "筛选值 1", "赢单")
    page.get_by_role("button", name="添加筛选").click()
    _pick(page, "筛选字段 2", "创建时间")
    _pick(page, "筛选值 2", "今年")
    page.get_by_role("button", name="添加筛选").click()
    _pick(page, "筛选字段 3", "负责人")
    _pick(page, "筛选值 3", tenant.admin.display_name)
    expect(table.get_by_role("row").filter(has_text="报价谈判")).to_have_count(0)
    expect(table.get_by_role("row").filter(has_text="赢单")).to_contain_text("150.00")
    save_screenshot(page, "analytics-report-builder")

    with page.expect_download() as download:
        page.get_by_test_id("report-csv").click()
    assert download.value.suggested_filename == "未命名报表.csv"

    page.get_by_test_id("report-share").click()
    dialog = page.get_by_role("dialog", name="共享")
    _pick(page, "共享给角色", "销售经理")
    # A multiple select stays open after a pick, and clicking the dialog text closes it.
    dialog.get_by_text("共享对象只能查看").click()
    expect(page.get_by_role("option", name="销售经理", exact=True)).to_be_hidden()
    _pick(page, "共享给团队", "华东")
    dialog.get_by_text("共享对象只能查看").click()
    expect(page.get_by_role("option", name="华东", exact=True)).to_be_hidden()
    page.get_by_test_id("share-confirm").click()
    expect(page.get_by_test_id("report-share")).to_contain_text("共享（2）")
    page.get_by_label("报表名称").fill("阶段金额")
    page.get_by_test_id("report-save").click()
    expect(page.get_by_text("已保存报表 阶段金额")).to_be_visible()
    page.get_by_test_id("report-schedule").click()
    page.get_by_test_id("schedule-confirm").click()
    expect(page.get_by_text("已创建定时发送")).to_be_visible()

    table.get_by_role("row").filter(has_text="赢单").click()
    drawer = page.get_by_test_id("drill-drawer")
    expect(drawer.get_by_role("link", name="甲商机")).to_be_visible()
    expect(drawer.get_by_role("link", name="乙商机")).to_be_visible()
    page.keyboard.press("Escape")

    with database.session() as session:
        saved = session.scalars(select(SavedReport).where(SavedReport.name == "阶段金额")).one()
        schedules = session.scalars(select(ReportSchedule.frequency)).all()
    assert saved.query["group_by"] == [{"field": "stage.key"}]
    assert [item["field"] for item in saved.query["filters"]] == [
        "stage.key",
        "created_at",
        "owner_id",
    ]
    assert saved.query["filters"][0] == {"field": "stage.key", "op": "in", "value": ["won"]}
    assert saved.query["filters"][1]["value"] == "this_year"
    assert saved.shared_roles == ["sales_manager"]
    assert saved.shared_team_ids == [str(team_id)]
    assert "weekly" in schedules

    # Reopening the saved report shows the same picks and result.
    page.goto(f"/analytics/reports/{saved.id}")
    expect(page.get_by_test_id("filter-row-1")).to_contain_text("赢单")
    expect(page.get_by_test_id("filter-row-2")).to_contain_text("今年")
    expect(page.get_by_test_id("filter-row-3")).to_contain_text(tenant.admin.display_name)
    expect(table.get_by_role("row").filter(has_text="赢单")).to_contain_text("150.00")

    page.goto("/analytics/reports")
    listed = page.get_by_test_id("saved-report-list")
    expect(listed.get_by_role("link", name="阶段金额")).to_be_visible()


def test_dashboard_filters_and_drill_down(
    page: Page, database: Database, tenant: TenantInfo
) -> None:
    this_year = local_today("Asia/Shanghai").isoformat()
    create_record(
        database,
        tenant,
        "opportunities",
        name="今年商机",
        stage="won",
        amount="10",
        closed_on=this_year,
    )
    create_record(
        database,
        tenant,
        "opportunities",
        name="旧商机",
        stage="won",
        amount="10",
        closed_on="2020-05-01",
    )
    report_id = _saved_report(database, tenant, "按阶段计数")
    body = DashboardWrite.model_validate(
        {
            "name": "我的看板",
            "filters": {"period": "this_year"},
            "widgets": [
                {
                    "id": "stages",
                    "title": "阶段分布",
                    "report_id": report_id,
                    "date_field": "closed_on",
                    "width": 12,
                }
            ],
        }
    )
    with database.session() as session:
        dashboard_id = str(create_dashboard(session, tenant.actor, body).id)

    page.goto(f"/analytics/dashboards/{dashboard_id}")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    widget = page.get_by_test_id("widget-stages")
    expect(widget.get_by_role("row").filter(has_text="赢单")).to_contain_text("1")
    save_screenshot(page, "analytics-dashboard")

    choose_option(page, page.get_by_role("combobox", name="时间段"), "全部时间")
    page.get_by_test_id("apply-filters").click()
    expect(widget.get_by_role("row").filter(has_text="赢单")).to_contain_text("2")

    widget.get_by_role("row").filter(has_text="赢单").click()
    drawer = page.get_by_test_id("drill-drawer")
    expect(drawer.get_by_role("link", name="今年商机")).to_be_visible()
    expect(drawer.get_by_role("link", name="旧商机")).to_be_visible()


def test_dashboard_editor_adds_a_widget(page: Page, database: Database, tenant: TenantInfo) -> None:
    _saved_report(database, tenant, "阶段统计")
    team_id = _team(database, tenant, "华南")

    page.goto("/analytics/dashboards/new/edit")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="编辑仪表盘")).to_be_visible()
    page.get_by_label("仪表盘名称").fill("周会看板")
    choose_option(page, page.get_by_role("combobox", name="选择已保存的报表"), "阶段统计")
    page.get_by_test_id("add-widget").click()
    expect(page.get_by_test_id("widget-list")).to_contain_text("阶段统计")
    page.get_by_test_id("dashboard-share").click()
    dialog = page.get_by_role("dialog", name="共享")
    _pick(page, "共享给团队", "华南")
    dialog.get_by_text("共享对象只能查看").click()
    expect(page.get_by_role("option", name="华南", exact=True)).to_be_hidden()
    page.get_by_test_id("share-confirm").click()
    expect(page.get_by_test_id("dashboard-share")).to_contain_text("共享（1）")
    save_screenshot(page, "analytics-dashboard-editor")
    page.get_by_test_id("dashboard-save").click()

    expect(page.get_by_test_id("dashboard-view")).to_be_visible()
    expect(page.get_by_role("heading", name="周会看板")).to_be_visible()
    with database.session() as session:
        stored = session.scalars(select(Dashboard).where(Dashboard.name == "周会看板")).one()
    assert [widget["title"] for widget in stored.widgets] == ["阶段统计"]
    assert stored.shared_team_ids == [str(team_id)]
    assert stored.shared_roles == []


def test_pipeline_dashboard_forecast_against_target(
    page: Page, database: Database, tenant: TenantInfo
) -> None:
    today = local_today("Asia/Shanghai")
    start = quarter_start(today, 1)
    create_record(
        database,
        tenant,
        "opportunities",
        name="已赢",
        stage="won",
        amount="3000",
        closed_on=start.isoformat(),
    )
    create_record(
        database,
        tenant,
        "opportunities",
        name="合同审批中",
        stage="commit",
        amount="1000",
        expected_close_date=today.isoformat(),
    )
    target = TargetWrite(period_start=start, user_id=tenant.admin.id, amount=Decimal("10000"))
    with database.session() as session:
        save_target(session, tenant.actor, target)

    page.goto("/analytics/dashboards")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    _pick(page, "选择仪表盘", "商机管道与预测")
    widget = page.get_by_test_id("widget-forecast-target")
    row = widget.get_by_role("row").filter(has_text=tenant.admin.display_name)
    expect(row).to_contain_text("¥10,000")
    expect(row).to_contain_text("¥3,000")
    # Committed is won plus the deal at the commit stage, which the forecast weights at 80%.
    expect(row).to_contain_text("¥4,000")
    expect(row).to_contain_text("¥3,800")
    expect(row).to_contain_text("30%")
    expect(widget.get_by_test_id("edit-targets")).to_be_visible()
    # Legends name the measures, not their aliases.
    won_chart = page.get_by_test_id("widget-won_by_month")
    expect(won_chart.locator("svg")).to_contain_text("赢单金额")
    expect(won_chart.locator("svg")).not_to_contain_text("won")
    save_screenshot(page, "analytics-forecast-target")

    widget.get_by_role("radio", name="按团队").click(force=True)
    expect(widget.get_by_role("row").filter(has_text="未分配团队")).to_contain_text("¥3,000")


def test_rates_get_their_own_percent_axis(
    page: Page, database: Database, tenant: TenantInfo
) -> None:
    closed = local_today("Asia/Shanghai").isoformat()
    for name, stage in (("赢一", "won"), ("赢二", "won"), ("输一", "lost"), ("输二", "lost")):
        create_record(
            database, tenant, "opportunities", name=name, stage=stage, amount="10", closed_on=closed
        )

    page.goto("/analytics/dashboards")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    _pick(page, "选择仪表盘", "赢率与销售周期")
    chart = page.get_by_test_id("widget-win_rate_by_owner").locator("svg")
    expect(chart).to_contain_text("赢率")
    expect(chart).to_contain_text("销售周期（天）")
    # The win rate sits on a percent axis next to the axis of cycle days.
    expect(chart.locator("text").filter(has_text="%").first).to_be_visible()


def test_comparison_columns_named_in_both_languages(
    page: Page, database: Database, tenant: TenantInfo
) -> None:
    today = local_today("Asia/Shanghai")
    last_month = today.replace(day=1) - timedelta(days=1)
    for name, amount, closed in (
        ("本月赢单", "300.00", today),
        ("上月赢单", "100.00", last_month),
    ):
        create_record(
            database,
            tenant,
            "opportunities",
            name=name,
            stage="won",
            amount=amount,
            closed_on=closed.isoformat(),
        )
    body = SavedReportWrite.model_validate(
        {
            "name": "本月赢单对比",
            "query": {
                "object": "opportunities",
                "filters": [
                    {"field": "closed_on", "op": "relative", "value": "this_month"},
                    {"field": "stage.key", "op": "in", "value": ["won"]},
                ],
                "group_by": [{"field": "stage.key", "alias": "stage"}],
                "measures": [{"aggregate": "sum", "field": "amount", "alias": "won"}],
                "compare_previous": True,
            },
        }
    )
    with database.session() as session:
        report_id = create_report(session, tenant.actor, body).id

    page.goto(f"/analytics/reports/{report_id}")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)

    table = page.get_by_test_id("report-table")
    headers = table.get_by_role("columnheader")
    expect(headers).to_have_text(["阶段", "赢单金额", "赢单金额（上期）", "赢单金额（变化）"])
    expect(table.get_by_role("cell")).to_have_text(["赢单", "300.00", "100.00", "200.00"])

    page.get_by_test_id("language-en").click()
    expect(headers).to_have_text(
        ["Stage", "Won amount", "Won amount (previous period)", "Won amount (change)"]
    )

    # The chart legend uses the same labels as the table headers.
    _pick(page, "Display", "Chart")
    legend = page.get_by_label("Report result").locator("svg")
    expect(legend).to_contain_text("Won amount (previous period)")
    expect(legend).to_contain_text("Won amount (change)")
    expect(legend).not_to_contain_text("won:")
    legend.scroll_into_view_if_needed()
    save_screenshot(page, "analytics-report-comparison")
