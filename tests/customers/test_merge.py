"""Duplicate review queue, merge with survivorship, unmerge, and who may do them."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Table, func, select
from testkit import TenantInfo

from zhike.audit.models import AuditEvent
from zhike.core.db import Base, Database
from zhike.customers.jobs import run_duplicate_scan
from zhike.customers.merge_models import DuplicateCandidate, RecordMerge
from zhike.security.auth import hash_password
from zhike.security.models import User

PASSWORD = "Merge-password-2026"
RELATED_TABLES = ("activities", "opportunities", "tickets", "campaign_members", "contacts")


def login_as(
    client: TestClient, database: Database, tenant: TenantInfo, role: str
) -> dict[str, str]:
    email = f"{role}-{uuid.uuid4().hex[:6]}@{tenant.slug}.example.com"
    with database.session() as session:
        session.add(
            User(
                tenant_id=tenant.tenant.id,
                email=email,
                display_name=role,
                password_hash=hash_password(PASSWORD),
                role=role,
            )
        )
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant": tenant.slug, "email": email, "password": PASSWORD},
        headers={"Authorization": ""},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def create(
    client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> str:
    response = client.post(f"/api/v1/{path}", json=body, headers=headers or {})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def rows_of(database: Database, tenant: TenantInfo, table_name: str) -> dict[str, dict[str, Any]]:
    """Read every row of a table for the tenant, by id, as stored."""
    table: Table = Base.metadata.tables[table_name]
    with database.session() as session:
        result = session.execute(select(table).where(table.c.tenant_id == tenant.tenant.id))
        return {str(row.id): dict(row._mapping) for row in result}


def snapshot(database: Database, tenant: TenantInfo) -> dict[str, dict[str, dict[str, Any]]]:
    return {name: rows_of(database, tenant, name) for name in (*RELATED_TABLES, "accounts")}


def audit_actions(database: Database, tenant: TenantInfo) -> list[str]:
    with database.session() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(
                    AuditEvent.tenant_id == tenant.tenant.id,
                    AuditEvent.action.like("customers.%"),
                )
                .order_by(AuditEvent.sequence)
            )
        )


def scan(client: TestClient, object_name: str = "contacts", **extra: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/customers/duplicates/scan", json={"object_name": object_name, **extra}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def candidates(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/customers/duplicates", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_scan_skips_rejected_pairs(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    first = create(client, "contacts", {"name": "王芳", "mobile": "139 1234 5678"})
    second = create(client, "contacts", {"name": "王 芳", "mobile": "+86 13912345678"})
    create(client, "contacts", {"name": "李强", "mobile": "13800001111"})

    result = scan(client)

    assert result["records"] == 3
    assert (result["queued"], result["updated"], result["skipped_decided"]) == (1, 0, 0)
    [pair] = candidates(client)
    assert {pair["first_id"], pair["second_id"]} == {first, second}
    assert pair["score"] == 1.0
    assert pair["status"] == "open"
    assert pair["matched_fields"] == ["name", "mobile"]
    assert pair["reasons"][0] == "strong_identifier"
    assert candidates(client, min_score=1.0) == [pair]

    rejected = client.post(f"/api/v1/customers/duplicates/{pair['id']}/reject")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    again = client.post(f"/api/v1/customers/duplicates/{pair['id']}/reject")
    assert again.status_code == 409
    assert again.json()["code"] == "merge_candidate_decided"

    later = scan(client)
    assert (later["queued"], later["updated"], later["skipped_decided"]) == (0, 0, 1)
    assert candidates(client) == []
    assert [item["id"] for item in candidates(client, status="rejected")] == [pair["id"]]
    assert audit_actions(database, tenant) == [
        "customers.duplicate_scan",
        "customers.duplicate_reject",
        "customers.duplicate_scan",
    ]


def test_merge_unmerge_round_trip(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    account = create(client, "accounts", {"name": "宁波港务集团有限公司"})
    survivor = create(client, "contacts", {"name": "陈静", "mobile": "13912345678"})
    merged = create(
        client,
        "contacts",
        {
            "name": "陈静",
            "mobile": "139-1234-5678",
            "email": "Chen.Jing@Example.com",
            "title": "采购经理",
            "account_id": account,
        },
    )
    campaign = create(client, "campaigns", {"name": "春季发布会"})
    activity = create(
        client, "activities", {"kind": "call", "subject": "电话回访", "contact_id": merged}
    )
    opportunity = create(
        client, "opportunities", {"name": "港口 ERP", "contact_id": merged, "account_id": account}
    )
    ticket = create(client, "tickets", {"subject": "无法登录", "contact_id": merged})
    member = create(client, "campaign_members", {"campaign_id": campaign, "contact_id": merged})
    before = snapshot(database, tenant)
    scan(client)
    [pair] = candidates(client)

    preview = client.post(
        "/api/v1/customers/merges/preview",
        json={
            "object_name": "contacts",
            "survivor_id": survivor,
            "merged_id": merged,
            "picks": {"name": "survivor"},
        },
    )
    assert preview.status_code == 200, preview.text
    decisions = {item["field"]: item for item in preview.json()["fields"]}
    assert decisions["email"]["chosen"] == "merged"
    assert decisions["email"]["reason"] == "survivor_empty"
    assert decisions["name"]["rule"] == "manual"
    assert preview.json()["related_rows"] == {
        "activities.contact_id": 1,
        "campaign_members.contact_id": 1,
        "opportunities.contact_id": 1,
        "tickets.contact_id": 1,
    }
    assert snapshot(database, tenant) == before

    accepted = client.post(
        f"/api/v1/customers/duplicates/{pair['id']}/accept", json={"survivor_id": survivor}
    )
    assert accepted.status_code == 200, accepted.text
    merge = accepted.json()
    assert merge["merged_id"] == merged
    assert {(row["table"], row["row_id"]) for row in merge["repointed"]} == {
        ("activities", activity),
        ("opportunities", opportunity),
        ("tickets", ticket),
        ("campaign_members", member),
    }
    merged_response = client.get(f"/api/v1/contacts/{merged}")
    assert merged_response.status_code == 410
    assert merged_response.json()["code"] == "record_merged"
    assert merged_response.json()["survivor_id"] == survivor
    assert merged_response.json()["survivor_location"] == f"/api/v1/contacts/{survivor}"
    survivor_read = client.get(f"/api/v1/contacts/{survivor}").json()
    # The API masks the email; the stored value is compared in the snapshot below.
    assert (survivor_read["email"], survivor_read["title"], survivor_read["account_id"]) == (
        "c***@example.com",
        "采购经理",
        account,
    )
    assert client.get(f"/api/v1/tickets/{ticket}").json()["contact_id"] == survivor
    assert candidates(client) == []
    assert [item["id"] for item in candidates(client, status="merged")] == [pair["id"]]

    # A later edit of a field the merge did not touch must survive the unmerge.
    edited = client.patch(f"/api/v1/contacts/{survivor}", json={"department": "采购部"})
    assert edited.status_code == 200, edited.text

    undone = client.post(f"/api/v1/customers/merges/{merge['id']}/unmerge")
    assert undone.status_code == 200, undone.text
    assert undone.json()["restored_fields"] == ["account_id", "email", "title"]
    assert undone.json()["kept_later_edits"] == []
    assert undone.json()["restored_rows"] == 4
    assert client.get(f"/api/v1/contacts/{merged}").status_code == 200

    after = snapshot(database, tenant)
    for name in (*RELATED_TABLES, "accounts"):
        if name != "contacts":
            assert after[name] == before[name], name
    assert after["contacts"][merged] == before["contacts"][merged]
    survivor_now = dict(after["contacts"][survivor])
    assert survivor_now.pop("department") == "采购部"
    survivor_then = dict(before["contacts"][survivor])
    assert survivor_then.pop("department") is None
    for bookkeeping in ("version", "updated_at"):
        survivor_now.pop(bookkeeping)
        survivor_then.pop(bookkeeping)
    assert survivor_now == survivor_then
    assert candidates(client)[0]["id"] == pair["id"]
    assert audit_actions(database, tenant) == [
        "customers.duplicate_scan",
        "customers.merge",
        "customers.merged_away",
        "customers.unmerge",
        "customers.unmerge",
    ]
    repeated = client.post(f"/api/v1/customers/merges/{merge['id']}/unmerge")
    assert repeated.status_code == 409
    assert repeated.json()["code"] == "merge_already_undone"


def test_unmerge_keeps_later_edits(client: TestClient) -> None:
    survivor = create(client, "contacts", {"name": "周敏", "email": "zhou@a.example.com"})
    merged = create(client, "contacts", {"name": "周敏", "title": "总监"})
    response = client.post(
        "/api/v1/customers/merges",
        json={"object_name": "contacts", "survivor_id": survivor, "merged_id": merged},
    )
    assert response.status_code == 201, response.text
    client.patch(f"/api/v1/contacts/{survivor}", json={"title": "副总裁"})

    undone = client.post(f"/api/v1/customers/merges/{response.json()['id']}/unmerge")

    assert undone.json()["restored_fields"] == []
    assert undone.json()["kept_later_edits"] == ["title"]
    assert client.get(f"/api/v1/contacts/{survivor}").json()["title"] == "副总裁"


def test_survivorship_rules_and_picks(client: TestClient) -> None:
    survivor = create(client, "contacts", {"name": "赵磊", "address": "浙江省杭州市西湖区"})
    merged = create(
        client, "contacts", {"name": "赵磊", "address": "浙江省杭州市西湖区文三路 90 号"}
    )
    body = {"object_name": "contacts", "survivor_id": survivor, "merged_id": merged}

    recent = client.post("/api/v1/customers/merges/preview", json=body).json()
    complete = client.post(
        "/api/v1/customers/merges/preview",
        json={**body, "rule": "most_recent", "field_rules": {"address": "most_complete"}},
    ).json()
    picked = client.post(
        "/api/v1/customers/merges/preview", json={**body, "picks": {"address": "survivor"}}
    ).json()
    wrong = client.post(
        "/api/v1/customers/merges/preview", json={**body, "picks": {"owner_id": "merged"}}
    )
    same = client.post("/api/v1/customers/merges/preview", json={**body, "merged_id": survivor})

    def address(preview: dict[str, Any]) -> tuple[str, str]:
        [decision] = [item for item in preview["fields"] if item["field"] == "address"]
        return decision["chosen"], decision["reason"]

    assert address(recent) == ("merged", "more_recent")
    assert address(complete) == ("merged", "longer")
    assert address(picked) == ("survivor", "picked")
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "merge_field_not_mergeable"
    assert same.status_code == 400
    assert same.json()["code"] == "merge_same_record"


def test_account_merge_round_trip(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    code = "91330200MA2AB3CD4G"
    survivor = create(
        client, "accounts", {"name": "宁波港务有限公司", "unified_social_credit_code": code}
    )
    merged = create(
        client, "accounts", {"name": "宁波港务有限责任公司", "unified_social_credit_code": code}
    )
    contact = create(client, "contacts", {"name": "吴刚", "account_id": merged})
    before = snapshot(database, tenant)

    assert scan(client, "accounts")["queued"] == 1
    [pair] = candidates(client, object_name="accounts")
    assert "credit_code" in pair["matched_fields"]
    merge = client.post(f"/api/v1/customers/duplicates/{pair['id']}/accept", json={}).json()
    assert merge["survivor_id"] == survivor
    assert client.get(f"/api/v1/contacts/{contact}").json()["account_id"] == survivor

    client.post(f"/api/v1/customers/merges/{merge['id']}/unmerge")

    after = snapshot(database, tenant)
    assert after["contacts"] == before["contacts"]
    assert after["accounts"][merged] == before["accounts"][merged]


def test_rep_cannot_merge_others_records(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    rep = login_as(client, database, tenant, "sales_rep")
    analyst = login_as(client, database, tenant, "analyst")
    others = create(client, "contacts", {"name": "孙丽", "mobile": "13700001234"})
    own = create(client, "contacts", {"name": "孙丽", "mobile": "13700001234"}, rep)
    before = snapshot(database, tenant)
    body = {"object_name": "contacts", "survivor_id": own, "merged_id": others}

    rep_response = client.post("/api/v1/customers/merges", json=body, headers=rep)
    rep_preview = client.post("/api/v1/customers/merges/preview", json=body, headers=rep)
    no_right = client.post("/api/v1/customers/merges", json=body, headers=analyst)
    no_scan = client.post(
        "/api/v1/customers/duplicates/scan", json={"object_name": "contacts"}, headers=rep
    )
    anonymous = client.post("/api/v1/customers/merges", json=body, headers={"Authorization": ""})

    assert rep_response.status_code == 404
    assert rep_response.json()["code"] == "record_not_found"
    assert rep_preview.status_code == 404
    assert no_right.status_code == 403
    assert no_scan.status_code == 403
    assert anonymous.status_code == 401
    assert snapshot(database, tenant) == before
    with database.session() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(RecordMerge)
                .where(RecordMerge.tenant_id == tenant.tenant.id)
            )
            == 0
        )

    # The administrator queues the pair. The rep lists only pairs of records they may
    # read, and cannot reject a pair whose other record they cannot edit.
    scan(client)
    [pair] = candidates(client)
    assert client.get("/api/v1/customers/duplicates", headers=rep).json()["items"] == []
    reject = client.post(f"/api/v1/customers/duplicates/{pair['id']}/reject", headers=rep)
    assert reject.status_code == 404
    assert candidates(client)[0]["status"] == "open"

    second_own = create(client, "contacts", {"name": "孙丽", "title": "经理"}, rep)
    own_merge = client.post(
        "/api/v1/customers/merges",
        json={**body, "merged_id": second_own},
        headers=rep,
    )
    assert own_merge.status_code == 201, own_merge.text


def test_scan_job_covers_tenant(client: TestClient, database: Database, tenant: TenantInfo) -> None:
    create(client, "contacts", {"name": "郑洁", "email": "zheng@example.com"})
    create(client, "contacts", {"name": "郑洁", "email": "ZHENG@example.com"})
    manager = login_as(client, database, tenant, "sales_manager")
    rep_response = client.post(
        "/api/v1/customers/duplicates/scan-jobs", json={"object_name": "contacts"}, headers=manager
    )
    assert rep_response.status_code == 403
    assert rep_response.json()["code"] == "merge_scan_needs_company_scope"

    result = run_duplicate_scan(database, tenant.tenant.id, "contacts", 0.8)

    assert result["queued"] == 1
    with database.session() as session:
        [row] = session.scalars(
            select(DuplicateCandidate).where(DuplicateCandidate.tenant_id == tenant.tenant.id)
        )
        assert row.reasons[0] == "strong_identifier"
