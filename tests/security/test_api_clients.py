"""API keys and OAuth client credentials: scopes, field allow-lists, expiry and revocation."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta

from auth_helpers import (  # noqa: F401 (fixtures)
    Clock,
    admin_token,
    bearer,
    clock_fixture,
    fresh_limiter_fixture,
    make_client,
)
from fastapi.testclient import TestClient
from sqlalchemy import select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.platform.objects import get_object
from zhike.platform.records import RecordService
from zhike.security.api_keys import resolve_api_key
from zhike.security.models import ApiClient

SCOPES = {
    "accounts": {"actions": ["read", "create"], "fields": ["name", "city"]},
    "products": {"actions": ["read"]},
}


def _create(client: TestClient, token: str, path: str = "api-keys", **extra: object) -> dict:  # type: ignore[type-arg]
    response = client.post(
        f"/api/v1/{path}",
        json={"name": "ERP 同步", "scopes": SCOPES, **extra},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_api_key_scopes_and_fields(database: Database, tenant: TenantInfo, clock: Clock) -> None:
    with make_client(clock) as client:
        admin = admin_token(client, tenant)
        created = client.post(
            "/api/v1/accounts",
            json={"name": "杭州知客", "city": "杭州", "phone": "13800138000"},
            headers=bearer(admin),
        )
        assert created.status_code == 201
        key = _create(client, admin)
        secret = key["secret"]
        assert secret.startswith(f"zk_{key['client_id']}_")

        listed = client.get("/api/v1/accounts", headers=bearer(secret))
        assert listed.status_code == 200
        assert [item["name"] for item in listed.json()["items"]] == ["杭州知客"]
        # Fields outside the key's allow-list are absent from every answer, not just masked.
        assert "phone" not in listed.json()["items"][0]
        assert listed.json()["items"][0]["city"] == "杭州"
        single = client.get(f"/api/v1/accounts/{created.json()['id']}", headers=bearer(secret))
        assert "phone" not in single.json()
        made = client.post("/api/v1/accounts", json={"name": "接口新建"}, headers=bearer(secret))
        assert made.status_code == 201, made.text
        hidden_write = client.post(
            "/api/v1/accounts",
            json={"name": "写隐藏字段", "phone": "13900139000"},
            headers=bearer(secret),
        )
        assert hidden_write.status_code == 422
        assert (
            client.delete(
                f"/api/v1/accounts/{created.json()['id']}", headers=bearer(secret)
            ).status_code
            == 403
        )
        assert client.get("/api/v1/contacts", headers=bearer(secret)).status_code == 403
        assert client.get("/api/v1/users", headers=bearer(secret)).status_code in (200, 403)
        assert (
            client.post(
                "/api/v1/api-keys", json={"name": "x", "scopes": SCOPES}, headers=bearer(secret)
            ).status_code
            == 403
        )

        keys = client.get("/api/v1/api-keys", headers=bearer(admin)).json()["items"]
        assert [row["client_id"] for row in keys] == [key["client_id"]]
        assert "secret" not in keys[0]
        assert keys[0]["last_used_at"] is not None
        events = client.get(
            "/api/v1/audit/events?action=api_key.use", headers=bearer(admin)
        ).json()["items"]
        assert len(events) == 1

        secret_for_fields = _create(client, admin)["secret"]
        assert (
            client.delete(f"/api/v1/api-keys/{key['id']}", headers=bearer(admin)).status_code == 204
        )
        revoked = client.get("/api/v1/accounts", headers=bearer(secret))
        assert (revoked.status_code, revoked.json()["code"]) == (401, "expired_api_key")
        wrong = client.get("/api/v1/accounts", headers=bearer(secret[:-2] + "xx"))
        assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_api_key")
    with database.session() as session:
        actor, _ = resolve_api_key(session, secret_for_fields, now=clock.now)
        service = RecordService(session, actor, get_object("accounts"))
        shown = service.present(service.get(uuid.UUID(created.json()["id"])))
        assert (shown["name"], shown["city"], shown["id"]) == (
            "杭州知客",
            "杭州",
            created.json()["id"],
        )
        assert "phone" not in shown
        assert "owner_id" not in shown
        stored = session.scalar(select(ApiClient).where(ApiClient.id == uuid.UUID(key["id"])))
        assert stored is not None
        assert secret not in stored.secret_hash
        assert len(stored.secret_hash) == 64


def test_expiry_and_invalid_scopes(database: Database, tenant: TenantInfo, clock: Clock) -> None:
    with make_client(clock) as client:
        admin = admin_token(client, tenant)
        key = _create(client, admin, expires_at=(clock.now + timedelta(hours=1)).isoformat())
        assert client.get("/api/v1/products", headers=bearer(key["secret"])).status_code == 200
        clock.advance(hours=1)
        expired = client.get("/api/v1/products", headers=bearer(key["secret"]))
        assert (expired.status_code, expired.json()["code"]) == (401, "expired_api_key")
        bad = client.post(
            "/api/v1/api-keys",
            json={
                "name": "坏",
                "scopes": {
                    "planets": {"actions": ["read"]},
                    "accounts": {"actions": ["fly"]},
                    "leads": {"actions": ["read"], "fields": ["nope"]},
                },
            },
            headers=bearer(admin),
        )
        assert bad.status_code == 422
        assert sorted(error["code"] for error in bad.json()["errors"]) == [
            "invalid_scope_definition",
            "unknown_fields",
            "unknown_scope_object",
        ]
        assert len(client.get("/api/v1/api-keys", headers=bearer(admin)).json()["items"]) == 1


def test_oauth_client_credentials(database: Database, tenant: TenantInfo, clock: Clock) -> None:
    with make_client(clock) as client:
        admin = admin_token(client, tenant)
        app = _create(client, admin, path="oauth/clients")
        basic = base64.b64encode(f"{app['client_id']}:{app['secret']}".encode()).decode()
        issued = client.post(
            "/api/v1/oauth/token",
            data={"grant_type": "client_credentials", "scope": "products:read"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert issued.status_code == 200, issued.text
        body = issued.json()
        assert (body["token_type"], body["expires_in"], body["scope"]) == (
            "Bearer",
            900,
            "products:read",
        )
        assert issued.headers["Cache-Control"] == "no-store"
        token = body["access_token"]
        assert client.get("/api/v1/products", headers=bearer(token)).status_code == 200
        # Narrowed to products: the client's account scope is not in this token.
        assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 403

        form = client.post(
            "/api/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": app["client_id"],
                "client_secret": app["secret"],
            },
        )
        assert form.json()["scope"] == "accounts:create accounts:read products:read"
        assert (
            client.get("/api/v1/accounts", headers=bearer(form.json()["access_token"])).status_code
            == 200
        )

        bad_secret = client.post(
            "/api/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": app["client_id"],
                "client_secret": app["secret"] + "x",
            },
        )
        assert (bad_secret.status_code, bad_secret.json()["error"]) == (401, "invalid_client")
        grant = client.post(
            "/api/v1/oauth/token",
            data={"grant_type": "password"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")
        scope = client.post(
            "/api/v1/oauth/token",
            data={"grant_type": "client_credentials", "scope": "contacts:read"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert (scope.status_code, scope.json()["error"]) == (400, "invalid_scope")
        # An API key is not a client secret, and a client secret is not a bearer credential.
        assert client.get("/api/v1/products", headers=bearer(app["secret"])).status_code == 401

        clock.advance(minutes=15)
        assert (
            client.get("/api/v1/products", headers=bearer(token)).json()["code"] == "expired_token"
        )
