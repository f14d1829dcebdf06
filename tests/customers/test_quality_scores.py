"""Quality scores: stored on write, shown on reads, used by list filters, recomputed by job."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.customers.models import Contact
from zhike.customers.quality_jobs import outdated_objects, run_quality_recompute
from zhike.customers.quality_rules import QUALITY_OBJECTS
from zhike.platform.bulk import BulkRow, BulkTarget, BulkWriter
from zhike.security.context import system_actor

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
# The built-in contact rules weigh 20 in all. Required: name 3, mobile or phone 3,
# email 2, account 2, city 1, address 1. Formats: mobile 2, email 1, phone 1. The
# account reference weighs 2, the birth date range 1 and the 365-day freshness rule 1.
CONTACT_WEIGHT = 20
NAME_AND_MOBILE_ONLY = 100 * (CONTACT_WEIGHT - 6) // CONTACT_WEIGHT


def create(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/v1/{path}", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def stored_contact(database: Database, contact_id: str) -> Contact:
    with database.session() as session:
        contact = session.get(Contact, uuid.UUID(contact_id))
        assert contact is not None
        session.expunge(contact)
        return contact


def full_contact(client: TestClient, name: str = "王芳") -> dict[str, Any]:
    account = create(client, "accounts", {"name": "杭州云帆科技有限公司"})
    return create(
        client,
        "contacts",
        {
            "name": name,
            "mobile": "13912345678",
            "email": "wang.fang@example.com",
            "city": "杭州",
            "address": "杭州市西湖区文三路 90 号",
            "account_id": account["id"],
        },
    )


def test_create_stores_and_shows_score(client: TestClient, database: Database) -> None:
    partial = create(client, "contacts", {"name": "张伟", "mobile": "138 0013 8000"})
    complete = full_contact(client)

    assert partial["quality_score"] == NAME_AND_MOBILE_ONLY
    assert complete["quality_score"] == 100
    assert stored_contact(database, partial["id"]).quality_score == NAME_AND_MOBILE_ONLY
    read = client.get(f"/api/v1/contacts/{partial['id']}")
    assert read.json()["quality_score"] == NAME_AND_MOBILE_ONLY


def test_update_rescores_record(client: TestClient) -> None:
    contact = create(client, "contacts", {"name": "张伟", "mobile": "13800138000"})

    response = client.patch(
        f"/api/v1/contacts/{contact['id']}",
        json={"city": "上海", "email": "zhang.wei@example.com"},
        headers={"If-Match": f'"{contact["id"]}.{contact["version"]}"'},
    )

    assert response.status_code == 200, response.text
    # The account (2) and the address (1) are still missing.
    assert response.json()["quality_score"] == 100 * (CONTACT_WEIGHT - 3) // CONTACT_WEIGHT
    assert response.json()["version"] == contact["version"] + 1


def test_client_cannot_write_score(client: TestClient) -> None:
    response = client.post("/api/v1/contacts", json={"name": "张伟", "quality_score": 100})

    assert response.status_code == 422
    assert client.get("/api/v1/contacts").json()["items"] == []


def test_list_filters_and_sorts_by_score(client: TestClient) -> None:
    low = create(client, "contacts", {"name": "只有名字"})
    middle = create(client, "contacts", {"name": "张伟", "mobile": "13800138000"})
    high = full_contact(client)

    ascending = client.get("/api/v1/contacts", params={"sort": "quality_score"})
    below = client.get(
        "/api/v1/contacts", params={"quality_score__lt": "100", "sort": "-quality_score"}
    )
    exact = client.get("/api/v1/contacts", params={"quality_score": "100"})

    assert ascending.status_code == 200, ascending.text
    assert [item["id"] for item in ascending.json()["items"]] == [
        low["id"],
        middle["id"],
        high["id"],
    ]
    assert [item["id"] for item in below.json()["items"]] == [middle["id"], low["id"]]
    assert [item["id"] for item in exact.json()["items"]] == [high["id"]]


def test_leads_and_accounts_scored(client: TestClient) -> None:
    lead = create(
        client,
        "leads",
        {"name": "李娜", "mobile": "13700137000", "company": "某某公司", "lead_source": "form"},
    )
    account = create(
        client,
        "accounts",
        {"name": "北京星河有限公司", "employee_count": 20, "website": "not a website"},
    )

    assert lead["quality_score"] == 100
    # Accounts weigh 21: credit code 2, industry 2, phone 1, city 2 and address 1 missing,
    # website 1 invalid.
    assert account["quality_score"] == 100 * (21 - 9) // 21
    leads = client.get("/api/v1/leads", params={"quality_score__gte": "100"}).json()["items"]
    assert [item["id"] for item in leads] == [lead["id"]]


def test_record_quality_lists_issues(client: TestClient) -> None:
    contact = create(
        client,
        "contacts",
        {"name": "张伟", "mobile": "13800138000", "birth_date": "2999-01-01"},
    )

    english = client.get(f"/api/v1/customers/quality/records/contacts/{contact['id']}", headers=EN)
    chinese = client.get(f"/api/v1/customers/quality/records/contacts/{contact['id']}", headers=ZH)

    assert english.status_code == 200, english.text
    body = english.json()
    assert body["score"] == 100 * (CONTACT_WEIGHT - 7) // CONTACT_WEIGHT
    assert body["stored_score"] == body["score"]
    assert [(issue["field"], issue["code"]) for issue in body["issues"]] == [
        ("email", "quality.required"),
        ("account_id", "quality.required"),
        ("city", "quality.required"),
        ("address", "quality.required"),
        ("birth_date", "quality.range_future"),
    ]
    assert body["issues"][0]["message"] == "Email is empty."
    assert body["issues"][4]["message"] == "Birth date lies in the future."
    assert chinese.json()["issues"][0]["message"] == "邮箱为空。"


def test_record_quality_unknown_record(client: TestClient) -> None:
    missing = client.get(f"/api/v1/customers/quality/records/contacts/{uuid.uuid4()}")
    wrong_object = client.get(f"/api/v1/customers/quality/records/tickets/{uuid.uuid4()}")

    assert missing.status_code == 404
    assert missing.json()["code"] == "record_not_found"
    assert wrong_object.status_code == 422


def test_referential_issue_after_delete(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    contact = full_contact(client)
    account_id = contact["account_id"]
    account = client.get(f"/api/v1/accounts/{account_id}")

    deleted = client.delete(
        f"/api/v1/accounts/{account_id}", headers={"If-Match": account.headers["ETag"]}
    )
    quality = client.get(f"/api/v1/customers/quality/records/contacts/{contact['id']}", headers=EN)

    assert deleted.status_code == 204
    assert quality.json()["score"] == 100 * (CONTACT_WEIGHT - 2) // CONTACT_WEIGHT
    assert quality.json()["stored_score"] == 100
    assert [issue["message"] for issue in quality.json()["issues"]] == [
        "Account refers to a record that no longer exists."
    ]
    result = run_quality_recompute(database, tenant.tenant.id, ("contacts",))
    assert result["contacts"] == {"records": 1, "changed": 1}
    assert (
        stored_contact(database, contact["id"]).quality_score
        == 100 * (CONTACT_WEIGHT - 2) // CONTACT_WEIGHT
    )


def test_recompute_ages_scores(client: TestClient, database: Database, tenant: TenantInfo) -> None:
    fresh = full_contact(client, "新记录")
    stale = full_contact(client, "旧记录")
    long_ago = utc_now() - timedelta(days=400)
    with database.session() as session:
        session.execute(
            update(Contact).where(Contact.id == uuid.UUID(stale["id"])).values(updated_at=long_ago)
        )

    first = run_quality_recompute(database, tenant.tenant.id, ("contacts",))
    second = run_quality_recompute(database, tenant.tenant.id, ("contacts",))

    assert first["contacts"] == {"records": 2, "changed": 1}
    assert second["contacts"] == {"records": 2, "changed": 0}
    aged = stored_contact(database, stale["id"])
    assert aged.quality_score == 100 * (CONTACT_WEIGHT - 1) // CONTACT_WEIGHT
    # The score is derived data: recomputing changes neither the version nor updated_at.
    assert aged.version == stale["version"]
    assert aged.updated_at.replace(microsecond=0) == long_ago.replace(microsecond=0)
    assert stored_contact(database, fresh["id"]).quality_score == 100
    issues = client.get(
        f"/api/v1/customers/quality/records/contacts/{stale['id']}", headers=EN
    ).json()["issues"]
    assert [issue["message"] for issue in issues] == ["Last updated is more than 365 days old."]


def test_import_path_scores_rows(database: Database, tenant: TenantInfo) -> None:
    from zhike.platform.objects import get_object

    actor = system_actor(tenant.tenant.id)
    with database.session() as session:
        writer = BulkWriter(
            session,
            actor,
            BulkTarget.from_spec(get_object("contacts")),
            stamp=utc_now(),
            source="crm-old",
        )
        report = writer.write(
            [
                BulkRow(1, {"name": "导入甲", "mobile": "13600136000", "external_id": "A-1"}),
                BulkRow(2, {"name": "导入乙", "external_id": "A-2"}),
            ]
        )
    assert report.created == 2
    with database.session() as session:
        rows = session.execute(
            select(Contact.external_id, Contact.quality_score).where(
                Contact.tenant_id == tenant.tenant.id
            )
        )
        scores = {row.external_id: row.quality_score for row in rows}
    name_only = 100 * (CONTACT_WEIGHT - 9) // CONTACT_WEIGHT
    assert scores == {"A-1": NAME_AND_MOBILE_ONLY, "A-2": name_only}


def test_phone_stands_in_for_mobile(client: TestClient) -> None:
    landline = create(client, "contacts", {"name": "张伟", "phone": "0571-88886666"})
    unreachable = create(client, "contacts", {"name": "李娜"})

    landline_issues = client.get(
        f"/api/v1/customers/quality/records/contacts/{landline['id']}", headers=EN
    ).json()["issues"]
    english = client.get(
        f"/api/v1/customers/quality/records/contacts/{unreachable['id']}", headers=EN
    ).json()["issues"]
    chinese = client.get(
        f"/api/v1/customers/quality/records/contacts/{unreachable['id']}", headers=ZH
    ).json()["issues"]

    assert "mobile" not in [issue["field"] for issue in landline_issues]
    assert landline["quality_score"] == NAME_AND_MOBILE_ONLY
    assert (english[0]["field"], english[0]["code"]) == ("mobile", "quality.required_any")
    assert english[0]["message"] == "Neither Mobile nor Phone holds a value."
    assert chinese[0]["message"] == "手机与电话均为空。"


def test_summary_matches_record_pages(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    stale = full_contact(client, "旧记录")
    full_contact(client, "新记录")
    with database.session() as session:
        session.execute(
            update(Contact)
            .where(Contact.id == uuid.UUID(stale["id"]))
            .values(updated_at=utc_now() - timedelta(days=400))
        )
    summary_url = "/api/v1/customers/quality/summary"
    page = client.get(f"/api/v1/customers/quality/records/contacts/{stale['id']}").json()
    before = client.get(summary_url).json()

    # Time aged the record: its page scores it lower than the summary's stored score.
    assert (page["score"], page["stored_score"]) == (95, 100)
    assert before["average_score"] == 100
    assert before["scores_computed_at"] is None
    assert before["scores_outdated"] is True
    assert outdated_objects(database, tenant.tenant.id) == QUALITY_OBJECTS

    run_quality_recompute(database, tenant.tenant.id)
    after = client.get(summary_url).json()
    issues = client.get("/api/v1/customers/quality/issues").json()["items"]

    assert after["average_score"] == (page["score"] + 100) / 2
    assert after["sources"][0]["perfect"] == 1
    assert after["scores_computed_at"] is not None
    assert after["scores_outdated"] is False
    assert [(item["record_id"], item["quality_score"]) for item in issues] == [
        (stale["id"], page["score"])
    ]
    assert outdated_objects(database, tenant.tenant.id) == ()

    # A rule change outdates the stored scores until the queued recomputation runs.
    rules = {"rules": [{"kind": "required", "field": "name", "weight": 1}]}
    assert client.put("/api/v1/customers/quality/rules/contacts", json=rules).status_code == 200
    assert client.get(summary_url).json()["scores_outdated"] is True
    assert outdated_objects(database, tenant.tenant.id) == ("contacts",)
    run_quality_recompute(database, tenant.tenant.id, ("contacts",))
    refreshed = client.get(summary_url).json()
    assert (refreshed["scores_outdated"], refreshed["average_score"]) == (False, 100)
