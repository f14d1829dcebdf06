"""A historical import writes opportunities without the sales process's field and activity rules.

Only administrators may ask for one; the flag is kept on the import run and in its audit event.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from testkit import TenantInfo

from zhike.audit.models import AuditEvent
from zhike.core.db import Database
from zhike.ingestion.importer import run_import
from zhike.ingestion.models import ImportRun
from zhike.sales.models import Opportunity

# A call must be logged before the deal is engaging, and "won" needs an amount. A move to
# "won" passes over "engaging", so a won row breaks both rules.
PROCESS: dict[str, Any] = {
    "key": "call_first",
    "name_zh": "先打电话",
    "name_en": "Call first",
    "is_default": True,
    "stages": [
        {"stage": "engaging", "entry": {"activities": ["call"]}},
        {"stage": "won", "entry": {"fields": ["amount"]}},
    ],
}

PROFILE = """
name: historical-test
source: historical-test
steps:
  - name: opportunities
    target: opportunities
    file: deals.csv
    fields:
      external_id: opportunity_id
      name: title
      stage_id:
        column: deal_stage
        map: {Engaging: engaging, Won: won}
        lookup: {object: pipeline_stages, by: key}
"""

PLAN_MAPPING = {"opportunity_id": "external_id", "title": "name", "deal_stage": "stage_id"}
DEALS = [
    ["opportunity_id", "title", "deal_stage"],
    ["H1", "历史商机一", "Engaging"],
    ["H2", "历史商机二", "Won"],
]


def _configure(client: TestClient) -> None:
    response = client.put(f"/api/v1/sales-processes/{PROCESS['key']}", json=PROCESS)
    assert response.status_code == 200, response.text


def _files(tmp_path: Path) -> tuple[Path, Path]:
    profile = tmp_path / "profile.yaml"
    profile.write_text(PROFILE, encoding="utf-8")
    folder = tmp_path / "files"
    folder.mkdir()
    with (folder / "deals.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(DEALS)
    return profile, folder


def _imported_names(database: Database, tenant: TenantInfo) -> list[str]:
    with database.session() as session:
        return list(
            session.scalars(
                select(Opportunity.name)
                .where(
                    Opportunity.tenant_id == tenant.tenant.id,
                    Opportunity.source == "historical-test",
                )
                .order_by(Opportunity.name)
            )
        )


def _csv_bytes() -> bytes:
    return ("\n".join(",".join(row) for row in DEALS) + "\n").encode("utf-8")


def test_process_rules_reject_without_flag(
    database: Database, tenant: TenantInfo, client: TestClient, tmp_path: Path
) -> None:
    _configure(client)
    profile, folder = _files(tmp_path)

    result = run_import(
        database, tenant.slug, profile, folder, mode="skip-invalid", user_email=tenant.admin_email
    )

    assert (result.rows_created, result.rows_rejected) == (0, 2)
    assert _imported_names(database, tenant) == []
    with Path(str(result.rejects_file)).open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))[1:]
    # The rejects name the file's stage column and cell, not the rule's field or activity.
    assert [(line[2], line[3], line[4]) for line in lines] == [
        ("2", "deal_stage", "Engaging"),
        ("3", "deal_stage", "Won"),
        ("3", "deal_stage", "Won"),
    ]
    assert "“方案沟通”阶段需要先完成一次与该商机关联的电话，请先记录。" in lines[0][5]


def test_historical_flag_accepts_rows(
    database: Database, tenant: TenantInfo, client: TestClient, tmp_path: Path
) -> None:
    _configure(client)
    profile, folder = _files(tmp_path)

    result = run_import(
        database,
        tenant.slug,
        profile,
        folder,
        mode="all-or-nothing",
        user_email=tenant.admin_email,
        historical=True,
    )

    assert (result.status, result.rows_created, result.rows_rejected) == ("succeeded", 2, 0)
    assert _imported_names(database, tenant) == ["历史商机一", "历史商机二"]
    with database.session() as session:
        run = session.get(ImportRun, result.run_id)
        assert run is not None
        assert run.historical is True
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.tenant_id == tenant.tenant.id,
                AuditEvent.action == "import",
                AuditEvent.record_id == str(result.run_id),
            )
        ).one()
    assert event.details is not None
    assert event.details["historical"] is True


def test_historical_keeps_other_validation(
    database: Database, tenant: TenantInfo, client: TestClient, tmp_path: Path
) -> None:
    _configure(client)
    profile, folder = _files(tmp_path)
    with (folder / "deals.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(["H3", "", "Won"])

    result = run_import(
        database,
        tenant.slug,
        profile,
        folder,
        mode="skip-invalid",
        user_email=tenant.admin_email,
        historical=True,
    )

    assert (result.rows_created, result.rows_rejected) == (2, 1)


def test_wizard_historical_plan_for_admin(client: TestClient) -> None:
    _configure(client)
    upload = client.post("/api/v1/imports/uploads", files={"file": ("deals.csv", _csv_bytes())})
    assert upload.status_code == 201, upload.text
    plan = {"object": "opportunities", "mapping": PLAN_MAPPING, "mode": "all-or-nothing"}

    checked = client.post(f"/api/v1/imports/uploads/{upload.json()['id']}/validate", json=plan)
    historical = client.post(
        f"/api/v1/imports/uploads/{upload.json()['id']}/validate",
        json={**plan, "historical": True},
    )

    assert checked.status_code == 200, checked.text
    assert checked.json()["run"]["rows_rejected"] == 2
    assert checked.json()["run"]["historical"] is False
    assert historical.status_code == 200, historical.text
    assert historical.json()["run"]["rows_rejected"] == 0
    assert historical.json()["run"]["historical"] is True


def test_historical_flag_forbidden_for_manager(
    client: TestClient,
    database: Database,
    tenant: TenantInfo,
    make_user: Callable[..., tuple[TestClient, str]],
) -> None:
    _configure(client)
    manager, _ = make_user("sales_manager", "销售经理")
    with database.session() as session:
        runs_before = len(session.scalars(select(ImportRun.id)).all())
    upload = manager.post("/api/v1/imports/uploads", files={"file": ("deals.csv", _csv_bytes())})
    assert upload.status_code == 201, upload.text
    plan = {"object": "opportunities", "mapping": PLAN_MAPPING, "historical": True}

    validated = manager.post(f"/api/v1/imports/uploads/{upload.json()['id']}/validate", json=plan)
    started = manager.post(f"/api/v1/imports/uploads/{upload.json()['id']}/runs", json=plan)

    for response in (validated, started):
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "import_historical_forbidden"
    with database.session() as session:
        assert len(session.scalars(select(ImportRun.id)).all()) == runs_before
    assert manager.get("/api/v1/opportunities").json()["items"] == []
