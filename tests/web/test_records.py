"""Record lists and pages: search, hidden and masked fields, reveal, conflicts, bulk assign."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from zhike.audit.models import AuditEvent
from zhike.core.db import Database
from zhike.customers.models import Account

from .conftest import save_screenshot
from .web_support import USER_PASSWORD, add_user, create_record, log_in, update_record

if TYPE_CHECKING:
    from testkit import TenantInfo

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def test_find_a_contact_and_open_it(page: Any, database: Database, tenant: TenantInfo) -> None:
    account = create_record(database, tenant, "accounts", name="杭州云帆科技有限公司", city="杭州")
    for name in ("李娜", "张伟", "王芳"):
        create_record(
            database, tenant, "contacts", name=name, account_id=account["id"], title="采购经理"
        )

    page.goto("/contacts")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_test_id("list-total")).to_have_text("共 3 条")
    save_screenshot(page, "contacts-list")
    page.get_by_role("textbox", name="搜索", exact=True).fill("张伟")
    page.get_by_role("search").get_by_role("button", name="搜索").click()

    expect(page.get_by_test_id("list-total")).to_have_text("共 1 条")
    page.get_by_test_id("record-link").filter(has_text="张伟").click()

    expect(page.get_by_test_id("record-title")).to_have_text("张伟")
    expect(page.get_by_test_id("field-title")).to_contain_text("采购经理")
    header = page.locator(".zk-key-fields")
    expect(header.get_by_role("link", name="杭州云帆科技有限公司")).to_be_visible()
    save_screenshot(page, "contact-record")


def test_hidden_field_is_absent_for_a_sales_rep(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    rep = add_user(database, tenant, "liu.yang", "sales_rep")
    contact = create_record(
        database,
        tenant,
        "contacts",
        name="陈静",
        id_number="11010519491231002X",
        owner_id=str(rep.id),
    )

    page.goto(f"/contacts/{contact['id']}")
    log_in(page, tenant.slug, rep.email, USER_PASSWORD)

    expect(page.get_by_test_id("record-title")).to_have_text("陈静")
    expect(page.get_by_test_id("field-mobile")).to_be_visible()
    expect(page.get_by_test_id("field-id_number")).to_have_count(0)
    expect(page.get_by_text("身份证号")).to_have_count(0)
    expect(page.get_by_text("1231002X")).to_have_count(0)
    save_screenshot(page, "contact-record-sales-rep")


def test_manager_reveals_a_masked_mobile(page: Any, database: Database, tenant: TenantInfo) -> None:
    manager = add_user(database, tenant, "zhao.min", "sales_manager")
    contact = create_record(
        database, tenant, "contacts", name="周杰", mobile="13812345678", owner_id=str(manager.id)
    )

    page.goto(f"/contacts/{contact['id']}")
    log_in(page, tenant.slug, manager.email, USER_PASSWORD)
    field = page.get_by_test_id("field-mobile")
    expect(field.get_by_test_id("masked-mobile")).to_contain_text("138****5678")
    expect(field).not_to_contain_text("13812345678")

    field.get_by_role("button", name="查看完整的手机").click()

    expect(field.get_by_test_id("revealed-value")).to_have_text("+8613812345678")
    save_screenshot(page, "contact-reveal")
    with database.session() as session:
        reveals = session.scalars(
            select(AuditEvent).where(
                AuditEvent.tenant_id == tenant.tenant.id,
                AuditEvent.action == "reveal",
                AuditEvent.record_id == contact["id"],
            )
        ).all()
    assert len(reveals) == 1
    assert reveals[0].actor_id == manager.id


def test_inline_edit_conflict_lets_the_user_choose(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    account = create_record(database, tenant, "accounts", name="苏州恒信贸易有限公司", city="苏州")

    page.goto(f"/accounts/{account['id']}")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_test_id("field-city")).to_contain_text("苏州")
    update_record(database, tenant, "accounts", account["id"], city="无锡")

    page.get_by_role("button", name="编辑城市").click()
    page.get_by_test_id("field-city").get_by_test_id("inline-input").fill("南京")
    page.get_by_test_id("inline-save").click()

    dialog = page.get_by_test_id("conflict-dialog")
    expect(dialog.get_by_test_id("conflict-mine")).to_have_text("南京")
    expect(dialog.get_by_test_id("conflict-theirs")).to_have_text("无锡")
    save_screenshot(page, "record-conflict")
    dialog.get_by_test_id("conflict-keep-mine").click()

    expect(page.get_by_test_id("field-city")).to_contain_text("南京")
    with database.session() as session:
        stored = session.get(Account, uuid.UUID(account["id"]))
        assert stored is not None
        assert stored.city == "南京"
        assert stored.version == 3


def test_bulk_assign_asks_before_changing_owners(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    rep = add_user(database, tenant, "sun.li", "sales_rep")
    ids = [
        create_record(database, tenant, "accounts", name=f"宁波海润{index}号有限公司")["id"]
        for index in range(3)
    ]

    page.goto("/accounts")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_test_id("list-total")).to_have_text("共 3 条")
    for name in ("选择 宁波海润0号有限公司", "选择 宁波海润2号有限公司"):
        # Element Plus hides the native input and draws the box on its label.
        checkbox = page.get_by_role("checkbox", name=name)
        page.locator("label.el-checkbox", has=checkbox).click()
        expect(checkbox).to_be_checked()
    page.get_by_test_id("bulk-assign").click()
    page.get_by_test_id("bulk-owner").click()
    page.get_by_role("option", name="sun.li").click()
    page.get_by_role("dialog", name="批量分配负责人").get_by_role("button", name="应用").click()

    confirm = page.get_by_role("dialog", name="批量操作")
    expect(confirm).to_contain_text("确定修改 2 条记录：负责人 → sun.li？")
    confirm.get_by_role("button", name="确认").click()

    expect(page.get_by_text("已更新 2 条记录")).to_be_visible()
    with database.session() as session:
        owners = {str(row.id): row.owner_id for row in session.scalars(select(Account)).all()}
    assert owners[ids[0]] == rep.id
    assert owners[ids[1]] == tenant.admin.id
    assert owners[ids[2]] == rep.id


def test_long_list_loads_more_rows_while_scrolling(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    # Volume set-up only: 1,200 rows inserted with the ORM in one transaction, which the
    # record service (one audit event per record) would make slow; the screen reads them
    # through the API like any others.
    with database.session() as session:
        session.add_all(
            Account(
                tenant_id=tenant.tenant.id,
                owner_id=tenant.admin.id,
                name=f"批量客户{index:04d}",
                created_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=index),
            )
            for index in range(1200)
        )

    page.goto("/accounts")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_test_id("list-total")).to_have_text("共 1200 条")
    expect(page.get_by_role("link", name="批量客户1199")).to_be_visible()
    rendered = page.get_by_test_id("record-link").count()
    assert rendered < 100

    page.get_by_test_id("record-table").hover()
    last = page.get_by_role("link", name="批量客户0000")
    # The second page of 500 loads when the end is reached, so scroll to the end repeatedly.
    for _ in range(20):
        page.mouse.wheel(0, 40_000)
        if last.count() > 0:
            break
        page.wait_for_timeout(250)
    expect(last).to_be_visible()
    assert page.get_by_test_id("record-link").count() < 100
    save_screenshot(page, "accounts-long-list")
