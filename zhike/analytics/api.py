"""Reports: run a typed report query with the caller's permissions."""

from __future__ import annotations

from fastapi import APIRouter

from zhike.analytics.query import ReportQuery, ReportResult
from zhike.analytics.service import run_report
from zhike.api.deps import ActorDep, SessionDep

router = APIRouter(tags=["reports"])


@router.post("/reports/run", response_model=ReportResult)
def run(query: ReportQuery, session: SessionDep, actor: ActorDep) -> ReportResult:
    """Run a report query: filters, group-by terms (fields or time buckets) and measures.

    Only the rows and fields the caller may read count. Grouping by, or returning, a
    masked field is refused with 403 ``report_field_masked``; counting it is allowed.
    Amounts are decimal strings; time buckets use the tenant's time zone.
    """
    return run_report(session, actor, query)
