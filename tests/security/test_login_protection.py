"""Password rules and history, account lockout with back-off, and login throttling per IP."""

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
    make_client,
    set_policy,
    settings_env_fixture,
)
from sqlalchemy import func, select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.errors import InvalidInput
from zhike.core.settings import reset_settings_cache
from zhike.security import lockout
from zhike.security.models import LoginLockout, PasswordHistory, User
from zhike.security.passwords import set_password, verify_password
from zhike.security.policy import LockoutRules, PasswordRules

LOGIN = "/api/v1/auth/login"


def _attempt(client, tenant: TenantInfo, email: str, password: str, locale: str = "en"):  # type: ignore[no-untyped-def]
    return client.post(
        LOGIN,
        json={"tenant": tenant.slug, "email": email, "password": password},
        headers={"Accept-Language": locale},
    )


class TestLockout:
    def test_backoff_doubles_and_caps(self) -> None:
        rules = LockoutRules(threshold=5, base_seconds=60, max_seconds=200)
        assert [lockout.lock_duration(rules, n).total_seconds() for n in (1, 2, 3, 4)] == [
            60,
            120,
            200,
            200,
        ]

    def test_five_failures_lock_for_a_minute_then_two(
        self, database: Database, tenant: TenantInfo, clock: Clock
    ) -> None:
        with make_client(clock) as client:
            for _ in range(4):
                assert _attempt(client, tenant, tenant.admin_email, "wrong-1").status_code == 401
            fifth = _attempt(client, tenant, tenant.admin_email, "wrong-1")
            assert fifth.status_code == 401
            assert fifth.json()["code"] == "invalid_credentials"
            # Locked: even the right password is refused, with the wait in seconds.
            locked = _attempt(client, tenant, tenant.admin_email, tenant.admin_password)
            assert locked.status_code == 429
            assert locked.json()["code"] == "login_locked"
            assert locked.json()["detail"] == "Too many failed logins; try again in 60 seconds."
            assert locked.headers["Retry-After"] == "60"
            zh = _attempt(client, tenant, tenant.admin_email, tenant.admin_password, "zh-CN")
            assert zh.json()["detail"] == "登录失败次数过多，请在 60 秒后重试。"
            clock.advance(seconds=60)
            for _ in range(5):
                assert _attempt(client, tenant, tenant.admin_email, "wrong-2").status_code == 401
            second = _attempt(client, tenant, tenant.admin_email, tenant.admin_password)
            assert second.json()["detail"] == "Too many failed logins; try again in 120 seconds."
            clock.advance(seconds=120)
            assert (
                _attempt(client, tenant, tenant.admin_email, tenant.admin_password).status_code
                == 200
            )
        with database.session() as session:
            # Success forgets the failures and the back-off.
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(LoginLockout)
                    .where(LoginLockout.tenant_id == tenant.tenant.id)
                )
                == 0
            )

    def test_unknown_account_locks_the_same_way(
        self, database: Database, tenant: TenantInfo, clock: Clock
    ) -> None:
        with make_client(clock) as client:
            answers = [_attempt(client, tenant, "nobody@example.com", "guess") for _ in range(6)]
        assert [answer.status_code for answer in answers] == [401] * 5 + [429]
        assert answers[0].json()["detail"] == "Tenant, email or password is incorrect."
        assert answers[5].json()["detail"] == "Too many failed logins; try again in 60 seconds."

    def test_tenant_threshold(self, database: Database, tenant: TenantInfo, clock: Clock) -> None:
        set_policy(database, tenant, lockout={"threshold": 2, "base_seconds": 30})
        with make_client(clock) as client:
            codes = [
                _attempt(client, tenant, tenant.admin_email, "bad").status_code for _ in range(3)
            ]
        assert codes == [401, 401, 429]


