"""Saved reports: create, share, read, update, delete, and run with the viewer's permissions.

The owner edits a report; roles and teams it is shared with read and run it.
A saved report stores the query, not a result, and every run goes through
``run_report`` with the actor who runs it, so a sales rep who opens a manager's
shared report sees only the rows the rep may read.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.analytics.query import ReportQuery, ReportResult
from zhike.analytics.saved_models import Dashboard, SavedReport
from zhike.analytics.saved_schemas import (
    ReportDisplay,
    SavedReportRead,
    SavedReportWrite,
    Sharing,
)
from zhike.analytics.service import run_report
from zhike.audit.service import AuditAction, record_event
from zhike.core.errors import Forbidden, InvalidInput, NotFound, PreconditionFailed
from zhike.core.timeutil import utc_now
from zhike.security.context import Actor
from zhike.security.models import Role, Team, User
from zhike.security.roles import BUILTIN_ROLES

OBJECT_NAME = "saved_reports"


def check_sharing(session: Session, actor: Actor, sharing: Sharing) -> None:
    """Reject roles and teams the tenant does not have, naming the first unknown one."""
    custom_roles = set(
        session.scalars(
            select(Role.key).where(Role.tenant_id == actor.tenant_id, Role.deleted_at.is_(None))
        )
    )
    known_roles = set(BUILTIN_ROLES) | custom_roles
    for role in sharing.roles:
        if role not in known_roles:
            raise InvalidInput(
                "report_unknown_role", role=role, known=", ".join(sorted(known_roles))
            )
    if sharing.team_ids:
        teams = set(
            session.scalars(
                select(Team.id).where(
                    Team.tenant_id == actor.tenant_id,
                    Team.id.in_(sharing.team_ids),
                    Team.deleted_at.is_(None),
                )
            )
        )
        for team_id in sharing.team_ids:
            if team_id not in teams:
                raise InvalidInput("report_unknown_team", team=str(team_id))


def is_shared_with(actor: Actor, roles: list[str], team_ids: list[str]) -> bool:
    """True when a share by role, or by the actor's team or a team above it, reaches the actor."""
    if actor.role in roles:
        return True
    reached = {str(team) for team in actor.team_path}
    return any(team in reached for team in team_ids)


def can_read(actor: Actor, item: SavedReport | Dashboard) -> bool:
    if item.owner_id is not None and item.owner_id == actor.user_id:
        return True
    return is_shared_with(actor, item.shared_roles or [], item.shared_team_ids or [])


def can_edit(actor: Actor, item: SavedReport | Dashboard) -> bool:
    if item.owner_id is None:
        # Owner-less items are the tenant's standard ones; administrators maintain them.
        return actor.role == "administrator"
    return item.owner_id == actor.user_id


def _sharing(item: SavedReport | Dashboard) -> Sharing:
    return Sharing(
        roles=list(item.shared_roles or []),
        team_ids=[uuid.UUID(team) for team in item.shared_team_ids or []],
    )


def _stored_query(report: SavedReport) -> ReportQuery:
    try:
        return ReportQuery.model_validate(report.query)
    except ValidationError as error:
        # A query saved before a field or rule changed: name the report to fix.
        raise InvalidInput(
            "saved_report_invalid", report=report.name, reason=str(error.errors()[0]["msg"])
        ) from error


def present(session: Session, actor: Actor, report: SavedReport) -> SavedReportRead:
    owner_name = (
        session.scalar(select(User.display_name).where(User.id == report.owner_id))
        if report.owner_id
        else None
    )
    return SavedReportRead(
        id=report.id,
        name=report.name,
        description=report.description,
        query=_stored_query(report),
        display=ReportDisplay.model_validate(report.display),
        sharing=_sharing(report),
        owner_id=report.owner_id,
        owner_name=owner_name,
        can_edit=can_edit(actor, report),
        created_at=report.created_at,
        updated_at=report.updated_at,
        version=report.version,
    )


def get_report(session: Session, actor: Actor, report_id: uuid.UUID) -> SavedReport:
    """Return a report the actor may read; 404 otherwise, so ids of others' reports stay unknown."""
    report = session.scalar(
        select(SavedReport).where(
            SavedReport.id == report_id,
            SavedReport.tenant_id == actor.tenant_id,
            SavedReport.deleted_at.is_(None),
        )
    )
    if report is None or not can_read(actor, report):
        raise NotFound("record_not_found", object=OBJECT_NAME, id=str(report_id))
    return report


