"""Administration screens: a field permission change takes effect, and every screen renders."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from zhike.core.db import Database
from zhike.security.admin import update_user
from zhike.security.schemas import UserUpdate

from .conftest import save_screenshot
from .web_support import USER_PASSWORD, add_user, create_record, log_in

if TYPE_CHECKING:
    from testkit import TenantInfo

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

SCREENS = (
    ("users", "用户"),
    ("teams", "团队"),
    ("roles", "角色与字段权限"),
    ("classification", "敏感字段分级"),
    ("audit", "审计日志"),
    ("models", "模型管理"),
    ("llm", "大模型接入"),
    ("targets", "销售目标"),
    ("tenant", "租户设置"),
)


def test_field_permission_change_takes_effect(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    rep = add_user(database, tenant, "li.lei", "sales_rep")
    contact = create_record(
        database, tenant, "contacts", name="孙悦", mobile="13812345678", owner_id=str(rep.id)
    )

    page.goto(f"/contacts/{contact['id']}")
    log_in(page, tenant.slug, rep.email, USER_PASSWORD)
    expect(page.get_by_test_id("field-mobile")).to_be_visible()
    page.context.clear_cookies()

    page.goto("/admin/roles")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    page.get_by_test_id("role-sales_rep").click()
    page.get_by_test_id("copy-role").click()
    page.get_by_label("角色标识").fill("sales_rep_limited")
    page.get_by_label("中文名称").fill("销售代表（限制）")
    page.get_by_label("英文名称").fill("Sales rep (limited)")
    page.get_by_test_id("confirm-copy").click()
    expect(page.get_by_test_id("save-role")).to_be_visible()
    page.get_by_test_id("access-mobile").click()
    page.get_by_role("option", name="隐藏").click()
    page.get_by_test_id("save-role").click()
    expect(page.get_by_text("角色已保存")).to_be_visible()
    save_screenshot(page, "admin-field-permission")
    with database.session() as session:
        update_user(session, tenant.actor, rep.id, UserUpdate(role="sales_rep_limited"))
    page.context.clear_cookies()

    page.goto(f"/contacts/{contact['id']}")
    log_in(page, tenant.slug, rep.email, USER_PASSWORD)
    expect(page.get_by_test_id("record-title")).to_have_text("孙悦")
    expect(page.get_by_test_id("field-mobile")).to_have_count(0)
    # Full or masked (138****5678); a bare "5678" also matches date-picker rows.
    expect(page.get_by_text(re.compile(r"138.{0,6}5678"))).to_have_count(0)


def test_every_admin_screen_renders(page: Any, tenant: TenantInfo) -> None:
    page.goto("/admin")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_test_id("admin-home")).to_be_visible()
    save_screenshot(page, "admin-home")

    for screen, title in SCREENS:
        page.goto(f"/admin/{screen}")
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        expect(page.get_by_test_id(f"admin-{screen}")).to_be_visible()
        save_screenshot(page, f"admin-{screen}")


def test_rep_sees_owner_names_but_no_colleague_emails(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    rep = add_user(database, tenant, "han.mei", "sales_rep")
    contact = create_record(database, tenant, "contacts", name="周航", owner_id=str(rep.id))

    with page.expect_response(re.compile(r"/api/v1/users$")) as directory:
        page.goto(f"/contacts/{contact['id']}")
        log_in(page, tenant.slug, rep.email, USER_PASSWORD)
    expect(page.get_by_test_id("record-title")).to_have_text("周航")
    expect(page.get_by_test_id("field-owner_id")).to_contain_text("han.mei")
    emails = {user["display_name"]: user["email"] for user in directory.value.json()["items"]}
    assert emails["han.mei"] == rep.email
    assert emails["admin"] == "a***@" + tenant.admin_email.split("@")[1]
    page.context.clear_cookies()

    page.goto("/admin/users")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_test_id("admin-users")).to_contain_text(tenant.admin_email)
    expect(page.get_by_test_id("admin-users")).to_contain_text(rep.email)


def test_admin_searches_users_by_name_or_email(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    add_user(database, tenant, "li.lei", "sales_rep")
    add_user(database, tenant, "han.mei", "sales_manager")
    rows = page.locator("[data-test=admin-users] .el-table__body tr")

    page.goto("/admin/users")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(rows).to_have_count(3)
    search = page.get_by_placeholder("按姓名或邮箱搜索")
    search.fill("HAN")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("han.mei")
    search.fill("li.lei@")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"li.lei@{tenant.slug}.example.com")
    save_screenshot(page, "admin-users-search")
    search.fill("nobody")
    expect(page.get_by_test_id("admin-users")).to_contain_text("没有符合搜索条件的用户。")
    search.fill("")
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("users-more")).to_have_count(0)