class TestThrottle:
    def test_failures_per_ip(
        self, database: Database, tenant: TenantInfo, clock: Clock, settings_env: pytest.MonkeyPatch
    ) -> None:
        settings_env.setenv("ZHIKE_LOGIN_FAILURES_PER_IP", "3")
        reset_settings_cache()
        with make_client(clock, "10.20.30.40") as client:
            codes = [
                _attempt(client, tenant, f"u{n}@example.com", "bad").status_code for n in range(3)
            ]
            throttled = _attempt(client, tenant, tenant.admin_email, tenant.admin_password)
        assert codes == [401, 401, 401]
        assert throttled.status_code == 429
        assert throttled.json()["code"] == "too_many_login_attempts"
        assert throttled.headers["RateLimit-Limit"] == "3"
        assert throttled.headers["RateLimit-Remaining"] == "0"
        assert int(throttled.headers["Retry-After"]) > 0
        with make_client(clock, "10.20.30.41") as other:
            assert (
                _attempt(other, tenant, tenant.admin_email, tenant.admin_password).status_code
                == 200
            )
        clock.advance(minutes=10)
        with make_client(clock, "10.20.30.40") as client:
            assert (
                _attempt(client, tenant, tenant.admin_email, tenant.admin_password).status_code
                == 200
            )


class TestPasswordRules:
    def test_policy_and_history(self, database: Database, tenant: TenantInfo, clock: Clock) -> None:
        rules = PasswordRules(min_length=10, min_character_classes=3, history=3)
        with database.session() as session:
            user = session.get(User, tenant.admin.id)
            assert user is not None
            with pytest.raises(InvalidInput) as short:
                set_password(session, user, "Ab1-", rules, now=clock.now)
            assert (
                short.value.message("en")
                == "The password is too short; use at least 10 characters."
            )
            with pytest.raises(InvalidInput) as simple:
                set_password(session, user, "abcdefghijkl", rules, now=clock.now)
            assert simple.value.code == "password_too_simple"
            with pytest.raises(InvalidInput) as reused:
                set_password(session, user, tenant.admin_password, rules, now=clock.now)
            assert reused.value.message("zh-CN") == "新密码不能与最近 3 次使用过的密码相同。"
            for number in (1, 2):
                set_password(
                    session, user, f"Second-pass-{number}", rules, now=clock.advance(seconds=1)
                )
            with pytest.raises(InvalidInput):
                set_password(
                    session, user, tenant.admin_password, rules, now=clock.advance(seconds=1)
                )
            # A fourth password pushes the first out of the last three.
            set_password(session, user, "Second-pass-3", rules, now=clock.advance(seconds=1))
            set_password(session, user, tenant.admin_password, rules, now=clock.advance(seconds=1))
            assert verify_password(user.password_hash, tenant.admin_password)
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(PasswordHistory)
                    .where(PasswordHistory.user_id == user.id)
                )
                == 3
            )

    def test_change_password_api_ends_other_sessions(
        self, database: Database, tenant: TenantInfo, clock: Clock
    ) -> None:
        set_policy(database, tenant, password={"min_length": 12, "min_character_classes": 3})
        with make_client(clock) as client:
            token = admin_token(client, tenant)
            other = admin_token(client, tenant)
            weak = client.post(
                "/api/v1/auth/password",
                headers=bearer(token),
                json={"current_password": tenant.admin_password, "new_password": "short"},
            )
            assert (weak.status_code, weak.json()["code"]) == (400, "password_too_short")
            wrong = client.post(
                "/api/v1/auth/password",
                headers=bearer(token),
                json={"current_password": "nope", "new_password": "Brand-new-pass-1"},
            )
            assert (wrong.status_code, wrong.json()["code"]) == (400, "wrong_current_password")
            assert client.get("/api/v1/auth/me", headers=bearer(other)).status_code == 200
            done = client.post(
                "/api/v1/auth/password",
                headers=bearer(token),
                json={
                    "current_password": tenant.admin_password,
                    "new_password": "Brand-new-pass-1",
                },
            )
            assert done.status_code == 204
            assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200
            assert (
                client.get("/api/v1/auth/me", headers=bearer(other)).json()["code"]
                == "expired_token"
            )


def test_inactive_user_gets_the_generic_error(
    database: Database, tenant: TenantInfo, clock: Clock
) -> None:
    with make_client(clock) as client:
        token = admin_token(client, tenant)
        user_id = add_user(client, token, f"rep@{tenant.slug}.example.com")
        client.patch(f"/api/v1/users/{user_id}", json={"is_active": False}, headers=bearer(token))
        answer = _attempt(client, tenant, f"rep@{tenant.slug}.example.com", USER_PASSWORD)
    assert (answer.status_code, answer.json()["detail"]) == (
        401,
        "Tenant, email or password is incorrect.",
    )
