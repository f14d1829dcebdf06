"""Session expiry, listing and revoking, and CSRF protection of cookie sessions."""

from __future__ import annotations

import pytest
from auth_helpers import (  # noqa: F401 (fixtures)
    USER_PASSWORD,
    Clock,
    add_user,
    admin_token,
    bearer,
    clock_fixture,
    fresh_limiter_fixture,
    login,
    make_client,
    set_policy,
)
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.errors import Unauthorized
from zhike.security.auth import resolve_token

ME = "/api/v1/auth/me"


def test_idle_and_absolute_expiry(database: Database, tenant: TenantInfo, clock: Clock) -> None:
    set_policy(database, tenant, session_idle_minutes=30, session_absolute_hours=2)
    with make_client(clock) as client:
        token = admin_token(client, tenant)
    with database.session() as session:
        # Used every 20 minutes, the session lives until its absolute limit.
        for _ in range(5):
            clock.advance(minutes=20)
            assert resolve_token(session, token, now=clock.now).user_id == tenant.admin.id
        clock.advance(minutes=20)
        with pytest.raises(Unauthorized) as absolute:
            resolve_token(session, token, now=clock.now)
        assert absolute.value.code == "expired_token"
    with make_client(clock) as client:
        idle = admin_token(client, tenant)
        clock.advance(minutes=30)
        answer = client.get(ME, headers=bearer(idle))
        assert (answer.status_code, answer.json()["code"]) == (401, "idle_session")


def test_list_and_revoke(database: Database, tenant: TenantInfo, clock: Clock) -> None:
    with make_client(clock) as client:
        admin = admin_token(client, tenant)
        email = f"rep@{tenant.slug}.example.com"
        rep_id = add_user(client, admin, email)
        rep = login(client, tenant, email, USER_PASSWORD)["access_token"]
        rep_second = login(client, tenant, email, USER_PASSWORD)["access_token"]

        own = client.get("/api/v1/auth/sessions", headers=bearer(rep)).json()["items"]
        assert len(own) == 2
        assert [item["current"] for item in own].count(True) == 1
        assert {item["user_id"] for item in own} == {rep_id}
        admin_sessions = client.get("/api/v1/auth/sessions", headers=bearer(admin)).json()["items"]
        assert len(admin_sessions) == 1

        # A sales rep may not list others, nor revoke the administrator's session.
        assert (
            client.get(
                f"/api/v1/auth/sessions?user_id={tenant.admin.id}", headers=bearer(rep)
            ).status_code
            == 403
        )
        assert (
            client.get("/api/v1/auth/sessions?all_users=true", headers=bearer(rep)).status_code
            == 403
        )
        denied = client.delete(
            f"/api/v1/auth/sessions/{admin_sessions[0]['id']}", headers=bearer(rep)
        )
        assert denied.status_code == 404
        assert client.get(ME, headers=bearer(admin)).status_code == 200

        everyone = client.get("/api/v1/auth/sessions?all_users=true", headers=bearer(admin)).json()[
            "items"
        ]
        assert len(everyone) == 3
        other = next(item for item in own if not item["current"])
        assert (
            client.delete(f"/api/v1/auth/sessions/{other['id']}", headers=bearer(rep)).status_code
            == 204
        )
        assert client.get(ME, headers=bearer(rep_second)).json()["code"] == "expired_token"
        current = next(item for item in own if item["current"])
        assert (
            client.delete(
                f"/api/v1/auth/sessions/{current['id']}", headers=bearer(admin)
            ).status_code
            == 204
        )
        assert client.get(ME, headers=bearer(rep)).status_code == 401
        audit = client.get("/api/v1/audit/events?action=session_revoked", headers=bearer(admin))
        assert len(audit.json()["items"]) == 2


def test_cookie_login_needs_csrf_on_unsafe_methods(
    database: Database, tenant: TenantInfo, clock: Clock
) -> None:
    with make_client(clock, https=True) as browser:
        body = login(browser, tenant, tenant.admin_email, tenant.admin_password, mode="cookie")
        assert body["access_token"] is None
        csrf = body["csrf_token"]
        assert browser.cookies.get("zhike_csrf") == csrf
        assert {cookie.name for cookie in browser.cookies.jar} == {"zhike_session", "zhike_csrf"}
        assert browser.get(ME).status_code == 200
        refused = browser.post("/api/v1/accounts", json={"name": "无令牌公司"})
        assert (refused.status_code, refused.json()["code"]) == (403, "csrf_failed")
        forged = browser.post(
            "/api/v1/accounts", json={"name": "伪造公司"}, headers={"X-CSRF-Token": "forged"}
        )
        assert forged.status_code == 403
        created = browser.post(
            "/api/v1/accounts", json={"name": "有令牌公司"}, headers={"X-CSRF-Token": csrf}
        )
        assert created.status_code == 201, created.text
        listed = browser.get("/api/v1/accounts").json()["items"]
        assert [item["name"] for item in listed] == ["有令牌公司"]
    with make_client(clock) as api:
        token = admin_token(api, tenant)
        assert (
            api.post(
                "/api/v1/accounts", json={"name": "接口公司"}, headers=bearer(token)
            ).status_code
            == 201
        )


def test_cookie_flags(database: Database, tenant: TenantInfo, clock: Clock) -> None:
    with make_client(clock, https=True) as browser:
        response = browser.post(
            "/api/v1/auth/login",
            json={
                "tenant": tenant.slug,
                "email": tenant.admin_email,
                "password": tenant.admin_password,
                "mode": "cookie",
            },
        )
    headers = [value.lower() for value in response.headers.get_list("set-cookie")]
    session_cookie = next(value for value in headers if value.startswith("zhike_session="))
    csrf_cookie = next(value for value in headers if value.startswith("zhike_csrf="))
    assert "httponly" in session_cookie
    assert "secure" in session_cookie
    assert "samesite=lax" in session_cookie
    assert "httponly" not in csrf_cookie
