"""Dashboards: standard dashboards per role, global filters, editing, drill-down, new measures."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from analytics_support import (
    add_opportunity,
    add_team,
    add_user,
    as_dicts,
    log_in_user,
    run_as,
    stage_ids,
)
from fastapi.testclient import TestClient
from testkit import TenantInfo

from zhike.analytics.periods import local_today
from zhike.analytics.standard_dashboards import STANDARD_DASHBOARDS
from zhike.core.db import Database
from zhike.sales.models import Product
from zhike.service.models import CsatSurvey, Ticket

# Relative periods resolve in the tenant's time zone.
TODAY = local_today("Asia/Shanghai")


def _dashboards(client: TestClient, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    response = client.get("/api/v1/dashboards", headers=headers or {})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _product(database: Database, tenant: TenantInfo, name: str) -> Any:
    with database.session() as session:
        product = Product(tenant_id=tenant.tenant.id, name=name, code=name)
        session.add(product)
        session.flush()
        return product.id


def test_standard_dashboards_per_role(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    _, rep_headers = log_in_user(client, database, tenant, "an", "sales_rep")
    _, agent_headers = log_in_user(client, database, tenant, "bai", "service_agent")
    _, marketer_headers = log_in_user(client, database, tenant, "cao", "marketer")

    admin_view = _dashboards(client)
    again = _dashboards(client)
    rep_view = _dashboards(client, rep_headers)
    agent_view = _dashboards(client, agent_headers)
    marketer_view = _dashboards(client, marketer_headers)

    keys = sorted(item["key"] for item in STANDARD_DASHBOARDS)
    assert sorted(item["standard_key"] for item in admin_view) == keys
    assert [item["id"] for item in again] == [item["id"] for item in admin_view]
    assert all(item["can_edit"] for item in admin_view)
    assert [item["standard_key"] for item in rep_view] == ["sales_funnel"]
    assert rep_view[0]["can_edit"] is False
    assert [item["standard_key"] for item in agent_view] == ["service_quality"]
    assert sorted(item["standard_key"] for item in marketer_view) == [
        "campaign_results",
        "lead_sources",
    ]


def test_every_standard_widget_runs(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    stages = stage_ids(database, tenant)
    owner = add_user(database, tenant, "deng")
    product = _product(database, tenant, "云呼叫中心")
    created = datetime.now(UTC)
    add_opportunity(
        database,
        tenant,
        owner,
        stages["won"],
        "500",
        TODAY,
        created,
        product_id=product,
    )
    add_opportunity(database, tenant, owner, stages["lost"], "100", TODAY, created)
    add_opportunity(database, tenant, owner, stages["proposal"], "900", None, created)
    failures = []

    for summary in _dashboards(client):
        dashboard = client.get(f"/api/v1/dashboards/{summary['id']}").json()
        for widget in dashboard["widgets"]:
            response = client.post(
                f"/api/v1/dashboards/{summary['id']}/widgets/{widget['id']}/run", json={}
            )
            if response.status_code != 200:
                failures.append((summary["standard_key"], widget["id"], response.text))

    assert failures == []


def test_win_rate_cycle_time_and_csat_measures(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    stages = stage_ids(database, tenant)
    owner = add_user(database, tenant, "fang")
    start = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 March in Shanghai
    add_opportunity(database, tenant, owner, stages["won"], "10", date(2026, 3, 11), start)
    add_opportunity(database, tenant, owner, stages["won"], "10", date(2026, 3, 21), start)
    add_opportunity(database, tenant, owner, stages["lost"], "10", date(2026, 3, 6), start)
    add_opportunity(database, tenant, owner, stages["proposal"], "10", None, start)
    query = {
        "object": "opportunities",
        "filters": [{"field": "closed_on", "op": "is_not_empty"}],
        "group_by": [{"field": "owner.display_name", "alias": "owner"}],
        "measures": [
            {"aggregate": "share", "where": [{"field": "stage.is_won", "op": "eq", "value": True}]},
            {"aggregate": "avg_days", "field": "created_at", "end_field": "closed_on"},
        ],
    }
    with database.session() as session:
        for rating, priority in ((5, "high"), (3, "high"), (None, "high"), (4, "normal")):
            ticket = Ticket(
                tenant_id=tenant.tenant.id,
                subject="发票问题",
                priority=priority,
                owner_id=tenant.admin.id,
            )
            session.add(ticket)
            session.flush()
            session.add(
                CsatSurvey(
                    tenant_id=tenant.tenant.id,
                    ticket_id=ticket.id,
                    token_hash=ticket.id.hex * 2,
                    expires_at=start,
                    rating=rating,
                    responded_at=start if rating else None,
                )
            )

    result = as_dicts(run_as(database, tenant, None, query))
    csat = run_as(
        database,
        tenant,
        None,
        {
            "object": "tickets",
            "group_by": [{"field": "priority"}],
            "measures": [
                {"aggregate": "avg", "field": "csat_rating"},
                {"aggregate": "count", "field": "csat_rating"},
            ],
        },
    )

    assert result == [
        {
            "owner": "fang",
            "share:stage.is_won:eq": Decimal("0.6667"),
            # Closed at local midnight of 11, 21 and 6 March, created 10:00 on 1 March.
            "avg_days:created_at->closed_on": Decimal("11.25"),
        }
    ]
    assert csat.rows == [["high", Decimal("4.0000"), 2], ["normal", Decimal("4.0000"), 1]]


def test_global_filters_apply_to_each_widget(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    stages = stage_ids(database, tenant)
    team = add_team(database, tenant, "华南区")
    inside, _ = log_in_user(client, database, tenant, "guo", "sales_rep", team)
    outside = add_user(database, tenant, "lin")
    product = _product(database, tenant, "智能外呼")
    add_opportunity(
        database,
        tenant,
        inside,
        stages["won"],
        "100",
        TODAY,
        product_id=product,
    )
    add_opportunity(database, tenant, inside, stages["won"], "40", TODAY)
    add_opportunity(
        database,
        tenant,
        outside,
        stages["won"],
        "7",
        TODAY,
        product_id=product,
    )
    body = {
        "name": "我的看板",
        "filters": {"period": "this_year"},
        "widgets": [
            {
                "id": "won",
                "title": "赢单",
                "query": {
                    "object": "opportunities",
                    "filters": [{"field": "stage.key", "op": "eq", "value": "won"}],
                    "measures": [{"aggregate": "sum", "field": "amount", "alias": "won"}],
                },
                "date_field": "closed_on",
                "x": 0,
                "width": 6,
            },
            {
                "id": "campaigns",
                "title": "活动",
                "query": {"object": "campaigns", "measures": [{"aggregate": "count"}]},
                "x": 6,
                "width": 6,
            },
        ],
    }
    created = client.post("/api/v1/dashboards", json=body)
    dashboard_id = created.json()["id"]

    def run(widget: str, filters: dict[str, Any] | None) -> dict[str, Any]:
        response = client.post(
            f"/api/v1/dashboards/{dashboard_id}/widgets/{widget}/run", json={"filters": filters}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    saved_filters = run("won", None)
    by_team = run("won", {"period": "this_year", "team_id": str(team)})
    by_product = run("won", {"product_id": str(product)})
    by_owner_and_product = run("won", {"owner_id": str(inside), "product_id": str(product)})
    campaigns = run("campaigns", {"product_id": str(product), "team_id": str(team)})
    bad_period = client.post(
        f"/api/v1/dashboards/{dashboard_id}/widgets/won/run", json={"filters": {"period": "soon"}}
    )

    assert created.status_code == 201, created.text
    assert saved_filters["result"]["rows"] == [["147.00"]]
    assert saved_filters["query"]["filters"][-1] == {
        "field": "closed_on",
        "op": "relative",
        "value": "this_year",
    }
    assert by_team["result"]["rows"] == [["140.00"]]
    assert by_product["result"]["rows"] == [["107.00"]]
    assert by_owner_and_product["result"]["rows"] == [["100.00"]]
    assert campaigns["skipped_filters"] == ["product_id"]
    assert bad_period.status_code == 400
    assert bad_period.json()["code"] == "report_unknown_period"


def test_dashboard_editing_rights(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    _, rep_headers = log_in_user(client, database, tenant, "hu", "sales_rep")
    funnel = next(item for item in _dashboards(client) if item["standard_key"] == "sales_funnel")
    standard = client.get(f"/api/v1/dashboards/{funnel['id']}").json()
    body = {
        "name": "销售漏斗（调整）",
        "widgets": standard["widgets"][:1],
        "filters": standard["filters"],
        "sharing": standard["sharing"],
    }

    by_rep = client.put(f"/api/v1/dashboards/{funnel['id']}", json=body, headers=rep_headers)
    by_admin = client.put(
        f"/api/v1/dashboards/{funnel['id']}",
        json=body,
        headers={"If-Match": f'"{funnel["id"]}.1"'},
    )
    stale = client.put(
        f"/api/v1/dashboards/{funnel['id']}",
        json=body,
        headers={"If-Match": f'"{funnel["id"]}.1"'},
    )
    delete_standard = client.delete(f"/api/v1/dashboards/{funnel['id']}")
    own = client.post(
        "/api/v1/dashboards", json={"name": "临时", "widgets": []}, headers=rep_headers
    )
    delete_own = client.delete(f"/api/v1/dashboards/{own.json()['id']}", headers=rep_headers)
    duplicate_ids = client.post(
        "/api/v1/dashboards",
        json={"name": "重复", "widgets": [standard["widgets"][0], standard["widgets"][0]]},
    )

    assert by_rep.status_code == 403
    assert by_rep.json()["code"] == "dashboard_read_only"
    assert by_admin.status_code == 200, by_admin.text
    assert [widget["id"] for widget in by_admin.json()["widgets"]] == ["stages"]
    assert stale.status_code == 412
    assert delete_standard.status_code == 403
    assert own.status_code == 201, own.text
    assert delete_own.status_code == 204
    assert duplicate_ids.status_code == 422


def test_drill_down_matches_the_cell(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    stages = stage_ids(database, tenant)
    owner = add_user(database, tenant, "kong")
    add_opportunity(database, tenant, owner, stages["won"], "10", date(2026, 2, 28))
    add_opportunity(database, tenant, owner, stages["won"], "20", date(2026, 3, 1))
    add_opportunity(database, tenant, owner, stages["won"], "30", date(2026, 3, 31))
    add_opportunity(database, tenant, owner, stages["lost"], "40", date(2026, 3, 15))
    query = {
        "object": "opportunities",
        "filters": [{"field": "amount", "op": "gte", "value": 15}],
        "group_by": [
            {"field": "stage.key", "alias": "stage"},
            {"field": "closed_on", "bucket": "month", "alias": "month"},
        ],
        "measures": [{"aggregate": "count"}],
    }
    cells = client.post("/api/v1/reports/run", json=query).json()["rows"]
    won_march = next(row for row in cells if row[:2] == ["won", "2026-03"])

    response = client.post("/api/v1/reports/drill", json={"query": query, "values": won_march[:2]})
    drill = response.json()["drill"]
    listed = client.get(f"/api/v1/{drill['object']}", params={**drill["filters"], "limit": 100})
    custom = client.post(
        "/api/v1/reports/drill",
        json={
            "query": {**query, "group_by": [{"field": "custom.region"}]},
            "values": ["华东"],
        },
    )
    wrong = client.post("/api/v1/reports/drill", json={"query": query, "values": ["won"]})

    assert response.status_code == 200, response.text
    assert response.json()["complete"] is True
    assert drill["filters"] == {
        "amount__gte": "15",
        "stage_id__in": str(stages["won"]),
        "closed_on__gte": "2026-03-01",
        "closed_on__lt": "2026-04-01",
    }
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["items"]) == won_march[2] == 2
    assert custom.json()["complete"] is False
    assert custom.json()["unmatched"] == ["custom.region:eq"]
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "report_drill_values"
