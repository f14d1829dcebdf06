"""PUT /api/v1/auth/policy: each setting takes effect, and errors are localized per field."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

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
)
from fastapi.testclient import TestClient
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.settings import get_settings
from zhike.security.models import Tenant
from zhike.security.policy import SecurityPolicy, policy_for

POLICY = "/api/v1/auth/policy"
ME = "/api/v1/auth/me"
LOGIN = "/api/v1/auth/login"


def _put(client: TestClient, token: str, locale: str = "en", **values: Any) -> Any:
    return client.put(POLICY, json=values, headers={**bearer(token), "Accept-Language": locale})


def _saved(client: TestClient, token: str, **values: Any) -> None:
    response = _put(client, token, **values)
    assert response.status_code == 200, response.text


def _stored_policy(database: Database, tenant: TenantInfo) -> SecurityPolicy:
    with database.session() as session:
        row = session.get(Tenant, tenant.tenant.id)
        assert row is not None
        return policy_for(row)


def _errors(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {item["field"]: item["message"] for item in response.json()["errors"]}


def test_defaults_show_process_settings(
    database: Database, tenant: TenantInfo, clock: Clock
) -> None:
    settings = get_settings()
    with make_client(clock) as client:
        admin = admin_token(client, tenant)
        add_user(client, admin, f"rep@{tenant.slug}.example.com")
        rep = login(client, tenant, f"rep@{tenant.slug}.example.com", USER_PASSWORD)
        defaults = client.get(f"{POLICY}/defaults", headers=bearer(admin))
        denied = client.get(f"{POLICY}/defaults", headers=bearer(rep["access_token"]))
    assert defaults.status_code == 200, defaults.text
    assert defaults.json() == {
        "session_idle_minutes": settings.session_idle_minutes,
        "session_absolute_hours": settings.session_hours,
        "rate_limits": {
            "tenant": settings.rate_limit_tenant_per_minute,
            "user": settings.rate_limit_user_per_minute,
            "api_key": settings.rate_limit_key_per_minute,
            "ip": settings.rate_limit_ip_per_minute,
        },
    }
    assert (denied.status_code, denied.json()["code"]) == (403, "forbidden")


def test_lockout_change_takes_effect(database: Database, tenant: TenantInfo, clock: Clock) -> None:
    with make_client(clock) as client:
        admin = admin_token(client, tenant)
        _saved(client, admin, lockout={"threshold": 2, "base_seconds": 30, "max_seconds": 90})
        attempts = [
            client.post(
                LOGIN,
                json={"tenant": tenant.slug, "email": tenant.admin_email, "password": "wrong"},
                headers={"Accept-Language": "en"},
            )
            for _ in range(3)
        ]
    assert [answer.status_code for answer in attempts] == [401, 401, 429]
    assert attempts[2].json()["detail"] == "Too many failed logins; try again in 30 seconds."


def test_required_2fa_roles_apply_at_login(
    database: Database, tenant: TenantInfo, clock: Clock
) -> None:
    rep_email = f"rep@{tenant.slug}.example.com"
    with make_client(clock) as client:
        admin = admin_token(client, tenant)
        add_user(client, admin, rep_email)
        _saved(client, admin, require_2fa_roles=["sales_rep"])
        rep_step = login(client, tenant, rep_email, USER_PASSWORD)
        admin_step = login(client, tenant, tenant.admin_email, tenant.admin_password)
        _saved(client, admin, require_2fa_roles=["*"])
        admin_after = login(client, tenant, tenant.admin_email, tenant.admin_password)
    assert (rep_step["totp_required"], rep_step["totp_enrolled"]) == (True, False)
    assert rep_step["access_token"] is None
    assert admin_step["totp_required"] is False
    assert admin_step["access_token"] is not None
    assert admin_after["totp_required"] is True
    assert admin_after["access_token"] is None


def test_idle_timeout_change_takes_effect(
    database: Database, tenant: TenantInfo, clock: Clock
) -> None:
    with make_client(clock) as client:
        admin = admin_token(client, tenant)
        _saved(client, admin, session_idle_minutes=5)
        clock.advance(minutes=4)
        assert client.get(ME, headers=bearer(admin)).status_code == 200
        clock.advance(minutes=5)
        idle = client.get(ME, headers=bearer(admin))
    assert (idle.status_code, idle.json()["code"]) == (401, "idle_session")


def test_absolute_limit_shortens_live_sessions(
    database: Database, tenant: TenantInfo, clock: Clock
) -> None:
    with make_client(clock) as client:
        admin = admin_token(client, tenant)
        _saved(client, admin, session_absolute_hours=1)
        clock.advance(minutes=40)
        assert client.get(ME, headers=bearer(admin)).status_code == 200
        clock.advance(minutes=20)
        expired = client.get(ME, headers=bearer(admin))
        fresh = admin_token(client, tenant)
        sessions = client.get("/api/v1/auth/sessions", headers=bearer(fresh)).json()["items"]
    assert (expired.status_code, expired.json()["code"]) == (401, "expired_token")
    # A session issued under the policy is stamped with the new lifetime.
    assert [datetime.fromisoformat(item["expires_at"]) for item in sessions] == [
        clock.now + timedelta(hours=1)
    ]


def test_user_and_tenant_limits_take_effect(
    database: Database, tenant: TenantInfo, clock: Clock
) -> None:
    with make_client(clock) as client:
        admin = admin_token(client, tenant)
        # The PUT is the first request counted in this window.
        _saved(client, admin, rate_limits={"user": 3})
        answers = [client.get(ME, headers=bearer(admin)) for _ in range(3)]
        assert [answer.status_code for answer in answers] == [200, 200, 429]
        assert answers[0].headers["RateLimit-Limit"] == "3"

        clock.advance(minutes=1)
        _saved(client, admin, rate_limits={"user": 0, "tenant": 2})
        answers = [client.get(ME, headers=bearer(admin)) for _ in range(2)]
        assert [answer.status_code for answer in answers] == [200, 429]
        assert answers[1].json()["code"] == "rate_limited"

        clock.advance(minutes=1)
        _saved(client, admin, rate_limits={"user": 0, "tenant": 0})
        answers = [client.get(ME, headers=bearer(admin)) for _ in range(5)]
        assert [answer.status_code for answer in answers] == [200] * 5
        assert "RateLimit-Limit" not in answers[4].headers


def test_api_key_and_ip_limits_take_effect(
    database: Database, tenant: TenantInfo, clock: Clock
) -> None:
    with make_client(clock, "192.0.2.20") as client:
        admin = admin_token(client, tenant)
        key = client.post(
            "/api/v1/api-keys",
            json={"name": "erp", "scopes": {"products": {"actions": ["read"]}}},
            headers=bearer(admin),
        ).json()["secret"]
        _saved(client, admin, rate_limits={"api_key": 2})
        answers = [client.get("/api/v1/products", headers=bearer(key)) for _ in range(3)]
        assert [answer.status_code for answer in answers] == [200, 200, 429]

        clock.advance(minutes=1)
        # The IP limit is off by default, so the PUT itself is not counted against it.
        _saved(client, admin, rate_limits={"ip": 2})
        answers = [client.get(ME, headers=bearer(admin)) for _ in range(3)]
        assert [answer.status_code for answer in answers] == [200, 200, 429]
    with make_client(clock, "192.0.2.21") as other_address:
        assert other_address.get(ME, headers=bearer(admin)).status_code == 200


def test_errors_name_field_and_range(database: Database, tenant: TenantInfo, clock: Clock) -> None:
    invalid = {
        "lockout": {"threshold": 0, "base_seconds": 60, "max_seconds": 86_400},
        "session_idle_minutes": "abc",
        "rate_limits": {"user": -1},
        "ip_allowlist_api": ["10.0.0.0/8", "10.0.0.300/8"],
        "require_2fa_roles": [7],
    }
    with make_client(clock) as client:
        admin = admin_token(client, tenant)
        english = client.put(
            POLICY, json=invalid, headers={**bearer(admin), "Accept-Language": "en"}
        )
        chinese = client.put(
            POLICY, json=invalid, headers={**bearer(admin), "Accept-Language": "zh-CN"}
        )
    assert english.json()["code"] == "validation_failed"
    assert english.json()["detail"] == (
        "5 field(s) are invalid; fix each one as described and try again."
    )
    assert _errors(english) == {
        "lockout.threshold": (
            "Failed logins before a lock must be a whole number from 1 to 100; "
            "0 is outside that range."
        ),
        "session_idle_minutes": (
            "Idle timeout (minutes) must be a whole number from 1 to 43200; "
            "abc is outside that range."
        ),
        "rate_limits.user": (
            "Requests per minute per user must be a whole number from 0 to 1000000; "
            "-1 is outside that range."
        ),
        "ip_allowlist_api": (
            "API key and OAuth client IP allow-list: 10.0.0.300/8 is not a valid IP address "
            "or CIDR network; write it like 10.0.0.0/8."
        ),
        "require_2fa_roles.0": (
            "Field Roles that must use two-factor authentication is invalid: should be text"
        ),
    }
    assert chinese.json()["detail"] == "有 5 个字段无效，请按各字段的说明修改后重试。"
    assert _errors(chinese)["lockout.threshold"] == (
        "“锁定前允许的失败次数”必须是 1 到 100 之间的整数，0 不在此范围内。"
    )
    assert _errors(chinese)["ip_allowlist_api"] == (
        "“API 密钥与 OAuth 客户端 IP 白名单”中的 10.0.0.300/8 不是有效的 IP 地址或 CIDR 网段，"
        "请写成 10.0.0.0/8 这样的格式。"
    )
    assert _stored_policy(database, tenant) == SecurityPolicy()


def test_errors_check_lock_ceiling_and_roles(
    database: Database, tenant: TenantInfo, clock: Clock
) -> None:
    with make_client(clock) as client:
        admin = admin_token(client, tenant)
        response = _put(
            client,
            admin,
            "zh-CN",
            lockout={"threshold": 5, "base_seconds": 600, "max_seconds": 300},
            require_2fa_roles=["administrator", "ghost"],
        )
    errors = _errors(response)
    assert errors["lockout.max_seconds"] == (
        "“最长锁定时长（秒）”为 300 秒，短于首次锁定时长 600 秒；请把它设为不小于 600。"
    )
    assert errors["require_2fa_roles.1"].startswith(
        "“必须使用两步验证的角色”中的角色 ghost 不存在；可选：*, administrator,"
    )
    assert _stored_policy(database, tenant) == SecurityPolicy()


def test_policy_change_is_audited(database: Database, tenant: TenantInfo, clock: Clock) -> None:
    with make_client(clock) as client:
        admin = admin_token(client, tenant)
        _saved(client, admin, session_idle_minutes=30, rate_limits={"ip": 100})
        events = client.get(
            "/api/v1/audit/events", params={"action": "config.change"}, headers=bearer(admin)
        ).json()["items"]
    assert len(events) == 1
    changes = events[0]["changes"]
    assert changes["security"][0]["session_idle_minutes"] is None
    assert changes["security"][1]["session_idle_minutes"] == 30
    assert changes["security"][1]["rate_limits"]["ip"] == 100
