"""Per-tenant quality rules, per-source summaries, issue pages and who may see what."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from testkit import TenantInfo

from zhike.audit.models import AuditEvent
from zhike.core.db import Database
from zhike.customers.quality_models import QualityRuleSet
from zhike.security.auth import hash_password
from zhike.security.models import User

PASSWORD = "Quality-password-2026"
EN = {"Accept-Language": "en"}
RULES = "/api/v1/customers/quality/rules"


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
    return {"Authorization": f"Bearer {response.json()['access_token']}", **EN}


def create(
    client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = client.post(f"/api/v1/{path}", json=body, headers=headers or {})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def stored_rule_sets(database: Database, tenant: TenantInfo) -> int:
    with database.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(QualityRuleSet)
                .where(QualityRuleSet.tenant_id == tenant.tenant.id)
            )
            or 0
        )


def test_default_rules_shown(client: TestClient) -> None:
    response = client.get(f"{RULES}/leads")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["is_default"] is True
    assert body["updated_at"] is None
    assert body["rules"][0] == {
        "field": "name",
        "weight": 3,
        "kind": "required",
        "alternatives": [],
    }
    assert body["rules"][1] == {
        "field": "mobile",
        "weight": 3,
        "kind": "required",
        "alternatives": ["phone", "email"],
    }
    assert {rule["kind"] for rule in body["rules"]} == {
        "required",
        "format",
        "referential",
        "freshness",
    }


def test_saved_rules_rescore_writes(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    rules = {
        "rules": [
            {"kind": "required", "field": "name", "weight": 1},
            {"kind": "required", "field": "title", "weight": 1},
        ]
    }

    saved = client.put(f"{RULES}/contacts", json=rules)
    contact = create(client, "contacts", {"name": "张伟"})

    assert saved.status_code == 200, saved.text
    assert saved.json()["is_default"] is False
    stored = [{**rule, "alternatives": []} for rule in rules["rules"]]
    assert saved.json()["rules"] == stored
    assert contact["quality_score"] == 50
    assert client.get(f"{RULES}/contacts").json()["rules"] == stored
    with database.session() as session:
        actions = list(
            session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.tenant_id == tenant.tenant.id,
                    AuditEvent.action.like("customers.quality%"),
                )
            )
        )
    assert actions == ["customers.quality_rules.update"]

    reset = client.delete(f"{RULES}/contacts")

    assert reset.status_code == 200
    assert reset.json()["is_default"] is True
    assert stored_rule_sets(database, tenant) == 0


def test_invalid_rules_rejected(client: TestClient, database: Database, tenant: TenantInfo) -> None:
    body = {
        "rules": [
            {"kind": "required", "field": "nickname"},
            {"kind": "format", "field": "employee_count", "format": "email"},
            {"kind": "range", "field": "employee_count", "minimum": 10, "maximum": 1},
            {"kind": "range", "field": "updated_at", "minimum": 5},
            {"kind": "required", "field": "name"},
            {"kind": "required", "field": "name"},
            {"kind": "required", "field": "phone", "alternatives": ["fax", "phone"]},
            {"kind": "required", "field": "city", "alternatives": ["address", "address"]},
        ]
    }

    response = client.put(f"{RULES}/accounts", json=body, headers=EN)

    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [(error["field"], error["code"]) for error in errors] == [
        ("rules.0.field", "quality_rule_unknown_field"),
        ("rules.1.field", "quality_rule_wrong_field_kind"),
        ("rules.2.minimum", "quality_rule_empty_range"),
        ("rules.3.minimum", "quality_rule_wrong_bound"),
        ("rules.5.field", "quality_rule_duplicate"),
        ("rules.6.alternatives.0", "quality_rule_unknown_field"),
        ("rules.6.alternatives.1", "quality_rule_repeated_alternative"),
        ("rules.7.alternatives.1", "quality_rule_repeated_alternative"),
    ]
    assert errors[2]["message"] == (
        "rules.2.minimum: minimum 10 is above maximum 1; swap or correct them."
    )
    assert errors[6]["message"] == (
        "rules.6.alternatives.1: phone is named twice among the field and its alternatives; "
        "name each field once."
    )
    assert stored_rule_sets(database, tenant) == 0


def test_rule_shape_rejected(client: TestClient) -> None:
    unknown_kind = client.put(f"{RULES}/contacts", json={"rules": [{"kind": "spelling"}]})
    heavy = client.put(
        f"{RULES}/contacts", json={"rules": [{"kind": "required", "field": "name", "weight": 11}]}
    )
    wrong_object = client.put(f"{RULES}/tickets", json={"rules": []})

    assert unknown_kind.status_code == 422
    assert heavy.status_code == 422
    assert wrong_object.status_code == 422


def test_non_admin_cannot_change_rules(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    director = login_as(client, database, tenant, "sales_director")
    body = {"rules": [{"kind": "required", "field": "name"}]}

    put = client.put(f"{RULES}/contacts", json=body, headers=director)
    delete = client.delete(f"{RULES}/contacts", headers=director)
    recompute = client.post("/api/v1/customers/quality/recompute-jobs", json={}, headers=director)
    read = client.get(f"{RULES}/contacts", headers=director)

    assert put.status_code == 403
    assert delete.status_code == 403
    assert recompute.status_code == 403
    assert read.status_code == 200
    assert stored_rule_sets(database, tenant) == 0


def test_anonymous_gets_401(client: TestClient) -> None:
    response = client.get(f"{RULES}/contacts", headers={"Authorization": ""})
    summary = client.get("/api/v1/customers/quality/summary", headers={"Authorization": ""})

    assert response.status_code == 401
    assert summary.status_code == 401


def test_hidden_field_issue_not_shown(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    rules = {
        "rules": [
            {"kind": "required", "field": "name"},
            {"kind": "required", "field": "id_number", "weight": 3},
        ]
    }
    assert client.put(f"{RULES}/contacts", json=rules).status_code == 200
    rep = login_as(client, database, tenant, "sales_rep")
    contact = create(client, "contacts", {"name": "张伟"}, rep)
    path = f"/api/v1/customers/quality/records/contacts/{contact['id']}"

    as_admin = client.get(path, headers=EN).json()
    as_rep = client.get(path, headers=rep).json()
    rep_page = client.get(
        "/api/v1/customers/quality/issues", params={"object_name": "contacts"}, headers=rep
    ).json()

    assert as_admin["score"] == 25
    assert [issue["field"] for issue in as_admin["issues"]] == ["id_number"]
    assert as_rep["score"] == 25
    assert as_rep["issues"] == []
    assert "id_number" not in str(as_rep)
    assert [item["record_id"] for item in rep_page["items"]] == [contact["id"]]
    assert rep_page["items"][0]["issues"] == []
    assert "id_number" not in str(rep_page)


def test_rep_sees_only_own_records(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    rep = login_as(client, database, tenant, "sales_rep")
    create(client, "contacts", {"name": "管理员的联系人"})
    own = create(client, "contacts", {"name": "代表的联系人"}, rep)

    summary = client.get("/api/v1/customers/quality/summary", headers=rep).json()
    page = client.get("/api/v1/customers/quality/issues", headers=rep).json()
    other = client.get("/api/v1/customers/quality/summary").json()

    assert summary["records"] == 1
    assert [item["record_id"] for item in page["items"]] == [own["id"]]
    assert other["records"] == 2


def test_summary_groups_by_source(client: TestClient) -> None:
    create(client, "contacts", {"name": "张伟", "mobile": "13800138000"})
    create(client, "contacts", {"name": "只有名字"})
    create(
        client,
        "contacts",
        {"name": "李娜", "mobile": "13700137000", "source": "crm-old", "external_id": "X-1"},
    )

    response = client.get("/api/v1/customers/quality/summary", params={"object_name": "contacts"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["records"] == 3
    assert body["attention_below"] == 80
    direct, imported = body["sources"]
    assert direct == {
        "source": "__direct__",
        "records": 2,
        "scored": 2,
        "average_score": round((70 + 55) / 2, 1),
        "below_threshold": 2,
        "perfect": 0,
    }
    assert imported["source"] == "crm-old"
    assert imported["records"] == 1
    assert imported["average_score"] == 70.0


def test_summary_of_leads_by_channel(client: TestClient) -> None:
    create(client, "leads", {"name": "甲", "lead_source": "wecom"})
    create(client, "leads", {"name": "乙", "lead_source": "form"})
    create(client, "leads", {"name": "丙", "lead_source": "form"})

    by_channel = client.get(
        "/api/v1/customers/quality/summary",
        params={"object_name": "leads", "group_by": "lead_source"},
    )
    wrong = client.get(
        "/api/v1/customers/quality/summary",
        params={"object_name": "contacts", "group_by": "lead_source"},
        headers=EN,
    )

    assert [(item["source"], item["records"]) for item in by_channel.json()["sources"]] == [
        ("form", 2),
        ("wecom", 1),
    ]
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "quality_unknown_group"
    assert wrong.json()["detail"] == "Group quality summaries by source, not lead_source."


def test_issue_page_lowest_first(client: TestClient) -> None:
    worst = create(client, "contacts", {"name": "只有名字"})
    middle = create(client, "contacts", {"name": "张伟", "mobile": "13800138000"})
    create(
        client,
        "contacts",
        {"name": "李娜", "mobile": "13700137000", "source": "crm-old", "external_id": "X-1"},
    )

    first = client.get(
        "/api/v1/customers/quality/issues",
        params={"source": "__direct__", "limit": 1},
        headers=EN,
    ).json()
    second = client.get(
        "/api/v1/customers/quality/issues",
        params={"source": "__direct__", "limit": 1, "cursor": first["next_cursor"]},
        headers=EN,
    ).json()
    imported = client.get("/api/v1/customers/quality/issues", params={"source": "crm-old"}).json()

    assert [item["record_id"] for item in first["items"]] == [worst["id"]]
    assert first["items"][0]["name"] == "只有名字"
    assert first["items"][0]["source"] == "__direct__"
    assert [issue["field"] for issue in first["items"][0]["issues"]] == [
        "mobile",
        "email",
        "account_id",
        "city",
        "address",
    ]
    assert [item["record_id"] for item in second["items"]] == [middle["id"]]
    assert second["next_cursor"] is None
    assert [item["source"] for item in imported["items"]] == ["crm-old"]
