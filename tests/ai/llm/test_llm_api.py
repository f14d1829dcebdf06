"""Administration endpoints of the LLM gateway: providers, policy and usage."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from zhike.ai.llm.models import LLMPolicy, LLMProvider, LLMUsage
from zhike.core.db import Database
from zhike.security.auth import hash_password
from zhike.security.models import User

PROVIDER = {
    "name": "deepseek",
    "base_url": "https://api.deepseek.com/v1",
    "chat_model": "deepseek-chat",
    "api_key": "sk-live-secret-key-9876",
    "monthly_budget": "500.00",
}


def login_as_sales_rep(client: TestClient, database: Database, tenant) -> dict[str, str]:
    with database.session() as session:
        session.add(
            User(
                tenant_id=tenant.tenant.id,
                email=f"rep@{tenant.slug}.example.com",
                display_name="销售代表",
                password_hash=hash_password("Rep-password-2026"),
                role="sales_rep",
            )
        )
    response = client.post(
        "/api/v1/auth/login",
        json={
            "tenant": tenant.slug,
            "email": f"rep@{tenant.slug}.example.com",
            "password": "Rep-password-2026",
        },
        headers={"Authorization": ""},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def count_providers(database: Database, tenant) -> int:
    with database.session() as session:
        return (
            session.scalar(
                select(func.count(LLMProvider.id)).where(LLMProvider.tenant_id == tenant.tenant.id)
            )
            or 0
        )


def test_providers_keep_the_key_write_only(client: TestClient, database: Database, tenant) -> None:
    created = client.post("/api/v1/llm/providers", json=PROVIDER)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["api_key"] == "****9876"
    assert "sk-live-secret-key" not in created.text
    with database.session() as session:
        row = session.scalars(
            select(LLMProvider).where(LLMProvider.tenant_id == tenant.tenant.id)
        ).one()
        assert row.api_key_encrypted is not None
        assert "secret" not in row.api_key_encrypted

    listed = client.get("/api/v1/llm/providers")
    assert listed.status_code == 200
    assert [item["name"] for item in listed.json()] == ["deepseek"]
    assert "sk-live-secret-key" not in listed.text

    patched = client.patch(
        f"/api/v1/llm/providers/{body['id']}", json={"api_key": "", "priority": 5}
    )
    assert patched.status_code == 200
    assert (patched.json()["api_key"], patched.json()["priority"]) == (None, 5)

    duplicate = client.post("/api/v1/llm/providers", json=PROVIDER)
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "llm_provider_exists")
    assert count_providers(database, tenant) == 1


def test_only_administrators_reach_the_llm_endpoints(
    client: TestClient, database: Database, tenant
) -> None:
    rep = login_as_sales_rep(client, database, tenant)
    for method, path, payload in (
        ("GET", "/api/v1/llm/providers", None),
        ("POST", "/api/v1/llm/providers", PROVIDER),
        ("GET", "/api/v1/llm/policy", None),
        ("PUT", "/api/v1/llm/policy", {"allow_external": True}),
        ("GET", "/api/v1/llm/usage", None),
    ):
        anonymous = client.request(method, path, json=payload, headers={"Authorization": ""})
        assert anonymous.status_code == 401, path
        denied = client.request(method, path, json=payload, headers=rep)
        assert (denied.status_code, denied.json()["code"]) == (403, "forbidden"), path
    assert count_providers(database, tenant) == 0
    with database.session() as session:
        assert (
            session.scalar(
                select(func.count(LLMPolicy.id)).where(LLMPolicy.tenant_id == tenant.tenant.id)
            )
            == 0
        )


def test_policy_default_and_replace(client: TestClient) -> None:
    default = client.get("/api/v1/llm/policy")
    assert default.json() == {
        "allow_external": False,
        "external_purposes": [],
        "highly_sensitive_route": "private_or_local",
        "redact_company_names": False,
        "fallback_to_local": True,
        "cache_seconds": 3600,
        "monthly_budget": None,
    }
    wanted = {
        **default.json(),
        "allow_external": True,
        "external_purposes": ["summary"],
        "monthly_budget": "100.00",
    }
    assert client.put("/api/v1/llm/policy", json=wanted).json() == wanted
    assert client.get("/api/v1/llm/policy").json() == wanted
    invalid = client.put("/api/v1/llm/policy", json={**wanted, "external_purposes": ["poetry"]})
    assert invalid.status_code == 422
    assert client.get("/api/v1/llm/policy").json() == wanted


def test_usage_is_reported_per_provider_and_feature(
    client: TestClient, database: Database, tenant
) -> None:
    from decimal import Decimal

    with database.session() as session:
        for hit in (False, True):
            session.add(
                LLMUsage(
                    tenant_id=tenant.tenant.id,
                    user_id=tenant.admin.id,
                    feature="summary",
                    provider_name="deepseek",
                    prompt_tokens=0 if hit else 100,
                    completion_tokens=0 if hit else 20,
                    latency_ms=0 if hit else 300,
                    cost=Decimal("0") if hit else Decimal("0.000360"),
                    is_cache_hit=hit,
                )
            )
    report = client.get("/api/v1/llm/usage").json()
    assert report["total_calls"] == 2
    assert report["rows"] == [
        {
            "provider_name": "deepseek",
            "feature": "summary",
            "user_id": str(tenant.admin.id),
            "calls": 2,
            "cache_hits": 1,
            "failures": 0,
            "prompt_tokens": 100,
            "completion_tokens": 20,
            "cost": "0.000360",
            "average_latency_ms": 150,
        }
    ]
