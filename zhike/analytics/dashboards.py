"""Dashboards: report widgets with global filters, standard dashboards per role, and drill-down.

Each widget runs through ``run_report`` as the viewer, like any report. A
global filter applies to a widget whose object has the matching field: the
period to the widget's ``date_field``, the owner and team to ``owner_id`` and
``owner.team_id``, the product to ``product_id``. Widgets without the field
are shown unfiltered and list the filter in ``skipped_filters``.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhike.analytics.periods import resolve_period
from zhike.analytics.query import ReportFilter, ReportQuery, ReportResult
from zhike.analytics.relations import sources
from zhike.analytics.saved import can_edit, can_read, check_sharing
from zhike.analytics.saved_models import Dashboard, SavedReport
from zhike.analytics.saved_schemas import (
    DashboardRead,
    DashboardSummary,
    DashboardWrite,
    GlobalFilters,
    Sharing,
    Widget,
)
from zhike.analytics.service import run_report
from zhike.analytics.standard_dashboards import STANDARD_DASHBOARDS
from zhike.audit.service import AuditAction, record_event
from zhike.core.errors import Forbidden, NotFound, PreconditionFailed
from zhike.core.timeutil import utc_now
from zhike.security.context import Actor

OBJECT_NAME = "dashboards"


class WidgetResult(BaseModel):
    widget_id: str
    query: ReportQuery = Field(description="the query as run, global filters included")
    result: ReportResult
    skipped_filters: list[str] = Field(
        description="global filters that do not apply to this widget's object"
    )


def ensure_standard_dashboards(session: Session, tenant_id: uuid.UUID) -> int:
    """Create the standard dashboards a tenant lacks; return how many were created."""
    present = set(
        session.scalars(
            select(Dashboard.standard_key).where(
                Dashboard.tenant_id == tenant_id, Dashboard.standard_key.is_not(None)
            )
        )
    )
    created = 0
    for definition in STANDARD_DASHBOARDS:
        if definition["key"] in present:
            continue
        try:
            # A concurrent request may create the same one; the unique key keeps one.
            with session.begin_nested():
                session.add(
                    Dashboard(
                        tenant_id=tenant_id,
                        standard_key=definition["key"],
                        name=definition["key"],
                        name_key=f"analytics.standard.dashboard.{definition['key']}",
                        widgets=definition["widgets"],
                        filters={"period": "this_year"},
                        shared_roles=definition["roles"],
                        shared_team_ids=[],
                    )
                )
                session.flush()
            created += 1
        except IntegrityError:
            continue
    return created


def _widgets(dashboard: Dashboard) -> list[Widget]:
    return [Widget.model_validate(widget) for widget in dashboard.widgets or []]


def _sharing(dashboard: Dashboard) -> Sharing:
    return Sharing(
        roles=list(dashboard.shared_roles or []),
        team_ids=[uuid.UUID(team) for team in dashboard.shared_team_ids or []],
    )


def present_dashboard(actor: Actor, dashboard: Dashboard) -> DashboardRead:
    return DashboardRead(
        id=dashboard.id,
        name=dashboard.name,
        standard_key=dashboard.standard_key,
        widgets=_widgets(dashboard),
        filters=GlobalFilters.model_validate(dashboard.filters or {}),
        sharing=_sharing(dashboard),
        owner_id=dashboard.owner_id,
        can_edit=can_edit(actor, dashboard),
        version=dashboard.version,
        updated_at=dashboard.updated_at,
    )


def list_dashboards(session: Session, actor: Actor) -> list[DashboardSummary]:
    """List the standard dashboards of the actor's role, then their own and shared ones."""
    ensure_standard_dashboards(session, actor.tenant_id)
    rows = session.scalars(
        select(Dashboard)
        .where(Dashboard.tenant_id == actor.tenant_id, Dashboard.deleted_at.is_(None))
        .order_by(Dashboard.standard_key.is_(None), Dashboard.name, Dashboard.id)
    )
    return [
        DashboardSummary(
            id=row.id,
            name=row.name,
            standard_key=row.standard_key,
            can_edit=can_edit(actor, row),
        )
        for row in rows
        if can_read(actor, row)
    ]


def get_dashboard(session: Session, actor: Actor, dashboard_id: uuid.UUID) -> Dashboard:
    dashboard = session.scalar(
        select(Dashboard).where(
            Dashboard.id == dashboard_id,
            Dashboard.tenant_id == actor.tenant_id,
            Dashboard.deleted_at.is_(None),
        )
    )
    if dashboard is None or not can_read(actor, dashboard):
        raise NotFound("record_not_found", object=OBJECT_NAME, id=str(dashboard_id))
    return dashboard


def _check_widgets(session: Session, actor: Actor, body: DashboardWrite) -> None:
    """Every saved report a widget names must exist and be readable by the editor."""
    for widget in body.widgets:
        if widget.report_id is not None:
            report = session.get(SavedReport, widget.report_id)
            if (
                report is None
                or report.tenant_id != actor.tenant_id
                or report.deleted_at is not None
                or not can_read(actor, report)
            ):
                raise NotFound("record_not_found", object="saved_reports", id=str(widget.report_id))


