"""Sales process screens: quote editor and PDF, contract receipts, receivables, insight."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from zhike.core.db import Database
from zhike.sales.contracts import create_contract
from zhike.sales.quote_schemas import (
    ContractWrite,
    InstalmentWrite,
    PriceBookEntryWrite,
    PriceBookWrite,
    QuoteLineWrite,
    QuoteWrite,
)
from zhike.sales.quotes import create_price_book, create_quote, set_price_book_entries, submit_quote
from zhike.security.auth import actor_for

from .conftest import save_screenshot
from .web_support import add_user, create_record, log_in

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
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("quote-status")).to_contain_text("已批准")
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
    rep = add_user(database, tenant, "wang.rep", "sales_rep")
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
    save_screenshot(page, "sales-approvals")
    page.get_by_role("button", name="批准").click()

    expect(approvals).to_contain_text("暂无申请")
    page.goto(f"/sales/quotes/{quote.id}")
    expect(page.get_by_test_id("quote-status")).to_contain_text("已批准")
