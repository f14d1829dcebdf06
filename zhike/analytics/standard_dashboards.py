"""The dashboards every tenant starts with, one set per role.

Stage keys are those of the default pipeline (``sales.stages``); a tenant that
renames them edits these dashboards like any other. Titles are catalog keys of
the web app (``analytics.standard.*``), so they follow the viewer's language.
"""

from __future__ import annotations

from typing import Any

SALES_ROLES = ["administrator", "sales_director", "sales_manager", "analyst"]

_CLOSED = {"field": "closed_on", "op": "is_not_empty"}
_WON = {"field": "stage.is_won", "op": "eq", "value": True}


def _widget(
    widget_id: str,
    title_key: str,
    query: dict[str, Any],
    chart: str | None,
    x: int,
    y: int,
    *,
    date_field: str | None = None,
    width: int = 6,
) -> dict[str, Any]:
    display: dict[str, Any] = {"type": "chart", "chart": chart} if chart else {"type": "table"}
    return {
        "id": widget_id,
        "title": "",
        "title_key": f"analytics.standard.widget.{title_key}",
        "query": query,
        "display": display,
        "date_field": date_field,
        "x": x,
        "y": y,
        "width": width,
        "height": 4,
    }


STANDARD_DASHBOARDS: list[dict[str, Any]] = [
    {
        "key": "sales_funnel",
        "roles": [*SALES_ROLES, "sales_rep"],
        "widgets": [
            _widget(
                "stages",
                "stages",
                {
                    "object": "opportunities",
                    "group_by": [
                        {"field": "stage.position", "alias": "position"},
                        {"field": "stage.key", "alias": "stage"},
                    ],
                    "measures": [
                        {"aggregate": "count", "alias": "deals"},
                        {"aggregate": "sum", "field": "amount", "alias": "amount"},
                    ],
                },
                "funnel",
                0,
                0,
                date_field="created_at",
            ),
            _widget(
                "conversion",
                "conversion",
                {
                    "object": "opportunities",
                    "measures": [
                        {
                            "aggregate": "conversion_rate",
                            "from_stage": "prospecting",
                            "to_stage": "qualification",
                            "alias": "prospecting_to_qualification",
                        },
                        {
                            "aggregate": "conversion_rate",
                            "from_stage": "qualification",
                            "to_stage": "proposal",
                            "alias": "qualification_to_proposal",
                        },
                        {
                            "aggregate": "conversion_rate",
                            "from_stage": "proposal",
                            "to_stage": "won",
                            "alias": "proposal_to_won",
                        },
                    ],
                },
                None,
                6,
                0,
                date_field="created_at",
            ),
        ],
    },
    {
        "key": "pipeline_forecast",
        "roles": SALES_ROLES,
        "widgets": [
            _widget(
                "open_pipeline",
                "open_pipeline",
                {
                    "object": "opportunities",
                    "filters": [
                        {"field": "stage.is_won", "op": "eq", "value": False},
                        {"field": "stage.is_lost", "op": "eq", "value": False},
                    ],
                    "group_by": [
                        {"field": "expected_close_date", "bucket": "quarter", "alias": "quarter"}
                    ],
                    "measures": [{"aggregate": "sum", "field": "amount", "alias": "amount"}],
                },
                "bar",
                0,
                0,
                date_field="expected_close_date",
            ),
            _widget(
                "won_by_month",
                "won_by_month",
                {
                    "object": "opportunities",
                    "filters": [_WON],
                    "group_by": [{"field": "closed_on", "bucket": "month", "alias": "month"}],
                    "measures": [{"aggregate": "sum", "field": "amount", "alias": "won"}],
                },
                "line",
                6,
                0,
                date_field="closed_on",
            ),
        ],
    },
    {
        "key": "win_rate_cycle",
        "roles": SALES_ROLES,
        "widgets": [
            _widget(
                "win_rate_by_owner",
                "win_rate_by_owner",
                {
                    "object": "opportunities",
                    "filters": [_CLOSED],
                    "group_by": [{"field": "owner.display_name", "alias": "owner"}],
                    "measures": [
                        {"aggregate": "share", "where": [_WON], "alias": "win_rate"},
                        {
                            "aggregate": "avg_days",
                            "field": "created_at",
                            "end_field": "closed_on",
                            "alias": "cycle_days",
                        },
                    ],
                },
                "bar",
                0,
                0,
                date_field="closed_on",
            ),
            _widget(
                "win_rate_by_product",
                "win_rate_by_product",
                {
                    "object": "opportunities",
                    "filters": [_CLOSED],
                    "group_by": [{"field": "product.name", "alias": "product"}],
                    "measures": [
                        {"aggregate": "share", "where": [_WON], "alias": "win_rate"},
                        {
                            "aggregate": "avg_days",
                            "field": "created_at",
                            "end_field": "closed_on",
                            "alias": "cycle_days",
                        },
                    ],
                },
                "bar",
                6,
                0,
                date_field="closed_on",
            ),
        ],
    },
    {
        "key": "lead_sources",
        "roles": [*SALES_ROLES, "marketer"],
        "widgets": [
            _widget(
                "lead_sources",
                "lead_sources",
                {
                    "object": "leads",
                    "group_by": [{"field": "lead_source", "alias": "source"}],
                    "measures": [
                        {"aggregate": "count", "alias": "leads"},
                        {
                            "aggregate": "share",
                            "where": [{"field": "converted_at", "op": "is_not_empty"}],
                            "alias": "converted",
                        },
                    ],
                },
                "pie",
                0,
                0,
                date_field="created_at",
                width=12,
            ),
        ],
    },
    {
        "key": "service_quality",
        "roles": ["administrator", "service_agent", "analyst"],
        "widgets": [
            _widget(
                "ticket_volume",
                "ticket_volume",
                {
                    "object": "tickets",
                    "group_by": [{"field": "created_at", "bucket": "week", "alias": "week"}],
                    "measures": [{"aggregate": "count", "alias": "tickets"}],
                },
                "line",
                0,
                0,
                date_field="created_at",
            ),
            _widget(
                "sla_csat",
                "sla_csat",
                {
                    "object": "tickets",
                    "group_by": [{"field": "priority", "alias": "priority"}],
                    "measures": [
                        {
                            "aggregate": "share",
                            "where": [{"field": "sla_state", "op": "eq", "value": "met"}],
                            "alias": "sla_met",
                        },
                        {"aggregate": "avg", "field": "csat_rating", "alias": "csat"},
                        {"aggregate": "count", "field": "csat_rating", "alias": "csat_answers"},
                    ],
                    "filters": [{"field": "sla_state", "op": "in", "value": ["met", "breached"]}],
                },
                "bar",
                6,
                0,
                date_field="created_at",
            ),
        ],
    },
    {
        "key": "campaign_results",
        "roles": ["administrator", "marketer", "analyst"],
        "widgets": [
            _widget(
                "campaign_results",
                "campaign_results",
                {
                    "object": "campaign_members",
                    "group_by": [{"field": "campaign.name", "alias": "campaign"}],
                    "measures": [
                        {"aggregate": "count", "alias": "members"},
                        {
                            "aggregate": "share",
                            "where": [{"field": "has_responded", "op": "eq", "value": True}],
                            "alias": "response_rate",
                        },
                    ],
                },
                "bar",
                0,
                0,
                date_field="touched_at",
                width=12,
            ),
        ],
    },
]
