"""Administration entries: each user sees only the screens their permissions open."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from zhike.core.db import Database

from .conftest import LiveServer, save_screenshot
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
# Screens outside the administration section whose requests a sales rep's role does not
# allow: configuration the rep cannot read, marketing objects, and imports.
REP_HIDDEN_PATHS = (
    "/sales/assignment-rules",
    "/sales/lead-forms",
    "/marketing/segments",
    "/marketing/journeys",
    "/marketing/measurement",
    "/marketing/settings",
    "/service/settings",
    "/imports",
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
    assert [path for path in REP_HIDDEN_PATHS if path in shown] == []
    # Screens that the rep's role does allow stay in the menu.
    assert "/sales/pools" in shown
    assert "/marketing/consents" in shown
    assert "/service/workspace" in shown
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

    for path in REP_HIDDEN_PATHS:
        page.goto(path)
        expect(page.get_by_test_id("forbidden")).to_be_visible()
        expect(page.get_by_test_id("forbidden-path")).to_have_text(path)
    expect(page.get_by_test_id("import-wizard")).to_have_count(0)

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
    assert [path for path in REP_HIDDEN_PATHS if path in shown] == list(REP_HIDDEN_PATHS)
    expect(page.locator(".zk-admin-card")).to_have_count(9)

    page.goto("/sales/assignment-rules")
    expect(page.get_by_role("heading", name="线索分配规则", exact=True)).to_be_visible()
    expect(page.get_by_test_id("forbidden")).to_have_count(0)
    page.goto("/imports")
    expect(page.get_by_test_id("import-wizard")).to_be_visible()
    expect(page.get_by_test_id("import-no-objects")).to_have_count(0)

    page.goto("/admin/security-policy")
    expect(page.get_by_test_id("forbidden")).to_have_count(0)
    expect(page.get_by_role("heading", name="安全策略", exact=True)).to_be_visible()


def test_forbidden_page_names_the_requested_page(
    page: Any, database: Database, tenant: TenantInfo, live_server: LiveServer
) -> None:
    rep = add_user(database, tenant, "sun.li", "sales_rep")
    page.goto("/admin/users?tab=roles")
    log_in(page, tenant.slug, rep.email, USER_PASSWORD)

    expect(page.get_by_test_id("forbidden")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/forbidden?from=/admin/users?tab=roles")
    expect(page.get_by_test_id("forbidden-requested")).to_have_text(
        "您尝试打开的页面： /admin/users?tab=roles"
    )
    expect(page.get_by_test_id("forbidden-home")).to_have_text("返回首页")
    save_screenshot(page, "forbidden-requested")

    # Signing in as someone allowed leads back to the page that was refused.
    page.get_by_test_id("forbidden-switch-user").click()
    expect(page).to_have_url(f"{live_server.url}/login?redirect=/admin/users?tab=roles")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page).to_have_url(f"{live_server.url}/admin/users?tab=roles")
    expect(page.get_by_test_id("admin-users")).to_be_visible()
    expect(page.get_by_test_id("forbidden")).to_have_count(0)


def test_forbidden_page_in_english(page: Any, database: Database, tenant: TenantInfo) -> None:
    rep = add_user(database, tenant, "zhou.mei", "sales_rep")
    page.goto("/admin/roles")
    log_in(page, tenant.slug, rep.email, USER_PASSWORD)
    expect(page.get_by_test_id("forbidden")).to_be_visible()

    page.get_by_test_id("language-en").click()

    expect(page.get_by_text("No access", exact=True)).to_be_visible()
    expect(page.get_by_test_id("forbidden-requested")).to_have_text(
        "The page you tried to open: /admin/roles"
    )
    expect(page.get_by_test_id("forbidden-switch-user")).to_have_text("Sign in as another user")
    page.get_by_test_id("forbidden-home").click()
    expect(page).to_have_url("/")
    expect(page.get_by_test_id("forbidden")).to_have_count(0)


@pytest.mark.parametrize(
    "requested",
    [
        "https://evil.example/admin/users",
        "//evil.example/admin/users",
        "/\\evil.example/admin/users",
        "/%09/evil.example/admin/users",
        "javascript:alert(document.domain)",
        "/login?redirect=https://evil.example/",
    ],
)
def test_forbidden_page_ignores_foreign_addresses(
    page: Any, tenant: TenantInfo, live_server: LiveServer, requested: str
) -> None:
    page.goto("/login")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_test_id("nav-/accounts")).to_be_visible()

    page.goto(f"/forbidden?from={requested}")

    expect(page.get_by_test_id("forbidden")).to_be_visible()
    expect(page.get_by_test_id("forbidden-requested")).to_have_count(0)
    expect(page.get_by_text("evil.example")).to_have_count(0)
    # The sign-in that follows returns to the home page, on this server.
    page.get_by_test_id("forbidden-switch-user").click()
    expect(page).to_have_url(f"{live_server.url}/login")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page).to_have_url(f"{live_server.url}/")
