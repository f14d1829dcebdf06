"""Administration additions: tenant settings, the team tree, field metadata and classification."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from zhike.api.app import create_app

PASSWORD = "Zhike-admin-2026"


@pytest.fixture
def rep(client: TestClient, tenant: object) -> Iterator[TestClient]:
    email = f"rep-{secrets.token_hex(3)}@example.com"
    created = client.post(
        "/api/v1/users",
        json={"email": email, "display_name": "王销售", "password": PASSWORD, "role": "sales_rep"},
    )
    assert created.status_code == 201, created.text
    test_client = TestClient(create_app())
    response = test_client.post(
        "/api/v1/auth/login",
        json={"tenant": tenant.slug, "email": email, "password": PASSWORD},  # type: ignore[attr-defined]
    )
    assert response.status_code == 200, response.text
    test_client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    with test_client:
        yield test_client


def test_tenant_settings_round_trip(client: TestClient) -> None:
    before = client.get("/api/v1/tenant").json()

    changed = client.patch(
        "/api/v1/tenant",
        json={
            "timezone": "Asia/Urumqi",
            "fiscal_year_start_month": 4,
            "working_hours": {"mon": [["09:00", "12:00"], ["13:30", "18:00"]]},
        },
    )

    assert before["fiscal_year_start_month"] == 1
    assert before["working_hours"]["fri"] == [["09:00", "18:00"]]
    assert changed.status_code == 200, changed.text
    body = client.get("/api/v1/tenant").json()
    assert body["timezone"] == "Asia/Urumqi"
    assert body["fiscal_year_start_month"] == 4
    assert body["working_hours"] == {"mon": [["09:00", "12:00"], ["13:30", "18:00"]]}
    events = client.get("/api/v1/audit/events", params={"object_name": "tenants"}).json()
    assert [event["action"] for event in events["items"]] == ["config.change"]


def test_tenant_settings_are_validated(client: TestClient, rep: TestClient) -> None:
    hours = client.patch("/api/v1/tenant", json={"working_hours": {"mon": [["18:00", "09:00"]]}})
    month = client.patch("/api/v1/tenant", json={"fiscal_year_start_month": 13})
    denied = rep.patch("/api/v1/tenant", json={"fiscal_year_start_month": 4})

    assert hours.status_code == 422
    assert hours.json()["errors"][0]["code"] == "invalid_working_hours"
    assert month.status_code == 422
    assert denied.status_code == 403
    assert client.get("/api/v1/tenant").json()["fiscal_year_start_month"] == 1


def test_team_tree_moves_and_rejects_cycles(client: TestClient) -> None:
    root = client.post("/api/v1/teams", json={"name": "销售中心"}).json()
    east = client.post("/api/v1/teams", json={"name": "华东区", "parent_id": root["id"]}).json()

    renamed = client.patch(f"/api/v1/teams/{east['id']}", json={"name": "华东大区"})
    cycle = client.patch(f"/api/v1/teams/{root['id']}", json={"parent_id": east["id"]})
    own = client.patch(f"/api/v1/teams/{root['id']}", json={"parent_id": root["id"]})
    taken = client.patch(f"/api/v1/teams/{east['id']}", json={"name": "销售中心"})

    assert renamed.status_code == 200
    assert renamed.json()["parent_id"] == root["id"]
    assert cycle.status_code == 422
    assert cycle.json()["errors"][0]["code"] == "team_cycle"
    assert own.json()["errors"][0]["code"] == "team_cycle"
    assert taken.status_code == 409
    names = {
        team["name"]: team["parent_id"] for team in client.get("/api/v1/teams").json()["items"]
    }
    assert names == {"销售中心": None, "华东大区": root["id"]}


def test_users_list_shows_totp_to_administrators(client: TestClient, rep: TestClient) -> None:
    admin_view = client.get("/api/v1/users").json()["items"]
    rep_view = rep.get("/api/v1/users").json()["items"]

    assert [user["has_totp"] for user in admin_view] == [False, False]
    assert all(user["has_totp"] is False for user in rep_view)


def test_users_list_masks_emails_for_non_administrators(
    client: TestClient, rep: TestClient, tenant: object
) -> None:
    admin_email = tenant.admin_email  # type: ignore[attr-defined]

    admin_response = client.get("/api/v1/users")
    rep_response = rep.get("/api/v1/users")

    admin_view = {user["display_name"]: user["email"] for user in admin_response.json()["items"]}
    rep_view = {user["display_name"]: user["email"] for user in rep_response.json()["items"]}
    own_email = admin_view["王销售"]
    assert admin_view["admin"] == admin_email
    assert own_email.startswith("rep-")
    assert rep_response.status_code == 200
    # The rep still sees every colleague's name, and their own address in full.
    assert rep_view == {"admin": "a***@" + admin_email.split("@")[1], "王销售": own_email}
    assert admin_email not in rep_response.text


def test_object_fields_have_labels_and_classes(client: TestClient) -> None:
    client.post(
        "/api/v1/fields",
        json={"object": "contacts", "name": "wechat", "label_zh": "微信号", "label_en": "WeChat"},
    )

    zh = client.get("/api/v1/objects/contacts/fields").json()["items"]
    en = client.get("/api/v1/objects/contacts/fields", headers={"Accept-Language": "en"}).json()[
        "items"
    ]

    by_name = {item["name"]: item for item in zh}
    assert by_name["mobile"]["label"] == "手机"
    assert by_name["mobile"]["classification"] == "sensitive"
    assert by_name["id_number"]["classification"] == "highly_sensitive"
    assert by_name["name"]["is_required"] is True
    assert by_name["custom.wechat"]["label"] == "微信号"
    assert {item["name"]: item["label"] for item in en}["mobile"] == "Mobile"


@pytest.mark.parametrize(
    ("object_name", "field", "value", "label"),
    [
        ("leads", "status", "disqualified", "已排除"),
        ("activities", "kind", "visit", "拜访"),
        ("activities", "status", "done", "已完成"),
        ("campaigns", "status", "planned", "计划中"),
        ("campaign_members", "status", "unsubscribed", "已退订"),
    ],
)
def test_choice_fields_have_chinese_labels(
    client: TestClient, object_name: str, field: str, value: str, label: str
) -> None:
    items = client.get(f"/api/v1/objects/{object_name}/fields").json()["items"]

    (info,) = [item for item in items if item["name"] == field]
    assert info["field_type"] == "choice"
    assert value in info["choices"]
    assert info["choice_labels"][value] == label
    assert set(info["choice_labels"]) == set(info["choices"])


def test_ticket_fields_have_choices_and_units(client: TestClient) -> None:
    zh = client.get("/api/v1/objects/tickets/fields").json()["items"]
    en = client.get("/api/v1/objects/tickets/fields", headers={"Accept-Language": "en"}).json()[
        "items"
    ]

    by_name = {item["name"]: item for item in zh}
    en_by_name = {item["name"]: item for item in en}
    assert by_name["first_response_due_at"]["label"] == "首次响应截止时间"
    assert en_by_name["first_response_due_at"]["label"] == "First response due"
    assert by_name["first_response_due_at"]["field_type"] == "datetime"
    assert by_name["status"]["field_type"] == "choice"
    assert by_name["status"]["choices"] == [
        "new",
        "open",
        "pending",
        "on_hold",
        "resolved",
        "closed",
    ]
    assert by_name["status"]["choice_labels"]["resolved"] == "已解决"
    assert en_by_name["status"]["choice_labels"]["resolved"] == "Resolved"
    assert by_name["priority"]["choice_labels"]["urgent"] == "紧急"
    assert by_name["channel"]["choice_labels"]["phone"] == "电话"
    assert by_name["sla_paused_seconds"]["unit"] == "seconds"
    assert by_name["predicted_resolution_hours"]["unit"] == "hours"
    assert by_name["subject"]["choice_labels"] is None
    assert all(item["label"] != item["name"] for item in zh), [
        item["name"] for item in zh if item["label"] == item["name"]
    ]


def test_fields_not_in_update_are_read_only(client: TestClient) -> None:
    fields = client.get("/api/v1/objects/tickets/fields").json()["items"]
    read_only = {item["name"] for item in fields if item["read_only"]}
    ticket = client.post("/api/v1/tickets", json={"subject": "打印机卡纸"}).json()

    rejected = client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        json={"number": "T999999"},
        headers={"If-Match": f'"{ticket["id"]}.{ticket["version"]}"'},
    )

    assert {"number", "sla_paused_seconds", "first_response_due_at", "routing"} <= read_only
    assert {"subject", "status", "priority", "assignee_id"}.isdisjoint(read_only)
    assert rejected.status_code == 422


def test_role_read_only_fields_are_read_only(rep: TestClient) -> None:
    fields = rep.get("/api/v1/objects/accounts/fields").json()["items"]
    by_name = {item["name"]: item for item in fields}

    assert by_name["unified_social_credit_code"]["read_only"] is True
    assert by_name["industry"]["read_only"] is False


def test_classification_change_takes_effect(client: TestClient, rep: TestClient) -> None:
    contact = rep.post("/api/v1/contacts", json={"name": "张伟", "title": "采购经理"}).json()
    assert rep.get(f"/api/v1/contacts/{contact['id']}").json()["title"] == "采购经理"

    changed = client.put(
        "/api/v1/objects/contacts/fields/title/classification",
        json={"classification": "sensitive"},
    )
    denied = rep.put(
        "/api/v1/objects/contacts/fields/title/classification",
        json={"classification": "public"},
    )
    unknown = client.put(
        "/api/v1/objects/contacts/fields/salary/classification",
        json={"classification": "public"},
    )
    invalid = client.put(
        "/api/v1/objects/contacts/fields/title/classification",
        json={"classification": "secret"},
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["classification"] == "sensitive"
    assert changed.json()["default_classification"] == "internal"
    assert rep.get(f"/api/v1/contacts/{contact['id']}").json()["title"] != "采购经理"
    assert denied.status_code == 403
    assert unknown.status_code == 404
    assert invalid.status_code == 422
    reset = client.put(
        "/api/v1/objects/contacts/fields/title/classification",
        json={"classification": "internal"},
    )
    assert reset.json()["classification"] == "internal"
    assert rep.get(f"/api/v1/contacts/{contact['id']}").json()["title"] == "采购经理"


def test_hidden_fields_are_left_out_for_the_role(rep: TestClient) -> None:
    names = [item["name"] for item in rep.get("/api/v1/objects/contacts/fields").json()["items"]]

    assert "id_number" not in names
    assert "mobile" in names


def test_monitor_runs_for_administrators(client: TestClient, rep: TestClient) -> None:
    runs = client.get("/api/v1/models/monitor-runs", params={"template": "churn_risk"})
    denied = rep.get("/api/v1/models/monitor-runs")

    assert runs.status_code == 200
    assert runs.json() == []
    assert denied.status_code == 403
