"""Saved reports, their schedules, report files, dashboards and drill-down over HTTP."""

from __future__ import annotations

import io
import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from zhike.analytics.anonymise import anonymised_result
from zhike.analytics.dashboards import (
    WidgetResult,
    create_dashboard,
    delete_dashboard,
    get_dashboard,
    list_dashboards,
    present_dashboard,
    run_widget,
    update_dashboard,
)
from zhike.analytics.drill import DrillTarget, drill_target
from zhike.analytics.export import MEDIA_TYPES, check_export, export_result
from zhike.analytics.query import ReportQuery, ReportResult
from zhike.analytics.saved import (
    create_report,
    delete_report,
    get_report,
    list_reports,
    present,
    run_saved_report,
    update_report,
)
from zhike.analytics.saved_schemas import (
    AnonymiseOptions,
    DashboardList,
    DashboardRead,
    DashboardWrite,
    DrillRequest,
    FileFormat,
    SavedReportList,
    SavedReportRead,
    SavedReportWrite,
    ScheduleList,
    ScheduleRead,
    ScheduleWrite,
    WidgetRun,
)
from zhike.analytics.schedules import create_schedule, delete_schedule, list_schedules
from zhike.analytics.service import run_report
from zhike.api.deps import ActorDep, SessionDep
from zhike.api.records import parse_if_match
from zhike.security.context import Actor

router = APIRouter(tags=["reports"])
IfMatch = Annotated[str | None, Header(description="ETag of the version you edited")]


class ExportRequest(BaseModel):
    """A report query to run and write to a file, optionally anonymised."""

    model_config = ConfigDict(extra="forbid")

    query: ReportQuery
    format: FileFormat = "xlsx"
    anonymise: AnonymiseOptions | None = Field(
        default=None, description="set to remove identifiers and suppress groups smaller than k"
    )
    title: str = Field(default="report", min_length=1, max_length=100)


def _etag(item_id: uuid.UUID, version: int) -> str:
    return f'"{item_id}.{version}"'


def _file_response(content: bytes, file_format: str, title: str) -> Response:
    filename = f"{title}.{file_format}"
    return Response(
        content=content,
        media_type=MEDIA_TYPES[file_format],
        headers={
            # The ASCII name is for old clients; filename* carries a Chinese title intact.
            "Content-Disposition": (
                f"attachment; filename=\"report.{file_format}\"; filename*=UTF-8''{quote(filename)}"
            )
        },
    )


def _export(
    session: SessionDep,
    actor: Actor,
    query: ReportQuery,
    file_format: str,
    title: str,
    anonymise: AnonymiseOptions | None,
    report_id: uuid.UUID | None,
) -> Response:
    check_export(actor, query, file_format)
    summary = None
    if anonymise is not None:
        result, summary = anonymised_result(session, actor, query, anonymise.k)
    else:
        result = run_report(session, actor, query)
    buffer = io.BytesIO()
    export_result(
        session,
        actor,
        query,
        result,
        file_format,
        buffer,
        title=title,
        report_id=str(report_id) if report_id else None,
        anonymisation=summary,
    )
    return _file_response(buffer.getvalue(), file_format, title)


@router.post("/reports/export", response_class=Response)
def export_report(body: ExportRequest, session: SessionDep, actor: ActorDep) -> Response:
    """Run a report query and download it as CSV or XLSX.

    Needs the export right on the report's object. Text that a spreadsheet would
    run as a formula is prefixed with a quote; CSV times carry their UTC offset.
    With ``anonymise`` set, identifiers are removed, quasi-identifiers
    generalised and groups of fewer than ``k`` records suppressed. Every export
    is written to the audit log.
    """
    return _export(session, actor, body.query, body.format, body.title, body.anonymise, None)


@router.post("/reports/anonymised", response_model=ReportResult)
def preview_anonymised(
    body: ReportQuery,
    session: SessionDep,
    actor: ActorDep,
    k: int = Query(5, ge=2, le=1000, description="smallest group size that is kept"),
) -> ReportResult:
    """Show what an anonymised export of this query would contain, without writing a file."""
    return anonymised_result(session, actor, body, k)[0]


@router.post("/reports/drill", response_model=DrillTarget)
def drill(body: DrillRequest, session: SessionDep, actor: ActorDep) -> DrillTarget:
    """Translate a clicked report cell into the record-list filters of the records behind it."""
    return drill_target(session, actor, body)


@router.get("/reports/saved", response_model=SavedReportList)
def saved_reports(session: SessionDep, actor: ActorDep) -> SavedReportList:
    """Your saved reports and those shared with your role or team."""
    return SavedReportList(items=list_reports(session, actor))


@router.post("/reports/saved", response_model=SavedReportRead, status_code=201)
def save_report(
    body: SavedReportWrite, response: Response, session: SessionDep, actor: ActorDep
) -> SavedReportRead:
    """Save a report query with its display and sharing; you become its owner.

    Sharing with roles or teams gives read-only access. Whoever opens the report
    runs it with their own permissions, never the owner's.
    """
    report = create_report(session, actor, body)
    response.headers["ETag"] = _etag(report.id, report.version)
    return present(session, actor, report)


