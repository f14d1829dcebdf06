"""Sales processes, stage guidance, approvals, activity plans and the user's notifications."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from zhike.api.deps import ActorDep, SessionDep
from zhike.sales import activity_plans, process, reminders
from zhike.sales.activity_plans import (
    ActivityPlanRead,
    ActivityPlanWrite,
    CheckInWrite,
    OutcomeWrite,
)
from zhike.sales.approval_view import describe_approvals
from zhike.sales.process_schemas import (
    ApprovalDecision,
    ApprovalRequestCreate,
    ApprovalRequestList,
    ApprovalRequestRead,
    OpportunityProcessRead,
    SalesProcessList,
    SalesProcessRead,
    SalesProcessWrite,
)

router = APIRouter(tags=["sales process"])


@router.get("/sales-processes", response_model=SalesProcessList)
def list_processes(session: SessionDep, actor: ActorDep) -> SalesProcessList:
    """List the tenant's sales processes with their stage rules."""
    return SalesProcessList(items=process.list_processes(session, actor))


@router.put("/sales-processes/{key}", response_model=SalesProcessRead)
def put_process(
    key: str, body: SalesProcessWrite, session: SessionDep, actor: ActorDep
) -> SalesProcessRead:
    """Create or replace a process (administrators only); the path key must match the body's."""
    from zhike.core.errors import InvalidInput

    if key != body.key:
        raise InvalidInput("process_key_mismatch", path=key, body=body.key)
    return process.save_process(session, actor, body)


@router.delete("/sales-processes/{key}", status_code=status.HTTP_204_NO_CONTENT)
def delete_process(key: str, session: SessionDep, actor: ActorDep) -> Response:
    process.delete_process(session, actor, key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/opportunities/{opportunity_id}/process", response_model=OpportunityProcessRead)
def get_opportunity_process(
    opportunity_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> OpportunityProcessRead:
    """Show the opportunity's process, guidance for its stage, and what each move still needs."""
    return process.opportunity_process(session, actor, opportunity_id)


@router.post(
    "/opportunities/{opportunity_id}/stage-approvals",
    response_model=ApprovalRequestRead,
    status_code=status.HTTP_201_CREATED,
)
def request_stage_approval(
    opportunity_id: uuid.UUID, body: ApprovalRequestCreate, session: SessionDep, actor: ActorDep
) -> ApprovalRequestRead:
    """Ask for approval to move to a stage; a request already open for it is returned instead."""
    request = process.request_stage_approval(session, actor, opportunity_id, body)
    return describe_approvals(session, actor, [request])[0]


@router.get("/approvals", response_model=ApprovalRequestList)
def list_approvals(
    session: SessionDep,
    actor: ActorDep,
    status_filter: Annotated[
        str | None, Query(alias="status", description="pending, approved, rejected or used")
    ] = None,
) -> ApprovalRequestList:
    rows = process.list_approvals(session, actor, status_filter)
    return ApprovalRequestList(items=describe_approvals(session, actor, rows))


@router.post("/approvals/{request_id}/decision", response_model=ApprovalRequestRead)
def decide_approval(
    request_id: uuid.UUID, body: ApprovalDecision, session: SessionDep, actor: ActorDep
) -> ApprovalRequestRead:
    """Approve or reject a pending request in your data scope; not one you made yourself."""
    request = process.decide_approval(session, actor, request_id, body)
    return describe_approvals(session, actor, [request])[0]


@router.get("/activities/{activity_id}/plan", response_model=ActivityPlanRead)
def get_activity_plan(
    activity_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> ActivityPlanRead:
    return activity_plans.get_plan(session, actor, activity_id)


@router.put("/activities/{activity_id}/plan", response_model=ActivityPlanRead)
def put_activity_plan(
    activity_id: uuid.UUID, body: ActivityPlanWrite, session: SessionDep, actor: ActorDep
) -> ActivityPlanRead:
    """Set the reminder; a recurrence rule also creates the series' later occurrences."""
    return activity_plans.plan_activity(session, actor, activity_id, body)


@router.post("/activities/{activity_id}/check-in", response_model=ActivityPlanRead)
def check_in(
    activity_id: uuid.UUID, body: CheckInWrite, session: SessionDep, actor: ActorDep
) -> ActivityPlanRead:
    """Record the location of a field visit (拜访签到)."""
    return activity_plans.check_in(session, actor, activity_id, body)


@router.post("/activities/{activity_id}/outcome", response_model=ActivityPlanRead)
def record_outcome(
    activity_id: uuid.UUID, body: OutcomeWrite, session: SessionDep, actor: ActorDep
) -> ActivityPlanRead:
    """Store how the activity went; the activity is marked done."""
    return activity_plans.record_outcome(session, actor, activity_id, body)


class NotificationRead(BaseModel):
    id: uuid.UUID
    kind: str
    message: str
    object_name: str | None
    record_id: uuid.UUID | None
    created_at: str
    read_at: str | None


class NotificationList(BaseModel):
    items: list[NotificationRead]


@router.get("/notifications", response_model=NotificationList)
def list_notifications(
    session: SessionDep, actor: ActorDep, unread: bool = False
) -> NotificationList:
    """Your own notifications, newest first, in your language."""
    views = reminders.list_notifications(session, actor, unread_only=unread)
    return NotificationList(
        items=[
            NotificationRead(
                id=view.id,
                kind=view.kind,
                message=view.message,
                object_name=view.object_name,
                record_id=view.record_id,
                created_at=view.created_at.isoformat(),
                read_at=view.read_at.isoformat() if view.read_at else None,
            )
            for view in views
        ]
    )


@router.post("/notifications/{notification_id}/read", status_code=status.HTTP_204_NO_CONTENT)
def read_notification(notification_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    reminders.mark_read(session, actor, notification_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
