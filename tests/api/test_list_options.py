"""List options describe the list endpoint, and every list filters by id."""

from __future__ import annotations

from fastapi.testclient import TestClient


def _create_account(client: TestClient, name: str) -> str:
    response = client.post("/api/v1/accounts", json={"name": name})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_list_options_of_accounts(client: TestClient) -> None:
    response = client.get("/api/v1/objects/accounts/list-options")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "accounts"
    assert body["default_sort"] == "-created_at"
    assert "name" in body["sort_fields"]
    assert "city" in body["filter_fields"]
    assert "id" in body["filter_fields"]
    assert "in" in body["operators"]


def test_list_options_of_an_unknown_object(client: TestClient) -> None:
    response = client.get("/api/v1/objects/spaceships/list-options")

    assert response.status_code == 404
    assert response.json()["code"] == "unknown_object"


def test_list_filters_by_a_set_of_ids(client: TestClient) -> None:
    first = _create_account(client, "上海明远物流有限公司")
    _create_account(client, "上海明远仓储有限公司")
    third = _create_account(client, "上海明远运输有限公司")

    response = client.get("/api/v1/accounts", params={"id__in": f"{first},{third}"})

    assert response.status_code == 200, response.text
    assert sorted(item["id"] for item in response.json()["items"]) == sorted([first, third])


def test_id_filter_rejects_a_malformed_id(client: TestClient) -> None:
    response = client.get("/api/v1/accounts", params={"id": "not-a-uuid"})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_choice_filter_rejects_unknown_value(client: TestClient) -> None:
    response = client.get("/api/v1/tickets", params={"status": "等待客户"})

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "invalid_filter_choice"
    assert "等待客户" in body["detail"]
    assert "pending" in body["detail"]
    assert client.get("/api/v1/tickets", params={"status__in": "new,pending"}).status_code == 200


def test_open_choice_filter_accepts_other_value(client: TestClient) -> None:
    # Tickets written through the generic API may carry a channel outside the list.
    response = client.get("/api/v1/tickets", params={"channel": "wechat"})

    assert response.status_code == 200, response.text


def test_filter_value_error_gives_format(client: TestClient) -> None:
    response = client.get("/api/v1/activities", params={"due_at": "2026-12-5"})

    assert response.status_code == 400, response.text
    assert "2026-12-05T09:00" in response.json()["detail"]
    assert "datetime" not in response.json()["detail"]
