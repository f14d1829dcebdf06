"""Fixtures for access tests: an org chart of teams and users, each with a logged-in client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from zhike.api.app import create_app

PASSWORD = "Org-chart-2026"


@dataclass
class Org:
    admin: TestClient
    teams: dict[str, str] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    clients: dict[str, TestClient] = field(default_factory=dict)


def _login(tenant: Any, email: str) -> TestClient:
    client = TestClient(create_app())
    response = client.post(
        "/api/v1/auth/login", json={"tenant": tenant.slug, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return client


@pytest.fixture
def org(client: TestClient, tenant: Any) -> Iterator[Org]:
    """华东 sales with a 上海 sub-team, a 华北 team, and one user per role.

    Users: director (sales_director), east_manager (sales_manager of 华东),
    shanghai_rep and east_rep (sales_rep in 上海 and 华东), north_rep (sales_rep
    in 华北), analyst, service (service_agent), auditor.
    """
    org = Org(admin=client)
    east = client.post("/api/v1/teams", json={"name": "华东销售部"}).json()["id"]
    shanghai = client.post("/api/v1/teams", json={"name": "上海组", "parent_id": east}).json()["id"]
    north = client.post("/api/v1/teams", json={"name": "华北销售部"}).json()["id"]
    org.teams = {"east": east, "shanghai": shanghai, "north": north}
    people = {
        "director": ("sales_director", None),
        "east_manager": ("sales_manager", east),
        "shanghai_rep": ("sales_rep", shanghai),
        "east_rep": ("sales_rep", east),
        "north_rep": ("sales_rep", north),
        "analyst": ("analyst", None),
        "service": ("service_agent", None),
        "auditor": ("auditor", None),
    }
    for name, (role, team) in people.items():
        email = f"{name}@{tenant.slug}.example.com"
        response = client.post(
            "/api/v1/users",
            json={
                "email": email,
                "display_name": name,
                "password": PASSWORD,
                "role": role,
                "team_id": team,
            },
        )
        assert response.status_code == 201, response.text
        org.users[name] = response.json()["id"]
        org.clients[name] = _login(tenant, email)
    yield org
    for test_client in org.clients.values():
        test_client.close()
