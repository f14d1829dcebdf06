"""A rep's open activities by day (overdue, today, upcoming) and the activities of one record.

Both read activities through the actor's data scope and present them with the
same hidden and masked fields as the record API, each with its scheduling data
from ``activity_plans`` so a screen needs one request instead of one per row.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from zhike.core.errors import InvalidInput
from zhike.core.timeutil import ensure_utc, load_zone, utc_now
from zhike.platform.records import RecordService
from zhike.sales.models import ACTIVITY_KINDS, Activity
from zhike.sales.objects import ACTIVITIES
from zhike.sales.process_models import ActivityPlan
from zhike.security.access import require, scope_select
from zhike.security.context import Actor
from zhike.security.fields import present_many

MAX_BUCKET_SIZE = 200
MAX_HORIZON_DAYS = 90
# The records whose pages list their activities, and the activity column that links them.
RECORD_LINKS = {
    "accounts": "account_id",
    "contacts": "contact_id",
    "leads": "lead_id",
    "opportunities": "opportunity_id",
}
RecordObject = Literal["accounts", "contacts", "leads", "opportunities"]


class ActivityPlanSummary(BaseModel):
    remind_at: datetime | None
    remind_by_email: bool
    recurrence_rule: str | None
    series_id: uuid.UUID | None
    check_in_at: datetime | None
    check_in_address: str | None
    outcome: str | None
    outcome_note: str | None
    next_activity_id: uuid.UUID | None


class ActivityItem(BaseModel):
    """An activity as the actor may see it, with when it starts and its scheduling data."""

    activity: dict[str, Any]
    start_at: datetime
    plan: ActivityPlanSummary | None


class ActivityBucket(BaseModel):
    items: list[ActivityItem]
    # The number of open activities in the bucket. ``items`` contains at most ``limit`` of them.
    total: int


class ActivityAgenda(BaseModel):
    overdue: ActivityBucket
    today: ActivityBucket
    upcoming: ActivityBucket
    # Local midnight starting today and the end of the upcoming window, in UTC.
    today_starts_at: datetime
    upcoming_ends_at: datetime


class ActivityFeed(BaseModel):
    items: list[ActivityItem]


def _start_column() -> ColumnElement[datetime]:
    # Tasks are scheduled by their due time, and calls, meetings and visits by when they start.
    return func.coalesce(Activity.due_at, Activity.occurred_at)


def _owner_condition(actor: Actor, owner: str) -> ColumnElement[bool] | None:
    if owner == "all":
        return None
    if owner == "me":
        if actor.user_id is None:
            raise InvalidInput("agenda_owner_me_without_user", owner=owner)
        return Activity.owner_id == actor.user_id
    try:
        return Activity.owner_id == uuid.UUID(owner)
    except ValueError as error:
        raise InvalidInput("invalid_agenda_owner", owner=owner) from error


def _items(session: Session, actor: Actor, rows: list[Activity]) -> list[ActivityItem]:
    if not rows:
        return []
    service = RecordService(session, actor, ACTIVITIES)
    presented = present_many(
        session,
        actor,
        ACTIVITIES.name,
        [service.spec.read_schema.model_validate(row).model_dump(mode="json") for row in rows],
    )
    plans = {
        plan.activity_id: plan
        for plan in session.scalars(
            select(ActivityPlan).where(
                ActivityPlan.tenant_id == actor.tenant_id,
                ActivityPlan.activity_id.in_([row.id for row in rows]),
            )
        )
    }
    items = []
    for row, data in zip(rows, presented, strict=True):
        plan = plans.get(row.id)
        items.append(
            ActivityItem(
                activity=data,
                start_at=ensure_utc(row.due_at or row.occurred_at),
                plan=ActivityPlanSummary.model_validate(plan, from_attributes=True)
                if plan is not None
                else None,
            )
        )
    return items


def _bucket(
    session: Session,
    actor: Actor,
    statement: Select[Activity],
    limit: int,
    *,
    descending: bool = False,
) -> ActivityBucket:
    start = _start_column()
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    ordering = (start.desc(), Activity.id.desc()) if descending else (start, Activity.id)
    rows = list(session.scalars(statement.order_by(*ordering).limit(limit)))
    return ActivityBucket(items=_items(session, actor, rows), total=total)


def activity_agenda(
    session: Session,
    actor: Actor,
    *,
    owner: str = "me",
    kind: str | None = None,
    days: int = 7,
    limit: int = 100,
    now: datetime | None = None,
) -> ActivityAgenda:
    """Return open activities that are overdue, due today or due in the next ``days`` days.

    ``owner`` is ``me``, ``all`` (everyone in the actor's data scope) or a user id.
    Days are the actor's calendar days, so "today" ends at local midnight.
    """
    require(actor, ACTIVITIES.name, "read")
    if kind is not None and kind not in ACTIVITY_KINDS:
        raise InvalidInput("invalid_activity_kind", kind=kind, allowed=", ".join(ACTIVITY_KINDS))
    if not 1 <= days <= MAX_HORIZON_DAYS:
        raise InvalidInput("invalid_agenda_days", days=days, max=MAX_HORIZON_DAYS)
    limit = max(1, min(limit, MAX_BUCKET_SIZE))
    zone = load_zone(actor.timezone)
    local_today = (now or utc_now()).astimezone(zone).date()
    # Each boundary is a local midnight converted on its own, so a DST change moves none.
    today_starts, tomorrow_starts, window_ends = (
        ensure_utc(datetime.combine(local_today + timedelta(days=offset), time.min, tzinfo=zone))
        for offset in (0, 1, days + 1)
    )

    base = scope_select(actor, Activity, select(Activity)).where(Activity.status == "open")
    owner_condition = _owner_condition(actor, owner)
    if owner_condition is not None:
        base = base.where(owner_condition)
    if kind is not None:
        base = base.where(Activity.kind == kind)
    start = _start_column()
    return ActivityAgenda(
        overdue=_bucket(session, actor, base.where(start < today_starts), limit, descending=True),
        today=_bucket(
            session, actor, base.where(start >= today_starts, start < tomorrow_starts), limit
        ),
        upcoming=_bucket(
            session, actor, base.where(start >= tomorrow_starts, start < window_ends), limit
        ),
        today_starts_at=today_starts,
        upcoming_ends_at=window_ends,
    )


def record_activities(
    session: Session,
    actor: Actor,
    object_name: RecordObject,
    record_id: uuid.UUID,
    limit: int = 100,
) -> ActivityFeed:
    """Return the activities linked to a record the actor can read, open ones first, then newest."""
    from zhike.platform.objects import get_object

    RecordService(session, actor, get_object(object_name)).get(record_id)
    require(actor, ACTIVITIES.name, "read")
    link = getattr(Activity, RECORD_LINKS[object_name])
    start = _start_column()
    statement = (
        scope_select(actor, Activity, select(Activity))
        .where(link == record_id)
        .order_by((Activity.status == "open").desc(), start.desc(), Activity.id.desc())
        .limit(max(1, min(limit, MAX_BUCKET_SIZE)))
    )
    return ActivityFeed(items=_items(session, actor, list(session.scalars(statement))))
