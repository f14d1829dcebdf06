"""Login with two-factor authentication, the app shell, language switch and session expiry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.security.totp import totp_code

from .conftest import ACTION_TIMEOUT_MS, LiveServer, save_screenshot
from .web_support import USER_PASSWORD, add_user, enable_totp, log_in

if TYPE_CHECKING:
    from testkit import TenantInfo

# The browser tests run on SQLite only; the API tests cover PostgreSQL.
pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def test_login_with_two_factor_reaches_the_intended_page(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    manager = add_user(database, tenant, "wang.fang", "sales_manager")
    secret = enable_totp(database, tenant, manager)

    page.goto("/accounts")
    expect(page).to_have_url("/login?redirect=/accounts")
    save_screenshot(page, "login")
    page.get_by_label("企业代码").fill(tenant.slug)
    page.get_by_label("邮箱").fill(manager.email)
    page.get_by_label("密码", exact=True).fill(USER_PASSWORD)
    page.get_by_test_id("login-submit").click()

    expect(page.get_by_test_id("totp-form")).to_be_visible()
    expect(page.get_by_text("wang.fang，请完成两步验证。")).to_be_visible()
    save_screenshot(page, "login-totp")
    page.get_by_label("验证器中的 6 位验证码").fill("000000")
    page.get_by_test_id("totp-submit").click()
    expect(page.get_by_test_id("login-error")).to_be_visible()

    page.get_by_label("验证器中的 6 位验证码").fill(totp_code(secret, utc_now()))
    page.get_by_test_id("totp-submit").click()
    expect(page).to_have_url("/accounts")
    expect(page.get_by_test_id("user-menu")).to_contain_text("wang.fang")
    expect(page.get_by_test_id("user-menu")).to_contain_text("销售经理")


def test_wrong_password_shows_the_server_message(page: Any, tenant: TenantInfo) -> None:
    page.goto("/login")
    log_in(page, tenant.slug, tenant.admin_email, "not-the-password")

    expect(page.get_by_test_id("login-error")).to_be_visible()
    expect(page).to_have_url("/login")


def test_shell_menu_home_and_assistant(page: Any, tenant: TenantInfo) -> None:
    page.goto("/")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)

    expect(page.get_by_test_id("home-page")).to_be_visible()
    navigation = page.get_by_role("navigation", name="主导航")
    for label in ("首页", "数据导入", "系统管理", "工单工作台"):
        expect(navigation.get_by_role("menuitem", name=label)).to_be_visible()
    save_screenshot(page, "home")

    page.get_by_test_id("assistant-toggle").click()
    panel = page.get_by_role("complementary", name="AI 助手")
    expect(panel).to_be_visible()
    expect(panel.get_by_test_id("assistant-hint")).to_be_visible()
    expect(panel.get_by_label("向 AI 助手提问")).to_be_enabled()
    save_screenshot(page, "assistant-panel")


def test_language_switch_is_remembered_for_the_user(page: Any, tenant: TenantInfo) -> None:
    page.goto("/")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_test_id("home-page")).to_be_visible()

    page.get_by_role("radiogroup", name="界面语言").get_by_text("English").click()

    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_title("Home · Zhike CRM")
    save_screenshot(page, "home-en")
    page.reload()
    expect(page.get_by_role("navigation", name="Main navigation")).to_contain_text("Import data")


@pytest.mark.parametrize(
    ("browser_locale", "html_lang", "title", "tenant_label"),
    [
        ("en-US", "en", "Log in · Zhike CRM", "Company code"),
        ("zh-CN", "zh-CN", "登录 · 知客 CRM", "企业代码"),
        ("fr-FR", "zh-CN", "登录 · 知客 CRM", "企业代码"),
    ],
)
def test_login_page_follows_browser_language(
    chromium_browser: Any,
    live_server: LiveServer,
    browser_locale: str,
    html_lang: str,
    title: str,
    tenant_label: str,
) -> None:
    context = chromium_browser.new_context(base_url=live_server.url, locale=browser_locale)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/login")

        expect(page.locator("html")).to_have_attribute("lang", html_lang)
        expect(page).to_have_title(title)
        expect(page.get_by_label(tenant_label, exact=True)).to_be_visible()
    finally:
        context.close()


def test_saved_language_wins_over_browser_language(
    chromium_browser: Any, live_server: LiveServer
) -> None:
    context = chromium_browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/login")
        expect(page.locator("html")).to_have_attribute("lang", "en")

        page.get_by_role("radiogroup", name="Interface language").get_by_text("中文").click()
        page.reload()

        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page).to_have_title("登录 · 知客 CRM")
    finally:
        context.close()


def test_expired_session_returns_to_the_page_after_login(
    page: Any, live_server: LiveServer, tenant: TenantInfo
) -> None:
    page.goto("/admin")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page).to_have_url("/admin")

    live_server.clock.offset_seconds = 13 * 3600
    try:
        page.reload()
        expect(page).to_have_url("/login?redirect=/admin")
    finally:
        live_server.clock.offset_seconds = 0
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page).to_have_url("/admin")


def test_session_ending_mid_work_keeps_the_route(
    page: Any, live_server: LiveServer, tenant: TenantInfo
) -> None:
    page.goto("/accounts")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_test_id("list-total")).to_have_text("共 0 条")
    # A request still in flight when the clock moves gets a 401 and sends the page to
    # login from /accounts, before the click under test.
    page.wait_for_load_state("networkidle")

    live_server.clock.offset_seconds = 13 * 3600
    try:
        page.get_by_role("navigation", name="主导航").get_by_role("menuitem", name="联系人").click()
        expect(page).to_have_url("/login?redirect=/contacts&expired=1")
        expect(page.get_by_test_id("session-expired")).to_be_visible()
    finally:
        live_server.clock.offset_seconds = 0
    save_screenshot(page, "session-expired")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page).to_have_url("/contacts")
