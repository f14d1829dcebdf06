"""Imported contacts re-evaluate rule segments and start segment-joined journeys."""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.customers.models import Contact
from zhike.ingestion.importer import run_import
from zhike.marketing.automation_models import JourneyEnrollment, MarketingChange, SegmentMember
from zhike.marketing.jobs import apply_changes

PROFILE = """
name: marketing-contacts
source: fair
steps:
  - name: contacts
    target: contacts
    file: contacts.csv
    key: external_id
    fields:
      external_id: external_id
      name: {column: name, required: true}
      email: email
      city: city
"""
HEADER = "external_id,name,email,city\n"


def _import(database: Database, tenant: TenantInfo, folder: Path, rows: str) -> None:
    (folder / "contacts.csv").write_text(HEADER + rows, encoding="utf-8")
    profile = folder / "profile.yaml"
    profile.write_text(PROFILE, encoding="utf-8")
    result = run_import(database, tenant.slug, str(profile), folder / "contacts.csv")
    assert result.status == "succeeded", result


def _names(database: Database, tenant: TenantInfo, ids: list[uuid.UUID]) -> list[str]:
    with database.session() as session:
        return sorted(
            session.scalars(
                select(Contact.name).where(
                    Contact.tenant_id == tenant.tenant.id, Contact.id.in_(ids)
                )
            )
        )


def _members(database: Database, tenant: TenantInfo, segment_id: str) -> list[str]:
    with database.session() as session:
        ids = list(
            session.scalars(
                select(SegmentMember.record_id).where(
                    SegmentMember.segment_id == uuid.UUID(segment_id)
                )
            )
        )
    return _names(database, tenant, ids)


def _enrolled(database: Database, tenant: TenantInfo, journey_id: str) -> list[str]:
    with database.session() as session:
        ids = list(
            session.scalars(
                select(JourneyEnrollment.contact_id).where(
                    JourneyEnrollment.journey_id == uuid.UUID(journey_id)
                )
            )
        )
    return _names(database, tenant, ids)


def test_import_updates_segment_and_journey(
    client: TestClient, database: Database, tenant: TenantInfo, tmp_path: Path
) -> None:
    segment = client.post(
        "/api/v1/marketing/segments",
        json={
            "name": "杭州导入",
            "definition": {"filters": [{"field": "city", "op": "eq", "value": "杭州"}]},
        },
    )
    assert segment.status_code == 201, segment.text
    segment_id = str(segment.json()["id"])
    journey = client.post(
        "/api/v1/marketing/journeys",
        json={
            "name": "杭州欢迎",
            "graph": {
                "trigger": {"kind": "segment_joined", "segment_id": segment_id},
                "start": "hi",
                "steps": [{"type": "send", "id": "hi", "channel": "email", "body": "欢迎来到杭州"}],
            },
        },
    )
    assert journey.status_code == 201, journey.text
    journey_id = str(journey.json()["id"])
    assert client.post(f"/api/v1/marketing/journeys/{journey_id}/activate").status_code == 200
    apply_changes(database)

    _import(
        database,
        tenant,
        tmp_path,
        "f1,导入甲,f1@example.com,杭州\nf2,导入乙,f2@example.com,上海\nf3,导入丙,f3@example.com,杭州\n",
    )
    with database.session() as session:
        noted = session.scalars(
            select(MarketingChange.fields).where(MarketingChange.tenant_id == tenant.tenant.id)
        ).all()
    assert sorted(map(tuple, noted)) == [("*",), ("*",), ("*",)]
    apply_changes(database)

    assert _members(database, tenant, segment_id) == ["导入丙", "导入甲"]
    assert _enrolled(database, tenant, journey_id) == ["导入丙", "导入甲"]

    # The second file moves 导入乙 to 杭州 and 导入甲 away, and leaves 导入丙 unchanged.
    _import(
        database,
        tenant,
        tmp_path,
        "f1,导入甲,f1@example.com,北京\nf2,导入乙,f2@example.com,杭州\nf3,导入丙,f3@example.com,杭州\n",
    )
    with database.session() as session:
        noted = session.scalars(
            select(MarketingChange.fields).where(MarketingChange.tenant_id == tenant.tenant.id)
        ).all()
    assert sorted(map(tuple, noted)) == [("city",), ("city",)]
    apply_changes(database)

    assert _members(database, tenant, segment_id) == ["导入丙", "导入乙"]
    assert _enrolled(database, tenant, journey_id) == ["导入丙", "导入乙", "导入甲"]
