"""Fixtures for the CRM object, timeline and admin API tests: a second tenant and a plain user."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from zhike.api.app import create_app
from zhike.core.db import Database
from zhike.security.tenants import create_tenant

PASSWORD = "Zhike-other-2026"


def logged_in(slug: str, email: str, password: str) -> TestClient:
    test_client = TestClient(create_app())
    response = test_client.post(
        "/api/v1/auth/login", json={"tenant": slug, "email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    test_client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return test_client


@pytest.fixture
def other_client(database: Database) -> Iterator[TestClient]:
    """The administrator of a second tenant, to prove that tenants never see each other."""
    slug = f"o-{secrets.token_hex(5)}"
    email = f"admin@{slug}.example.com"
    with database.session() as session:
        create_tenant(session, slug, f"其他公司 {slug}", email, PASSWORD)
    with logged_in(slug, email, PASSWORD) as test_client:
        yield test_client


@pytest.fixture
def rep_client(client: TestClient, tenant: object) -> Iterator[TestClient]:
    """A sales rep of the same tenant as ``client``, created through the admin API."""
    email = f"rep-{secrets.token_hex(3)}@example.com"
    response = client.post(
        "/api/v1/users",
        json={"email": email, "display_name": "王销售", "password": PASSWORD, "role": "sales_rep"},
    )
    assert response.status_code == 201, response.text
    with logged_in(tenant.slug, email, PASSWORD) as test_client:  # type: ignore[attr-defined]
        yield test_client
