"""The 360° timeline of accounts and contacts: sources, titles, order, pages and queries."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from zhike.core.db import Database
from zhike.customers.timeline import account_timeline, contact_timeline

SAME_TIME = "2026-02-01T08:00:00Z"


def _post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/v1/{path}", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _build_history(client: TestClient) -> dict[str, Any]:
    """An account with two contacts and one of every kind of timeline source."""
    account = _post(client, "accounts", {"name": "宁波港集团"})
    contact = _post(client, "contacts", {"name": "陈静", "account_id": account["id"]})
    colleague = _post(client, "contacts", {"name": "周强", "account_id": account["id"]})
    stranger = _post(client, "contacts", {"name": "无关联系人"})
    opportunity = _post(
        client,
        "opportunities",
        {
            "name": "码头调度系统",
            "account_id": account["id"],
            "contact_id": contact["id"],
            "stage": "engaging",
        },
    )
    client.patch(f"/api/v1/opportunities/{opportunity['id']}", json={"stage": "proposal"})
    _post(
        client,
        "activities",
        {
            "kind": "call",
            "subject": "首次电话",
            "contact_id": contact["id"],
            "occurred_at": "2026-01-05T02:00:00Z",
        },
    )
    _post(
        client,
        "activities",
        {
            "kind": "visit",
            "subject": "上门拜访",
            "account_id": account["id"],
            "occurred_at": "2026-01-06T02:00:00Z",
        },
    )
    _post(
        client,
        "activities",
        {"kind": "note", "subject": "别人的备注", "contact_id": stranger["id"]},
    )
    ticket = _post(
        client,
        "tickets",
        {
            "subject": "系统无法登录",
            "contact_id": colleague["id"],
            "opened_at": "2026-01-07T02:00:00Z",
        },
    )
    client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        json={"status": "resolved", "resolved_at": "2026-01-08T02:00:00Z"},
    )
    campaign = _post(client, "campaigns", {"name": "港口数字化峰会"})
    _post(
        client,
        "campaign_members",
        {
            "campaign_id": campaign["id"],
            "contact_id": contact["id"],
            "status": "responded",
            "touched_at": "2026-01-04T02:00:00Z",
        },
    )
    return {
        "account": account,
        "contact": contact,
        "colleague": colleague,
        "opportunity": opportunity,
    }


def test_account_timeline_all_sources(client: TestClient) -> None:
    built = _build_history(client)

    response = client.get(f"/api/v1/accounts/{built['account']['id']}/timeline")

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(item["kind"], item["title"]) for item in items] == [
        ("stage_change", "阶段：方案沟通 → 报价谈判"),
        ("stage_change", "阶段：方案沟通"),
        ("ticket_resolved", "工单已解决：系统无法登录"),
        ("ticket_opened", "工单已创建：系统无法登录"),
        ("activity", "拜访：上门拜访"),
        ("activity", "电话：首次电话"),
        ("campaign_touch", "营销活动：港口数字化峰会（已响应）"),
    ]
    times = [item["occurred_at"] for item in items]
    assert times == sorted(times, reverse=True)
    assert items[0]["record"] == {"object": "opportunities", "id": built["opportunity"]["id"]}
    assert items[0]["fields"]["from_stage"] == "engaging"
    assert items[0]["fields"]["to_stage"] == "proposal"
    assert response.json()["next_cursor"] is None


def test_contact_timeline_english(client: TestClient) -> None:
    built = _build_history(client)

    response = client.get(
        f"/api/v1/contacts/{built['contact']['id']}/timeline", headers={"Accept-Language": "en"}
    )

    assert [(item["kind"], item["title"]) for item in response.json()["items"]] == [
        ("stage_change", "Stage: Engaging → Proposal"),
        ("stage_change", "Stage: Engaging"),
        ("activity", "Call: 首次电话"),
        ("campaign_touch", "Campaign: 港口数字化峰会 (responded)"),
    ]


def test_timeline_pages_equal_times(client: TestClient) -> None:
    account = _post(client, "accounts", {"name": "同刻公司"})
    contact = _post(client, "contacts", {"name": "同刻", "account_id": account["id"]})
    expected = set()
    for index in range(4):
        expected.add(
            _post(
                client,
                "activities",
                {
                    "kind": "note",
                    "subject": f"备注{index}",
                    "account_id": account["id"],
                    "occurred_at": SAME_TIME,
                },
            )["id"]
        )
        expected.add(
            _post(
                client,
                "tickets",
                {
                    "subject": f"工单{index}",
                    "contact_id": contact["id"],
                    "opened_at": SAME_TIME,
                },
            )["id"]
        )
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = client.get(f"/api/v1/accounts/{account['id']}/timeline", params=params).json()
        assert len(page["items"]) <= 3
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == 8
    assert set(seen) == expected


def test_timeline_other_tenant_not_found(client: TestClient, other_client: TestClient) -> None:
    built = _build_history(client)

    account = other_client.get(f"/api/v1/accounts/{built['account']['id']}/timeline")
    contact = other_client.get(f"/api/v1/contacts/{built['contact']['id']}/timeline")
    bad_cursor = client.get(
        f"/api/v1/accounts/{built['account']['id']}/timeline", params={"cursor": "x"}
    )

    assert account.status_code == 404
    assert account.json()["code"] == "record_not_found"
    assert contact.status_code == 404
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["code"] == "invalid_cursor"


@contextmanager
def _counted(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*arguments: Any) -> None:
        statements.append(arguments[2])

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def test_timeline_query_count_fixed(client: TestClient, database: Database, tenant: Any) -> None:
    built = _build_history(client)
    account_id = uuid.UUID(built["account"]["id"])
    contact_id = uuid.UUID(built["contact"]["id"])

    with database.session() as session, _counted(database) as small:
        assert len(account_timeline(session, tenant.actor, account_id).items) == 7
    for index in range(10):
        _post(
            client,
            "activities",
            {"kind": "email", "subject": f"邮件{index}", "account_id": str(account_id)},
        )
        _post(client, "tickets", {"subject": f"咨询{index}", "contact_id": str(contact_id)})
    with database.session() as session, _counted(database) as large:
        assert len(account_timeline(session, tenant.actor, account_id).items) == 27
    with database.session() as session, _counted(database) as contact:
        contact_timeline(session, tenant.actor, contact_id)

    # One query for the subject record, then one per source: activities, stage changes,
    # tickets opened, tickets resolved and campaign touches.
    assert len(small) == 6
    assert len(large) == 6
    assert len(contact) == 6
