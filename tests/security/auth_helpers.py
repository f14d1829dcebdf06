"""Fixtures and helpers for the authentication tests: a clock the tests move, logins, users.

Test modules import the fixtures they use from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from zhike.api.app import create_app
from zhike.core.db import Database
from zhike.core.settings import reset_settings_cache
from zhike.security.models import Tenant
from zhike.security.ratelimit import MemoryStore, RateLimiter, set_rate_limiter

if TYPE_CHECKING:
    from testkit import TenantInfo

USER_PASSWORD = "Sales-pass-2026"


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(name="clock")
def clock_fixture() -> Clock:
    # Far from a minute boundary, so a window does not roll over by accident.
    return Clock(datetime.now(UTC).replace(second=5, microsecond=0) + timedelta(minutes=1))


@pytest.fixture(name="fresh_limiter", autouse=True)
def fresh_limiter_fixture() -> Iterator[RateLimiter]:
    """Every test counts from zero in memory, whatever ZHIKE_REDIS_URL says."""
    limiter = RateLimiter(MemoryStore())
    set_rate_limiter(limiter)
    yield limiter
    set_rate_limiter(None)


@pytest.fixture(name="settings_env")
def settings_env_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set ZHIKE_* variables for one test; the settings are read again on entry and exit."""
    reset_settings_cache()
    yield monkeypatch
    monkeypatch.undo()
    reset_settings_cache()


def make_client(clock: Clock, address: str = "testclient", https: bool = False) -> TestClient:
    app = create_app()
    app.state.clock = clock
    return TestClient(
        app, client=(address, 5000), base_url="https://testserver" if https else "http://testserver"
    )


def login(
    client: TestClient, tenant: TenantInfo, email: str, password: str, **extra: str
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant": tenant.slug, "email": email, "password": password, **extra},
    )
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def admin_token(client: TestClient, tenant: TenantInfo) -> str:
    return login(client, tenant, tenant.admin_email, tenant.admin_password)["access_token"]


def add_user(client: TestClient, token: str, email: str, role: str = "sales_rep") -> str:
    response = client.post(
        "/api/v1/users",
        json={
            "email": email,
            "display_name": email.split("@")[0],
            "password": USER_PASSWORD,
            "role": role,
        },
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def set_policy(database: Database, tenant: TenantInfo, **policy: object) -> None:
    with database.session() as session:
        row = session.get(Tenant, tenant.tenant.id)
        assert row is not None
        row.settings = {**(row.settings or {}), "security": policy}
