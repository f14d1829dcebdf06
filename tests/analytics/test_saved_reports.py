"""Saved reports over the API: CRUD, sharing by role and team, runs as the viewer."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from analytics_support import add_opportunity, add_team, log_in_user, stage_ids
from fastapi.testclient import TestClient
from sqlalchemy import select
from testkit import TenantInfo

from zhike.analytics.saved_models import SavedReport
from zhike.audit.models import AuditEvent
from zhike.core.db import Database

WON_BY_OWNER: dict[str, Any] = {
    "object": "opportunities",
    "filters": [{"field": "stage.key", "op": "eq", "value": "won"}],
    "group_by": [{"field": "owner.display_name", "alias": "owner"}],
    "measures": [
        {"aggregate": "count", "alias": "deals"},
        {"aggregate": "sum", "field": "amount", "alias": "won"},
    ],
}


def _save(client: TestClient, **changes: Any) -> dict[str, Any]:
    body = {
        "name": "按负责人统计赢单",
        "query": WON_BY_OWNER,
        "display": {"type": "chart", "chart": "bar"},
        **changes,
    }
    response = client.post("/api/v1/reports/saved", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_shared_report_shows_rep_only_their_rows(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    won = stage_ids(database, tenant)["won"]
    zhao, zhao_headers = log_in_user(client, database, tenant, "zhao", "sales_rep")
    qian, qian_headers = log_in_user(client, database, tenant, "qian", "sales_rep")
    _, agent_headers = log_in_user(client, database, tenant, "sun", "service_agent")
    add_opportunity(database, tenant, zhao, won, "100.00", date(2026, 1, 5))
    add_opportunity(database, tenant, zhao, won, "50.50", date(2026, 2, 5))
    add_opportunity(database, tenant, qian, won, "70.00", date(2026, 2, 7))
    report = _save(client, sharing={"roles": ["sales_rep"]})

    as_owner = client.post(f"/api/v1/reports/saved/{report['id']}/run")
    as_zhao = client.post(f"/api/v1/reports/saved/{report['id']}/run", headers=zhao_headers)
    as_qian = client.post(f"/api/v1/reports/saved/{report['id']}/run", headers=qian_headers)
    as_agent = client.post(f"/api/v1/reports/saved/{report['id']}/run", headers=agent_headers)
    listed = client.get("/api/v1/reports/saved", headers=zhao_headers)

    assert as_owner.status_code == 200, as_owner.text
    assert as_owner.json()["rows"] == [["qian", 1, "70.00"], ["zhao", 2, "150.50"]]
    assert as_zhao.json()["rows"] == [["zhao", 2, "150.50"]]
    assert as_qian.json()["rows"] == [["qian", 1, "70.00"]]
    assert as_agent.status_code == 404
    assert [item["id"] for item in listed.json()["items"]] == [report["id"]]
    assert listed.json()["items"][0]["can_edit"] is False
    assert listed.json()["items"][0]["owner_name"] == tenant.admin.display_name


def test_shared_report_is_read_only(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    _, rep_headers = log_in_user(client, database, tenant, "li", "sales_rep")
    report = _save(client, sharing={"roles": ["sales_rep"]})
    body = {"name": "改名", "query": WON_BY_OWNER}

    changed = client.put(f"/api/v1/reports/saved/{report['id']}", json=body, headers=rep_headers)
    deleted = client.delete(f"/api/v1/reports/saved/{report['id']}", headers=rep_headers)
    after = client.get(f"/api/v1/reports/saved/{report['id']}")

    assert changed.status_code == 403
    assert changed.json()["code"] == "saved_report_read_only"
    assert deleted.status_code == 403
    assert after.json()["name"] == "按负责人统计赢单"
    assert after.json()["version"] == 1


def test_team_share_reaches_teams_below(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    east = add_team(database, tenant, "华东区")
    shanghai = add_team(database, tenant, "上海组", parent_id=east)
    north = add_team(database, tenant, "华北区")
    _, inside_headers = log_in_user(client, database, tenant, "zhou", "sales_rep", shanghai)
    _, outside_headers = log_in_user(client, database, tenant, "wu", "sales_rep", north)
    report = _save(client, sharing={"team_ids": [str(east)]})

    inside = client.get(f"/api/v1/reports/saved/{report['id']}", headers=inside_headers)
    outside = client.get(f"/api/v1/reports/saved/{report['id']}", headers=outside_headers)

    assert inside.status_code == 200, inside.text
    assert inside.json()["sharing"] == {"roles": [], "team_ids": [str(east)]}
    assert outside.status_code == 404
    assert outside.json()["code"] == "record_not_found"


def test_saved_report_crud_and_versions(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    report = _save(client)
    path = f"/api/v1/reports/saved/{report['id']}"
    fetched = client.get(path)
    etag = fetched.headers["ETag"]
    body = {
        "name": "赢单透视",
        "query": {
            **WON_BY_OWNER,
            "group_by": [
                {"field": "owner.display_name", "alias": "owner"},
                {"field": "closed_on", "bucket": "quarter", "alias": "quarter"},
            ],
        },
        "display": {"type": "pivot", "pivot_column": "quarter"},
    }

    updated = client.put(path, json=body, headers={"If-Match": etag})
    stale = client.put(path, json=body, headers={"If-Match": etag})
    deleted = client.delete(path)
    gone = client.get(path)

    assert fetched.status_code == 200
    assert etag == f'"{report["id"]}.1"'
    assert updated.status_code == 200, updated.text
    assert updated.json()["display"] == {"type": "pivot", "chart": None, "pivot_column": "quarter"}
    assert updated.json()["version"] == 2
    assert stale.status_code == 412
    assert deleted.status_code == 204
    assert gone.status_code == 404
    with database.session() as session:
        stored = session.get(SavedReport, uuid.UUID(report["id"]))
        assert stored is not None
        assert stored.deleted_at is not None
        actions = list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.record_id == str(report["id"]))
                .order_by(AuditEvent.sequence)
            )
        )
    assert actions == ["record.create", "record.update", "record.delete"]


def test_saved_report_rejects_invalid_input(client: TestClient, tenant: TenantInfo) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"sharing": {"roles": ["nobody"]}}, 400, "report_unknown_role"),
        ({"sharing": {"team_ids": [str(uuid.uuid4())]}}, 400, "report_unknown_team"),
        ({"display": {"type": "pivot", "pivot_column": "owner"}}, 400, "report_pivot_column"),
        ({"display": {"type": "chart"}}, 422, "validation_failed"),
        ({"query": {**WON_BY_OWNER, "group_by": [{"field": "nope"}]}}, 400, "report_unknown_field"),
    ]
    for changes, status, code in cases:
        body: dict[str, Any] = {"name": "报表", "query": WON_BY_OWNER, **changes}

        response = client.post("/api/v1/reports/saved", json=body)

        assert response.status_code == status, (changes, response.text)
        assert response.json()["code"] == code, changes
    assert client.get("/api/v1/reports/saved").json()["items"] == []


def test_saved_report_needs_sign_in(client: TestClient) -> None:
    anonymous = TestClient(client.app)

    assert anonymous.get("/api/v1/reports/saved").status_code == 401
    assert anonymous.post("/api/v1/reports/saved", json={}).status_code == 401
