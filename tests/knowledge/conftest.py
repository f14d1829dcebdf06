"""Fixtures of the knowledge-base tests: a second tenant's administrator."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from kb_support import PASSWORD

from zhike.api.app import create_app
from zhike.core.db import Database
from zhike.security.tenants import create_tenant


@pytest.fixture
def other_client(database: Database) -> Iterator[TestClient]:
    slug = f"k-{secrets.token_hex(5)}"
    email = f"admin@{slug}.example.com"
    with database.session() as session:
        create_tenant(session, slug, f"其他公司 {slug}", email, PASSWORD)
    with TestClient(create_app()) as client:
        login = client.post(
            "/api/v1/auth/login", json={"tenant": slug, "email": email, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield client
