"""Fixtures for the sales process tests: users of each sales role, logged in through the API."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from testkit import TenantInfo

from zhike.api.app import create_app

PASSWORD = "Zhike-sales-2026"


@pytest.fixture
def make_user(
    client: TestClient, tenant: TenantInfo
) -> Iterator[Callable[..., tuple[TestClient, str]]]:
    """Create a user with ``role`` (and optional manager) and return a client logged in as them."""
    opened: list[TestClient] = []

    def make(
        role: str, name: str = "销售", manager_id: str | None = None, team_id: str | None = None
    ) -> tuple[TestClient, str]:
        email = f"{role}-{secrets.token_hex(3)}@example.com"
        body: dict[str, Any] = {
            "email": email,
            "display_name": name,
            "password": PASSWORD,
            "role": role,
        }
        if manager_id:
            body["manager_id"] = manager_id
        if team_id:
            body["team_id"] = team_id
        created = client.post("/api/v1/users", json=body)
        assert created.status_code == 201, created.text
        user_client = TestClient(create_app())
        user_client.__enter__()
        opened.append(user_client)
        login = user_client.post(
            "/api/v1/auth/login", json={"tenant": tenant.slug, "email": email, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        user_client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        return user_client, str(created.json()["id"])

    yield make
    for user_client in opened:
        user_client.__exit__(None, None, None)


@pytest.fixture
def team_id(client: TestClient) -> str:
    """A sales team, so that a manager's department scope covers its reps."""
    response = client.post("/api/v1/teams", json={"name": f"华东销售部 {secrets.token_hex(2)}"})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])
