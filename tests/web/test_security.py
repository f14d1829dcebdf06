"""Browser tests of the security screens: account, API clients, policy, sessions, sharing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.settings import get_settings
from zhike.security import totp
from zhike.security.models import ApiClient, RecordShare, SharingRule, Team, Tenant, User
from zhike.security.policy import SecurityPolicy, policy_for

from .conftest import LiveServer, save_screenshot
from .web_support import USER_PASSWORD, add_user, choose_option, create_record, log_in

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def _open_account(page: Any, tenant: TenantInfo, email: str) -> None:
    page.goto("/")
    log_in(page, tenant.slug, email, USER_PASSWORD)
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("account").click()
    expect(page.get_by_role("heading", name="我的账号", exact=True)).to_be_visible()


def _token_session(live_server: LiveServer, tenant: TenantInfo, email: str) -> str:
    """Log in over the API, which leaves a token session that the account page must list."""
    response = httpx.post(
        f"{live_server.url}/api/v1/auth/login",
        json={"tenant": tenant.slug, "email": email, "password": USER_PASSWORD, "mode": "token"},
        headers={"User-Agent": "zhike-sync/1.0"},
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _me_status(live_server: LiveServer, token: str) -> int:
    response = httpx.get(
        f"{live_server.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


def test_password_change_shows_policy_error(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    rep = add_user(database, tenant, "rep-wang", "sales_rep")
    _open_account(page, tenant, rep.email)
    card = page.get_by_test_id("account-password")

    card.get_by_label("当前密码").fill(USER_PASSWORD)
    card.get_by_label("新密码", exact=True).fill("short1")
    card.get_by_label("再次输入新密码").fill("short1")
    card.get_by_test_id("password-submit").click()
    expect(card.get_by_test_id("password-error")).to_contain_text("密码太短，至少需要 8 个字符。")

    card.get_by_label("新密码", exact=True).fill("Another-pass-2027")
    card.get_by_label("再次输入新密码").fill("Another-pass-2026")
    card.get_by_test_id("password-submit").click()
    expect(card.get_by_test_id("password-error")).to_contain_text("两次输入的新密码不一致。")

    card.get_by_label("再次输入新密码").fill("Another-pass-2027")
    card.get_by_test_id("password-submit").click()
    expect(page.get_by_text("密码已修改，其他设备上的登录已结束")).to_be_visible()
    expect(card.get_by_test_id("password-error")).to_have_count(0)
    save_screenshot(page, "security-account-password")

    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    page.get_by_label("企业代码").fill(tenant.slug)
    page.get_by_label("邮箱").fill(rep.email)
    page.get_by_label("密码", exact=True).fill("Another-pass-2027")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("user-menu")).to_be_visible()


def test_totp_enrolment_and_disable(
    page: Any, database: Database, tenant: TenantInfo, live_server: LiveServer
) -> None:
    rep = add_user(database, tenant, "rep-li", "sales_rep")
    _open_account(page, tenant, rep.email)
    card = page.get_by_test_id("account-totp")
    expect(card.get_by_test_id("totp-state")).to_have_text("两步验证未开启。")

    card.get_by_test_id("totp-start").click()
    expect(card.get_by_role("img", name="两步验证的二维码")).to_be_visible()
    secret = card.get_by_test_id("totp-secret").inner_text().strip()
    card.scroll_into_view_if_needed()
    save_screenshot(page, "security-account-totp-qr")
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret

    current_code = totp.totp_code(secret, live_server.clock())
    wrong_code = f"{(int(current_code) + 1) % 1_000_000:06d}"
    card.get_by_label("验证码").fill(wrong_code)
    card.get_by_test_id("totp-confirm").click()
    expect(card.get_by_test_id("totp-error")).to_contain_text("验证码不匹配")

    card.get_by_label("验证码").fill(totp.totp_code(secret, live_server.clock()))
    card.get_by_test_id("totp-confirm").click()
    codes = card.get_by_test_id("recovery-codes").get_by_role("listitem")
    expect(codes.first).to_be_visible()
    recovery_codes = codes.all_inner_texts()
    assert len(recovery_codes) == totp.RECOVERY_CODE_COUNT
    assert len(set(recovery_codes)) == totp.RECOVERY_CODE_COUNT
    expect(card.get_by_test_id("totp-state")).to_have_text(
        f"两步验证已开启，还剩 {len(recovery_codes)} 个恢复码。"
    )
    save_screenshot(page, "security-account-totp")
    with database.session() as session:
        user = session.get(User, rep.id)
        assert user is not None
        assert totp.is_enrolled(session, user)

    # The confirming code's time step is spent, so the next step gives a fresh code.
    later = live_server.clock() + timedelta(seconds=totp.STEP_SECONDS)
    live_server.clock.offset_seconds = totp.STEP_SECONDS
    try:
        card.get_by_label("验证码").fill(totp.totp_code(secret, later))
        card.get_by_test_id("totp-disable").click()
        expect(card.get_by_test_id("totp-state")).to_have_text("两步验证未开启。")
    finally:
        live_server.clock.offset_seconds = 0
    expect(card.get_by_test_id("recovery-codes")).to_have_count(0)
    with database.session() as session:
        user = session.get(User, rep.id)
        assert user is not None
        assert not totp.is_enrolled(session, user)


def test_sessions_list_and_revoke(
    page: Any, database: Database, tenant: TenantInfo, live_server: LiveServer
) -> None:
    rep = add_user(database, tenant, "rep-zhao", "sales_rep")
    first_token = _token_session(live_server, tenant, rep.email)
    second_token = _token_session(live_server, tenant, rep.email)
    _open_account(page, tenant, rep.email)

    table = page.get_by_test_id("sessions-table")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(table.get_by_text("当前登录")).to_have_count(1)
    expect(table.get_by_text("访问令牌 · zhike-sync/1.0")).to_have_count(2)
    current = table.get_by_test_id("session-device").filter(has_text="浏览器")
    expect(current).to_have_text(re.compile(r"^浏览器 · Chrome \d+ · Linux$"))
    expect(table.get_by_text("127.0.0.1").first).to_be_visible()
    table.scroll_into_view_if_needed()
    save_screenshot(page, "security-account-sessions")

    table.get_by_test_id("session-revoke").first.click()
    expect(page.get_by_text("该登录已结束")).to_be_visible()
    expect(rows).to_have_count(2)
    statuses = sorted([_me_status(live_server, first_token), _me_status(live_server, second_token)])
    assert statuses == [200, 401]

    page.get_by_test_id("sessions-revoke-others").click()
    confirm = page.get_by_role("dialog").filter(has_text="将结束其他 1 个登录")
    confirm.get_by_role("button", name="退出").click()
    expect(page.get_by_text("已结束 1 个其他登录")).to_be_visible()
    expect(rows).to_have_count(1)
    expect(table.get_by_text("当前登录")).to_have_count(1)
    assert _me_status(live_server, first_token) == 401
    assert _me_status(live_server, second_token) == 401
    expect(page.get_by_test_id("sessions-revoke-others")).to_be_disabled()


def _log_in_admin(page: Any, tenant: TenantInfo, path: str) -> None:
    page.goto(path)
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)


def _choose(page: Any, select: Any, option: str) -> None:
    """Pick ``option`` and close the list, which stays open in a multiple select."""
    choose_option(page, select, option)
    page.keyboard.press("Escape")


def test_api_key_created_used_and_revoked(
    page: Any, database: Database, tenant: TenantInfo, live_server: LiveServer
) -> None:
    account = create_record(database, tenant, "accounts", name="杭州西湖贸易有限公司", city="杭州")
    _log_in_admin(page, tenant, "/admin/api-clients")
    expect(page.get_by_role("heading", name="API 密钥与 OAuth 客户端")).to_be_visible()

    page.get_by_test_id("client-create").click()
    dialog = page.get_by_test_id("client-dialog")
    dialog.get_by_label("名称", exact=True).fill("ERP 同步")
    dialog.get_by_label("IP 白名单").fill("10.0.0.300/8")
    _choose(page, dialog.get_by_role("combobox", name="字段白名单"), "客户名称")
    dialog.get_by_test_id("client-submit").click()
    expect(dialog.get_by_test_id("client-error")).to_contain_text("10.0.0.300/8")
    with database.session() as session:
        assert (
            session.scalars(select(ApiClient).where(ApiClient.tenant_id == tenant.tenant.id)).all()
            == []
        )

    dialog.get_by_label("IP 白名单").fill("127.0.0.0/8")
    dialog.get_by_test_id("client-submit").click()
    secret = dialog.get_by_test_id("client-secret-value").inner_text().strip()
    assert secret.startswith("zk_")
    save_screenshot(page, "security-api-key-secret")
    dialog.get_by_role("button", name="关闭", exact=True).click()

    table = page.get_by_test_id("clients-table")
    expect(table.get_by_text("ERP 同步")).to_be_visible()
    expect(table.get_by_text("客户: 查看 (name)")).to_be_visible()
    expect(table.get_by_text(secret)).to_have_count(0)

    headers = {"Authorization": f"Bearer {secret}"}
    listed = httpx.get(f"{live_server.url}/api/v1/accounts", headers=headers)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [item["id"] for item in items] == [account["id"]]
    assert items[0]["name"] == "杭州西湖贸易有限公司"
    assert items[0].get("city") is None

    table.get_by_test_id("client-revoke").click()
    page.get_by_role("dialog").get_by_role("button", name="吊销").click()
    expect(page.get_by_text("已吊销「ERP 同步」")).to_be_visible()
    expect(table.get_by_text("已吊销", exact=True)).to_be_visible()
    after_revoke = httpx.get(f"{live_server.url}/api/v1/accounts", headers=headers)
    assert after_revoke.status_code == 401


def _form_item(form: Any, label: str) -> Any:
    """The Element Plus form item around the control labelled ``label``, with its error line."""
    return form.locator(".el-form-item").filter(has=form.page.get_by_label(label, exact=True))


def _stored_policy(database: Database, tenant: TenantInfo) -> SecurityPolicy:
    with database.session() as session:
        stored = session.get(Tenant, tenant.tenant.id)
        assert stored is not None
        return policy_for(stored)


def test_security_policy_saved_and_enforced(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    settings = get_settings()
    _log_in_admin(page, tenant, "/admin/security-policy")
    form = page.get_by_test_id("security-policy")
    expect(form.get_by_test_id("policy-idle-default")).to_have_text(
        f"留空时使用系统默认值：{settings.session_idle_minutes} 分钟"
    )
    expect(form.get_by_test_id("policy-absolute-default")).to_have_text(
        f"留空时使用系统默认值：{settings.session_hours} 小时"
    )
    expect(form.get_by_test_id("policy-rate-user-default")).to_have_text(
        f"留空时使用系统默认值：每分钟 {settings.rate_limit_user_per_minute} 次"
    )

    # The form checks the server's bounds before sending anything.
    form.get_by_label("锁定前允许的失败次数").fill("0")
    form.get_by_label("最长锁定时长（秒）").fill("30")
    form.get_by_label("每个用户").fill("-5")
    form.get_by_test_id("policy-save").click()
    expect(_form_item(form, "锁定前允许的失败次数").locator(".el-form-item__error")).to_have_text(
        "请输入 1 到 100 之间的整数"
    )
    expect(_form_item(form, "最长锁定时长（秒）").locator(".el-form-item__error")).to_have_text(
        "不能短于首次锁定时长（60 秒）"
    )
    expect(_form_item(form, "每个用户").locator(".el-form-item__error")).to_have_text(
        "请输入 0 到 1000000 之间的整数"
    )
    expect(form.get_by_test_id("policy-error")).to_contain_text("有字段需要修改")
    assert _stored_policy(database, tenant) == SecurityPolicy()

    form.get_by_label("最短长度").fill("12")
    form.get_by_label("不得重复使用最近的密码数").fill("3")
    form.get_by_label("锁定前允许的失败次数").fill("3")
    form.get_by_label("首次锁定时长（秒）").fill("30")
    form.get_by_label("最长锁定时长（秒）").fill("600")
    _choose(page, form.get_by_role("combobox", name="必须使用两步验证的角色"), "销售代表")
    form.get_by_label("空闲超时（分钟）").fill("45")
    form.get_by_label("每个用户").fill("500")
    form.get_by_label("每个 IP 地址").fill("0")
    form.get_by_label("员工登录").fill("127.0.0.1/32\n10.0.0.0/33")
    form.get_by_test_id("policy-save").click()
    # The server's reason appears under the field it concerns.
    expect(_form_item(form, "员工登录").locator(".el-form-item__error")).to_have_text(
        "“员工登录 IP 白名单”中的 10.0.0.0/33 不是有效的 IP 地址或 CIDR 网段，"
        "请写成 10.0.0.0/8 这样的格式。"
    )
    expect(form.get_by_test_id("policy-error")).to_have_text(
        "有 1 个字段无效，请按各字段的说明修改后重试。"
    )
    assert _stored_policy(database, tenant).password.min_length == 8

    form.get_by_label("员工登录").fill("127.0.0.1/32\n10.0.0.0/8")
    form.get_by_test_id("policy-save").click()
    expect(page.get_by_text("安全策略已保存")).to_be_visible()
    expect(form.get_by_test_id("policy-error")).to_have_count(0)
    expect(form.locator(".el-form-item__error")).to_have_count(0)
    save_screenshot(page, "security-policy")
    policy = _stored_policy(database, tenant)
    assert policy.password.min_length == 12
    assert policy.password.history == 3
    assert policy.lockout.model_dump() == {"threshold": 3, "base_seconds": 30, "max_seconds": 600}
    assert policy.require_2fa_roles == ["sales_rep"]
    assert policy.session_idle_minutes == 45
    assert policy.session_absolute_hours is None
    assert policy.rate_limits.model_dump() == {
        "tenant": None,
        "user": 500,
        "api_key": None,
        "ip": 0,
    }
    assert policy.ip_allowlist_users == ["127.0.0.1/32", "10.0.0.0/8"]

    page.reload()
    expect(form.get_by_label("空闲超时（分钟）")).to_have_value("45")
    expect(form.get_by_label("登录最长有效期（小时）")).to_have_value("")
    expect(form.get_by_test_id("policy-2fa-roles")).to_contain_text("销售代表")

    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("account").click()
    card = page.get_by_test_id("account-password")
    card.get_by_label("当前密码").fill(tenant.admin_password)
    card.get_by_label("新密码", exact=True).fill("Short-2026")
    card.get_by_label("再次输入新密码").fill("Short-2026")
    card.get_by_test_id("password-submit").click()
    expect(card.get_by_test_id("password-error")).to_contain_text("密码太短，至少需要 12 个字符。")


def test_security_policy_errors_in_english(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    _log_in_admin(page, tenant, "/account")
    expect(page.get_by_role("heading", name="我的账号", exact=True)).to_be_visible()
    page.get_by_role("radiogroup", name="界面语言").get_by_text("English").click()
    expect(page.get_by_role("heading", name="My account", exact=True)).to_be_visible()
    page.goto("/admin/security-policy")
    form = page.get_by_test_id("security-policy")
    form.get_by_label("API keys and OAuth clients").fill("203.0.113.0/24\nnot-a-network")
    form.get_by_label("Per tenant").fill("2000000")
    form.get_by_test_id("policy-save").click()
    expect(_form_item(form, "Per tenant").locator(".el-form-item__error")).to_have_text(
        "Enter a whole number from 0 to 1000000"
    )

    form.get_by_label("Per tenant").fill("")
    form.get_by_test_id("policy-save").click()
    expect(
        _form_item(form, "API keys and OAuth clients").locator(".el-form-item__error")
    ).to_have_text(
        "API key and OAuth client IP allow-list: not-a-network is not a valid IP address or "
        "CIDR network; write it like 10.0.0.0/8."
    )
    expect(form.get_by_test_id("policy-error")).to_have_text(
        "1 field(s) are invalid; fix each one as described and try again."
    )
    assert _stored_policy(database, tenant) == SecurityPolicy()


def test_admin_ends_user_sessions(
    page: Any, database: Database, tenant: TenantInfo, live_server: LiveServer
) -> None:
    rep = add_user(database, tenant, "rep-sun", "sales_rep")
    token = _token_session(live_server, tenant, rep.email)
    assert _me_status(live_server, token) == 200

    _log_in_admin(page, tenant, "/admin/users")
    row = page.locator("tr", has_text=rep.email)
    row.get_by_test_id("user-end-sessions").click()
    # The confirmation box keeps Element Plus's own button text, so find it by its style.
    page.locator(".el-message-box__btns .el-button--primary").click()
    expect(page.get_by_text("已结束 rep-sun 的 1 个登录")).to_be_visible()
    assert _me_status(live_server, token) == 401


def test_record_share_added_and_removed(page: Any, database: Database, tenant: TenantInfo) -> None:
    account = create_record(database, tenant, "accounts", name="宁波港城物流有限公司", city="宁波")
    rep = add_user(database, tenant, "rep-qian", "sales_rep")
    _log_in_admin(page, tenant, f"/accounts/{account['id']}")

    page.get_by_test_id("record-share").click()
    dialog = page.get_by_test_id("share-dialog")
    expect(dialog.get_by_text("此记录还没有手动共享")).to_be_visible()
    _choose(page, dialog.get_by_role("combobox", name="用户", exact=True), "rep-qian")
    dialog.get_by_text("允许编辑").click()
    dialog.get_by_test_id("share-add").click()
    shares = dialog.get_by_test_id("shares-table")
    expect(shares.locator("tbody tr")).to_have_count(1)

    dialog.get_by_role("radio", name="角色").check(force=True)
    _choose(page, dialog.get_by_role("combobox", name="角色", exact=True), "销售经理")
    dialog.get_by_text("允许编辑").click()
    dialog.get_by_test_id("share-add").click()
    rows = shares.locator("tbody tr")
    expect(rows).to_have_count(2)
    user_row = rows.filter(has_text="rep-qian")
    role_row = rows.filter(has_text="销售经理")
    expect(user_row.locator("td").nth(0)).to_have_text("用户")
    expect(user_row.locator("td").nth(2)).to_have_text("可编辑")
    expect(role_row.locator("td").nth(0)).to_have_text("角色")
    expect(role_row.locator("td").nth(2)).to_have_text("只读")
    save_screenshot(page, "security-record-share")
    with database.session() as session:
        stored = session.scalars(
            select(RecordShare).where(RecordShare.tenant_id == tenant.tenant.id)
        ).all()
        assert {
            (str(row.record_id), row.user_id, row.role_key, row.can_edit) for row in stored
        } == {
            (account["id"], rep.id, None, True),
            (account["id"], None, "sales_manager", False),
        }

    role_row.get_by_test_id("share-remove").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("rep-qian")
    rows.first.get_by_test_id("share-remove").click()
    expect(dialog.get_by_text("此记录还没有手动共享")).to_be_visible()
    with database.session() as session:
        assert (
            session.scalars(
                select(RecordShare).where(RecordShare.tenant_id == tenant.tenant.id)
            ).all()
            == []
        )


def _put_in_new_team(database: Database, tenant: TenantInfo, user: User, team_name: str) -> Team:
    with database.session() as session:
        team = Team(tenant_id=tenant.tenant.id, name=team_name)
        session.add(team)
        session.flush()
        row = session.get(User, user.id)
        assert row is not None
        row.team_id = team.id
        session.expunge(team)
    return team


def test_sales_rep_shares_record_with_colleague(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    rep = add_user(database, tenant, "rep-li", "sales_rep")
    colleague = add_user(database, tenant, "rep-zhao", "sales_rep")
    team = _put_in_new_team(database, tenant, colleague, "华东销售部")
    departed = add_user(database, tenant, "rep-gone", "sales_rep")
    with database.session() as session:
        row = session.get(User, departed.id)
        assert row is not None
        row.is_active = False
    account = create_record(
        database, tenant, "accounts", name="温州瓯江电器有限公司", owner_id=str(rep.id)
    )
    page.goto(f"/accounts/{account['id']}")
    log_in(page, tenant.slug, rep.email, USER_PASSWORD)

    page.get_by_test_id("record-share").click()
    dialog = page.get_by_test_id("share-dialog")
    expect(dialog.get_by_text("此记录还没有手动共享")).to_be_visible()
    users = dialog.get_by_role("combobox", name="用户", exact=True)
    users.click(force=True)
    users.fill("rep-")
    options = page.get_by_role("option").locator("visible=true")
    expect(options).to_have_count(2)
    expect(options.filter(has_text="rep-gone")).to_have_count(0)
    offered = options.filter(has_text="rep-zhao")
    expect(offered).to_contain_text("华东销售部")
    offered.click()
    dialog.get_by_text("允许编辑").click()
    dialog.get_by_test_id("share-add").click()
    shares = dialog.get_by_test_id("shares-table")
    rows = shares.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(1)).to_have_text("rep-zhao")
    expect(rows.first.locator("td").nth(2)).to_have_text("可编辑")

    dialog.get_by_role("radio", name="部门").check(force=True)
    _choose(page, dialog.get_by_role("combobox", name="部门", exact=True), "华东销售部")
    # The check box keeps its state after a share, so this turns editing off again.
    dialog.get_by_text("允许编辑").click()
    dialog.get_by_test_id("share-add").click()
    # The form is busy until the share is stored; a click before that is lost.
    expect(rows).to_have_count(2)
    dialog.get_by_role("radio", name="角色").check(force=True)
    _choose(page, dialog.get_by_role("combobox", name="角色", exact=True), "销售经理")
    dialog.get_by_test_id("share-add").click()
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="华东销售部").locator("td").nth(0)).to_have_text("部门")
    expect(rows.filter(has_text="销售经理").locator("td").nth(0)).to_have_text("角色")
    expect(dialog.get_by_test_id("share-error")).to_have_count(0)
    save_screenshot(page, "security-record-share-by-rep")
    with database.session() as session:
        stored = session.scalars(
            select(RecordShare).where(RecordShare.tenant_id == tenant.tenant.id)
        ).all()
        assert {
            (str(share.record_id), share.user_id, share.team_id, share.role_key, share.can_edit)
            for share in stored
        } == {
            (account["id"], colleague.id, None, None, True),
            (account["id"], None, team.id, None, False),
            (account["id"], None, None, "sales_manager", False),
        }
        assert {share.created_by_id for share in stored} == {rep.id}

    # Reopening the dialog names the colleague again from the directory.
    page.reload()
    page.get_by_test_id("record-share").click()
    expect(rows.filter(has_text="rep-zhao")).to_have_count(1)


def test_sharing_rule_created_and_deleted(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    _log_in_admin(page, tenant, "/admin/sharing-rules")
    form = page.get_by_test_id("sharing-rule-form")
    form.get_by_label("规则名称").fill("杭州客户给销售代表")
    _choose(page, form.get_by_role("combobox", name="字段", exact=True), "城市")
    form.get_by_label("值", exact=True).fill("杭州")
    form.get_by_test_id("sharing-rule-submit").click()
    expect(form.get_by_test_id("sharing-rule-error")).to_contain_text(
        "请且只能指定一个共享对象：用户、部门或角色。"
    )

    _choose(page, form.get_by_role("combobox", name="角色", exact=True), "销售代表")
    form.get_by_test_id("sharing-rule-submit").click()
    expect(page.get_by_text("已创建共享规则「杭州客户给销售代表」")).to_be_visible()
    table = page.get_by_test_id("sharing-rules-table")
    expect(table.get_by_text("城市 等于 杭州")).to_be_visible()
    expect(table.get_by_text("角色: 销售代表")).to_be_visible()
    save_screenshot(page, "security-sharing-rules")
    with database.session() as session:
        rules = session.scalars(
            select(SharingRule).where(SharingRule.tenant_id == tenant.tenant.id)
        ).all()
        assert [
            (rule.object_name, rule.filters, rule.role_key, rule.can_edit) for rule in rules
        ] == [("accounts", {"city": "杭州"}, "sales_rep", False)]

    table.get_by_test_id("sharing-rule-delete").click()
    expect(page.get_by_text("已删除共享规则「杭州客户给销售代表」")).to_be_visible()
    expect(table.get_by_text("还没有共享规则")).to_be_visible()


def test_oauth_client_created_and_listed(
    page: Any, database: Database, tenant: TenantInfo, live_server: LiveServer
) -> None:
    _log_in_admin(page, tenant, "/admin/api-clients")
    page.get_by_test_id("client-kind").get_by_text("OAuth 客户端").click()
    page.get_by_test_id("client-create").click()
    dialog = page.get_by_test_id("client-dialog")
    dialog.get_by_label("名称", exact=True).fill("呼叫中心")
    dialog.get_by_test_id("client-submit").click()
    secret = dialog.get_by_test_id("client-secret-value").inner_text().strip()
    client_id = dialog.get_by_test_id("client-secret").locator("code").first.inner_text().strip()
    dialog.get_by_role("button", name="关闭", exact=True).click()
    expect(page.get_by_test_id("clients-table").get_by_text("呼叫中心")).to_be_visible()

    token = httpx.post(
        f"{live_server.url}/api/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    assert token.status_code == 200, token.text
    assert token.json()["token_type"].lower() == "bearer"
    with database.session() as session:
        kinds = session.scalars(
            select(ApiClient.kind).where(ApiClient.tenant_id == tenant.tenant.id)
        ).all()
    assert kinds == ["oauth_client"]


@pytest.mark.parametrize(
    ("path", "test_id"),
    [
        ("/admin/api-clients", "security-clients"),
        ("/admin/security-policy", "security-policy"),
        ("/admin/sharing-rules", "security-sharing-rules"),
    ],
)
def test_admin_screens_reject_sales_rep(
    page: Any, database: Database, tenant: TenantInfo, path: str, test_id: str
) -> None:
    rep = add_user(database, tenant, f"rep-{test_id}", "sales_rep")
    page.goto(path)
    log_in(page, tenant.slug, rep.email, USER_PASSWORD)
    # The guard shows the no-access page instead of a screen whose requests would all fail.
    expect(page.get_by_test_id("forbidden")).to_be_visible()
    expect(page.get_by_test_id("forbidden-path")).to_have_text(path)
    expect(page.get_by_test_id(test_id)).to_have_count(0)
    expect(page.get_by_test_id("policy-save")).to_have_count(0)


def test_account_page_in_english(page: Any, database: Database, tenant: TenantInfo) -> None:
    rep = add_user(database, tenant, "rep-zhou", "sales_rep")
    _open_account(page, tenant, rep.email)
    page.get_by_role("radiogroup", name="界面语言").get_by_text("English").click()

    expect(page.get_by_role("heading", name="My account", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    expect(page.get_by_test_id("totp-state")).to_have_text("Two-factor authentication is off.")
    expect(page.get_by_test_id("sessions-table").get_by_text("This session")).to_be_visible()
    page.get_by_test_id("account-password").get_by_label("Current password").fill("wrong")
    page.get_by_test_id("account-password").get_by_label("New password", exact=True).fill(
        "Another-pass-2027"
    )
    page.get_by_test_id("account-password").get_by_label("Repeat new password").fill(
        "Another-pass-2027"
    )
    page.get_by_test_id("password-submit").click()
    expect(page.get_by_test_id("password-error")).to_contain_text(
        "The current password is incorrect."
    )
