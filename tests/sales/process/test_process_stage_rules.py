"""Stage rules of a sales process hold on every path that writes an opportunity.

The paths: the record API (create and PATCH, which the kanban board's drag uses),
the record service called directly (CLI, jobs and AI agents), the bulk writer
and a file import through a mapping profile.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.errors import ValidationFailed
from zhike.core.timeutil import utc_now
from zhike.ingestion.importer import run_import
from zhike.platform.bulk import BulkRow, BulkTarget, BulkWriter
from zhike.platform.records import RecordService
from zhike.sales.models import Opportunity, OpportunityStageChange
from zhike.sales.objects import OPPORTUNITIES
from zhike.sales.stages import stages_by_key

PROCESS: dict[str, Any] = {
    "key": "enterprise",
    "name_zh": "大客户流程",
    "name_en": "Enterprise process",
    "is_default": True,
    "stages": [
        {
            "stage": "qualification",
            "probability": 25,
            "entry": {"fields": ["amount", "expected_close_date"]},
            "guidance_zh": "确认预算、决策人和时间表。",
            "guidance_en": "Confirm budget, decision maker and timeline.",
        },
        {"stage": "engaging", "entry": {"activities": ["visit"]}},
        {"stage": "proposal", "entry": {"approval": True}},
        {"stage": "won", "entry": {"fields": ["account_id"]}},
        {"stage": "lost", "entry": {"fields": ["description"]}},
    ],
}


def _configure(client: TestClient, body: dict[str, Any] = PROCESS) -> dict[str, Any]:
    response = client.put(f"/api/v1/sales-processes/{body['key']}", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _create(client: TestClient, **values: Any) -> dict[str, Any]:
    response = client.post("/api/v1/opportunities", json={"name": "ERP 项目", **values})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _codes(response: Any) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in response.json()["errors"]]


def _stage_key(client: TestClient, opportunity_id: str) -> str:
    stage_id = client.get(f"/api/v1/opportunities/{opportunity_id}").json()["stage_id"]
    stages = client.get("/api/v1/pipeline/stages").json()["stages"]
    return next(stage["key"] for stage in stages if stage["id"] == stage_id)


def _done_visit(client: TestClient, opportunity_id: str, status: str = "done") -> None:
    response = client.post(
        "/api/v1/activities",
        json={
            "kind": "visit",
            "subject": "上门拜访",
            "status": status,
            "opportunity_id": opportunity_id,
        },
    )
    assert response.status_code == 201, response.text


def test_patch_missing_fields_rejected_unchanged(client: TestClient) -> None:
    _configure(client)
    created = _create(client)
    path = f"/api/v1/opportunities/{created['id']}"

    refused = client.patch(path, json={"stage": "qualification"})

    assert refused.status_code == 422
    assert _codes(refused) == [
        ("amount", "stage_field_required"),
        ("expected_close_date", "stage_field_required"),
    ]
    assert refused.json()["errors"][0]["message"] == "商机处于“需求确认”阶段前必须填写“金额”。"
    assert _stage_key(client, created["id"]) == "prospecting"
    history = client.get(f"{path}/stage-history").json()["items"]
    assert len(history) == 1


def test_patch_with_fields_moves_and_uses_process_probability(client: TestClient) -> None:
    _configure(client)
    created = _create(client)

    moved = client.patch(
        f"/api/v1/opportunities/{created['id']}",
        json={"stage": "qualification", "amount": "50000", "expected_close_date": "2026-12-31"},
    )

    assert moved.status_code == 200, moved.text
    assert moved.json()["probability"] == 25
    assert _stage_key(client, created["id"]) == "qualification"


def test_create_checks_every_stage_passed(client: TestClient) -> None:
    _configure(client)

    refused = client.post("/api/v1/opportunities", json={"name": "跳级商机", "stage": "engaging"})

    assert refused.status_code == 422
    assert _codes(refused) == [
        ("amount", "stage_field_required"),
        ("expected_close_date", "stage_field_required"),
        ("stage", "stage_activity_required"),
    ]
    listed = client.get("/api/v1/opportunities", params={"q": "跳级商机"}).json()
    assert listed["items"] == []


def test_required_activity_counts_only_done(client: TestClient) -> None:
    _configure(client)
    created = _create(
        client, stage="qualification", amount="1000", expected_close_date="2026-10-01"
    )
    path = f"/api/v1/opportunities/{created['id']}"
    _done_visit(client, created["id"], status="open")

    refused = client.patch(path, json={"stage": "engaging"})
    _done_visit(client, created["id"])
    moved = client.patch(path, json={"stage": "engaging"})

    assert refused.status_code == 422
    assert _codes(refused) == [("stage", "stage_activity_required")]
    assert refused.json()["errors"][0]["message"] == (
        "“方案沟通”阶段需要先完成一次与该商机关联的拜访，请先记录。"
    )
    assert moved.status_code == 200, moved.text


def test_approval_needed_then_used(
    client: TestClient, make_user: Callable[..., tuple[TestClient, str]], team_id: str
) -> None:
    _configure(client)
    manager, manager_id = make_user("sales_manager", "李经理", team_id=team_id)
    rep, rep_id = make_user("sales_rep", "王销售", manager_id=manager_id, team_id=team_id)
    created = _create(rep, stage="qualification", amount="8000", expected_close_date="2026-11-30")
    _done_visit(rep, created["id"])
    path = f"/api/v1/opportunities/{created['id']}"
    assert rep.patch(path, json={"stage": "engaging"}).status_code == 200

    refused = rep.patch(path, json={"stage": "proposal"})
    requested = rep.post(
        f"{path}/stage-approvals", json={"stage": "proposal", "reason": "客户已确认方案"}
    )
    request_id = requested.json()["id"]
    self_decided = rep.post(f"/api/v1/approvals/{request_id}/decision", json={"approve": True})
    notices = manager.get("/api/v1/notifications").json()["items"]
    decided = manager.post(
        f"/api/v1/approvals/{request_id}/decision", json={"approve": True, "note": "同意"}
    )
    moved = rep.patch(path, json={"stage": "proposal"})
    back = rep.patch(path, json={"stage": "engaging"})
    again = rep.patch(path, json={"stage": "proposal"})

    assert refused.status_code == 422
    assert _codes(refused) == [("stage", "stage_approval_required")]
    assert requested.status_code == 201, requested.text
    assert requested.json()["owner_id"] == rep_id
    assert requested.json()["stage_name"] == "报价谈判"
    assert requested.json()["amount"] == "8000.00"
    assert self_decided.status_code == 403
    assert [notice["kind"] for notice in notices] == ["approval_requested"]
    assert notices[0]["message"] == "有一个阶段推进申请等待您审批。"
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"
    assert moved.status_code == 200, moved.text
    assert back.status_code == 200, back.text
    assert again.status_code == 422
    used = client.get("/api/v1/approvals", params={"status": "used"}).json()["items"]
    assert [item["id"] for item in used] == [request_id]
    rep_notices = rep.get("/api/v1/notifications").json()["items"]
    assert rep_notices[0]["message"] == "您的阶段推进申请已批准。"


def test_back_and_lost_need_only_entry(client: TestClient) -> None:
    _configure(client)
    created = _create(client, stage="qualification", amount="10", expected_close_date="2026-09-01")
    path = f"/api/v1/opportunities/{created['id']}"

    back = client.patch(path, json={"stage": "prospecting"})
    lost_without_reason = client.patch(path, json={"stage": "lost"})
    lost = client.patch(path, json={"stage": "lost", "description": "预算取消"})

    assert back.status_code == 200, back.text
    assert _codes(lost_without_reason) == [("description", "stage_field_required")]
    assert lost.status_code == 200, lost.text


def test_required_field_cannot_be_emptied(client: TestClient) -> None:
    _configure(client)
    created = _create(client, stage="qualification", amount="10", expected_close_date="2026-09-01")

    refused = client.patch(f"/api/v1/opportunities/{created['id']}", json={"amount": None})

    assert refused.status_code == 422
    assert _codes(refused) == [("amount", "stage_field_required")]


def test_guidance_lists_unmet_criteria(client: TestClient) -> None:
    _configure(client)
    created = _create(client, stage="qualification", amount="10", expected_close_date="2026-09-01")

    response = client.get(
        f"/api/v1/opportunities/{created['id']}/process", headers={"Accept-Language": "en"}
    )

    body = response.json()
    assert body["process_key"] == "enterprise"
    assert body["stage"] == "qualification"
    assert body["guidance"] == "Confirm budget, decision maker and timeline."
    moves = {move["stage"]: move for move in body["moves"]}
    assert moves["prospecting"]["allowed"] is True
    assert [item["code"] for item in moves["engaging"]["unmet"]] == ["stage_activity_required"]
    assert [(item["field"], item["code"]) for item in moves["won"]["unmet"]] == [
        ("stage", "stage_activity_required"),
        ("account_id", "stage_field_required"),
        ("stage", "stage_approval_required"),
    ]


def test_next_stage_criteria_met_and_unmet(client: TestClient) -> None:
    body = {
        **PROCESS,
        "stages": [
            {
                **PROCESS["stages"][0],
                "exit": {"fields": ["amount", "description"]},
            },
            *PROCESS["stages"][1:],
        ],
    }
    _configure(client, body)
    created = _create(client, stage="qualification", amount="10", expected_close_date="2026-09-01")
    path = f"/api/v1/opportunities/{created['id']}/process"

    before = client.get(path, headers={"Accept-Language": "en"}).json()

    assert before["stage_name"] == "Qualification"
    assert before["next_stage"] == "engaging"
    assert [
        (item["kind"], item["name"], item["stage"], item["met"])
        for item in before["next_stage_criteria"]
    ] == [
        ("field", "amount", "qualification", True),
        ("field", "description", "qualification", False),
        ("activity", "visit", "engaging", False),
    ]
    unmet_messages = [item["message"] for item in before["next_stage_criteria"] if not item["met"]]
    assert all(unmet_messages)
    assert before["next_stage_criteria"][0]["message"] is None
    refused = client.patch(
        f"/api/v1/opportunities/{created['id']}",
        json={"stage": "engaging"},
        headers={"If-Match": f'"{created["id"]}.{created["version"]}"'},
    )
    assert refused.status_code == 422
    assert [error["message"] for error in refused.json()["errors"]] == [
        message
        for message in (
            item["message"]
            for item in client.get(path, headers={"Accept-Language": "zh-CN"}).json()[
                "next_stage_criteria"
            ]
        )
        if message
    ]

    _done_visit(client, created["id"])
    current = client.get(f"/api/v1/opportunities/{created['id']}").json()
    described = client.patch(
        f"/api/v1/opportunities/{created['id']}",
        json={"description": "预算已确认"},
        headers={"If-Match": f'"{created["id"]}.{current["version"]}"'},
    )
    assert described.status_code == 200, described.text
    after = client.get(path).json()

    assert [item["met"] for item in after["next_stage_criteria"]] == [True, True, True]
    current = client.get(f"/api/v1/opportunities/{created['id']}").json()
    moved = client.patch(
        f"/api/v1/opportunities/{created['id']}",
        json={"stage": "engaging"},
        headers={"If-Match": f'"{created["id"]}.{current["version"]}"'},
    )
    assert moved.status_code == 200, moved.text
    assert client.get(path).json()["next_stage"] == "proposal"


def test_closed_deal_has_no_next_stage(client: TestClient) -> None:
    _configure(client)
    created = _create(client, stage="lost", description="预算取消")

    body = client.get(f"/api/v1/opportunities/{created['id']}/process").json()

    assert body["next_stage"] is None
    assert body["next_stage_criteria"] == []


def test_record_service_path_enforced(
    database: Database, tenant: TenantInfo, client: TestClient
) -> None:
    _configure(client)
    actor = tenant.actor
    with database.session() as session:
        service = RecordService(session, actor, OPPORTUNITIES)
        with pytest.raises(ValidationFailed) as raised:
            service.create({"name": "代理创建", "stage": "qualification"})
        record = service.create({"name": "代理创建"})
        with pytest.raises(ValidationFailed) as raised_update:
            service.update(record.id, {"stage": "qualification", "amount": "5"}, None)
    assert [error["code"] for error in raised.value.errors] == ["stage_field_required"] * 2
    assert [error["field"] for error in raised_update.value.errors] == ["expected_close_date"]


def _bulk_rows(stage_ids: dict[str, uuid.UUID]) -> list[BulkRow]:
    return [
        BulkRow(1, {"external_id": "b1", "name": "批量一", "stage_id": stage_ids["qualification"]}),
        BulkRow(
            2,
            {
                "external_id": "b2",
                "name": "批量二",
                "stage_id": stage_ids["qualification"],
                "amount": "900",
                "expected_close_date": "2026-08-01",
            },
        ),
    ]


def test_bulk_writer_path_enforced(
    database: Database, tenant: TenantInfo, client: TestClient
) -> None:
    _configure(client)
    with database.session() as session:
        stage_ids = {
            key: stage.id for key, stage in stages_by_key(session, tenant.tenant.id).items()
        }
        writer = BulkWriter(
            session,
            tenant.actor,
            BulkTarget.from_spec(OPPORTUNITIES),
            stamp=utc_now(),
            source="bulk-test",
        )
        report = writer.write(_bulk_rows(stage_ids))
        stored = session.scalars(
            select(Opportunity.external_id).where(
                Opportunity.tenant_id == tenant.tenant.id, Opportunity.source == "bulk-test"
            )
        ).all()
    assert (report.created, len(report.rejected)) == (1, 1)
    assert [error["code"] for error in report.rejected[0].errors] == ["stage_field_required"] * 2
    assert stored == ["b2"]


PROFILE = """\
name: stage-rules-test
source: stage-test
steps:
  - name: opportunities
    target: opportunities
    file: deals.csv
    fields:
      external_id: id
      name: name
      stage_id: {column: stage, lookup: {object: pipeline_stages, by: key}}
      amount: {column: amount, type: decimal}
      expected_close_date: {column: close, type: date}
