"""Static lists and dynamic segments: report filters, behaviour, scores, incremental updates."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from marketing_support import create_contact
from sqlalchemy import func, select
from testkit import TenantInfo

from zhike.ai.models.models import ModelScore
from zhike.core.db import Database
from zhike.marketing.automation_models import MarketingChange
from zhike.marketing.engagement import add_event
from zhike.marketing.jobs import apply_changes


def _segment(
    client: TestClient, name: str, definition: dict[str, object], **extra: object
) -> dict[str, object]:
    response = client.post(
        "/api/v1/marketing/segments", json={"name": name, "definition": definition, **extra}
    )
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def _members(client: TestClient, segment_id: object) -> set[str]:
    return set(client.get(f"/api/v1/marketing/segments/{segment_id}/members").json()["ids"])


def test_preview_counts_filters_and_relations(client: TestClient) -> None:
    account = client.post("/api/v1/accounts", json={"name": "杭州云科", "industry": "软件"}).json()[
        "id"
    ]
    create_contact(client, "甲", city="杭州", account_id=account)
    create_contact(client, "乙", city="杭州")
    create_contact(client, "丙", city="上海", account_id=account)

    by_city = client.post(
        "/api/v1/marketing/segments/preview",
        json={"definition": {"filters": [{"field": "city", "op": "eq", "value": "杭州"}]}},
    )
    by_industry = client.post(
        "/api/v1/marketing/segments/preview",
        json={
            "definition": {"filters": [{"field": "account.industry", "op": "eq", "value": "软件"}]}
        },
    )
    unknown = client.post(
        "/api/v1/marketing/segments/preview",
        json={"definition": {"filters": [{"field": "shoe_size", "op": "eq", "value": 42}]}},
    )

    assert by_city.json() == {"size": 2}
    assert by_industry.json() == {"size": 2}
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "report_unknown_field"


def test_behaviour_and_score_conditions(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    clicked = create_contact(client, "点击者")
    visited = create_contact(client, "访问者")
    quiet = create_contact(client, "沉默者")
    with database.session() as session:
        add_event(session, tenant.tenant.id, "clicked", contact_id=uuid.UUID(clicked))
        add_event(session, tenant.tenant.id, "clicked", contact_id=uuid.UUID(clicked))
        add_event(session, tenant.tenant.id, "visited", contact_id=uuid.UUID(visited))
        for contact, score in ((clicked, 0.9), (visited, 0.8), (quiet, 0.2)):
            session.add(
                ModelScore(
                    tenant_id=tenant.tenant.id,
                    object_name="contacts",
                    record_id=uuid.UUID(contact),
                    template="contact_engagement",
                    score=score,
                )
            )

    twice = _segment(
        client, "点击两次", {"behaviour": [{"kind": "clicked", "min_count": 2, "within_days": 30}]}
    )
    never_clicked = _segment(client, "未点击", {"behaviour": [{"kind": "clicked", "negate": True}]})
    high_score = _segment(
        client,
        "高分未点击",
        {
            "behaviour": [{"kind": "clicked", "negate": True}],
            "scores": [{"template": "contact_engagement", "value": 0.5}],
        },
    )

    assert _members(client, twice["id"]) == {clicked}
    assert _members(client, never_clicked["id"]) == {visited, quiet}
    assert _members(client, high_score["id"]) == {visited}


def test_changes_update_membership_incrementally(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    first = create_contact(client, "王一", city="杭州")
    second = create_contact(client, "王二", city="上海")
    segment = _segment(
        client, "杭州", {"filters": [{"field": "city", "op": "eq", "value": "杭州"}]}
    )
    apply_changes(database)
    assert _members(client, segment["id"]) == {first}

    moved = client.patch(f"/api/v1/contacts/{second}", json={"city": "杭州"})
    assert moved.status_code == 200, moved.text
    with database.session() as session:
        noted = session.execute(
            select(MarketingChange.record_id, MarketingChange.fields).where(
                MarketingChange.tenant_id == tenant.tenant.id
            )
        ).all()
    handled = apply_changes(database)

    assert [(str(record_id), fields) for record_id, fields in noted] == [(second, ["city"])]
    assert handled == 1
    assert _members(client, segment["id"]) == {first, second}
    assert client.get(f"/api/v1/marketing/segments/{segment['id']}").json()["member_count"] == 2

    client.delete(f"/api/v1/contacts/{first}")
    apply_changes(database)
    assert _members(client, segment["id"]) == {second}


def test_event_changes_reach_behaviour_segment(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    contact = create_contact(client, "买家")
    segment = _segment(client, "购买过", {"behaviour": [{"kind": "bought"}]})
    assert _members(client, segment["id"]) == set()

    response = client.post(
        "/api/v1/marketing/events",
        json={"kind": "bought", "contact_id": contact, "value": "199.00"},
    )
    assert response.status_code == 201, response.text
    apply_changes(database)

    assert _members(client, segment["id"]) == {contact}
    with database.session() as session:
        left = session.scalar(
            select(func.count(MarketingChange.id)).where(
                MarketingChange.tenant_id == tenant.tenant.id
            )
        )
    assert left == 0


def test_static_list_members(client: TestClient) -> None:
    first = create_contact(client, "名单甲")
    second = create_contact(client, "名单乙")
    static = _segment(client, "展会名单", {}, kind="static")

    added = client.post(
        f"/api/v1/marketing/segments/{static['id']}/members", json={"ids": [first, second]}
    )
    again = client.post(f"/api/v1/marketing/segments/{static['id']}/members", json={"ids": [first]})
    removed = client.post(
        f"/api/v1/marketing/segments/{static['id']}/members/remove", json={"ids": [second]}
    )
    missing = client.post(
        f"/api/v1/marketing/segments/{static['id']}/members", json={"ids": [str(uuid.uuid4())]}
    )

    assert added.json() == {"added": 2}
    assert again.json() == {"added": 0}
    assert removed.json() == {"removed": 1}
    assert missing.status_code == 404
    assert _members(client, static["id"]) == {first}


def test_dynamic_segment_refuses_manual_members(client: TestClient) -> None:
    contact = create_contact(client, "某人")
    dynamic = _segment(client, "全部", {})

    response = client.post(
        f"/api/v1/marketing/segments/{dynamic['id']}/members", json={"ids": [contact]}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "marketing_segment_not_static"


def test_segments_over_leads_and_accounts(client: TestClient) -> None:
    client.post("/api/v1/leads", json={"name": "线索一", "lead_source": "展会"})
    client.post("/api/v1/leads", json={"name": "线索二", "lead_source": "官网"})
    client.post("/api/v1/accounts", json={"name": "大客户", "tier": "A"})

    leads = _segment(
        client,
        "展会线索",
        {"filters": [{"field": "lead_source", "op": "eq", "value": "展会"}]},
        object_name="leads",
    )
    accounts = _segment(
        client,
        "A级客户",
        {"filters": [{"field": "tier", "op": "eq", "value": "A"}]},
        object_name="accounts",
    )

    assert leads["member_count"] == 1
    assert accounts["member_count"] == 1


def test_duplicate_segment_name_conflicts(client: TestClient) -> None:
    _segment(client, "重名", {})
    response = client.post("/api/v1/marketing/segments", json={"name": "重名", "definition": {}})
    assert response.status_code == 409
    assert response.json()["code"] == "marketing_name_taken"
