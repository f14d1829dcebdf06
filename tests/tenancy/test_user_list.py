"""The user list: search by name or e-mail, bounded pages with a cursor, and a stable order."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from fastapi.testclient import TestClient

USERS = "/api/v1/users"
ALL_NAMES = [
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


def _users(client: TestClient, **params: Any) -> Any:
    response = client.get(USERS, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _names(client: TestClient, **params: Any) -> list[str]:
    return [user["display_name"] for user in _users(client, **params)["items"]]


def test_user_list_without_parameters_is_one_page(org: Any) -> None:
    body = _users(org.clients["north_rep"])

    assert [user["display_name"] for user in body["items"]] == ALL_NAMES
    assert body["next_cursor"] is None


def test_user_search_ignores_case(org: Any) -> None:
    rep = org.clients["north_rep"]

    assert _names(org.admin, q="EAST") == ["east_manager", "east_rep"]
    assert _names(rep, q="  Rep ") == ["east_rep", "north_rep", "shanghai_rep"]
    assert _names(rep, q="nobody") == []


def test_user_search_treats_wildcards_literally(org: Any) -> None:
    assert _names(org.admin, q="east%") == []
    assert _names(org.admin, q="_rep") == ["east_rep", "north_rep", "shanghai_rep"]
    assert _names(org.admin, q="east_m") == ["east_manager"]


def test_administrator_finds_users_by_email(org: Any, tenant: Any) -> None:
    domain = f"{tenant.slug}.example.com"

    by_local_part = _users(org.admin, q="DIRECTOR@")
    by_domain = _names(org.admin, q=domain)

    assert [user["email"] for user in by_local_part["items"]] == [f"director@{domain}"]
    assert by_domain == ALL_NAMES


def test_non_administrator_cannot_search_masked_emails(org: Any, tenant: Any) -> None:
    rep = org.clients["north_rep"]
    domain = f"{tenant.slug}.example.com"

    by_hidden_part = _names(rep, q="irector@")
    by_domain = _names(rep, q=domain)
    by_name = _users(rep, q="director")

    assert by_hidden_part == []
    assert by_domain == []
    assert [user["email"] for user in by_name["items"]] == [f"d***@{domain}"]


def test_user_pages_follow_the_cursor(org: Any) -> None:
    rep = org.clients["north_rep"]
    names: list[str] = []
    cursor = None
    pages = 0

    while True:
        params: dict[str, Any] = {"limit": 4}
        if cursor is not None:
            params["cursor"] = cursor
        body = _users(rep, **params)
        names.extend(user["display_name"] for user in body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert names == ALL_NAMES
    assert pages == 3
    assert _users(rep, limit=9)["next_cursor"] is None


def test_user_pages_keep_searching(org: Any) -> None:
    first = _users(org.admin, q="rep", limit=2)
    second = _users(org.admin, q="rep", limit=2, cursor=first["next_cursor"])

    assert [user["display_name"] for user in first["items"]] == ["east_rep", "north_rep"]
    assert [user["display_name"] for user in second["items"]] == ["shanghai_rep"]
    assert second["next_cursor"] is None


def test_users_with_one_name_keep_a_stable_order(org: Any, client: TestClient) -> None:
    for index in range(3):
        created = client.post(
            USERS,
            json={
                "email": f"same-{index}@example.com",
                "display_name": "张伟",
                "password": "Zhike-same-2026",
                "role": "sales_rep",
            },
        )
        assert created.status_code == 201, created.text
    everyone = [user["id"] for user in _users(client, q="张伟")["items"]]

    first = _users(client, q="张伟", limit=2)
    second = _users(client, q="张伟", limit=2, cursor=first["next_cursor"])

    assert len(everyone) == 3
    assert everyone == sorted(everyone)
    assert [user["id"] for user in first["items"] + second["items"]] == everyone
    assert second["next_cursor"] is None


def test_user_page_size_out_of_range_is_rejected(org: Any) -> None:
    rep = org.clients["north_rep"]

    for value in (0, 501, -3):
        response = rep.get(USERS, params={"limit": value}, headers={"Accept-Language": "en"})

        assert response.status_code == 422, response.text
        (error,) = response.json()["errors"]
        assert error["field"] == "limit"
        assert error["value"] == value
        assert error["code"] == "page_size_out_of_range"
        assert error["message"] == (
            f"Page size limit={value} is out of range; use a whole number from 1 to 500."
        )
    chinese = rep.get(USERS, params={"limit": 501})
    assert chinese.json()["errors"][0]["message"] == (
        "每页条数 limit=501 超出范围；请填写 1 到 500 之间的整数。"
    )
    assert rep.get(USERS, params={"limit": 500}).status_code == 200


def test_user_list_rejects_bad_parameters(org: Any) -> None:
    rep = org.clients["north_rep"]

    not_a_number = rep.get(USERS, params={"limit": "ten"})
    bad_cursor = rep.get(USERS, params={"cursor": "not-a-cursor"})
    long_search = rep.get(USERS, params={"q": "x" * 201})
    anonymous = rep.get(USERS, headers={"Authorization": ""})

    assert not_a_number.status_code == 422
    assert not_a_number.json()["errors"][0]["value"] == "ten"
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["code"] == "invalid_cursor"
    assert long_search.status_code == 422
    assert anonymous.status_code == 401


def test_user_cursor_with_a_number_is_rejected(org: Any) -> None:
    # A hand-made cursor whose name is a number must not reach PostgreSQL's text comparison.
    payload = json.dumps([["raw", 5], str(uuid.uuid4()), "display_name"]).encode()
    cursor = base64.urlsafe_b64encode(payload).decode().rstrip("=")

    response = org.admin.get(USERS, params={"cursor": cursor})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"
