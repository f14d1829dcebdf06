"""Helpers of the knowledge-base tests."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient

from zhike.api.app import create_app

PASSWORD = "Zhike-kb-test-2026"


@contextmanager
def user_client(admin: TestClient, tenant_slug: str, role: str) -> Iterator[TestClient]:
    """A client logged in as a new user of ``role`` in the admin's tenant."""
    email = f"{role}-{secrets.token_hex(3)}@example.com"
    response = admin.post(
        "/api/v1/users",
        json={"email": email, "display_name": "测试用户", "password": PASSWORD, "role": role},
    )
    assert response.status_code == 201, response.text
    with TestClient(create_app()) as client:
        login = client.post(
            "/api/v1/auth/login",
            json={"tenant": tenant_slug, "email": email, "password": PASSWORD},
        )
        assert login.status_code == 200, login.text
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield client


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
