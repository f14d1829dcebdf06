"""GET /auth/me object_actions: the object grants the web client hides screens by.

The list must agree with what the API enforces, so these tests compare it with the
status of real requests, and check that a 403 names the object and action in words.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from fastapi.testclient import TestClient

from zhike.security.roles import ACTIONS, ALL_OBJECTS

PASSWORD = "Zhike-user-2026"
REP_OBJECT_ACTIONS = [
    {"object": "accounts", "actions": ["create", "read", "update"]},
    {"object": "contacts", "actions": ["create", "read", "update"]},
    {"object": "leads", "actions": ["create", "read", "update"]},
    {"object": "opportunities", "actions": ["create", "read", "update"]},
    {"object": "activities", "actions": ["create", "read", "update", "delete"]},
    {"object": "tickets", "actions": ["read"]},
    {"object": "campaigns", "actions": ["read"]},
    {"object": "quotes", "actions": ["create", "read", "update"]},
    {"object": "contracts", "actions": ["create", "read", "update"]},
    {"object": "approval_requests", "actions": ["create", "read"]},
    {"object": "agent_runs", "actions": ["create", "read", "update"]},
    {"object": "products", "actions": ["read"]},
    {"object": "kb_articles", "actions": ["read"]},
    {"object": "consents", "actions": ["create", "read"]},
    {"object": "sales_pools", "actions": ["read"]},
    {"object": "sales_processes", "actions": ["read"]},
    {"object": "price_books", "actions": ["read"]},
    {"object": "payments", "actions": ["read"]},
    {"object": "rep_insight", "actions": ["read"]},
    {"object": "duplicate_candidates", "actions": ["read", "update"]},
]


def _listed(client: TestClient) -> dict[str, list[str]]:
    body = client.get("/api/v1/auth/me").json()
    return {entry["object"]: entry["actions"] for entry in body["object_actions"]}


def test_me_lists_every_action_for_administrator(client: TestClient) -> None:
    body = client.get("/api/v1/auth/me").json()

    assert [entry["object"] for entry in body["object_actions"]] == list(ALL_OBJECTS)
    for entry in body["object_actions"]:
        assert entry["actions"] == list(ACTIONS), entry["object"]


def test_me_lists_rep_object_actions(rep_client: TestClient) -> None:
    body = rep_client.get("/api/v1/auth/me").json()

    assert body["object_actions"] == REP_OBJECT_ACTIONS
    assert body["permissions"] == []


def test_me_matches_enforced_reads(rep_client: TestClient) -> None:
    listed = _listed(rep_client)
    # Each endpoint first checks read on the object it maps to.
    endpoints = {
        "/api/v1/sales/pools": "sales_pools",
        "/api/v1/sales/assignment-rules": "assignment_rules",
        "/api/v1/sales/lead-forms": "lead_forms",
        "/api/v1/marketing/segments": "segments",
        "/api/v1/marketing/journeys": "journeys",
        "/api/v1/accounts": "accounts",
    }

    for path, object_name in endpoints.items():
        status = rep_client.get(path).status_code
        may_read = "read" in listed.get(object_name, [])
        assert status == (200 if may_read else 403), path
    assert "read" in listed["sales_pools"]
    assert "assignment_rules" not in listed


def test_me_follows_custom_role(client: TestClient, tenant: Any) -> None:
    role = {
        "name_zh": "活动助理",
        "name_en": "Campaign assistant",
        "objects": {
            "campaigns": {"actions": ["read", "export"], "scope": "company"},
            "segments": {"actions": [], "scope": "company"},
        },
    }
    assert client.put("/api/v1/roles/campaign_assistant", json=role).status_code == 200
    email = "assistant@example.com"
    body = {"email": email, "display_name": "助理", "password": PASSWORD}
    created = client.post("/api/v1/users", json={**body, "role": "campaign_assistant"})
    assert created.status_code == 201, created.text

    with TestClient(client.app) as assistant:
        login = assistant.post(
            "/api/v1/auth/login", json={"tenant": tenant.slug, "email": email, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        assistant.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        me = assistant.get("/api/v1/auth/me").json()
        segments = assistant.get("/api/v1/marketing/segments")

    # An object whose grant contains no action is left out, because require() rejects it.
    assert me["object_actions"] == [{"object": "campaigns", "actions": ["read", "export"]}]
    assert segments.status_code == 403


def test_forbidden_detail_names_object_and_action(rep_client: TestClient) -> None:
    chinese = rep_client.get("/api/v1/sales/assignment-rules", headers={"Accept-Language": "zh-CN"})
    english = rep_client.get("/api/v1/sales/assignment-rules", headers={"Accept-Language": "en"})

    assert chinese.status_code == 403
    assert chinese.json()["code"] == "action_forbidden"
    assert chinese.json()["detail"] == "您的角色没有查看分配规则的权限，请联系管理员。"
    assert english.json()["code"] == "action_forbidden"
    assert (
        english.json()["detail"]
        == "Your role may not read assignment rules; ask your administrator."
    )


def test_access_labels_cover_every_object_and_action() -> None:
    folder = resources.files("zhike.core").joinpath("locales")
    for locale in ("zh-CN", "en"):
        labels = json.loads(folder.joinpath(locale, "access.json").read_text("utf-8"))["access"]
        assert set(ALL_OBJECTS) <= set(labels["object"]), locale
        assert set(ACTIONS) <= set(labels["action"]), locale
