"""The report field catalog: labels in both languages, relations, choices and field security."""

from __future__ import annotations

from typing import Any

from analytics_support import add_team, log_in_user
from fastapi.testclient import TestClient
from testkit import TenantInfo

from zhike.core.db import Database


def _catalog(client: TestClient, name: str, headers: dict[str, str] | None = None) -> Any:
    response = client.get(f"/api/v1/reports/fields/{name}", headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


def test_opportunity_fields_by_relation(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    add_team(database, tenant, "华南")

    catalog = _catalog(client, "opportunities")
    fields = {item["path"]: item for item in catalog["fields"]}

    relations = [item["name"] for item in catalog["relations"]]
    assert relations[0] == ""
    assert {"owner", "account", "stage", "product"} <= set(relations)
    assert fields["amount"]["kind"] == "amount"
    assert fields["amount"]["label_zh"] == "金额"
    assert fields["amount"]["label_en"] == "Amount"
    assert fields["expected_close_date"]["kind"] == "date"
    assert fields["owner_id"]["reference"] == "users"
    assert fields["owner.team_id"]["reference"] == "teams"
    assert fields["owner.display_name"]["relation"] == "owner"
    assert fields["owner.display_name"]["label_zh"] == "姓名"
    stage_choices = {item["value"]: item["label_zh"] for item in fields["stage.key"]["choices"]}
    assert stage_choices["won"] == "赢单"
    assert "account_id" not in fields
    assert "tenant_id" not in fields
    assert "华南" in [team["name"] for team in catalog["teams"]]


def test_choice_labels_of_tickets(client: TestClient) -> None:
    fields = {item["path"]: item for item in _catalog(client, "tickets")["fields"]}

    priority = {item["value"]: item for item in fields["priority"]["choices"]}
    assert priority["urgent"]["label_zh"] == "紧急"
    assert priority["urgent"]["label_en"] == "Urgent"
    assert fields["csat_rating"]["label_en"] == "Satisfaction rating"


def test_masked_and_hidden_fields(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    _, rep_headers = log_in_user(client, database, tenant, "he", "sales_rep")

    contacts = {item["path"]: item for item in _catalog(client, "contacts", rep_headers)["fields"]}

    assert contacts["mobile"]["masked"] is True
    assert contacts["name"]["masked"] is False
    assert "id_number" not in contacts


def test_user_picker_follows_data_scope(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    rep_id, rep_headers = log_in_user(client, database, tenant, "ma", "sales_rep")
    colleague_id, _ = log_in_user(client, database, tenant, "niu", "sales_rep")

    for_rep = _catalog(client, "opportunities", rep_headers)["users"]
    for_admin = _catalog(client, "opportunities")["users"]

    assert [user["id"] for user in for_rep] == [str(rep_id)]
    admin_ids = {user["id"] for user in for_admin}
    assert str(rep_id) in admin_ids
    assert str(colleague_id) in admin_ids
    assert str(tenant.admin.id) in admin_ids


def test_unknown_object_and_denied_read(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    unknown = client.get("/api/v1/reports/fields/invoices")
    _, agent_headers = log_in_user(client, database, tenant, "xu", "service_agent")
    denied = client.get("/api/v1/reports/fields/opportunities", headers=agent_headers)
    anonymous = client.get("/api/v1/reports/fields/opportunities", headers={"Authorization": ""})

    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_object"
    assert denied.status_code == 403
    assert anonymous.status_code == 401
