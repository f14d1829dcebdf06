"""Errors reach clients as RFC 9457 problem details with a stable code and a localized detail."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from zhike.api.app import create_app

PROBLEM_MEMBERS = {"type", "title", "status", "code", "detail", "instance"}


def assert_problem(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_MEMBERS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"https://zhike.dev/problems/{code}"
    assert body["instance"] == response.request.url.path
    return body


def test_unknown_record_is_404(client: TestClient) -> None:
    missing = uuid.UUID(int=1)
    response = client.get(f"/api/v1/accounts/{missing}", headers={"Accept-Language": "en"})

    body = assert_problem(response, 404, "record_not_found")
    assert body["detail"] == (
        f"Record {missing} (accounts) was not found; it may have been deleted or belong to "
        "another tenant."
    )


def test_invalid_field_is_422_with_field_errors(client: TestClient) -> None:
    response = client.post("/api/v1/contacts", json={"name": "李娜", "email": "not-an-email"})

    body = assert_problem(response, 422, "validation_failed")
    assert body["detail"] == "有 1 个字段无效，请按各字段的说明修改后重试。"
    assert [(error["field"], error["code"]) for error in body["errors"]] == [
        ("email", "invalid_email")
    ]
    assert client.get("/api/v1/contacts").json()["items"] == []


def test_stale_version_is_412(client: TestClient) -> None:
    created = client.post("/api/v1/accounts", json={"name": "上海星辰科技有限公司"})
    record_id = created.json()["id"]
    client.patch(
        f"/api/v1/accounts/{record_id}",
        json={"city": "上海"},
        headers={"If-Match": created.headers["ETag"]},
    )

    response = client.patch(
        f"/api/v1/accounts/{record_id}",
        json={"city": "杭州"},
        headers={"If-Match": created.headers["ETag"]},
    )

    assert_problem(response, 412, "version_mismatch")
    assert client.get(f"/api/v1/accounts/{record_id}").json()["city"] == "上海"


def test_missing_login_is_401(client: TestClient) -> None:
    with TestClient(create_app()) as anonymous:
        response = anonymous.get("/api/v1/accounts", headers={"Accept-Language": "en"})

    body = assert_problem(response, 401, "missing_token")
    assert body["detail"] == "The request has no Authorization: Bearer token; log in first."


def test_unknown_route_is_a_problem_too(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/no-such-thing"), 404, "route_not_found")


def test_landing_page_is_chinese_with_an_english_switch(client: TestClient) -> None:
    chinese = client.get("/")
    english = client.get("/?lang=en")

    assert chinese.status_code == 200
    assert chinese.headers["content-type"].startswith("text/html")
    assert "<h1>知客 CRM</h1>" in chinese.text
    assert 'href="/?lang=en"' in chinese.text
    assert 'href="/api/v1/docs"' in chinese.text
    assert "<h1>Zhike CRM</h1>" in english.text
    assert 'href="/?lang=zh-CN"' in english.text


def test_request_validation_reasons_speak_the_requests_language(client: TestClient) -> None:
    body = {"name": "王芳", "bogus": 1, "do_not_contact": "maybe"}
    chinese = client.post("/api/v1/contacts", json=body)
    english = client.post("/api/v1/contacts", json=body, headers={"Accept-Language": "en"})

    assert chinese.status_code == english.status_code == 422
    by_field = {error["field"]: error["message"] for error in chinese.json()["errors"]}
    assert by_field["bogus"] == "字段“bogus”无效：不是可接受的字段，请删除"
    assert "true 或 false" in by_field["do_not_contact"]
    english_by_field = {error["field"]: error["message"] for error in english.json()["errors"]}
    assert "is not an accepted field" in english_by_field["bogus"]


def test_validation_reasons_for_choices_and_numbers(client: TestClient) -> None:
    policy = {
        "name": "标准",
        "priority": "critical",
        "first_response_minutes": 60,
        "resolution_minutes": 240,
    }
    quote = {"title": "报价", "lines": [], "tax_percent": "NaN"}

    choice = client.post("/api/v1/service/sla/policies", json=policy)
    number = client.post("/api/v1/quotes", json=quote)

    assert choice.status_code == 422, choice.text
    (priority,) = [error for error in choice.json()["errors"] if error["field"] == "priority"]
    assert "'low'、'normal'、'high'、'urgent'" in priority["message"]
    assert " or " not in priority["message"]
    assert number.status_code == 422, number.text
    (tax,) = [error for error in number.json()["errors"] if error["field"] == "tax_percent"]
    assert "有限的数字" in tax["message"]


def test_bare_nan_number_is_422_not_500(client: TestClient) -> None:
    raw = '{"title": "报价", "tax_percent": NaN, "lines": [{"name": "服务", "quantity": Infinity}]}'

    response = client.post(
        "/api/v1/quotes", content=raw, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422, response.text
    by_field = {error["field"]: error for error in response.json()["errors"]}
    assert by_field["tax_percent"]["value"] == "nan"
    assert by_field["tax_percent"]["message"].startswith("字段“税率（%）”无效")
    assert by_field["lines.0.quantity"]["value"] == "inf"
    assert by_field["lines.0.quantity"]["message"].startswith("字段“第 1 行的数量”无效")
