"""Fixtures for the lead and pool tests: sales reps of the test tenant and a way to log them in."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from testkit import TenantInfo

from zhike.api.app import create_app
from zhike.core.db import Database
from zhike.security.auth import actor_for, hash_password
from zhike.security.context import Actor
from zhike.security.models import User

REP_PASSWORD = "Zhike-rep-2026"


@pytest.fixture
def make_user(database: Database, tenant: TenantInfo) -> Callable[..., User]:
    def make(role: str = "sales_rep", name: str | None = None) -> User:
        label = name or f"rep-{secrets.token_hex(3)}"
        with database.session() as session:
            user = User(
                tenant_id=tenant.tenant.id,
                email=f"{label}@{tenant.slug}.example.com",
                display_name=label,
                role=role,
                password_hash=hash_password(REP_PASSWORD),
            )
            session.add(user)
        return user

    return make


@pytest.fixture
def actor_of(tenant: TenantInfo) -> Callable[[User], Actor]:
    return lambda user: actor_for(tenant.tenant, user)


@pytest.fixture
def login(tenant: TenantInfo) -> Iterator[Callable[[User], TestClient]]:
    clients: list[TestClient] = []

    def log_in(user: User) -> TestClient:
        test_client = TestClient(create_app())
        response = test_client.post(
            "/api/v1/auth/login",
            json={"tenant": tenant.slug, "email": user.email, "password": REP_PASSWORD},
        )
        assert response.status_code == 200, response.text
        test_client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        clients.append(test_client)
        return test_client

    yield log_in
    for test_client in clients:
        test_client.close()
