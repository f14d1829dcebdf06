"""Lead conversion never duplicates, whatever exists already, and closes the lead."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

LEAD = {
    "name": "陈静",
    "company": "杭州明远贸易有限公司",
    "mobile": "13700002222",
    "email": "chen.jing@mingyuan.cn",
    "province": "浙江",
}


def _count(client: TestClient, object_name: str) -> int:
    response = client.get(f"/api/v1/{object_name}", params={"with_total": "true", "limit": 1})
    return int(response.json()["total"])


def _prepare(client: TestClient, state: str) -> tuple[str | None, str | None]:
    account = contact = None
    if state in ("account", "both"):
        account = client.post("/api/v1/accounts", json={"name": "杭州明远贸易有限公司"}).json()[
            "id"
        ]
    if state in ("contact", "both"):
        contact = client.post(
            "/api/v1/contacts",
            json={
                "name": "陈静",
                "mobile": "13700002222",
                **({"account_id": account} if account else {}),
            },
        ).json()["id"]
    return account, contact


@pytest.mark.parametrize("state", ["neither", "account", "contact", "both"])
def test_conversion_matrix_never_duplicates(client: TestClient, state: str) -> None:
    account, contact = _prepare(client, state)
    lead = client.post("/api/v1/leads", json=LEAD).json()["id"]
    client.post("/api/v1/activities", json={"kind": "call", "subject": "首次电话", "lead_id": lead})
    accounts, contacts = _count(client, "accounts"), _count(client, "contacts")

    converted = client.post(f"/api/v1/leads/{lead}/convert", json={"amount": "120000.00"})
    assert converted.status_code == 200, converted.text
    body = converted.json()

    assert body["account_created"] is (account is None)
    assert body["contact_created"] is (contact is None)
    if account:
        assert body["account_id"] == account
    if contact:
        assert body["contact_id"] == contact
    assert _count(client, "accounts") == accounts + (account is None)
    assert _count(client, "contacts") == contacts + (contact is None)
    assert body["opportunity_created"] is True
    assert body["activities_moved"] == 1

    stored_contact = client.get(f"/api/v1/contacts/{body['contact_id']}").json()
    assert stored_contact["account_id"] == body["account_id"]
    activity = client.get("/api/v1/activities", params={"lead_id": lead}).json()["items"][0]
    assert activity["account_id"] == body["account_id"]
    assert activity["opportunity_id"] == body["opportunity_id"]
    closed = client.get(f"/api/v1/leads/{lead}").json()
    assert closed["status"] == "converted"
    assert closed["converted_contact_id"] == body["contact_id"]

    again = client.post(f"/api/v1/leads/{lead}/convert", json={})
    assert again.status_code == 409
    assert again.json()["code"] == "lead_already_converted"
    assert _count(client, "accounts") == accounts + (account is None)


def test_second_lead_of_same_person_links(client: TestClient) -> None:
    first = client.post("/api/v1/leads", json=LEAD).json()["id"]
    client.post(f"/api/v1/leads/{first}/convert", json={"create_opportunity": False})
    accounts, contacts = _count(client, "accounts"), _count(client, "contacts")
    second = client.post("/api/v1/leads", json={**LEAD, "email": None}).json()["id"]
    body = client.post(f"/api/v1/leads/{second}/convert", json={"create_opportunity": False}).json()
    assert body["account_created"] is False
    assert body["contact_created"] is False
    assert (_count(client, "accounts"), _count(client, "contacts")) == (accounts, contacts)


def test_converted_lead_does_not_block_reimport(client: TestClient) -> None:
    lead = client.post("/api/v1/leads", json={**LEAD, "external_id": "crm-7", "source": "excel"})
    lead_id = lead.json()["id"]
    body = client.post(f"/api/v1/leads/{lead_id}/convert", json={}).json()
    again = client.post("/api/v1/leads", json={**LEAD, "external_id": "crm-7", "source": "excel"})
    assert again.status_code == 201, again.text
    assert again.json()["id"] != lead_id
    duplicates = client.get(f"/api/v1/leads/{again.json()['id']}/duplicates").json()["items"]
    assert ("contacts", body["contact_id"]) in {
        (item["matched_object"], item["matched_id"]) for item in duplicates
    }
    assert all(item["matched_id"] != lead_id for item in duplicates)
    assert client.get(f"/api/v1/leads/{lead_id}").json()["status"] == "converted"