def _store(dashboard: Dashboard, body: DashboardWrite) -> None:
    validate_period(body.filters)
    dashboard.name = body.name
    dashboard.widgets = [widget.model_dump(mode="json") for widget in body.widgets]
    dashboard.filters = body.filters.model_dump(mode="json", exclude_none=True)
    dashboard.shared_roles = list(body.sharing.roles)
    dashboard.shared_team_ids = [str(team) for team in body.sharing.team_ids]


def create_dashboard(session: Session, actor: Actor, body: DashboardWrite) -> Dashboard:
    if actor.user_id is None:
        raise Forbidden("saved_report_needs_user")
    check_sharing(session, actor, body.sharing)
    _check_widgets(session, actor, body)
    dashboard = Dashboard(tenant_id=actor.tenant_id, owner_id=actor.user_id)
    _store(dashboard, body)
    session.add(dashboard)
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.RECORD_CREATE,
        object_name=OBJECT_NAME,
        record_id=dashboard.id,
        details={"name": dashboard.name, "widgets": len(body.widgets)},
    )
    return dashboard


def update_dashboard(
    session: Session,
    actor: Actor,
    dashboard_id: uuid.UUID,
    body: DashboardWrite,
    expected_version: int | None,
) -> Dashboard:
    dashboard = get_dashboard(session, actor, dashboard_id)
    if not can_edit(actor, dashboard):
        raise Forbidden("dashboard_read_only", dashboard=dashboard.name)
    if expected_version is not None and expected_version != dashboard.version:
        raise PreconditionFailed(
            "version_mismatch", expected=expected_version, current=dashboard.version
        )
    check_sharing(session, actor, body.sharing)
    _check_widgets(session, actor, body)
    _store(dashboard, body)
    dashboard.version += 1
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.RECORD_UPDATE,
        object_name=OBJECT_NAME,
        record_id=dashboard.id,
        details={"name": dashboard.name, "widgets": len(body.widgets)},
    )
    return dashboard


def delete_dashboard(session: Session, actor: Actor, dashboard_id: uuid.UUID) -> None:
    dashboard = get_dashboard(session, actor, dashboard_id)
    if not can_edit(actor, dashboard) or dashboard.standard_key is not None:
        raise Forbidden("dashboard_read_only", dashboard=dashboard.name)
    dashboard.deleted_at = utc_now()
    dashboard.version += 1
    session.flush()
    record_event(
        session, actor, AuditAction.RECORD_DELETE, object_name=OBJECT_NAME, record_id=dashboard.id
    )


def _has_field(object_name: str, name: str) -> bool:
    source = sources()[object_name]
    return name in source.model.__table__.c


def apply_global_filters(
    query: ReportQuery, widget: Widget, filters: GlobalFilters
) -> tuple[ReportQuery, list[str]]:
    """Add the dashboard's filters to a widget's query; also return the filters that did not fit."""
    added: list[ReportFilter] = []
    skipped: list[str] = []
    if filters.period:
        date_field = widget.date_field or (
            "created_at" if _has_field(query.object, "created_at") else None
        )
        if date_field is None:
            skipped.append("period")
        else:
            added.append(ReportFilter(field=date_field, op="relative", value=filters.period))
    has_owner = "owner" in sources()[query.object].relations
    if filters.owner_id is not None:
        if has_owner:
            added.append(ReportFilter(field="owner_id", op="eq", value=str(filters.owner_id)))
        else:
            skipped.append("owner_id")
    if filters.team_id is not None:
        if has_owner:
            added.append(ReportFilter(field="owner.team_id", op="eq", value=str(filters.team_id)))
        else:
            skipped.append("team_id")
    if filters.product_id is not None:
        if _has_field(query.object, "product_id"):
            added.append(ReportFilter(field="product_id", op="eq", value=str(filters.product_id)))
        else:
            skipped.append("product_id")
    return query.model_copy(update={"filters": [*query.filters, *added]}), skipped


def widget_query(session: Session, actor: Actor, widget: Widget) -> ReportQuery:
    """Return the widget's own query, or the query of the saved report it shows.

    The dashboard being readable is enough to run a widget's saved report: it
    still runs with the viewer's permissions, so it shows nothing more.
    """
    if widget.query is not None:
        return widget.query
    report = session.get(SavedReport, widget.report_id)
    if report is None or report.tenant_id != actor.tenant_id or report.deleted_at is not None:
        raise NotFound("record_not_found", object="saved_reports", id=str(widget.report_id))
    return ReportQuery.model_validate(report.query)


def run_widget(
    session: Session,
    actor: Actor,
    dashboard_id: uuid.UUID,
    widget_id: str,
    filters: GlobalFilters | None,
) -> WidgetResult:
    dashboard = get_dashboard(session, actor, dashboard_id)
    widget = next((item for item in _widgets(dashboard) if item.id == widget_id), None)
    if widget is None:
        raise NotFound("record_not_found", object="dashboard_widgets", id=widget_id)
    chosen = filters or GlobalFilters.model_validate(dashboard.filters or {})
    validate_period(chosen)
    query, skipped = apply_global_filters(widget_query(session, actor, widget), widget, chosen)
    return WidgetResult(
        widget_id=widget.id,
        query=query,
        result=run_report(session, actor, query),
        skipped_filters=skipped,
    )


def validate_period(filters: GlobalFilters) -> None:
    """Reject a period name the engine does not know before any widget runs."""
    if filters.period:
        resolve_period(filters.period, utc_now().date(), 1)