def _editable(session: Session, actor: Actor, report_id: uuid.UUID) -> SavedReport:
    report = get_report(session, actor, report_id)
    if not can_edit(actor, report):
        raise Forbidden("saved_report_read_only", report=report.name)
    return report


def _check_display(body: SavedReportWrite) -> None:
    names = [group.name for group in body.query.group_by]
    column = body.display.pivot_column
    if body.display.type == "pivot" and (column not in names or len(names) < 2):
        raise InvalidInput(
            "report_pivot_column", column=column or "", allowed=", ".join(names) or "-"
        )


def list_reports(session: Session, actor: Actor) -> list[SavedReportRead]:
    """List every report the actor owns or that is shared with them, by name."""
    rows = session.scalars(
        select(SavedReport)
        .where(SavedReport.tenant_id == actor.tenant_id, SavedReport.deleted_at.is_(None))
        .order_by(SavedReport.name, SavedReport.id)
    )
    return [present(session, actor, row) for row in rows if can_read(actor, row)]


def create_report(session: Session, actor: Actor, body: SavedReportWrite) -> SavedReport:
    if actor.user_id is None:
        raise Forbidden("saved_report_needs_user")
    _check_display(body)
    check_sharing(session, actor, body.sharing)
    # Compiling once checks that the owner may read every field the query names.
    run_report(session, actor, body.query.model_copy(update={"limit": 1}))
    report = SavedReport(
        tenant_id=actor.tenant_id,
        owner_id=actor.user_id,
        name=body.name,
        description=body.description,
        query=body.query.model_dump(mode="json", exclude_none=True),
        display=body.display.model_dump(mode="json"),
        shared_roles=list(body.sharing.roles),
        shared_team_ids=[str(team) for team in body.sharing.team_ids],
    )
    session.add(report)
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.RECORD_CREATE,
        object_name=OBJECT_NAME,
        record_id=report.id,
        details={"name": report.name, "object": body.query.object},
    )
    return report


def update_report(
    session: Session,
    actor: Actor,
    report_id: uuid.UUID,
    body: SavedReportWrite,
    expected_version: int | None,
) -> SavedReport:
    report = _editable(session, actor, report_id)
    if expected_version is not None and expected_version != report.version:
        raise PreconditionFailed(
            "version_mismatch", expected=expected_version, current=report.version
        )
    _check_display(body)
    check_sharing(session, actor, body.sharing)
    run_report(session, actor, body.query.model_copy(update={"limit": 1}))
    before: dict[str, Any] = {
        "name": report.name,
        "shared_roles": report.shared_roles,
        "shared_team_ids": report.shared_team_ids,
    }
    report.name = body.name
    report.description = body.description
    report.query = body.query.model_dump(mode="json", exclude_none=True)
    report.display = body.display.model_dump(mode="json")
    report.shared_roles = list(body.sharing.roles)
    report.shared_team_ids = [str(team) for team in body.sharing.team_ids]
    report.version += 1
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.RECORD_UPDATE,
        object_name=OBJECT_NAME,
        record_id=report.id,
        changes={
            name: [value, getattr(report, name)]
            for name, value in before.items()
            if value != getattr(report, name)
        },
    )
    return report


def delete_report(session: Session, actor: Actor, report_id: uuid.UUID) -> None:
    report = _editable(session, actor, report_id)
    report.deleted_at = utc_now()
    report.version += 1
    session.flush()
    record_event(
        session, actor, AuditAction.RECORD_DELETE, object_name=OBJECT_NAME, record_id=report.id
    )


def run_saved_report(
    session: Session, actor: Actor, report_id: uuid.UUID, limit: int | None = None
) -> tuple[SavedReport, ReportResult]:
    """Run a saved report as ``actor``, who may be anyone it is shared with."""
    report = get_report(session, actor, report_id)
    query = _stored_query(report)
    if limit is not None:
        query = query.model_copy(update={"limit": limit})
    return report, run_report(session, actor, query)
