"""Session expiry, listing and revoking, and CSRF protection of cookie sessions."""

from __future__ import annotations

import uuid

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


def test_revoke_other_sessions_in_one_call(
    database: Database, tenant: TenantInfo, clock: Clock
) -> None:
    with make_client(clock) as client:
        admin = admin_token(client, tenant)
        email = f"rep@{tenant.slug}.example.com"
        rep_id = add_user(client, admin, email)
        tokens = [login(client, tenant, email, USER_PASSWORD)["access_token"] for _ in range(3)]

        ended = client.post("/api/v1/auth/sessions/revoke-others", headers=bearer(tokens[0]))
        again = client.post("/api/v1/auth/sessions/revoke-others", headers=bearer(tokens[0]))

        assert (ended.status_code, ended.json()) == (200, {"revoked": 2})
        assert again.json() == {"revoked": 0}
        assert client.get(ME, headers=bearer(tokens[0])).status_code == 200
        for token in tokens[1:]:
            assert client.get(ME, headers=bearer(token)).json()["code"] == "expired_token"
        assert client.get(ME, headers=bearer(admin)).status_code == 200
        events = client.get(
            "/api/v1/audit/events?action=session_revoked", headers=bearer(admin)
        ).json()["items"]
        assert len(events) == 1
        assert events[0]["record_id"] == rep_id
        assert events[0]["actor_id"] == rep_id
        assert events[0]["details"]["count"] == 2
        assert events[0]["details"]["kept_current"] is True
        assert len(events[0]["details"]["session_ids"]) == 2

        key = client.post(
            "/api/v1/api-keys",
            json={"name": "k", "scopes": {"products": {"actions": ["read"]}}},
            headers=bearer(admin),
        ).json()["secret"]
        from_key = client.post("/api/v1/auth/sessions/revoke-others", headers=bearer(key))
        assert (from_key.status_code, from_key.json()["code"]) == (403, "forbidden")
        assert client.get(ME, headers=bearer(admin)).status_code == 200


def test_admin_revokes_user_sessions_in_one_call(
    database: Database, tenant: TenantInfo, clock: Clock
) -> None:
    path = "/api/v1/auth/sessions/revoke-user"
    with make_client(clock) as client:
        admin = admin_token(client, tenant)
        email = f"rep@{tenant.slug}.example.com"
        rep_id = add_user(client, admin, email)
        tokens = [login(client, tenant, email, USER_PASSWORD)["access_token"] for _ in range(2)]

        denied = client.post(
            path, json={"user_id": str(tenant.admin.id)}, headers=bearer(tokens[0])
        )
        assert (denied.status_code, denied.json()["code"]) == (403, "forbidden")
        assert client.get(ME, headers=bearer(admin)).status_code == 200

        missing = client.post(path, json={"user_id": str(uuid.uuid4())}, headers=bearer(admin))
        assert missing.status_code == 404

        ended = client.post(path, json={"user_id": rep_id}, headers=bearer(admin))
        assert (ended.status_code, ended.json()) == (200, {"revoked": 2})
        for token in tokens:
            assert client.get(ME, headers=bearer(token)).status_code == 401
        assert client.get(ME, headers=bearer(admin)).status_code == 200
        events = client.get(
            "/api/v1/audit/events?action=session_revoked", headers=bearer(admin)
        ).json()["items"]
        assert [(event["record_id"], event["actor_id"]) for event in events] == [
            (rep_id, str(tenant.admin.id))
        ]
        assert events[0]["details"]["kept_current"] is False


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
