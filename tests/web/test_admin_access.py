"""Administration entries: each user sees only the screens their permissions open."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from zhike.core.db import Database

from .conftest import save_screenshot
from .web_support import USER_PASSWORD, add_user, log_in

if TYPE_CHECKING:
    from testkit import TenantInfo

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

# Every entry of the administration menu section, in menu order.
ADMIN_PATHS = (
    "/admin",
    "/admin/users",
    "/admin/teams",
    "/admin/roles",
    "/admin/classification",
    "/admin/audit",
    "/admin/models",
    "/admin/llm",
    "/admin/targets",
    "/admin/tenant",
    "/sales/pool-settings",
    "/sales/processes",
    "/admin/api-clients",
    "/admin/security-policy",
    "/admin/sharing-rules",
)


def _menu_paths(page: Any) -> list[str]:
    test_ids = page.locator("[data-test^='nav-/']").evaluate_all(
        "items => items.map(item => item.dataset.test)"
    )
    return [test_id.removeprefix("nav-") for test_id in test_ids]


def test_rep_sees_no_admin_entries(page: Any, database: Database, tenant: TenantInfo) -> None:
    rep = add_user(database, tenant, "zhao.lin", "sales_rep")

    page.goto("/")
    log_in(page, tenant.slug, rep.email, USER_PASSWORD)
    expect(page.get_by_test_id("nav-/accounts")).to_be_visible()
    shown = _menu_paths(page)
    assert [path for path in ADMIN_PATHS if path in shown] == []
    expect(page.get_by_text("管理", exact=True)).to_have_count(0)

    page.goto("/admin/users")
    expect(page.get_by_test_id("forbidden")).to_be_visible()
    expect(page.get_by_text("无权访问")).to_be_visible()
    expect(page.get_by_test_id("forbidden-path")).to_have_text("/admin/users")
    expect(page.get_by_test_id("admin-users")).to_have_count(0)
    save_screenshot(page, "admin-forbidden")

    page.goto("/admin")
    expect(page.get_by_test_id("forbidden")).to_be_visible()
    expect(page.get_by_test_id("admin-home")).to_have_count(0)

    # The rep's own account page stays open to them.
    page.goto("/account")
    expect(page.get_by_test_id("account-page")).to_be_visible()


def test_auditor_sees_only_audit(page: Any, database: Database, tenant: TenantInfo) -> None:
    auditor = add_user(database, tenant, "qian.yu", "auditor")

    page.goto("/admin")
    log_in(page, tenant.slug, auditor.email, USER_PASSWORD)
    expect(page.get_by_test_id("admin-home")).to_be_visible()
    shown = _menu_paths(page)
    assert [path for path in ADMIN_PATHS if path in shown] == ["/admin", "/admin/audit"]
    cards = page.locator(".zk-admin-card")
    expect(cards).to_have_count(1)
    expect(cards).to_contain_text("审计日志")

    page.goto("/admin/audit")
    expect(page.get_by_test_id("admin-audit")).to_be_visible()
    page.goto("/admin/tenant")
    expect(page.get_by_test_id("forbidden")).to_be_visible()


def test_admin_sees_every_admin_entry(page: Any, tenant: TenantInfo) -> None:
    page.goto("/admin")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_test_id("admin-home")).to_be_visible()
    shown = _menu_paths(page)
    assert [path for path in ADMIN_PATHS if path in shown] == list(ADMIN_PATHS)
    expect(page.locator(".zk-admin-card")).to_have_count(9)

    page.goto("/admin/security-policy")
    expect(page.get_by_test_id("forbidden")).to_have_count(0)
    expect(page.get_by_role("heading", name="安全策略", exact=True)).to_be_visible()
