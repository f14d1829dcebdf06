"""Sales funnel: reach, conversion, losses and time in stage from the stage history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from zhike.core.db import Database
from zhike.sales.models import OpportunityStageChange


def _deal(client: TestClient, name: str, stages: list[str]) -> str:
    created = client.post("/api/v1/opportunities", json={"name": name, "stage": stages[0]})
    assert created.status_code == 201, created.text
    deal_id = str(created.json()["id"])
    for stage in stages[1:]:
        moved = client.patch(f"/api/v1/opportunities/{deal_id}", json={"stage": stage})
        assert moved.status_code == 200, moved.text
    return deal_id


def _space_out(database: Database, deal_id: str, days: list[int]) -> None:
    """Give the deal's stage changes known times, the given days after a fixed start."""
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    with database.session() as session:
        changes = session.scalars(
            select(OpportunityStageChange)
            .where(OpportunityStageChange.opportunity_id == uuid.UUID(deal_id))
            .order_by(OpportunityStageChange.changed_at, OpportunityStageChange.id)
        ).all()
        assert len(changes) == len(days)
        for change, day in zip(changes, days, strict=True):
            change.changed_at = start + timedelta(days=day)


def test_funnel_counts_reach_conversion_losses_and_days(
    client: TestClient, database: Database
) -> None:
    climbing = _deal(client, "甲", ["prospecting", "qualification", "engaging"])
    skipping = _deal(client, "乙", ["prospecting", "proposal", "lost"])
    _deal(client, "丙", ["engaging", "won"])
    _deal(client, "丁", ["prospecting"])
    _space_out(database, climbing, [0, 2, 5])
    _space_out(database, skipping, [0, 1, 4])

    response = client.get("/api/v1/analytics/funnel")
    assert response.status_code == 200, response.text
    funnel = response.json()
    stages = {stage["key"]: stage for stage in funnel["stages"]}

    assert [stage["key"] for stage in funnel["stages"]] == [
        "prospecting",
        "qualification",
        "engaging",
        "proposal",
        "commit",
        "won",
    ]
    assert {key: stage["reached"] for key, stage in stages.items()} == {
        "prospecting": 4,
        "qualification": 3,
        "engaging": 3,
        "proposal": 2,
        "commit": 1,
        "won": 1,
    }
    assert stages["prospecting"]["converted_to_next"] == 0.75
    assert stages["won"]["converted_to_next"] is None
    assert stages["proposal"]["lost_here"] == 1
    assert (stages["engaging"]["open_here"], stages["prospecting"]["open_here"]) == (1, 1)
    assert (funnel["won"], funnel["lost"], funnel["win_rate"]) == (1, 1, 0.5)
    # 甲 spent 2 days in prospecting, 乙 1 day; 乙 spent 3 days in proposal.
    assert stages["prospecting"]["median_days_in_stage"] == 1.5
    assert stages["proposal"]["mean_days_in_stage"] == 3.0
    assert stages["qualification"]["median_days_in_stage"] == 3.0
    assert stages["prospecting"]["name"] == "初步接洽"

    later = client.get("/api/v1/analytics/funnel", params={"created_from": "2099-01-01"})
    assert later.json()["opportunities"] == 0
