"""Users, teams, custom field definitions and tenant settings, written by administrators only."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from zhike.core.db import Database
from zhike.ingestion.standardize import credit_code_check_character, id_number_check_character
from zhike.security.auth import verify_password
from zhike.security.models import User

PASSWORD = "Zhike-user-2026"


def test_user_create_and_update(client: TestClient, database: Database) -> None:
    team = client.post("/api/v1/teams", json={"name": "华东销售部", "region": "华东"})
    assert team.status_code == 201, team.text

    created = client.post(
        "/api/v1/users",
        json={
            "email": " Li.Lei@Example.com ",
            "display_name": "李雷",
            "password": PASSWORD,
            "role": "sales_manager",
            "team_id": team.json()["id"],
        },
    )
    updated = client.patch(
        f"/api/v1/users/{created.json()['id']}",
        json={"role": "sales_rep", "password": "Another-pass-1"},
    )

    assert created.status_code == 201, created.text
    body = created.json()
    assert body["email"] == "li.lei@example.com"
    assert "password" not in body
    assert "password_hash" not in body
    assert updated.json()["role"] == "sales_rep"
    listed = client.get("/api/v1/users").json()["items"]
    assert sorted(user["display_name"] for user in listed) == ["admin", "李雷"]
    assert all("password_hash" not in user for user in listed)
    with database.session() as session:
        stored = session.scalar(select(User).where(User.id == uuid.UUID(body["id"])))
        assert stored is not None
        assert stored.password_hash is not None
        assert stored.password_hash.startswith("$argon2")
        assert verify_password(stored.password_hash, "Another-pass-1")
    assert client.get("/api/v1/teams").json()["items"][0]["name"] == "华东销售部"


def test_user_errors(client: TestClient) -> None:
    body = {"email": "a@example.com", "display_name": "甲", "password": PASSWORD}
    assert client.post("/api/v1/users", json=body).status_code == 201
    me = client.get("/api/v1/auth/me").json()

    duplicate = client.post("/api/v1/users", json=body)
    short = client.post(
        "/api/v1/users", json={**body, "email": "b@example.com", "password": "short"}
    )
    role = client.post("/api/v1/users", json={**body, "email": "c@example.com", "role": "boss"})
    demote = client.patch(f"/api/v1/users/{me['user_id']}", json={"role": "sales_rep"})

    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "user_exists"
    assert short.status_code == 422
    assert [
        (error["field"], error["code"], error["value"]) for error in short.json()["errors"]
    ] == [("password", "password_too_short", "***")]
    assert role.json()["errors"][0]["code"] == "invalid_choice"
    assert demote.status_code == 409
    assert demote.json()["code"] == "cannot_demote_self"
    assert len(client.get("/api/v1/users").json()["items"]) == 2


def test_admin_writes_need_administrator(client: TestClient, rep_client: TestClient) -> None:
    before_users = client.get("/api/v1/users").json()
    before_tenant = client.get("/api/v1/tenant").json()

    responses = [
        rep_client.post(
            "/api/v1/users",
            json={"email": "x@example.com", "display_name": "x", "password": PASSWORD},
        ),
        rep_client.patch(
            f"/api/v1/users/{before_users['items'][0]['id']}", json={"display_name": "改名"}
        ),
        rep_client.post("/api/v1/teams", json={"name": "影子团队"}),
        rep_client.post(
            "/api/v1/fields",
            json={"object": "contacts", "name": "x", "label_zh": "x", "label_en": "x"},
        ),
        rep_client.patch("/api/v1/tenant", json={"name": "改名公司"}),
    ]

    assert [response.status_code for response in responses] == [403] * 5
    assert {response.json()["code"] for response in responses} == {"forbidden"}
    assert rep_client.get("/api/v1/tenant").status_code == 200
    assert client.get("/api/v1/users").json() == before_users
    assert client.get("/api/v1/tenant").json() == before_tenant
    assert client.get("/api/v1/teams").json()["items"] == []
    assert client.get("/api/v1/fields").json()["items"] == []


def test_tenant_settings(client: TestClient) -> None:
    before = client.get("/api/v1/tenant").json()

    invalid = client.patch(
        "/api/v1/tenant",
        json={"timezone": "Asia/Beijing", "currency": "RMB", "locale": "fr"},
        headers={"Accept-Language": "en"},
    )
    unchanged = client.get("/api/v1/tenant").json()
    updated = client.patch(
        "/api/v1/tenant",
        json={
            "name": "知客演示公司",
            "timezone": "Asia/Hong_Kong",
            "currency": "hkd",
            "locale": "en",
        },
    )

    assert invalid.status_code == 422
    assert [(error["field"], error["code"]) for error in invalid.json()["errors"]] == [
        ("timezone", "invalid_timezone"),
        ("currency", "invalid_currency"),
        ("locale", "invalid_choice"),
    ]
    assert invalid.json()["errors"][0]["message"] == (
        "Time zone Asia/Beijing is invalid; use an IANA name such as Asia/Shanghai."
    )
    assert unchanged == before
    assert updated.status_code == 200, updated.text
    assert {key: updated.json()[key] for key in ("name", "timezone", "currency", "locale")} == {
        "name": "知客演示公司",
        "timezone": "Asia/Hong_Kong",
        "currency": "HKD",
        "locale": "en",
    }
    product = client.post("/api/v1/products", json={"name": "港币产品", "list_price": "9.90"})
    assert product.json()["currency"] == "HKD"


def _field(client: TestClient, **changes: Any) -> Any:
    body = {
        "object": "contacts",
        "name": "wechat_id",
        "field_type": "text",
        "label_zh": "微信号",
        "label_en": "WeChat ID",
        "classification": "sensitive",
        **changes,
    }
    return client.post("/api/v1/fields", json=body)


def test_field_definitions(client: TestClient) -> None:
    created = _field(client)
    duplicate = _field(client)
    bad = _field(client, object="planets", field_type="blob", classification="secret", name="level")
    choice = _field(client, name="level", field_type="choice")

    assert created.status_code == 201, created.text
    assert created.json()["object"] == "contacts"
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "field_exists"
    assert [(error["field"], error["code"]) for error in bad.json()["errors"]] == [
        ("object", "invalid_choice"),
        ("field_type", "invalid_choice"),
        ("classification", "invalid_choice"),
    ]
    assert choice.json()["errors"][0]["code"] == "choices_required"
    patched = client.patch(
        f"/api/v1/fields/{created.json()['id']}",
        json={"label_en": "WeChat", "classification": "internal"},
    )
    assert patched.json()["label_en"] == "WeChat"
    assert (
        client.patch(
            f"/api/v1/fields/{created.json()['id']}", json={"field_type": "integer"}
        ).status_code
        == 422
    )
    assert [
        item["name"]
        for item in client.get("/api/v1/fields", params={"object": "contacts"}).json()["items"]
    ] == ["wechat_id"]
    assert client.get("/api/v1/fields", params={"object": "accounts"}).json()["items"] == []


def test_custom_field_values_checked(client: TestClient) -> None:
    undefined = client.post(
        "/api/v1/contacts", json={"name": "王芳", "custom": {"wechat_id": "wf88"}}
    )
    assert undefined.status_code == 422
    assert undefined.json()["errors"][0]["field"] == "custom.wechat_id"
    assert undefined.json()["errors"][0]["code"] == "unknown_custom_field"
    assert _field(client, classification="internal").status_code == 201

    created = client.post(
        "/api/v1/contacts", json={"name": "王芳", "custom": {"wechat_id": "wf88"}}
    )
    client.post("/api/v1/contacts", json={"name": "赵敏", "custom": {"wechat_id": "zm01"}})

    assert created.status_code == 201, created.text
    assert client.get(f"/api/v1/contacts/{created.json()['id']}").json()["custom"] == {
        "wechat_id": "wf88"
    }
    found = client.get("/api/v1/contacts", params={"custom.wechat_id": "wf88"}).json()["items"]
    assert [item["id"] for item in found] == [created.json()["id"]]


def _credit_code(body: str) -> str:
    return body + credit_code_check_character(body)


def _id_number(body: str) -> str:
    return body + id_number_check_character(body)


def test_credit_code_and_id_number(client: TestClient) -> None:
    code = _credit_code("91330100MA2AYUQ9X")
    wrong_code = code[:17] + ("0" if code[17] != "0" else "1")
    number = _id_number("11010519491231002")
    wrong_number = number[:17] + ("0" if number[17] != "0" else "1")

    account = client.post(
        "/api/v1/accounts", json={"name": "杭州某某科技", "unified_social_credit_code": code}
    )
    bad_account = client.post(
        "/api/v1/accounts", json={"name": "错码公司", "unified_social_credit_code": wrong_code}
    )
    contact = client.post("/api/v1/contacts", json={"name": "赵六", "id_number": number})
    bad_contact = client.post(
        "/api/v1/contacts",
        json={"name": "钱七", "id_number": wrong_number},
        headers={"Accept-Language": "en"},
    )

    assert account.status_code == 201, account.text
    assert account.json()["unified_social_credit_code"] == code
    assert contact.status_code == 201, contact.text
    assert bad_account.status_code == 422
    assert [(error["field"], error["code"]) for error in bad_account.json()["errors"]] == [
        ("unified_social_credit_code", "invalid_credit_code")
    ]
    assert bad_contact.status_code == 422
    assert bad_contact.json()["errors"][0]["code"] == "invalid_id_number"
    assert bad_contact.json()["errors"][0]["message"] == (
        f"Resident ID number {wrong_number} in field ID number is invalid "
        "(18 characters with a valid birth date and check digit); check it."
    )
    assert [item["name"] for item in client.get("/api/v1/accounts").json()["items"]] == [
        "杭州某某科技"
    ]


def test_me_lists_permissions_by_role(client: TestClient, tenant: Any) -> None:
    assert client.get("/api/v1/auth/me").json()["permissions"] == [
        "administer_tenant",
        "read_audit",
    ]
    for role, expected in (("sales_rep", []), ("auditor", ["read_audit"])):
        email = f"{role}@example.com"
        body = {"email": email, "display_name": role, "password": PASSWORD, "role": role}
        assert client.post("/api/v1/users", json=body).status_code == 201
        with TestClient(client.app) as other:
            login = other.post(
                "/api/v1/auth/login",
                json={"tenant": tenant.slug, "email": email, "password": PASSWORD},
            )
            assert login.status_code == 200, login.text
            token = login.json()["access_token"]
            me = other.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert me.json()["permissions"] == expected, role
