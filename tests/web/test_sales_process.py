"""Sales process screens: quote editor and PDF, contract receipts, receivables, insight."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from zhike.core.db import Database
from zhike.sales.contracts import create_contract
from zhike.sales.process import list_processes, save_process
from zhike.sales.process_schemas import SalesProcessWrite
from zhike.sales.quote_schemas import (
    ContractWrite,
    InstalmentWrite,
    PriceBookEntryWrite,
    PriceBookWrite,
    QuoteLineWrite,
    QuoteWrite,
)
from zhike.sales.quotes import (
    create_price_book,
    create_quote,
    list_price_books,
    set_price_book_entries,
    submit_quote,
)
from zhike.security.auth import actor_for

from .conftest import save_screenshot
from .web_support import add_user, choose_option, create_record, log_in

if TYPE_CHECKING:
    from testkit import TenantInfo

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def _price_book(database: Database, tenant: TenantInfo) -> str:
    product = create_record(database, tenant, "products", name="知客 ERP 许可", series="ERP")
    with database.session() as session:
        book = create_price_book(
            session, tenant.actor, PriceBookWrite(name="标准价", currency="CNY", is_default=True)
        )
        set_price_book_entries(
            session,
            tenant.actor,
            book.id,
            [PriceBookEntryWrite(product_id=product["id"], unit_price=Decimal("1999.99"))],
        )
    return str(product["id"])


def _contract(database: Database, tenant: TenantInfo) -> str:
    with database.session() as session:
        contract = create_contract(
            session,
            tenant.actor,
            ContractWrite(
                title="年度服务合同",
                amount=Decimal("10000.00"),
                signed_on=date(2026, 1, 5),
                instalments=[
                    InstalmentWrite(due_on=date(2026, 2, 1), amount=Decimal("4000.00")),
                    InstalmentWrite(due_on=date(2030, 2, 1), amount=Decimal("6000.00")),
                ],
            ),
        )
    return str(contract.id)


def test_quote_editor_saves_and_offers_pdf(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    _price_book(database, tenant)

    page.goto("/sales/quotes/new")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="新建报价")).to_be_visible()
    page.get_by_label("主题").fill("ERP 实施报价")
    page.get_by_role("combobox", name="第 1 行产品").click()
    page.get_by_role("option", name="知客 ERP 许可").click()
    page.get_by_label("第 1 行数量").fill("3")
    page.get_by_test_id("save-quote").click()

    expect(page.get_by_test_id("quote-total")).to_have_text("¥5,999.97")
    expect(page.get_by_test_id("quote-status")).to_contain_text("草稿")
    href = page.get_by_test_id("pdf-zh").get_attribute("href")
    assert href is not None
    pdf = page.request.get(href)
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    expect(page.get_by_role("button", name="删除第 1 行")).to_be_visible()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("quote-status")).to_contain_text("已批准")
    # An approved quote is read-only: no line can be added or removed, and the totals show every step.
    expect(page.get_by_role("button", name="删除第 1 行")).to_have_count(0)
    expect(page.get_by_test_id("add-line")).to_have_count(0)
    totals = page.get_by_test_id("quote-totals")
    expect(totals).to_contain_text("整单折扣金额")
    expect(totals).to_contain_text("税额")
    save_screenshot(page, "sales-quote-editor")


def test_contract_receipt_pays_in_full(page: Any, database: Database, tenant: TenantInfo) -> None:
    contract_id = _contract(database, tenant)

    page.goto(f"/sales/contracts/{contract_id}")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_test_id("outstanding")).to_have_text("¥10,000.00")
    page.get_by_label("到账日期").fill("2026-03-01")
    page.get_by_label("到账日期").press("Enter")
    page.get_by_label("金额（CNY）").fill("10000.00")
    page.get_by_test_id("record-receipt").click()

    expect(page.get_by_test_id("outstanding")).to_have_text("¥0.00")
    expect(page.get_by_test_id("paid-in-full")).to_have_text("是")
    save_screenshot(page, "sales-contract")


def test_receivables_and_insight_render(page: Any, database: Database, tenant: TenantInfo) -> None:
    _contract(database, tenant)
    create_record(database, tenant, "activities", kind="call", subject="电话回访")

    page.goto("/sales/receivables")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="应收账款")).to_be_visible()
    owners = page.get_by_test_id("ageing-by_owner")
    expect(owners).to_contain_text("¥10,000.00")
    save_screenshot(page, "sales-receivables")

    page.goto("/sales/insight")
    expect(page.get_by_role("heading", name="销售行为分析")).to_be_visible()
    expect(page.get_by_test_id("rep-profiles")).to_contain_text("每周电话")
    save_screenshot(page, "sales-insight")


def test_manager_approves_discount(page: Any, database: Database, tenant: TenantInfo) -> None:
    product_id = _price_book(database, tenant)
    rep = add_user(database, tenant, "wang.rep", "sales_rep", "王销售")
    with database.session() as session:
        rep_actor = actor_for(tenant.tenant, rep)
        quote = create_quote(
            session,
            rep_actor,
            QuoteWrite(
                title="大折扣报价",
                discount_percent=Decimal("30"),
                lines=[QuoteLineWrite(product_id=product_id, quantity=Decimal("1"))],
            ),
        )
        submit_quote(session, rep_actor, quote.id)

    page.goto("/sales/approvals")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    approvals = page.get_by_test_id("approvals")
    expect(approvals).to_contain_text("报价折扣")
    # What is approved: the quote by number and title, who asked, and the discount.
    expect(approvals).to_contain_text(f"{quote.number} 大折扣报价")
    expect(approvals).to_contain_text("王销售")
    expect(approvals).to_contain_text("30.00 %")
    save_screenshot(page, "sales-approvals")
    page.get_by_test_id("approvals").get_by_role("button", name="批准").click()
    dialog = page.get_by_test_id("approval-dialog")
    dialog.get_by_test_id("approval-note").fill("本季度重点客户，同意")
    dialog.get_by_test_id("approval-confirm").click()

    expect(approvals).to_contain_text("暂无申请")
    choose_option(page, page.get_by_label("状态"), "已批准")
    expect(approvals).to_contain_text("本季度重点客户，同意")
    page.goto(f"/sales/quotes/{quote.id}")
    expect(page.get_by_test_id("quote-status")).to_contain_text("已批准")


def test_admin_configures_process_stage(page: Any, database: Database, tenant: TenantInfo) -> None:
    page.goto("/sales/processes")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="销售流程", exact=True)).to_be_visible()

    page.get_by_role("button", name="新建流程").click()
    dialog = page.get_by_role("dialog", name="新建流程")
    dialog.get_by_label("标识").fill("enterprise")
    dialog.get_by_label("中文名称").fill("大客户流程")
    dialog.get_by_label("英文名称").fill("Enterprise process")
    dialog.locator(".el-switch:has(#process-default)").click()
    item = dialog.locator(".el-collapse-item").filter(has_text="需求确认")
    item.locator(".el-checkbox").first.click()
    dialog.get_by_text("需求确认", exact=True).click()
    stage = dialog.locator(".el-collapse-item.is-active")
    stage.get_by_label("赢率（%）").fill("30")
    stage.get_by_test_id("exit-fields-qualification").click()
    page.get_by_role("option", name="金额", exact=True).click()
    page.keyboard.press("Escape")
    stage.get_by_role("group", name="离开前须完成的活动").get_by_text("拜访").click()
    stage.get_by_test_id("guidance-zh-qualification").fill("确认预算和决策人。")
    save_screenshot(page, "sales-process-editor")
    dialog.get_by_role("button", name="保存").click()

    table = page.get_by_test_id("processes")
    expect(table.get_by_text("大客户流程")).to_be_visible()
    expect(table.get_by_text("默认流程")).to_be_visible()
    with database.session() as session:
        processes = list_processes(session, tenant.actor)
    assert [process.key for process in processes] == ["enterprise"]
    (rule,) = processes[0].stages
    assert rule.stage == "qualification"
    assert rule.probability == 30
    assert rule.exit.fields == ["amount"]
    assert rule.exit.activities == ["visit"]
    assert rule.guidance_zh == "确认预算和决策人。"


def test_admin_edits_price_book_in_usd(page: Any, database: Database, tenant: TenantInfo) -> None:
    create_record(database, tenant, "products", name="知客 CDP 许可", series="CDP")
    page.goto("/sales/price-books")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="价格表")).to_be_visible()

    page.get_by_role("button", name="新建价格表").click()
    dialog = page.get_by_role("dialog", name="新建价格表")
    dialog.get_by_label("名称").fill("海外美元价")
    dialog.get_by_label("币种").click()
    page.get_by_role("option", name="USD").click()
    dialog.get_by_role("button", name="保存").click()

    books = page.get_by_test_id("price-books")
    expect(books.get_by_text("海外美元价")).to_be_visible()
    entries = page.get_by_test_id("price-entries")
    expect(entries.get_by_text("海外美元价 的价格（USD）")).to_be_visible()
    entries.get_by_role("button", name="添加产品").click()
    entries.get_by_test_id("entry-product-0").click()
    page.get_by_role("option", name="知客 CDP 许可").click()
    entries.get_by_test_id("entry-price-0").fill("1200.50")
    save_screenshot(page, "sales-price-book")
    entries.get_by_role("button", name="保存价格").click()
    expect(page.get_by_text("已保存 海外美元价 的价格")).to_be_visible()

    with database.session() as session:
        (book,) = list_price_books(session, tenant.actor)
    assert book.currency == "USD"
    assert [entry.unit_price for entry in book.entries] == [Decimal("1200.50")]


def test_opportunity_shows_stage_guidance(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    with database.session() as session:
        save_process(
            session,
            tenant.actor,
            SalesProcessWrite.model_validate(
                {
                    "key": "standard",
                    "name_zh": "标准流程",
                    "name_en": "Standard process",
                    "is_default": True,
                    "stages": [
                        {
                            "stage": "qualification",
                            "exit": {"fields": ["amount", "description"]},
                            "guidance_zh": "确认预算、决策人和时间表。",
                            "guidance_en": "Confirm budget, decision maker and timeline.",
                        },
                        {"stage": "engaging", "entry": {"activities": ["visit"]}},
                    ],
                }
            ),
        )
    opportunity = create_record(
        database,
        tenant,
        "opportunities",
        name="华为云迁移项目",
        stage="qualification",
        amount="50000",
    )
    page.goto(f"/opportunities/{opportunity['id']}")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)

    guidance = page.get_by_test_id("stage-guidance")
    expect(guidance.get_by_test_id("stage-guidance-text")).to_have_text(
        "确认预算、决策人和时间表。"
    )
    expect(guidance.get_by_test_id("criterion-field-amount")).to_have_attribute("data-met", "true")
    expect(guidance.get_by_test_id("criterion-field-description")).to_have_attribute(
        "data-met", "false"
    )
    expect(guidance.get_by_test_id("criterion-activity-visit")).to_have_attribute(
        "data-met", "false"
    )
    expect(guidance.get_by_text("推进到“方案沟通”需要")).to_be_visible()
    save_screenshot(page, "sales-stage-guidance")

    page.get_by_role("radiogroup", name="界面语言").get_by_text("English").click()
    expect(guidance.get_by_test_id("stage-guidance-text")).to_have_text(
        "Confirm budget, decision maker and timeline."
    )
