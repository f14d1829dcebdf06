"""Reports: run a typed report query with the caller's permissions."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Query

from zhike.analytics.funnel import Funnel, sales_funnel
from zhike.analytics.query import ReportQuery, ReportResult
from zhike.analytics.saved_api import router as saved_router
from zhike.analytics.service import run_report
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