"""


def test_import_path_enforced(
    database: Database, tenant: TenantInfo, client: TestClient, tmp_path: Path
) -> None:
    _configure(client)
    profile = tmp_path / "profile.yaml"
    profile.write_text(PROFILE, encoding="utf-8")
    folder = tmp_path / "files"
    folder.mkdir()
    with (folder / "deals.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [
                ["id", "name", "stage", "amount", "close"],
                ["d1", "导入一", "qualification", "", ""],
                ["d2", "导入二", "qualification", "1200", "2026-07-01"],
                ["d3", "导入三", "engaging", "1200", "2026-07-01"],
            ]
        )

    result = run_import(
        database, tenant.slug, profile, folder, mode="skip-invalid", user_email=tenant.admin_email
    )

    assert (result.rows_created, result.rows_rejected) == (1, 2)
    with database.session() as session:
        names = session.scalars(
            select(Opportunity.name).where(
                Opportunity.tenant_id == tenant.tenant.id, Opportunity.source == "stage-test"
            )
        ).all()
        history = session.scalar(
            select(func.count())
            .select_from(OpportunityStageChange)
            .join(Opportunity, Opportunity.id == OpportunityStageChange.opportunity_id)
            .where(Opportunity.source == "stage-test", Opportunity.tenant_id == tenant.tenant.id)
        )
    assert names == ["导入二"]
    assert history == 1
    rejects = Path(str(result.rejects_file)).read_text(encoding="utf-8-sig")
    assert "商机处于“需求确认”阶段前必须填写“金额”。" in rejects
    assert "“方案沟通”阶段需要先完成一次与该商机关联的拜访，请先记录。" in rejects


def test_process_chosen_by_product_series(client: TestClient) -> None:
    _configure(client, {**PROCESS, "is_default": False, "product_series": "GTX"})
    gtx = client.post("/api/v1/products", json={"name": "GTX Pro", "series": "GTX"}).json()
    other = client.post("/api/v1/products", json={"name": "MG Basic", "series": "MG"}).json()

    strict = client.post(
        "/api/v1/opportunities",
        json={"name": "GTX 商机", "product_id": gtx["id"], "stage": "qualification"},
    )
    free = client.post(
        "/api/v1/opportunities",
        json={"name": "MG 商机", "product_id": other["id"], "stage": "qualification"},
    )

    assert strict.status_code == 422
    assert free.status_code == 201, free.text
    assert free.json()["probability"] == 20


def test_process_config_validated(client: TestClient, make_user: Callable[..., Any]) -> None:
    rep, _ = make_user("sales_rep")
    bad = {
        **PROCESS,
        "stages": [{"stage": "nowhere", "entry": {"fields": ["budget"]}}],
    }

    invalid = client.put("/api/v1/sales-processes/enterprise", json=bad)
    forbidden = rep.put("/api/v1/sales-processes/enterprise", json=PROCESS)
    listed = rep.get("/api/v1/sales-processes")

    assert invalid.status_code == 422
    assert _codes(invalid) == [
        ("stages.0.entry.fields", "unknown_opportunity_field"),
        ("stages.0.stage", "invalid_stage"),
    ]
    assert forbidden.status_code == 403
    assert listed.status_code == 200
    assert listed.json()["items"] == []


def test_no_process_leaves_pipeline_free(client: TestClient) -> None:
    created = client.post("/api/v1/opportunities", json={"name": "自由商机", "stage": "proposal"})

    assert created.status_code == 201
    assert created.json()["probability"] == 60


MEETING_PROCESS: dict[str, Any] = {
    "key": "meeting_first",
    "name_zh": "先开会流程",
    "name_en": "Meeting first",
    "is_default": True,
    "stages": [{"stage": "engaging", "entry": {"activities": ["meeting"]}}],
}


def test_jump_ahead_checks_intermediate_stages(
    database: Database, tenant: TenantInfo, client: TestClient
) -> None:
    _configure(client, MEETING_PROCESS)
    created = _create(client)
    path = f"/api/v1/opportunities/{created['id']}"

    check = client.get(f"{path}/process").json()

    moves = {move["stage"]: move for move in check["moves"]}
    assert moves["qualification"]["allowed"] is True
    assert moves["lost"]["allowed"] is True
    for later in ("engaging", "proposal", "commit", "won"):
        assert moves[later]["allowed"] is False, later
        assert [
            (item["kind"], item["name"], item["stage"], item["stage_name"])
            for item in moves[later]["unmet"]
        ] == [("activity", "meeting", "engaging", "方案沟通")]
    assert "方案沟通" in moves["won"]["unmet"][0]["message"]

    rejected = client.patch(path, json={"stage": "won"})
    assert rejected.status_code == 422
    assert _codes(rejected) == [("stage", "stage_activity_required")]
    assert _stage_key(client, created["id"]) == "prospecting"
    with database.session() as session:
        stage_ids = stages_by_key(session, tenant.tenant.id)
        writer = BulkWriter(
            session,
            tenant.actor,
            BulkTarget.from_spec(OPPORTUNITIES),
            stamp=utc_now(),
            source="bulk-test",
        )
        report = writer.write(
            [BulkRow(1, {"external_id": "j1", "name": "跳到赢单", "stage_id": stage_ids["won"].id})]
        )
    assert [error["code"] for error in report.rejected[0].errors] == ["stage_activity_required"]

    response = client.post(
        "/api/v1/activities",
        json={
            "kind": "meeting",
            "subject": "方案会",
            "status": "done",
            "opportunity_id": created["id"],
        },
    )
    assert response.status_code == 201, response.text
    moves = {move["stage"]: move for move in client.get(f"{path}/process").json()["moves"]}
    assert all(move["allowed"] for move in moves.values())
    moved = client.patch(path, json={"stage": "won"})
    assert moved.status_code == 200, moved.text
    assert _stage_key(client, created["id"]) == "won"
