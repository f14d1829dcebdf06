"""Client addresses behind proxies, per-tenant IP allow-lists, and rate limits."""

from __future__ import annotations

import secrets

import pytest
from auth_helpers import (  # noqa: F401 (fixtures)
    Clock,
    admin_token,
    bearer,
    clock_fixture,
    fresh_limiter_fixture,
    make_client,
    set_policy,
    settings_env_fixture,
)
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.settings import reset_settings_cache
from zhike.security.ipallow import client_ip, ip_allowed
from zhike.security.ratelimit import MemoryStore, RateLimiter, RedisStore

REDIS_URL = "redis://127.0.0.1:6379/15"


def test_client_ip_believes_only_trusted_proxies() -> None:
    headers = {"x-forwarded-for": "198.51.100.7, 10.0.0.5"}
    assert client_ip("203.0.113.9", headers, []) == "203.0.113.9"
    assert client_ip("203.0.113.9", headers, ["10.0.0.0/8"]) == "203.0.113.9"
    assert client_ip("10.0.0.1", headers, ["10.0.0.0/8"]) == "198.51.100.7"
    assert client_ip("10.0.0.1", {"x-forwarded-for": "junk"}, ["10.0.0.0/8"]) == "10.0.0.1"
    assert ip_allowed("2001:db8::5", ["2001:db8::/32"])
    assert not ip_allowed("2001:db9::5", ["2001:db8::/32", "192.0.2.0/24"])
    assert ip_allowed("::ffff:192.0.2.8", ["192.0.2.0/24"])
    assert ip_allowed("192.0.2.8", [])


def test_user_and_api_allow_lists(database: Database, tenant: TenantInfo, clock: Clock) -> None:
    with make_client(clock, "192.0.2.10") as office:
        admin = admin_token(office, tenant)
        shut_out = office.put(
            "/api/v1/auth/policy",
            json={"ip_allowlist_users": ["198.51.100.0/24"]},
            headers=bearer(admin),
        )
        assert (shut_out.status_code, shut_out.json()["code"]) == (409, "ip_allowlist_excludes_you")
        saved = office.put(
            "/api/v1/auth/policy",
            json={
                "ip_allowlist_users": ["192.0.2.0/24", "2001:db8::/32"],
                "ip_allowlist_api": ["203.0.113.0/24"],
            },
            headers=bearer(admin),
        )
        assert saved.status_code == 200, saved.text
        key = office.post(
            "/api/v1/api-keys",
            json={"name": "k", "scopes": {"products": {"actions": ["read"]}}},
            headers=bearer(admin),
        ).json()
        assert office.get("/api/v1/auth/me", headers=bearer(admin)).status_code == 200
        assert (
            office.get("/api/v1/products", headers=bearer(key["secret"])).json()["code"]
            == "ip_not_allowed"
        )
    with make_client(clock, "10.1.2.3") as outside:
        stolen = outside.get("/api/v1/auth/me", headers=bearer(admin))
        assert (stolen.status_code, stolen.json()["code"]) == (403, "ip_not_allowed")
        assert (
            stolen.json()["detail"]
            == "本租户的 IP 白名单不允许来自 10.1.2.3 的访问，请联系管理员。"
        )
        refused = outside.post(
            "/api/v1/auth/login",
            json={
                "tenant": tenant.slug,
                "email": tenant.admin_email,
                "password": tenant.admin_password,
            },
        )
        assert refused.status_code == 403
    with make_client(clock, "2001:db8::7") as v6:
        assert v6.get("/api/v1/auth/me", headers=bearer(admin)).status_code == 200
    with make_client(clock, "203.0.113.50") as server:
        assert server.get("/api/v1/products", headers=bearer(key["secret"])).status_code == 200
        assert server.get("/api/v1/auth/me", headers=bearer(admin)).status_code == 403


def test_rate_limit_headers_and_reset(database: Database, tenant: TenantInfo, clock: Clock) -> None:
    set_policy(database, tenant, rate_limits={"user": 3})
    with make_client(clock) as client:
        token = admin_token(client, tenant)
        answers = [client.get("/api/v1/auth/me", headers=bearer(token)) for _ in range(4)]
        assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
        assert [answer.headers["RateLimit-Remaining"] for answer in answers] == ["2", "1", "0", "0"]
        assert answers[0].headers["RateLimit-Limit"] == "3"
        assert answers[0].headers["RateLimit-Reset"] == "55"
        assert answers[3].headers["Retry-After"] == "55"
        assert answers[3].json()["code"] == "rate_limited"
        created = client.post("/api/v1/accounts", json={"name": "超限公司"}, headers=bearer(token))
        assert created.status_code == 429
        clock.advance(seconds=55)
        assert client.get("/api/v1/accounts", headers=bearer(token)).json()["items"] == []


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest) -> RateLimiter:
    if request.param == "memory":
        return RateLimiter(MemoryStore())
    store = RedisStore(REDIS_URL, prefix=f"zhike-test:{secrets.token_hex(4)}:")
    try:
        store.peek("probe", 0)
    except Exception as error:  # any connection failure means no Redis here
        pytest.skip(f"Redis leg skipped: no server at {REDIS_URL} ({error})")
    return RateLimiter(store)


def test_limiter_windows(limiter: RateLimiter, clock: Clock) -> None:
    results = [limiter.hit("tenant:x", 2, clock.now) for _ in range(3)]
    assert [(result.allowed, result.remaining) for result in results] == [
        (True, 1),
        (True, 0),
        (False, 0),
    ]
    assert results[2].headers() == {
        "RateLimit-Limit": "2",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "55",
        "Retry-After": "55",
    }
    assert not limiter.exceeded("tenant:x", 2, clock.now).allowed
    clock.advance(seconds=55)
    assert limiter.hit("tenant:x", 2, clock.now).allowed
    limiter.store.reset("tenant:x")
    assert limiter.exceeded("tenant:x", 1, clock.now).allowed


def test_redis_url_setting_selects_redis(settings_env: pytest.MonkeyPatch) -> None:
    from zhike.security import ratelimit

    settings_env.setenv("ZHIKE_REDIS_URL", REDIS_URL)
    reset_settings_cache()
    ratelimit.set_rate_limiter(None)
    assert isinstance(ratelimit.get_rate_limiter().store, RedisStore)
