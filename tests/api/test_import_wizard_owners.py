"""The import wizard finds owners by e-mail or by display name, and rejects unclear names."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from zhike.api.app import create_app
from zhike.ingestion.owners import user_key

PASSWORD = "Zhike-owners-2026"
PLAN_MAPPING = {
    "opportunity_id": "external_id",
    "title": "name",
    "sales_agent": "owner_id",
    "deal_stage": "stage_id",
}


def _add_user(
    client: TestClient, email: str, name: str, *, is_active: bool = True, role: str = "sales_rep"
) -> str:
    created = client.post(
        "/api/v1/users",
        json={"email": email, "display_name": name, "password": PASSWORD, "role": role},
    )
    assert created.status_code == 201, created.text
    user_id = str(created.json()["id"])
    if not is_active:
        changed = client.patch(f"/api/v1/users/{user_id}", json={"is_active": False})
        assert changed.status_code == 200, changed.text
    return user_id


def _pipeline_csv(rows: list[tuple[str, str]]) -> bytes:
    lines = ["opportunity_id,title,sales_agent,deal_stage"]
    lines += [f"OPP-{number},{title},{agent},Won" for number, (title, agent) in enumerate(rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _validate(client: TestClient, content: bytes, locale: str = "zh-CN") -> dict[str, Any]:
    upload = client.post("/api/v1/imports/uploads", files={"file": ("pipeline.csv", content)})
    assert upload.status_code == 201, upload.text
    response = client.post(
        f"/api/v1/imports/uploads/{upload.json()['id']}/validate",
        json={"object": "opportunities", "mapping": PLAN_MAPPING, "mode": "skip-invalid"},
        headers={"Accept-Language": locale},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _run(client: TestClient, content: bytes) -> dict[str, Any]:
    upload = client.post("/api/v1/imports/uploads", files={"file": ("pipeline.csv", content)})
    assert upload.status_code == 201, upload.text
    started = client.post(
        f"/api/v1/imports/uploads/{upload.json()['id']}/runs",
        json={"object": "opportunities", "mapping": PLAN_MAPPING, "mode": "skip-invalid"},
    )
    assert started.status_code == 202, started.text
    progress = client.get(f"/api/v1/imports/{started.json()['id']}/progress")
    return progress.json()  # type: ignore[no-any-return]


def _owners(client: TestClient) -> dict[str, str]:
    items = client.get("/api/v1/opportunities", params={"limit": 100}).json()["items"]
    return {item["name"]: item["owner_id"] for item in items}


def test_owner_by_name_or_email(client: TestClient) -> None:
    moses = _add_user(client, "moses.frase@example.com", "Moses Frase")
    zhang = _add_user(client, "zhang.wei@example.com", "张伟")
    content = _pipeline_csv(
        [
            ("by name", "Moses Frase"),
            ("by folded name", "  moses   FRASE "),
            ("by full-width name", "ＭＯＳＥＳ　Ｆｒａｓｅ"),
            ("by chinese name", "张 伟"),
            ("by e-mail", "Zhang.Wei@Example.com"),
        ]
    )

    progress = _run(client, content)

    assert progress["status"] == "succeeded", progress
    assert (progress["rows_created"], progress["rows_rejected"]) == (5, 0)
    assert _owners(client) == {
        "by name": moses,
        "by folded name": moses,
        "by full-width name": moses,
        "by chinese name": zhang,
        "by e-mail": zhang,
    }


def test_ambiguous_and_unknown_owners_are_row_errors(client: TestClient) -> None:
    _add_user(client, "li.na.east@example.com", "李娜")
    _add_user(client, "li.na.west@example.com", "李娜")
    content = _pipeline_csv([("twice", "李娜"), ("nobody", "Nobody Known"), ("empty", "")])

    chinese = _validate(client, content)
    english = _validate(client, content, locale="en")

    assert chinese["run"]["rows_rejected"] == 2
    reasons = {line[4]: line[5] for line in chinese["rejects"]}
    assert reasons == {
        "李娜": "有 2 位用户的姓名是 李娜（列 sales_agent）："
        "li.na.east@example.com, li.na.west@example.com；请改填其中那位用户的邮箱。",
        "Nobody Known": "找不到邮箱或姓名为 Nobody Known 的用户（列 sales_agent）；"
        "请先在“用户”页面添加该用户，或改填已有用户的邮箱或姓名。",
    }
    english_reasons = {line[4]: line[5] for line in english["rejects"]}
    assert english_reasons["李娜"] == (
        "2 users have the name 李娜 (column sales_agent): "
        "li.na.east@example.com, li.na.west@example.com; "
        "enter the e-mail of the user you mean instead."
    )
    assert english_reasons["Nobody Known"].startswith(
        "No user has the e-mail or name Nobody Known (column sales_agent);"
    )
    assert client.get("/api/v1/opportunities").json()["items"] == []


def test_ambiguous_owner_emails_masked_for_non_administrators(
    client: TestClient, tenant: Any
) -> None:
    east = client.post("/api/v1/teams", json={"name": "华东区"}).json()
    _add_user(client, "li.na.west@example.com", "李娜")
    east_li_na = _add_user(client, "li.na.east@example.com", "李娜")
    moved = client.patch(f"/api/v1/users/{east_li_na}", json={"team_id": east["id"]})
    assert moved.status_code == 200, moved.text
    _add_user(client, "director.li.na@example.com", "李娜", role="sales_director")
    _add_user(client, "nobody.else@example.com", "王芳")
    director = TestClient(create_app())
    login = director.post(
        "/api/v1/auth/login",
        json={"tenant": tenant.slug, "email": "director.li.na@example.com", "password": PASSWORD},
    )
    assert login.status_code == 200, login.text
    director.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

    with director:
        english = _validate(director, _pipeline_csv([("twice", "李娜")]), locale="en")
        chinese = _validate(director, _pipeline_csv([("twice", "李娜")]), locale="zh-CN")

    (english_line,) = english["rejects"]
    (chinese_line,) = chinese["rejects"]
    # A sales director may import but not administer users: a colleague's e-mail is
    # masked as in the user list, with the team telling equal masks apart, and the
    # director's own e-mail is shown in full.
    assert english_line[5] == (
        "3 users have the name 李娜 (column sales_agent): "
        "director.li.na@example.com, l***@example.com (no team), l***@example.com (华东区); "
        "enter the e-mail of the user you mean instead."
    )
    assert chinese_line[5] == (
        "有 3 位用户的姓名是 李娜（列 sales_agent）："
        "director.li.na@example.com, l***@example.com（无团队）, l***@example.com（华东区）；"
        "请改填其中那位用户的邮箱。"
    )
    assert "li.na.west" not in str(english)
    assert "li.na.east" not in str(chinese)


def test_ambiguous_name_resolved_by_email(client: TestClient) -> None:
    _add_user(client, "li.na.east@example.com", "李娜")
    west = _add_user(client, "li.na.west@example.com", "李娜")

    progress = _run(client, _pipeline_csv([("west", "li.na.west@example.com")]))

    assert progress["rows_created"] == 1
    assert _owners(client) == {"west": west}


def test_active_user_wins_over_deactivated_namesake(client: TestClient) -> None:
    _add_user(client, "old.wang@example.com", "王芳", is_active=False)
    active = _add_user(client, "new.wang@example.com", "王芳")
    departed = _add_user(client, "gone@example.com", "Departed Rep", is_active=False)

    progress = _run(client, _pipeline_csv([("active", "王芳"), ("historic", "departed rep")]))

    assert (progress["rows_created"], progress["rows_rejected"]) == (2, 0)
    assert _owners(client) == {"active": active, "historic": departed}


def test_user_key_folds_case_width_and_spaces() -> None:
    assert user_key(" Moses  Frase ") == "mosesfrase"
    assert user_key("ＭＯＳＥＳ　Ｆｒａｓｅ") == "mosesfrase"
    assert user_key("张\u3000伟") == "张伟"
    assert user_key("   ") == ""
