"""Opportunity stages: keys, default probability, close dates, history and the pipeline."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from zhike.api.app import create_app

PASSWORD = "Zhike-rep-2026"


def _stages(client: TestClient) -> list[dict[str, Any]]:
    response = client.get("/api/v1/pipeline/stages")
    assert response.status_code == 200, response.text
    return list(response.json()["stages"])


def _today_in_shanghai() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _history(client: TestClient, opportunity_id: str) -> list[tuple[str | None, str]]:
    items = client.get(f"/api/v1/opportunities/{opportunity_id}/stage-history").json()["items"]
    return [(item["from_stage"], item["to_stage"]) for item in items]


def test_create_by_stage_key(
    client: TestClient,
) -> None:
    stages = {stage["key"]: stage for stage in _stages(client)}

    response = client.post(
        "/api/v1/opportunities", json={"name": "ERP 升级", "stage": "proposal", "amount": "80000"}
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["stage_id"] == stages["proposal"]["id"]
    assert body["probability"] == 60
    assert body["amount"] == "80000.00"
    assert body["currency"] == "CNY"
    assert body["closed_on"] is None
    history = client.get(f"/api/v1/opportunities/{body['id']}/stage-history").json()["items"]
    assert len(history) == 1
    assert history[0]["from_stage"] is None
    assert history[0]["to_stage"] == "proposal"
    assert history[0]["amount"] == "80000.00"
    assert history[0]["changed_by_id"] == body["owner_id"]


def test_create_without_stage_uses_first_open(
    client: TestClient,
) -> None:
    response = client.post("/api/v1/opportunities", json={"name": "新商机", "probability": 15})

    assert response.json()["probability"] == 15
    assert _history(client, response.json()["id"]) == [(None, "prospecting")]


def test_stage_change_closes_and_appends_history(client: TestClient) -> None:
    created = client.post("/api/v1/opportunities", json={"name": "云服务", "stage": "engaging"})
    path = f"/api/v1/opportunities/{created.json()['id']}"
    stages = {stage["key"]: stage for stage in _stages(client)}

    moved = client.patch(path, json={"stage": "proposal"})
    unchanged = client.patch(path, json={"stage": "proposal", "amount": "1200.00"})
    won = client.patch(path, json={"stage_id": stages["won"]["id"]})
    reopened = client.patch(path, json={"stage": "commit"})

    assert moved.json()["probability"] == 60
    assert unchanged.json()["probability"] == 60
    assert won.json()["probability"] == 100
    assert won.json()["closed_on"] == _today_in_shanghai().isoformat()
    assert reopened.json()["closed_on"] is None
    assert _history(client, created.json()["id"]) == [
        (None, "engaging"),
        ("engaging", "proposal"),
        ("proposal", "won"),
        ("won", "commit"),
    ]


def test_unknown_stage_rejected(client: TestClient) -> None:
    created = client.post("/api/v1/opportunities", json={"name": "旧商机", "stage": "engaging"})
    path = f"/api/v1/opportunities/{created.json()['id']}"

    by_key = client.patch(path, json={"stage": "closing"}, headers={"Accept-Language": "en"})
    by_id = client.patch(path, json={"stage_id": "01900000-0000-7000-8000-000000000000"})

    assert by_key.status_code == 422
    assert by_key.json()["errors"] == [
        {
            "field": "stage",
            "value": "closing",
            "code": "invalid_stage",
            "message": (
                "Stage closing does not exist; use a stage configured in this tenant's pipeline."
            ),
        }
    ]
    assert by_id.status_code == 422
    assert by_id.json()["errors"][0]["code"] == "invalid_stage"
    assert client.get(path).json() == created.json()
    assert _history(client, created.json()["id"]) == [(None, "engaging")]


def test_stage_history_other_tenant_not_found(client: TestClient, other_client: TestClient) -> None:
    created = client.post("/api/v1/opportunities", json={"name": "机密商机"})

    response = other_client.get(f"/api/v1/opportunities/{created.json()['id']}/stage-history")

    assert response.status_code == 404
    assert response.json()["code"] == "record_not_found"


def _pipeline(**changes: Any) -> list[dict[str, Any]]:
    stages = [
        {"key": "new", "name_zh": "新建", "name_en": "New", "position": 0, "probability": 10},
        {"key": "quote", "name_zh": "报价", "name_en": "Quote", "position": 1, "probability": 50},
        {
            "key": "won",
            "name_zh": "赢单",
            "name_en": "Won",
            "position": 2,
            "probability": 100,
            "is_won": True,
        },
        {
            "key": "lost",
            "name_zh": "输单",
            "name_en": "Lost",
            "position": 3,
            "probability": 0,
            "is_lost": True,
        },
    ]
    for stage in stages:
        stage.update(changes.get(stage["key"], {}))
    return stages


def test_pipeline_replaced_by_administrator(client: TestClient) -> None:
    before = {stage["key"]: stage["id"] for stage in _stages(client)}

    response = client.put("/api/v1/pipeline/stages", json={"stages": _pipeline()})

    assert response.status_code == 200, response.text
    stages = response.json()["stages"]
    assert [stage["key"] for stage in stages] == ["new", "quote", "won", "lost"]
    assert stages[2]["id"] == before["won"]
    assert _stages(client) == stages
    created = client.post("/api/v1/opportunities", json={"name": "新流程商机", "stage": "quote"})
    assert created.json()["probability"] == 50
    assert (
        client.post("/api/v1/opportunities", json={"name": "x", "stage": "proposal"}).status_code
        == 422
    )


@pytest.mark.parametrize(
    ("stages", "errors"),
    [
        (_pipeline(lost={"is_lost": False}), [("stages", "pipeline_needs_lost")]),
        (_pipeline(quote={"is_won": True}), [("stages", "pipeline_won_count")]),
        (_pipeline(lost={"key": "won"}), [("stages.3.key", "duplicate_stage_key")]),
        (
            _pipeline(won={"is_lost": True}, lost={"is_lost": False}),
            [("stages.2", "stage_won_and_lost")],
        ),
    ],
    ids=["no-lost", "two-won", "duplicate-key", "won-and-lost"],
)
def test_pipeline_invalid_rejected(
    client: TestClient, stages: list[dict[str, Any]], errors: list[tuple[str, str]]
) -> None:
    before = _stages(client)

    response = client.put("/api/v1/pipeline/stages", json={"stages": stages})

    assert response.status_code == 422, response.text
    assert [(error["field"], error["code"]) for error in response.json()["errors"]] == errors
    assert _stages(client) == before


def test_pipeline_stage_in_use_kept(client: TestClient) -> None:
    before = _stages(client)
    for _ in range(2):
        client.post("/api/v1/opportunities", json={"name": "谈判中", "stage": "proposal"})
    replacement = _pipeline(new={"key": "proposal"})

    response = client.put("/api/v1/pipeline/stages", json={"stages": _pipeline()})
    kept = client.put("/api/v1/pipeline/stages", json={"stages": replacement})

    assert response.status_code == 409
    assert response.json()["code"] == "stage_in_use"
    assert (
        response.json()["detail"]
        == "阶段 proposal 仍有 2 个商机在使用，请先把这些商机移到其他阶段再删除它。"
    )
    assert kept.status_code == 200
    assert [stage["key"] for stage in kept.json()["stages"]] == ["proposal", "quote", "won", "lost"]
    assert [stage["id"] for stage in before if stage["key"] == "proposal"] == [
        kept.json()["stages"][0]["id"]
    ]


def test_pipeline_removed_stage_revived(client: TestClient) -> None:
    default = _stages(client)
    client.put("/api/v1/pipeline/stages", json={"stages": _pipeline()})
    restored = [{name: stage[name] for name in stage if name != "id"} for stage in default]

    response = client.put("/api/v1/pipeline/stages", json={"stages": restored})

    assert response.json()["stages"] == default


def test_pipeline_replace_needs_administrator(client: TestClient, tenant: Any) -> None:
    email = f"rep-{secrets.token_hex(3)}@example.com"
    client.post(
        "/api/v1/users",
        json={"email": email, "display_name": "销售", "password": PASSWORD, "role": "sales_rep"},
    )
    before = _stages(client)
    with TestClient(create_app()) as rep:
        token = rep.post(
            "/api/v1/auth/login", json={"tenant": tenant.slug, "email": email, "password": PASSWORD}
        ).json()["access_token"]
        rep.headers["Authorization"] = f"Bearer {token}"

        readable = rep.get("/api/v1/pipeline/stages")
        response = rep.put("/api/v1/pipeline/stages", json={"stages": _pipeline()})

    assert readable.status_code == 200
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert _stages(client) == before
