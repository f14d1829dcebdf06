"""The 360° profile and customer search through the permission layer, and merge/unmerge ids."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from testkit import TenantInfo

from zhike.core.db import Base, Database
from zhike.security.auth import hash_password
from zhike.security.models import User

PASSWORD = "Profile-password-2026"


def login_as(
    client: TestClient, database: Database, tenant: TenantInfo, role: str
) -> tuple[str, dict[str, str]]:
    email = f"{role}-{uuid.uuid4().hex[:6]}@{tenant.slug}.example.com"
    with database.session() as session:
        user = User(
            tenant_id=tenant.tenant.id,
            email=email,
            display_name=role,
            password_hash=hash_password(PASSWORD),
            role=role,
        )
        session.add(user)
        session.flush()
        user_id = str(user.id)
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant": tenant.slug, "email": email, "password": PASSWORD},
        headers={"Authorization": ""},
    )
    assert response.status_code == 200, response.text
    return user_id, {"Authorization": f"Bearer {response.json()['access_token']}"}


def create(
    client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = client.post(f"/api/v1/{path}", json=body, headers=headers or {})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def customer_rows(database: Database, tenant: TenantInfo) -> dict[str, dict[str, Any]]:
    """Every identity-related column of the tenant, by table and row id, as stored."""
    found: dict[str, dict[str, Any]] = {}
    with database.session() as session:
        for name in ("global_customers", "customer_links", "customer_identities"):
            table = Base.metadata.tables[name]
            rows = session.execute(select(table).where(table.c.tenant_id == tenant.tenant.id))
            for row in rows:
                values = dict(row._mapping)
                if name == "customer_identities":
                    # The survivor's identities are rebuilt from its values after each step.
                    values.pop("last_seen_at")
                found[f"{name}:{row.id}"] = values
        for name in ("contacts", "leads", "accounts"):
            table = Base.metadata.tables[name]
            rows = session.execute(
                select(table.c.id, table.c.global_customer_id).where(
                    table.c.tenant_id == tenant.tenant.id
                )
            )
            for row in rows:
                found[f"{name}:{row.id}"] = {"global_customer_id": row.global_customer_id}
    return found


def test_profile_assembles_every_section(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    account = create(client, "accounts", {"name": "杭州西湖软件有限公司"})
    contact = create(
        client,
        "contacts",
        {
            "name": "林涛",
            "email": "lin.tao@example.cn",
            "mobile": "13855556666",
            "account_id": account["id"],
            "title": "技术总监",
        },
    )
    lead = create(
        client, "leads", {"name": "林涛", "email": "LIN.TAO@example.cn", "company": "西湖软件"}
    )
    activity = create(
        client, "activities", {"kind": "call", "subject": "需求沟通", "contact_id": contact["id"]}
    )
    segment = client.post(
        "/api/v1/marketing/segments",
        json={"name": "重点客户", "kind": "static", "object_name": "contacts"},
    )
    assert segment.status_code == 201, segment.text
    added = client.post(
        f"/api/v1/marketing/segments/{segment.json()['id']}/members",
        json={"ids": [contact["id"]]},
    )
    assert added.status_code == 200, added.text
    consent = client.post(
        "/api/v1/marketing/consents",
        json={
            "contact_id": contact["id"],
            "channel": "sms",
            "purpose": "marketing",
            "status": "granted",
            "source": "call",
            "wording_version": "v1",
        },
    )
    assert consent.status_code == 201, consent.text
    global_id = contact["global_customer_id"]
    assert lead["global_customer_id"] == global_id

    response = client.get(f"/api/v1/customers/{global_id}")

    assert response.status_code == 200, response.text
    profile = response.json()
    assert (profile["id"], profile["kind"], profile["status"]) == (global_id, "person", "active")
    assert profile["display_name"] == "林涛"
    assert [(item["object_name"], item["record_id"]) for item in profile["records"]] == [
        ("contacts", contact["id"]),
        ("leads", lead["id"]),
    ]
    assert [item["link_method"] for item in profile["records"]] == ["new", "deterministic"]
    assert profile["records"][1]["link_reasons"] == ["email:exact"]
    identities = {(item["object_name"], item["kind"]) for item in profile["identities"]}
    assert identities == {("contacts", "email"), ("contacts", "mobile"), ("leads", "email")}
    # Identities are masked for the administrator exactly as on the record endpoints.
    shown_email = client.get(f"/api/v1/contacts/{contact['id']}").json()["email"]
    assert {item["value"] for item in profile["identities"] if item["kind"] == "email"} == {
        shown_email,
        client.get(f"/api/v1/leads/{lead['id']}").json()["email"],
    }
    assert profile["sources"] == [{"source": "api", "records": 2, "identities": 3}]
    attributes = {item["field"]: item for item in profile["attributes"]}
    assert attributes["title"]["value"] == "技术总监"
    assert attributes["title"]["record_id"] == contact["id"]
    assert attributes["company"]["record_id"] == lead["id"]
    assert attributes["name"]["alternatives"] == 0
    assert [item["id"] for item in profile["timeline"]["items"]] == [activity["id"]]
    assert profile["timeline"]["items"][0]["subject_id"] == contact["id"]
    assert [(tag["name"], tag["kind"], tag["record_id"]) for tag in profile["tags"]] == [
        ("重点客户", "static", contact["id"])
    ]
    assert profile["consent"] == [
        {"contact_id": contact["id"], "channel": "sms", "purpose": "marketing", "status": "granted"}
    ]
    with database.session() as session:
        from zhike.ai.models.models import ModelScore

        stored = session.scalars(
            select(ModelScore.template).where(
                ModelScore.tenant_id == tenant.tenant.id,
                ModelScore.record_id.in_([uuid.UUID(contact["id"]), uuid.UUID(lead["id"])]),
            )
        ).all()
    assert sorted(item["template"] for item in profile["scores"]) == sorted(stored)
    quality = profile["quality"]
    assert quality is not None
    assert [(item["object_name"], item["record_id"]) for item in quality["records"]] == [
        ("contacts", contact["id"]),
        ("leads", lead["id"]),
    ]
    assert 0 <= quality["score"] <= 100


def test_profile_shows_rep_only_own_records(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    manager_id, manager = login_as(client, database, tenant, "sales_manager")
    _rep_id, rep = login_as(client, database, tenant, "sales_rep")
    contact = create(
        client,
        "contacts",
        {"name": "郭静", "email": "guo.jing@example.cn", "owner_id": manager_id},
    )
    lead = create(client, "leads", {"name": "郭静", "email": "guo.jing@example.cn"}, rep)
    global_id = contact["global_customer_id"]
    assert lead["global_customer_id"] == global_id

    as_rep = client.get(f"/api/v1/customers/{global_id}", headers=rep)
    as_manager = client.get(f"/api/v1/customers/{global_id}", headers=manager)
    as_admin = client.get(f"/api/v1/customers/{global_id}")

    assert as_rep.status_code == 200, as_rep.text
    assert [item["record_id"] for item in as_rep.json()["records"]] == [lead["id"]]
    assert {item["record_id"] for item in as_rep.json()["identities"]} == {lead["id"]}
    assert {item["record_id"] for item in as_rep.json()["attributes"]} == {lead["id"]}
    assert as_manager.status_code == 200, as_manager.text
    assert [item["record_id"] for item in as_manager.json()["records"]] == [contact["id"]]
    assert [item["record_id"] for item in as_admin.json()["records"]] == [
        contact["id"],
        lead["id"],
    ]


def test_profile_hidden_from_outsiders(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    _rep_id, rep = login_as(client, database, tenant, "sales_rep")
    contact = create(client, "contacts", {"name": "高峰", "mobile": "13900001111"})
    global_id = contact["global_customer_id"]

    not_owner = client.get(f"/api/v1/customers/{global_id}", headers=rep)
    missing = client.get(f"/api/v1/customers/{uuid.uuid4()}", headers=rep)
    anonymous = client.get(f"/api/v1/customers/{global_id}", headers={"Authorization": ""})

    assert not_owner.status_code == 404
    assert not_owner.json()["code"] == "customer_not_found"
    assert missing.status_code == 404
    assert missing.json()["code"] == "customer_not_found"
    assert anonymous.status_code == 401
    found = client.get("/api/v1/customers", params={"search": "13900001111"}, headers=rep)
    assert found.status_code == 200
    assert found.json() == {"items": []}


def test_search_by_name_phone_email(client: TestClient) -> None:
    contact = create(
        client, "contacts", {"name": "欧阳娜娜", "mobile": "13677778888", "email": "ny@example.cn"}
    )
    global_id = contact["global_customer_id"]

    by_phone = client.get("/api/v1/customers", params={"search": "+86 136 7777 8888"}).json()
    by_email = client.get("/api/v1/customers", params={"search": "NY@example.cn"}).json()
    by_name = client.get("/api/v1/customers", params={"search": "阳娜"}).json()
    nothing = client.get("/api/v1/customers", params={"search": "%"}).json()
    empty = client.get("/api/v1/customers", params={"search": ""})

    assert [(item["id"], item["matched_on"]) for item in by_phone["items"]] == [
        (global_id, "mobile")
    ]
    assert [(item["id"], item["matched_on"]) for item in by_email["items"]] == [
        (global_id, "email")
    ]
    assert [(item["id"], item["matched_on"]) for item in by_name["items"]] == [(global_id, "name")]
    assert by_name["items"][0]["records"] == 1
    assert by_name["items"][0]["sources"] == ["api"]
    assert nothing == {"items": []}
    assert empty.status_code == 422


def test_merge_unmerge_restores_global_ids(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    survivor = create(client, "contacts", {"name": "邓超", "mobile": "13512340000"})
    merged = create(client, "contacts", {"name": "邓 超", "email": "deng.chao@example.cn"})
    lead = create(client, "leads", {"name": "邓超", "email": "deng.chao@example.cn"})
    kept_id, away_id = survivor["global_customer_id"], merged["global_customer_id"]
    assert kept_id != away_id
    assert lead["global_customer_id"] == away_id
    before = customer_rows(database, tenant)

    response = client.post(
        "/api/v1/customers/merges",
        json={"object_name": "contacts", "survivor_id": survivor["id"], "merged_id": merged["id"]},
    )
    assert response.status_code == 201, response.text
    merge_id = response.json()["id"]

    assert client.get(f"/api/v1/leads/{lead['id']}").json()["global_customer_id"] == kept_id
    profile = client.get(f"/api/v1/customers/{kept_id}").json()
    assert {item["record_id"] for item in profile["records"]} == {survivor["id"], lead["id"]}
    assert {(item["kind"], item["object_name"]) for item in profile["identities"]} >= {
        ("mobile", "contacts"),
        ("email", "contacts"),
        ("email", "leads"),
    }
    retired = client.get(f"/api/v1/customers/{away_id}").json()
    assert (retired["status"], retired["merged_into_id"]) == ("merged", kept_id)
    # A new record with the merged email now joins the surviving customer.
    later = create(client, "leads", {"name": "邓超", "email": "deng.chao@example.cn"})
    assert later["global_customer_id"] == kept_id
    deleted = client.delete(
        f"/api/v1/leads/{later['id']}",
        headers={"If-Match": client.get(f"/api/v1/leads/{later['id']}").headers["ETag"]},
    )
    assert deleted.status_code in (200, 204), deleted.text

    undone = client.post(f"/api/v1/customers/merges/{merge_id}/unmerge")
    assert undone.status_code == 200, undone.text

    after = customer_rows(database, tenant)
    later_keys = {key for key in after if later["id"] in key or key not in before}
    for key in sorted(set(before) | set(after)):
        if key in later_keys:
            continue
        if key.startswith("global_customers:"):
            after[key].pop("updated_at")
            before[key].pop("updated_at")
        assert after.get(key) == before.get(key), key
    assert client.get(f"/api/v1/contacts/{merged['id']}").json()["global_customer_id"] == away_id
    assert client.get(f"/api/v1/customers/{away_id}").json()["status"] == "active"
