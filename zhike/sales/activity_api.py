"""The rep's activity agenda and the activities of one record, with their scheduling data."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from zhike.api.deps import ActorDep, SessionDep
from zhike.sales.activity_agenda import (
    MAX_BUCKET_SIZE,
    MAX_HORIZON_DAYS,
    ActivityAgenda,
    ActivityFeed,
    RecordObject,
    activity_agenda,
    record_activities,
)

router = APIRouter(tags=["activities"])


@router.get("/activity-agenda", response_model=ActivityAgenda)
def get_activity_agenda(
    session: SessionDep,
    actor: ActorDep,
    owner: Annotated[
        str, Query(max_length=40, description="me, all (everyone in your data scope) or a user id")
    ] = "me",
    kind: Annotated[str | None, Query(description="only activities of this kind")] = None,
    days: Annotated[
        int, Query(description=f"days after today in the upcoming list, 1 to {MAX_HORIZON_DAYS}")
    ] = 7,
    limit: Annotated[int, Query(ge=1, le=MAX_BUCKET_SIZE, description="items per list")] = 100,
) -> ActivityAgenda:
    """List open activities that are overdue, due today and due soon, in your time zone.

    Each list carries its full count in `total`. Overdue items are newest first, and the
    others soonest first.
    """
    return activity_agenda(session, actor, owner=owner, kind=kind, days=days, limit=limit)


@router.get("/{object_name}/{record_id}/activities", response_model=ActivityFeed)
def get_record_activities(
    object_name: RecordObject,
    record_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=MAX_BUCKET_SIZE)] = 100,
) -> ActivityFeed:
    """List the activities linked to an account, contact, lead or opportunity, open ones first."""
    return record_activities(session, actor, object_name, record_id, limit)
