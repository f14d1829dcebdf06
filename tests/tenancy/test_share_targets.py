"""The share target directory and the role check of sharing rules."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from zhike.core.db import Database
from zhike.security.models import SharingRule
from zhike.security.tenants import create_tenant

TARGETS = "/api/v1/sharing/targets"
ALLOWED_KEYS = {"kind", "id", "name", "team_name", "parent_id"}


def _targets(client: TestClient, **params: Any) -> Any:
    response = client.get(TARGETS, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _names(client: TestClient, **params: Any) -> list[str]:
    return [item["name"] for item in _targets(client, **params)["items"]]


def test_sales_rep_lists_users_without_personal_data(org: Any) -> None:
    body = _targets(org.clients["north_rep"], kind="user", limit=200)

    by_name = {item["name"]: item for item in body["items"]}
    assert list(by_name) == [
        "admin",
        "analyst",
        "auditor",
        "director",
        "east_manager",
        "east_rep",
        "north_rep",
        "service",
        "shanghai_rep",
    ]
    assert body["next_offset"] is None
    assert all(set(item) == ALLOWED_KEYS for item in body["items"])
    assert all(item["kind"] == "user" for item in body["items"])
    assert by_name["east_rep"]["id"] == org.users["east_rep"]
    assert by_name["east_rep"]["team_name"] == "华东销售部"
    assert by_name["shanghai_rep"]["team_name"] == "上海组"
    assert by_name["analyst"]["team_name"] is None
    assert by_name["east_rep"]["parent_id"] is None
    raw = org.clients["north_rep"].get(TARGETS, params={"kind": "user"}).text
    assert "@" not in raw
    assert "example.com" not in raw


def test_inactive_users_are_left_out(org: Any) -> None:
    deactivated = org.admin.patch(
        f"/api/v1/users/{org.users['east_rep']}", json={"is_active": False}
    )
    assert deactivated.status_code == 200, deactivated.text

    names = _names(org.clients["north_rep"], kind="user", limit=200)
    by_id = _targets(org.clients["north_rep"], kind="user", id=org.users["east_rep"])

    assert "east_rep" not in names
    assert "shanghai_rep" in names
    assert by_id["items"] == []


def test_share_rejects_deactivated_user(org: Any) -> None:
    created = org.admin.post(
        "/api/v1/contacts", json={"name": "共享客户", "owner_id": org.users["north_rep"]}
    )
    assert created.status_code == 201, created.text
    record_id = created.json()["id"]
    org.admin.patch(f"/api/v1/users/{org.users['east_rep']}", json={"is_active": False})

    response = org.clients["north_rep"].post(
        f"/api/v1/contacts/{record_id}/shares", json={"user_id": org.users["east_rep"]}
    )
    listed = org.clients["north_rep"].get(f"/api/v1/contacts/{record_id}/shares")

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "user_inactive"
    assert org.users["east_rep"] in response.json()["detail"]
    assert listed.status_code == 200, listed.text
    assert listed.json() == [] or listed.json().get("items") == []


def test_other_tenants_never_appear(org: Any, database: Database) -> None:
    slug = f"t-{secrets.token_hex(5)}"
    with database.session() as session:
        _, other_admin = create_tenant(
            session, slug, "另一家公司", f"east_rep@{slug}.example.com", "Other-tenant-2026"
        )
        other_admin_id = str(other_admin.id)
    rep = org.clients["north_rep"]

    searched = _names(rep, kind="user", q="east_rep")
    by_id = _targets(rep, kind="user", id=other_admin_id)
    teams = _names(rep, kind="team", limit=200)

    assert searched == ["east_rep"]
    assert by_id["items"] == []
    assert other_admin_id not in {item["id"] for item in _targets(rep, kind="user")["items"]}
    assert teams == ["上海组", "华东销售部", "华北销售部"]


def test_search_matches_names_and_team_names(org: Any) -> None:
    rep = org.clients["north_rep"]

    assert _names(rep, kind="user", q="REP") == ["east_rep", "north_rep", "shanghai_rep"]
    assert _names(rep, kind="user", q="华东") == ["east_manager", "east_rep"]
    assert _names(rep, kind="user", q="%") == []
    assert _names(rep, kind="user", q="_rep") == ["east_rep", "north_rep", "shanghai_rep"]
    assert _names(rep, kind="team", q="华") == ["华东销售部", "华北销售部"]
    assert _names(rep, kind="role", q="销售") == ["销售总监", "销售经理", "销售代表"]
    assert _names(rep, kind="role", q="sales_rep") == ["销售代表"]


def test_pages_follow_next_offset(org: Any) -> None:
    rep = org.clients["north_rep"]
    names: list[str] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        body = _targets(rep, kind="user", limit=4, offset=offset)
        assert len(body["items"]) <= 4
        names.extend(item["name"] for item in body["items"])
        offset = body["next_offset"]
        pages += 1

    assert pages == 3
    assert names == _names(rep, kind="user", limit=200)
    assert _targets(rep, kind="role", limit=3)["next_offset"] == 3


def test_teams_carry_their_parent(org: Any) -> None:
    teams = {item["name"]: item for item in _targets(org.clients["east_rep"], kind="team")["items"]}

    assert teams["上海组"]["parent_id"] == org.teams["east"]
    assert teams["华东销售部"]["parent_id"] is None
    assert teams["上海组"]["id"] == org.teams["shanghai"]
    assert teams["上海组"]["team_name"] is None


def test_roles_named_in_callers_language(org: Any) -> None:
    saved = org.admin.put(
        "/api/v1/roles/key_account",
        json={"name_zh": "大客户经理", "name_en": "Key account manager", "objects": {}},
    )
    assert saved.status_code == 200, saved.text
    rep = org.clients["east_rep"]

    chinese = _targets(rep, kind="role", limit=200)["items"]
    english = rep.get(TARGETS, params={"kind": "role"}, headers={"Accept-Language": "en"})
    resolved = _targets(rep, kind="role", id=["key_account", "sales_rep", "ghost"])

    assert [item["id"] for item in chinese][:2] == ["administrator", "sales_director"]
    assert chinese[-1] == {
        "kind": "role",
        "id": "key_account",
        "name": "大客户经理",
        "team_name": None,
        "parent_id": None,
    }
    assert english.json()["items"][-1]["name"] == "Key account manager"
    assert english.json()["items"][0]["name"] == "Administrator"
    assert [item["id"] for item in resolved["items"]] == ["sales_rep", "key_account"]


def test_ids_name_existing_share_targets(org: Any) -> None:
    rep = org.clients["north_rep"]

    users = _targets(rep, kind="user", id=[org.users["east_rep"], org.users["analyst"]])
    teams = _targets(rep, kind="team", id=org.teams["north"])
    invalid = rep.get(TARGETS, params={"kind": "team", "id": "north"})

    assert [item["name"] for item in users["items"]] == ["analyst", "east_rep"]
    assert [item["name"] for item in teams["items"]] == ["华北销售部"]
    assert invalid.status_code == 400
    assert invalid.json()["code"] == "invalid_filter_value"
    assert "north" in invalid.json()["detail"]


def test_target_requests_are_validated(org: Any, client: TestClient) -> None:
    rep = org.clients["north_rep"]

    no_kind = rep.get(TARGETS)
    bad_kind = rep.get(TARGETS, params={"kind": "tenant"})
    too_many = rep.get(TARGETS, params={"kind": "user", "limit": 201})
    too_few = rep.get(TARGETS, params={"kind": "user", "limit": 0})
    too_many_ids = rep.get(TARGETS, params={"kind": "role", "id": ["sales_rep"] * 101})
    anonymous = rep.get(TARGETS, params={"kind": "user"}, headers={"Authorization": ""})

    assert no_kind.status_code == 422
    assert bad_kind.status_code == 422
    assert too_many.status_code == 422
    assert too_few.status_code == 422
    assert too_many_ids.status_code == 422
    assert anonymous.status_code == 401


def test_service_agent_may_list_targets(org: Any) -> None:
    body = _targets(org.clients["service"], kind="team")

    assert [item["name"] for item in body["items"]] == ["上海组", "华东销售部", "华北销售部"]


def test_sharing_rule_rejects_unknown_role(org: Any, database: Database, tenant: Any) -> None:
    rule = {"object_name": "contacts", "name": "北京客户", "filters": {"city": "北京"}}

    unknown = org.admin.post("/api/v1/sharing-rules", json={**rule, "role_key": "ghost"})
    builtin = org.admin.post("/api/v1/sharing-rules", json={**rule, "role_key": "sales_rep"})

    assert unknown.status_code == 400, unknown.text
    assert unknown.json()["code"] == "role_not_found"
    assert "ghost" in unknown.json()["detail"]
    assert builtin.status_code == 201, builtin.text
    with database.session() as session:
        count = session.scalar(
            select(func.count())
            .select_from(SharingRule)
            .where(SharingRule.tenant_id == tenant.tenant.id)
        )
    assert count == 1


def test_sharing_rule_rejects_deleted_custom_role(org: Any) -> None:
    role = {"name_zh": "渠道经理", "name_en": "Channel manager", "objects": {}}
    assert org.admin.put("/api/v1/roles/channel", json=role).status_code == 200
    rule = {"object_name": "contacts", "name": "渠道客户", "filters": {}, "role_key": "channel"}

    allowed = org.admin.post("/api/v1/sharing-rules", json=rule)
    assert org.admin.delete("/api/v1/roles/channel").status_code == 204
    rejected = org.admin.post("/api/v1/sharing-rules", json={**rule, "name": "渠道客户二"})

    assert allowed.status_code == 201, allowed.text
    assert rejected.status_code == 400
    assert rejected.json()["code"] == "role_not_found"
    names = [item["name"] for item in org.admin.get("/api/v1/sharing-rules").json()]
    assert names == ["渠道客户"]