@router.get("/reports/saved/{report_id}", response_model=SavedReportRead)
def saved_report(
    report_id: uuid.UUID, response: Response, session: SessionDep, actor: ActorDep
) -> SavedReportRead:
    report = get_report(session, actor, report_id)
    response.headers["ETag"] = _etag(report.id, report.version)
    return present(session, actor, report)


@router.put("/reports/saved/{report_id}", response_model=SavedReportRead)
def replace_report(
    report_id: uuid.UUID,
    body: SavedReportWrite,
    response: Response,
    session: SessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> SavedReportRead:
    """Replace a saved report; only its owner may. A stale If-Match gets 412."""
    report = update_report(session, actor, report_id, body, parse_if_match(if_match, report_id))
    response.headers["ETag"] = _etag(report.id, report.version)
    return present(session, actor, report)


@router.delete("/reports/saved/{report_id}", status_code=204)
def remove_report(report_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Delete a saved report (soft delete); only its owner may."""
    delete_report(session, actor, report_id)
    return Response(status_code=204)


@router.post("/reports/saved/{report_id}/run", response_model=ReportResult)
def run_saved(report_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> ReportResult:
    """Run a saved report with your permissions: you see only the rows and fields you may read."""
    return run_saved_report(session, actor, report_id)[1]


@router.get("/reports/saved/{report_id}/export", response_class=Response)
def export_saved(
    report_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    format: Annotated[Literal["csv", "xlsx"], Query(description="csv or xlsx")] = "xlsx",
    anonymise: Annotated[bool, Query(description="remove identifiers, k-anonymity")] = False,
    k: Annotated[int, Query(ge=2, le=1000, description="smallest group kept")] = 5,
) -> Response:
    """Download a saved report, run with your permissions, as CSV or XLSX."""
    report = get_report(session, actor, report_id)
    query = present(session, actor, report).query
    options = AnonymiseOptions(k=k) if anonymise else None
    return _export(session, actor, query, format, report.name, options, report.id)


@router.get("/reports/saved/{report_id}/schedules", response_model=ScheduleList)
def schedules(report_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> ScheduleList:
    """List the report's delivery schedules: all of them for its owner, yours for anyone else."""
    return ScheduleList(items=list_schedules(session, actor, report_id))


@router.post("/reports/saved/{report_id}/schedules", response_model=ScheduleRead, status_code=201)
def schedule_report(
    report_id: uuid.UUID, body: ScheduleWrite, session: SessionDep, actor: ActorDep
) -> ScheduleRead:
    """Deliver a saved report daily, weekly or monthly, by e-mail (CSV/XLSX) or in the app.

    Each delivery runs as the recipient. Only the owner may schedule it for
    someone else, and only for a user it is shared with.
    """
    return create_schedule(session, actor, report_id, body)


@router.delete("/reports/saved/{report_id}/schedules/{schedule_id}", status_code=204)
def unschedule_report(
    report_id: uuid.UUID, schedule_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> Response:
    delete_schedule(session, actor, report_id, schedule_id)
    return Response(status_code=204)


@router.get("/dashboards", response_model=DashboardList)
def dashboards(session: SessionDep, actor: ActorDep) -> DashboardList:
    """List the standard dashboards of your role, then yours and those shared with you."""
    return DashboardList(items=list_dashboards(session, actor))


@router.post("/dashboards", response_model=DashboardRead, status_code=201)
def add_dashboard(
    body: DashboardWrite, response: Response, session: SessionDep, actor: ActorDep
) -> DashboardRead:
    dashboard = create_dashboard(session, actor, body)
    response.headers["ETag"] = _etag(dashboard.id, dashboard.version)
    return present_dashboard(actor, dashboard)


@router.get("/dashboards/{dashboard_id}", response_model=DashboardRead)
def dashboard(
    dashboard_id: uuid.UUID, response: Response, session: SessionDep, actor: ActorDep
) -> DashboardRead:
    found = get_dashboard(session, actor, dashboard_id)
    response.headers["ETag"] = _etag(found.id, found.version)
    return present_dashboard(actor, found)


@router.put("/dashboards/{dashboard_id}", response_model=DashboardRead)
def replace_dashboard(
    dashboard_id: uuid.UUID,
    body: DashboardWrite,
    response: Response,
    session: SessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> DashboardRead:
    """Replace a dashboard's widgets, layout, filters and sharing; owners only.

    Standard dashboards are edited by administrators.
    """
    found = update_dashboard(
        session, actor, dashboard_id, body, parse_if_match(if_match, dashboard_id)
    )
    response.headers["ETag"] = _etag(found.id, found.version)
    return present_dashboard(actor, found)


@router.delete("/dashboards/{dashboard_id}", status_code=204)
def remove_dashboard(dashboard_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Delete your dashboard; standard dashboards cannot be deleted."""
    delete_dashboard(session, actor, dashboard_id)
    return Response(status_code=204)


@router.post("/dashboards/{dashboard_id}/widgets/{widget_id}/run", response_model=WidgetResult)
def run_dashboard_widget(
    dashboard_id: uuid.UUID,
    widget_id: str,
    body: WidgetRun,
    session: SessionDep,
    actor: ActorDep,
) -> WidgetResult:
    """Run one widget with the global filters given (the dashboard's saved ones by default)."""
    return run_widget(session, actor, dashboard_id, widget_id, body.filters)
