"""Helpers of the service-desk tests."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

from zhike.api.app import create_app

PASSWORD = "Zhike-service-test-2026"


def add_user(admin: TestClient, role: str) -> tuple[str, str]:
    """Create a user of ``role``; return its id and email."""
    email = f"{role}-{secrets.token_hex(3)}@example.com"
    response = admin.post(
        "/api/v1/users",
        json={"email": email, "display_name": f"{role} 用户", "password": PASSWORD, "role": role},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"]), email


@contextmanager
def login(tenant_slug: str, email: str) -> Iterator[TestClient]:
    with TestClient(create_app()) as client:
        response = client.post(
            "/api/v1/auth/login",
            json={"tenant": tenant_slug, "email": email, "password": PASSWORD},
        )
        assert response.status_code == 200, response.text
        client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        yield client


def add_policy(admin: TestClient, priority: str, first: int, resolution: int, **extra: Any) -> str:
    body = {
        "name": f"{priority} 标准",
        "priority": priority,
        "first_response_minutes": first,
        "resolution_minutes": resolution,
        **extra,
    }
    response = admin.post("/api/v1/service/sla/policies", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def intake(admin: TestClient, channel: str = "web_form", **values: Any) -> dict[str, Any]:
    body = {"subject": "无法登录账号", "description": "输入验证码后提示登录失败", **values}
    response = admin.post(f"/api/v1/service/intake/{channel}", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def publish_faq(client: TestClient, title: str, answer: str, similar: list[str]) -> str:
    created = client.post(
        "/api/v1/kb/articles",
        json={"kind": "faq", "title": title, "body": answer, "similar_questions": similar},
    )
    assert created.status_code == 201, created.text
    article_id: str = created.json()["id"]
    published = client.post(f"/api/v1/kb/articles/{article_id}/publish")
    assert published.status_code == 200, published.text
    return article_id
