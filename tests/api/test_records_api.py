"""The generic record API on accounts and contacts: CRUD, ETags, lists and errors."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from zhike.core.db import Database
from zhike.customers.models import Account


def test_create_contact_normalises_phone_and_email(client: TestClient) -> None:
    response = client.post(
        "/api/v1/contacts",
        json={"name": " 张　伟 ", "mobile": "138 0013 8000", "email": "Zhang.Wei@Example.COM"},
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "张 伟"
    assert body["mobile"] == "138****8000"
    assert body["email"] == "z***@example.com"
    revealed = client.post(
        f"/api/v1/contacts/{body['id']}/reveal", json={"fields": ["mobile", "email"]}
    )
    assert revealed.json() == {"mobile": "+8613800138000", "email": "zhang.wei@example.com"}
    assert body["version"] == 1
    assert response.headers["ETag"] == f'"{body["id"]}.1"'


def test_stale_if_match_returns_412_and_keeps_record(client: TestClient) -> None:
    created = client.post("/api/v1/accounts", json={"name": "华为技术有限公司"})
    etag = created.headers["ETag"]
    record_id = created.json()["id"]
    first = client.patch(
        f"/api/v1/accounts/{record_id}", json={"city": "深圳"}, headers={"If-Match": etag}
    )
    assert first.status_code == 200

    stale = client.patch(
        f"/api/v1/accounts/{record_id}", json={"city": "北京"}, headers={"If-Match": etag}
    )

    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["code"] == "version_mismatch"
    assert client.get(f"/api/v1/accounts/{record_id}").json()["city"] == "深圳"


def test_weak_if_match_returns_412_and_keeps_record(client: TestClient) -> None:
    created = client.post("/api/v1/accounts", json={"name": "中兴通讯股份有限公司"})
    record_id = created.json()["id"]
    weak = f"W/{created.headers['ETag']}"

    response = client.patch(
        f"/api/v1/accounts/{record_id}", json={"city": "深圳"}, headers={"If-Match": weak}
    )

    assert response.status_code == 412
    assert response.json()["code"] == "weak_if_match"
    assert weak in response.json()["detail"]
    assert client.get(f"/api/v1/accounts/{record_id}").json()["city"] is None


def test_malformed_json_returns_400_with_position(client: TestClient) -> None:
    response = client.post(
        "/api/v1/accounts",
        content=b'{"name": "\xe4\xb8\xad\xe5\x85\xb4", "city": }',
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"
    assert "character 24" in response.json()["detail"]
    assert client.get("/api/v1/accounts").json()["items"] == []


def test_text_plain_body_names_json_object(client: TestClient) -> None:
    response = client.post(
        "/api/v1/accounts",
        content='{"name": "中兴"}'.encode(),
        headers={"Content-Type": "text/plain"},
    )

    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["code"] == "model_attributes_type"
    assert error["value"] == '{"name": "中兴"}'
    assert "application/json" in error["message"]
    assert "Input should" not in error["message"]
    assert client.get("/api/v1/accounts").json()["items"] == []


def test_long_value_is_shortened_in_error(client: TestClient) -> None:
    created = client.post("/api/v1/accounts", json={"name": "华为技术有限公司"})
    record_id = created.json()["id"]
    tag = '"' + "9" * 5000 + '"'

    response = client.patch(
        f"/api/v1/accounts/{record_id}", json={"city": "深圳"}, headers={"If-Match": tag}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_if_match"
    assert len(response.json()["detail"]) < 400
    assert '"' + "9" * 199 + "…" in response.json()["detail"]


def test_invalid_phone_is_rejected_with_field_error(client: TestClient) -> None:
    response = client.post("/api/v1/contacts", json={"name": "李娜", "mobile": "12345"})

    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "mobile"
    assert error["code"] == "invalid_phone"
    assert error["value"] == "12345"
    assert client.get("/api/v1/contacts").json()["items"] == []


def test_write_is_committed_before_response(client: TestClient, database: Database) -> None:
    for index in range(20):
        response = client.post("/api/v1/accounts", json={"name": f"提交顺序测试{index}"})
        assert response.status_code == 201

        # A separate session must see the row as soon as the client has the answer.
        with database.session() as session:
            stored = session.get(Account, uuid.UUID(response.json()["id"]))
        assert stored is not None


def test_api_docs_load_only_local_assets(client: TestClient) -> None:
    page = client.get("/api/v1/docs")
    script = client.get("/api/v1/docs-assets/swagger-ui-bundle.js")
    schema = client.get("/api/v1/openapi.json").json()

    assert page.status_code == 200
    assert "https://" not in page.text
    assert script.status_code == 200
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_cursor_from_another_sort_is_rejected(client: TestClient) -> None:
    for name in ("甲公司", "乙公司", "丙公司"):
        client.post("/api/v1/accounts", json={"name": name})
    page = client.get("/api/v1/accounts", params={"sort": "name", "limit": 1}).json()

    response = client.get(
        "/api/v1/accounts", params={"sort": "-created_at", "cursor": page["next_cursor"]}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_masked_choice_fields_hide_whole_value(client: TestClient) -> None:
    field = client.post(
        "/api/v1/fields",
        json={
            "object": "contacts",
            "name": "marital_status",
            "field_type": "choice",
            "choices": ["married", "single"],
            "label_zh": "婚姻状况",
            "label_en": "Marital status",
            "classification": "sensitive",
        },
    )
    assert field.status_code == 201, field.text

    created = client.post(
        "/api/v1/contacts",
        json={"name": "王芳", "gender": "female", "custom": {"marital_status": "married"}},
    )
    listed = client.get("/api/v1/contacts").json()["items"][0]
    revealed = client.post(
        f"/api/v1/contacts/{created.json()['id']}/reveal", json={"fields": ["gender"]}
    )

    assert created.status_code == 201, created.text
    assert created.json()["gender"] == "***"
    assert created.json()["custom"] == {"marital_status": "***"}
    assert listed["gender"] == "***"
    assert listed["custom"] == {"marital_status": "***"}
    assert revealed.json() == {"gender": "female"}
