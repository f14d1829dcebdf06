"""Pool endpoints and their permissions: masking before a claim, limits, release with a reason."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from zhike.core.db import Database
from zhike.sales.models import Lead
from zhike.security.models import User


def _pool_with_lead(client: TestClient, **settings: object) -> tuple[str, str]:
    pool = client.post(
        "/api/v1/sales/pools",
        json={"name": "华南公海", "max_owned_per_user": 1, "max_claims_per_day": 5, **settings},
    )
    assert pool.status_code == 201, pool.text
    lead = client.post(
        "/api/v1/leads", json={"name": "王芳", "mobile": "13912345678", "email": "wang@example.cn"}
    )
    assert lead.status_code == 201, lead.text
    moved = client.post(
        f"/api/v1/sales/pools/{pool.json()['id']}/move",
        json={"record_ids": [lead.json()["id"]], "reason": "无人跟进"},
    )
    assert moved.status_code == 200, moved.text
    return pool.json()["id"], lead.json()["id"]


def test_rep_sees_masked_pool_until_claim(
    client: TestClient, make_user: Callable[..., User], login: Callable[[User], TestClient]
) -> None:
    pool_id, lead_id = _pool_with_lead(client)
    rep = login(make_user())

    items = rep.get(f"/api/v1/sales/pools/{pool_id}/items")
    assert items.status_code == 200, items.text
    (item,) = items.json()["items"]
    assert "5678" in item["mobile"]
    assert "1234" not in item["mobile"]
    assert item["email"] == "w***@example.cn"
    assert rep.get(f"/api/v1/leads/{lead_id}").status_code == 404
    reveal = rep.post(f"/api/v1/leads/{lead_id}/reveal", json={"fields": ["mobile"]})
    assert reveal.status_code == 404

    claimed = rep.post(
        f"/api/v1/sales/pools/{pool_id}/items/{lead_id}/claim", json={"reason": "客户来电咨询"}
    )
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["state"] == "claimed"
    assert claimed.json()["return_due_at"] is None
    assert rep.get(f"/api/v1/leads/{lead_id}").status_code == 200
    reveal = rep.post(f"/api/v1/leads/{lead_id}/reveal", json={"fields": ["mobile"]})
    assert reveal.status_code == 200, reveal.text
    assert reveal.json() == {"mobile": "+8613912345678"}
    assert rep.get(f"/api/v1/sales/pools/{pool_id}/items").json()["items"] == []


def test_claim_past_limit_changes_nothing(
    client: TestClient,
    database: Database,
    make_user: Callable[..., User],
    login: Callable[[User], TestClient],
) -> None:
    pool_id, first = _pool_with_lead(client)
    second = client.post("/api/v1/leads", json={"name": "李雷"}).json()["id"]
    client.post(
        f"/api/v1/sales/pools/{pool_id}/move", json={"record_ids": [second], "reason": "入池"}
    )
    rep = login(make_user())
    assert (
        rep.post(
            f"/api/v1/sales/pools/{pool_id}/items/{first}/claim", json={"reason": "跟进"}
        ).status_code
        == 200
    )

    refused = rep.post(
        f"/api/v1/sales/pools/{pool_id}/items/{second}/claim", json={"reason": "跟进"}
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "pool_owned_limit"
    with database.session() as session:
        assert session.scalar(select(Lead.owner_id).where(Lead.id == uuid.UUID(second))) is None
    missing_reason = rep.post(f"/api/v1/sales/pools/{pool_id}/items/{second}/claim", json={})
    assert missing_reason.status_code == 422


def test_release_needs_reason_and_returns_to_pool(
    client: TestClient, make_user: Callable[..., User], login: Callable[[User], TestClient]
) -> None:
    pool_id, lead_id = _pool_with_lead(client)
    rep = login(make_user())
    rep.post(f"/api/v1/sales/pools/{pool_id}/items/{lead_id}/claim", json={"reason": "跟进"})
    assert rep.post(f"/api/v1/leads/{lead_id}/release", json={}).status_code == 422
    released = rep.post(f"/api/v1/leads/{lead_id}/release", json={"reason": "客户无预算"})
    assert released.status_code == 200, released.text
    assert released.json()["state"] == "pooled"
    assert released.json()["owner_id"] is None

    history = client.get(f"/api/v1/leads/{lead_id}/pool-history")
    assert history.status_code == 200
    assert [(event["action"], event["reason"]) for event in history.json()["items"]] == [
        ("release", "无人跟进"),
        ("claim", "跟进"),
        ("release", "客户无预算"),
    ]


def test_rep_cannot_configure_pools(
    client: TestClient, make_user: Callable[..., User], login: Callable[[User], TestClient]
) -> None:
    rep = login(make_user())
    refused = rep.post("/api/v1/sales/pools", json={"name": "私建公海"})
    assert refused.status_code == 403
    assert client.get("/api/v1/sales/pools").json()["items"] == []
    assert rep.post("/api/v1/sales/pools/recycle").status_code == 403
    assert rep.post("/api/v1/sales/assignment/run", json={}).status_code == 403


def test_pool_members_only(
    client: TestClient, make_user: Callable[..., User], login: Callable[[User], TestClient]
) -> None:
    team = client.post("/api/v1/teams", json={"name": "华南组"})
    assert team.status_code == 201, team.text
    pool_id, lead_id = _pool_with_lead(client, member_team_ids=[team.json()["id"]])
    outsider = login(make_user())
    refused = outsider.post(
        f"/api/v1/sales/pools/{pool_id}/items/{lead_id}/claim", json={"reason": "跟进"}
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "pool_not_member"
