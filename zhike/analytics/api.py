"""Reports: run a typed report query with the caller's permissions."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Query

from zhike.analytics.attainment import ForecastAttainment, GroupBy, forecast_attainment
from zhike.analytics.funnel import Funnel, sales_funnel
from zhike.analytics.query import ReportExplanation, ReportQuery, ReportResult
from zhike.analytics.report_fields import ReportFieldCatalog, report_field_catalog
from zhike.analytics.saved_api import router as saved_router
from zhike.analytics.service import explain_report, run_report
from zhike.analytics.value import (
    CustomerValueReport,
    ProductSuggestions,
    customer_value,
    suggest_products,
)
from zhike.api.deps import ActorDep, SessionDep

router = APIRouter(tags=["reports"])
# Saved reports, files, dashboards and drill-down live in their own module.
router.include_router(saved_router)


@router.post("/reports/run", response_model=ReportResult)
def run(query: ReportQuery, session: SessionDep, actor: ActorDep) -> ReportResult:
    """Run a report query: filters, group-by terms (fields or time buckets) and measures.

    Only the rows and fields the caller may read count. Grouping by, or returning, a
    masked field is refused with 403 ``report_field_masked``; counting it is allowed.
    Amounts are decimal strings; time buckets use the tenant's time zone.
    """
    return run_report(session, actor, query)


@router.post("/reports/explain", response_model=ReportExplanation)
def explain(query: ReportQuery, session: SessionDep, actor: ActorDep) -> ReportExplanation:
    """Show how a report query would run for the caller, without running it.

    ``source`` is ``rollup`` when the counts and sums come from pre-aggregated
    opportunity rollups, which give the same rows as the base tables. Otherwise
    ``fallback_reason`` names why the base tables are read.
    """
    return explain_report(session, actor, query)


@router.get("/reports/fields/{object_name}", response_model=ReportFieldCatalog)
def report_fields(object_name: str, session: SessionDep, actor: ActorDep) -> ReportFieldCatalog:
    """List the fields a report on ``object_name`` can use, with zh-CN and en labels, by relation.

    Hidden fields are left out. Masked ones carry ``masked`` (count and is-empty only).
    Choice fields list their values, and user or team ids name their ``reference``.
    """
    return report_field_catalog(session, actor, object_name)


@router.get("/analytics/forecast-attainment", response_model=ForecastAttainment)
def forecast_against_target(
    session: SessionDep,
    actor: ActorDep,
    period_start: date | None = Query(
        None, description="first day of a fiscal quarter, by default the current one"
    ),
    group_by: GroupBy = Query("owner", description="owner or team"),
    owner_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
) -> ForecastAttainment:
    """Compare won, committed and weighted forecast with the quarter's target, per owner or team.

    Only the opportunities you can read count, in the tenant's currency. Committed is
    won plus open deals at a stage probability of 80% or more expected in the quarter.
    """
    return forecast_attainment(
        session,
        actor,
        period_start=period_start,
        group_by=group_by,
        owner_id=owner_id,
        team_id=team_id,
    )


@router.get("/analytics/customer-value", response_model=CustomerValueReport)
def customer_value_report(
    session: SessionDep,
    actor: ActorDep,
    horizon_weeks: int = Query(52, ge=1, le=520, description="weeks of future purchases to value"),
    discount_rate: float = Query(0.1, ge=0, le=1, description="annual discount rate"),
    limit: int = Query(100, ge=1, le=1000),
) -> CustomerValueReport:
    """RFM segment and lifetime value (BG/NBD with Gamma-Gamma) of the accounts you can see.

    Won opportunities are the purchases. The fitted parameters come with the
    result, and each account carries its purchase count, recency, probability of
    still being active and expected purchases, which together explain its value.
    """
    return customer_value(
        session,
        actor,
        horizon_weeks=horizon_weeks,
        annual_discount_rate=discount_rate,
        limit=limit,
    )


@router.get("/accounts/{account_id}/product-suggestions", response_model=ProductSuggestions)
def product_suggestions(
    account_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    limit: int = Query(3, ge=1, le=20),
) -> ProductSuggestions:
    """Next-best products for an account, each with the products of its that led there."""
    return suggest_products(session, actor, account_id, limit)


@router.get("/analytics/funnel", response_model=Funnel)
def funnel(
    session: SessionDep,
    actor: ActorDep,
    created_from: date | None = Query(None, description="first creation day, tenant time zone"),
    created_to: date | None = Query(None, description="last creation day, inclusive"),
    owner_id: uuid.UUID | None = None,
) -> Funnel:
    """Stage-to-stage conversion and time in stage of the opportunities you can read."""
    return sales_funnel(
        session, actor, created_from=created_from, created_to=created_to, owner_id=owner_id
    )
