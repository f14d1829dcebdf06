"""The audit trail for administrators and auditors: a filtered list and a CSV export."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from zhike.api.deps import ActorDep, SessionDep
from zhike.audit.query import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, EventFilter, export_csv, list_events
from zhike.audit.schemas import AuditEventPage, AuditEventRead
from zhike.core.timeutil import utc_now

router = APIRouter(prefix="/audit", tags=["audit"])


def event_filter(
    actor_id: Annotated[uuid.UUID | None, Query(description="user who acted")] = None,
    object_name: Annotated[
        str | None, Query(max_length=64, description="object such as contact")
    ] = None,
    record_id: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="action such as record.update")
    ] = None,
    occurred_from: Annotated[
        datetime | None, Query(alias="from", description="events at or after this time (ISO 8601)")
    ] = None,
    occurred_to: Annotated[
        datetime | None, Query(alias="to", description="events before this time (ISO 8601)")
    ] = None,
) -> EventFilter:
    return EventFilter(
        actor_id=actor_id,
        object_name=object_name,
        record_id=record_id,
        action=action,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )


FilterDep = Annotated[EventFilter, Depends(event_filter)]


@router.get("/events", response_model=AuditEventPage, summary="List audit events, newest first")
def list_audit_events(
    session: SessionDep,
    actor: ActorDep,
    filters: FilterDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> AuditEventPage:
    """Only the roles administrator and auditor may read the audit trail (others get 403)."""
    events, next_cursor = list_events(session, actor, filters, limit=limit, cursor=cursor)
    return AuditEventPage(
        items=[AuditEventRead.model_validate(event) for event in events], next_cursor=next_cursor
    )


@router.get(
    "/events/export",
    summary="Export audit events as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_audit_events(session: SessionDep, actor: ActorDep, filters: FilterDep) -> Response:
    """Export the list's events as UTF-8 CSV with a byte-order mark so that Excel reads Chinese.

    The export is itself recorded in the audit trail.
    """
    body, count = export_csv(session, actor, filters)
    filename = f"audit-events-{utc_now().strftime('%Y%m%dT%H%M%SZ')}.csv"
    return Response(
        content=body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Total-Count": str(count),
        },
    )
