"""Record scopes, object permissions, field security, masking, shares and reveals."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from zhike.ingestion.standardize import id_number_check_character

ID_BODY = "31010419850617301"
ID_NUMBER = ID_BODY + id_number_check_character(ID_BODY)


def _contact(org: Any, owner: str, name: str, **fields: Any) -> str:
    body = {"name": name, "owner_id": org.users[owner], **fields}
    response = org.admin.post("/api/v1/contacts", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _names(client: TestClient, path: str = "/api/v1/contacts") -> set[str]:
    response = client.get(path, params={"limit": 500})
    assert response.status_code == 200, response.text
    return {item["name"] for item in response.json()["items"]}


def test_data_scopes_follow_the_org_chart(org: Any) -> None:
    _contact(org, "shanghai_rep", "上海客户")
    _contact(org, "east_rep", "华东客户")
    _contact(org, "north_rep", "华北客户")

    assert _names(org.clients["shanghai_rep"]) == {"上海客户"}
    assert _names(org.clients["east_rep"]) == {"华东客户"}
    assert _names(org.clients["east_manager"]) == {"上海客户", "华东客户"}
    assert _names(org.clients["director"]) == {"上海客户", "华东客户", "华北客户"}


def test_other_reps_record_is_not_found(org: Any) -> None:
    record_id = _contact(org, "north_rep", "华北客户")

    response = org.clients["east_rep"].get(f"/api/v1/contacts/{record_id}")
    update = org.clients["east_rep"].patch(f"/api/v1/contacts/{record_id}", json={"title": "经理"})

    assert response.status_code == 404
    assert update.status_code == 404
    assert org.admin.get(f"/api/v1/contacts/{record_id}").json()["title"] is None


def test_role_without_action_gets_403(org: Any) -> None:
    response = org.clients["analyst"].post("/api/v1/contacts", json={"name": "新客户"})
    audit_reader = org.clients["auditor"].get("/api/v1/contacts")

    assert response.status_code == 403
    assert response.json()["code"] == "action_forbidden"
    assert audit_reader.status_code == 403
    assert _names(org.admin) == set()


def test_sensitive_fields_are_masked(org: Any) -> None:
    _contact(org, "east_rep", "王芳", mobile="13812345678", email="wang.fang@example.com")

    item = org.clients["east_rep"].get("/api/v1/contacts").json()["items"][0]

    assert item["mobile"] == "138****5678"
    assert item["email"] == "w***@example.com"
    assert item["name"] == "王芳"


def test_hidden_field_is_absent_for_sales_rep(org: Any) -> None:
    record_id = _contact(org, "east_rep", "李雷", id_number=ID_NUMBER)

    rep_view = org.clients["east_rep"].get(f"/api/v1/contacts/{record_id}").json()
    manager_view = org.clients["east_manager"].get(f"/api/v1/contacts/{record_id}").json()

    assert "id_number" not in rep_view
    assert manager_view["id_number"] == ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:]


def test_read_only_field_rejects_writes(org: Any) -> None:
    account = org.admin.post(
        "/api/v1/accounts", json={"name": "杭州云帆科技有限公司", "owner_id": org.users["east_rep"]}
    ).json()

    response = org.clients["east_rep"].patch(
        f"/api/v1/accounts/{account['id']}",
        json={"unified_social_credit_code": "91330100MA2B3C4D5E"},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "field_read_only"
    assert org.admin.get(f"/api/v1/accounts/{account['id']}").json()["version"] == 1


def test_reveal_is_audited_and_needs_the_right(org: Any) -> None:
    record_id = _contact(org, "east_rep", "韩梅梅", mobile="13912345678")

    revealed = org.clients["east_manager"].post(
        f"/api/v1/contacts/{record_id}/reveal", json={"fields": ["mobile"], "reason": "回访"}
    )
    denied = org.clients["analyst"].post(
        f"/api/v1/contacts/{record_id}/reveal", json={"fields": ["mobile"]}
    )
    events = org.admin.get("/api/v1/audit/events", params={"action": "reveal"}).json()["items"]

    assert revealed.status_code == 200, revealed.text
    assert revealed.json() == {"mobile": "+8613912345678"}
    assert denied.status_code == 403
    assert len(events) == 1
    assert events[0]["record_id"] == record_id
    assert events[0]["actor_id"] == org.users["east_manager"]


def test_manual_share_opens_one_record(org: Any) -> None:
    shared = _contact(org, "north_rep", "共享客户")
    _contact(org, "north_rep", "私有客户")

    response = org.clients["north_rep"].post(
        f"/api/v1/contacts/{shared}/shares", json={"user_id": org.users["east_rep"]}
    )
    edit = org.clients["east_rep"].patch(f"/api/v1/contacts/{shared}", json={"title": "总监"})

    assert response.status_code == 201, response.text
    assert _names(org.clients["east_rep"]) == {"共享客户"}
    assert edit.status_code == 404


def test_sharing_twice_with_same_target_updates_the_share(org: Any) -> None:
    shared = _contact(org, "north_rep", "重复共享客户")
    path = f"/api/v1/contacts/{shared}/shares"
    owner = org.clients["north_rep"]

    first = owner.post(path, json={"user_id": org.users["east_rep"]})
    again = owner.post(path, json={"user_id": org.users["east_rep"], "can_edit": True})
    team = owner.post(path, json={"team_id": org.teams["east"]})
    edit = org.clients["east_rep"].patch(f"/api/v1/contacts/{shared}", json={"title": "总监"})

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["can_edit"] is True
    assert team.status_code == 201, team.text
    shares = owner.get(path).json()
    assert [share["id"] for share in shares] == [first.json()["id"], team.json()["id"]]
    assert edit.status_code == 200, edit.text


def test_sharing_rule_shares_matching_records_with_a_department(org: Any) -> None:
    _contact(org, "north_rep", "北京客户", city="北京")
    _contact(org, "north_rep", "天津客户", city="天津")

    rule = org.admin.post(
        "/api/v1/sharing-rules",
        json={
            "object_name": "contacts",
            "name": "北京客户共享华东",
            "filters": {"city": "北京"},
            "team_id": org.teams["east"],
        },
    )

    assert rule.status_code == 201, rule.text
    # Members of sub-departments see what is shared with the department.
    assert _names(org.clients["shanghai_rep"]) == {"北京客户"}
    assert _names(org.clients["north_rep"]) == {"北京客户", "天津客户"}


def test_custom_role_grants_only_what_it_lists(org: Any) -> None:
    org.admin.post("/api/v1/accounts", json={"name": "成都天府软件有限公司"})
    role = org.admin.put(
        "/api/v1/roles/key_account",
        json={
            "name_zh": "大客户经理",
            "name_en": "Key account manager",
            "objects": {"accounts": {"actions": ["read"], "scope": "company"}},
        },
    )
    changed = org.admin.patch(f"/api/v1/users/{org.users['analyst']}", json={"role": "key_account"})

    analyst = org.clients["analyst"]
    assert role.status_code == 200, role.text
    assert changed.status_code == 200, changed.text
    assert _names(analyst, "/api/v1/accounts") == {"成都天府软件有限公司"}
    assert analyst.get("/api/v1/contacts").status_code == 403
    assert analyst.post("/api/v1/accounts", json={"name": "x"}).status_code == 403


def test_unknown_role_is_denied_everything(org: Any, database: Any) -> None:
    from sqlalchemy import update

    from zhike.security.models import User

    org.admin.post("/api/v1/accounts", json={"name": "武汉光谷电子有限公司"})
    with database.session() as session:
        analyst_id = uuid.UUID(org.users["analyst"])
        session.execute(update(User).where(User.id == analyst_id).values(role="ghost"))

    analyst = org.clients["analyst"]
    assert analyst.get("/api/v1/accounts").status_code == 403
    assert analyst.get("/api/v1/products").status_code == 403


def test_builtin_role_cannot_be_replaced(org: Any) -> None:
    response = org.admin.put(
        "/api/v1/roles/sales_rep",
        json={"name_zh": "x", "name_en": "x", "objects": {}},
    )
    by_rep = org.clients["east_rep"].put(
        "/api/v1/roles/helper", json={"name_zh": "x", "name_en": "x", "objects": {}}
    )

    assert response.status_code == 409
    assert by_rep.status_code == 403


def _pages(client: TestClient, params: dict[str, Any]) -> list[str]:
    names: list[str] = []
    cursor: str | None = None
    while True:
        page = client.get(
            "/api/v1/contacts", params={**params, "cursor": cursor} if cursor else params
        )
        assert page.status_code == 200, page.text
        names.extend(item["name"] for item in page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return names


def test_department_pages_keep_the_order_and_rows_of_the_full_list(org: Any) -> None:
    owners = ["shanghai_rep", "east_rep", "east_manager", "north_rep"]
    for number in range(22):
        city = "杭州" if number % 3 else "宁波"
        _contact(org, owners[number % len(owners)], f"客户{number:02d}", city=city)
    team = {
        f"客户{number:02d}" for number in range(22) if owners[number % len(owners)] != "north_rep"
    }
    for params in (
        {"sort": "-created_at", "limit": 4},
        {"sort": "created_at", "limit": 5},
        {"sort": "-updated_at", "limit": 3, "city": "杭州"},
    ):
        everything = _pages(org.admin, {**params, "limit": 500})
        expected = [name for name in everything if name in team]
        assert _pages(org.clients["east_manager"], params) == expected, params


def test_role_share_opens_record_to_role(org: Any) -> None:
    shared = _contact(org, "north_rep", "角色共享客户")
    _contact(org, "north_rep", "未共享客户")
    path = f"/api/v1/contacts/{shared}/shares"

    unknown = org.clients["north_rep"].post(path, json={"role_key": "no_such_role"})
    created = org.clients["north_rep"].post(path, json={"role_key": "sales_rep"})

    assert unknown.status_code == 400, unknown.text
    assert unknown.json()["code"] == "role_not_found"
    assert created.status_code == 201, created.text
    assert created.json()["role_key"] == "sales_rep"
    assert created.json()["user_id"] is None
    assert created.json()["team_id"] is None
    listed = org.clients["north_rep"].get(path).json()
    assert [(item["role_key"], item["can_edit"]) for item in listed] == [("sales_rep", False)]
    assert _names(org.clients["east_rep"]) == {"角色共享客户"}
    assert _names(org.clients["shanghai_rep"]) == {"角色共享客户"}
    assert _names(org.clients["east_manager"]) == set()

    removed = org.clients["north_rep"].delete(f"{path}/{created.json()['id']}")

    assert removed.status_code == 204
    assert _names(org.clients["east_rep"]) == set()
