"""Reminders, recurrence, field check-in and outcomes of tasks, calls, meetings and visits.

The activity itself is written through the record service, so permissions,
validation and audit are the ones every activity gets; this module keeps the
scheduling data beside it in ``activity_plans``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from dateutil.rrule import rrulestr
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.errors import ValidationFailed
from zhike.core.timeutil import ensure_utc, load_zone, utc_now
from zhike.platform.normalize import field_error
from zhike.platform.records import RecordService
from zhike.sales.objects import ACTIVITIES
from zhike.sales.process_models import ActivityPlan
from zhike.sales.scoping import audit
from zhike.security.context import Actor

# A series longer than this is almost always a rule missing its COUNT or UNTIL.
MAX_OCCURRENCES = 100
OUTCOMES = (
    "completed",
    "interested",
    "not_interested",
    "follow_up",
    "rescheduled",
    "no_show",
)
Outcome = Literal[
    "completed", "interested", "not_interested", "follow_up", "rescheduled", "no_show"
]


class ActivityPlanWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    remind_at: datetime | None = Field(default=None, description="when to remind the owner")
    remind_minutes_before: int | None = Field(
        default=None, ge=0, le=60 * 24 * 30, description="minutes before the activity starts"
    )
    remind_by_email: bool = Field(default=False, description="also send the reminder by e-mail")
    recurrence_rule: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None
    ) = Field(
        default=None, description="RFC 5545 RRULE with COUNT or UNTIL, e.g. FREQ=WEEKLY;COUNT=4"
    )


class CheckInWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    checked_in_at: datetime | None = None


class NextStepWrite(BaseModel):
    """The follow-up activity to schedule when an outcome is recorded."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["call", "meeting", "email", "task", "visit"]
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    start_at: datetime = Field(description="when the follow-up starts (tasks: when it is due)")


class OutcomeWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] | None = None
    next_step: NextStepWrite | None = Field(
        default=None, description="an open follow-up on the same records and owner"
    )


class ActivityPlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    activity_id: uuid.UUID
    remind_at: datetime | None
    reminded_at: datetime | None
    remind_by_email: bool
    recurrence_rule: str | None
    series_id: uuid.UUID | None
    check_in_at: datetime | None
    check_in_latitude: float | None
    check_in_longitude: float | None
    check_in_address: str | None
    outcome: str | None
    outcome_note: str | None
    next_activity_id: uuid.UUID | None = None
    occurrence_ids: list[uuid.UUID] = Field(default_factory=list)


def _plan_for(session: Session, actor: Actor, activity_id: uuid.UUID) -> ActivityPlan:
    plan = session.scalar(
        select(ActivityPlan).where(
            ActivityPlan.tenant_id == actor.tenant_id, ActivityPlan.activity_id == activity_id
        )
    )
    if plan is None:
        plan = ActivityPlan(tenant_id=actor.tenant_id, activity_id=activity_id)
        session.add(plan)
    return plan


def _snapshot(plan: ActivityPlan) -> dict[str, Any]:
    return ActivityPlanRead.model_validate(plan).model_dump(mode="json", exclude={"occurrence_ids"})


def get_plan(session: Session, actor: Actor, activity_id: uuid.UUID) -> ActivityPlanRead:
    RecordService(session, actor, ACTIVITIES).get(activity_id)
    plan = session.scalar(
        select(ActivityPlan).where(
            ActivityPlan.tenant_id == actor.tenant_id, ActivityPlan.activity_id == activity_id
        )
    )
    if plan is None:
        return ActivityPlanRead(
            activity_id=activity_id,
            remind_at=None,
            reminded_at=None,
            remind_by_email=False,
            recurrence_rule=None,
            series_id=None,
            check_in_at=None,
            check_in_latitude=None,
            check_in_longitude=None,
            check_in_address=None,
            outcome=None,
            outcome_note=None,
            next_activity_id=None,
        )
    read = ActivityPlanRead.model_validate(plan)
    if plan.series_id is not None:
        read.occurrence_ids = list(
            session.scalars(
                select(ActivityPlan.activity_id)
                .where(
                    ActivityPlan.tenant_id == actor.tenant_id,
                    ActivityPlan.series_id == plan.series_id,
                    ActivityPlan.activity_id != activity_id,
                )
                .order_by(ActivityPlan.activity_id)
            )
        )
    return read


def _occurrences(actor: Actor, rule: str, start: datetime) -> list[datetime]:
    """Expand ``rule`` from ``start`` in the actor's zone, so weekly means the same wall time."""
    zone = load_zone(actor.timezone)
    local_start = start.astimezone(zone).replace(tzinfo=None)
    upper = rule.upper()
    if "COUNT=" not in upper and "UNTIL=" not in upper:
        raise ValidationFailed(
            [field_error(actor, "recurrence_rule", rule, "recurrence_unbounded")]
        )
    try:
        expanded = rrulestr(rule, dtstart=local_start)
        times = []
        for index, moment in enumerate(expanded):
            if index >= MAX_OCCURRENCES:
                raise ValidationFailed(
                    [
                        field_error(
                            actor,
                            "recurrence_rule",
                            rule,
                            "recurrence_too_long",
                            max=MAX_OCCURRENCES,
                        )
                    ]
                )
            times.append(moment.replace(tzinfo=zone).astimezone(start.tzinfo))
    except (ValueError, TypeError) as error:
        raise ValidationFailed(
            [field_error(actor, "recurrence_rule", rule, "invalid_recurrence", reason=str(error))]
        ) from error
    return times


def plan_activity(
    session: Session, actor: Actor, activity_id: uuid.UUID, body: ActivityPlanWrite
) -> ActivityPlanRead:
    """Set the reminder of an activity and, with a recurrence rule, create its later occurrences."""
    service = RecordService(session, actor, ACTIVITIES)
    activity = service.get(activity_id, "update")
    start = ensure_utc(activity.due_at or activity.occurred_at)
    if body.remind_at is not None and body.remind_minutes_before is not None:
        raise ValidationFailed(
            [field_error(actor, "remind_at", str(body.remind_at), "remind_twice")]
        )
    plan = _plan_for(session, actor, activity_id)
    session.flush()
    before = _snapshot(plan)
    offset: timedelta | None = None
    if body.remind_minutes_before is not None:
        offset = timedelta(minutes=body.remind_minutes_before)
        plan.remind_at = start - offset
    elif body.remind_at is not None:
        plan.remind_at = ensure_utc(body.remind_at)
        offset = start - plan.remind_at
    else:
        plan.remind_at = None
    plan.reminded_at = None
    plan.remind_by_email = body.remind_by_email
    created: list[uuid.UUID] = []
    if body.recurrence_rule and body.recurrence_rule != plan.recurrence_rule:
        if plan.series_id is not None:
            raise ValidationFailed(
                [field_error(actor, "recurrence_rule", body.recurrence_rule, "recurrence_exists")]
            )
        times = _occurrences(actor, body.recurrence_rule, start)
        plan.recurrence_rule = body.recurrence_rule
        plan.series_id = activity.id
        later = _later_occurrences(times, start, body.recurrence_rule)
        created = _create_occurrences(session, actor, service, activity, later, offset, body)
    session.flush()
    audit(session, actor, "activities", activity.id, "activity.plan", before, _snapshot(plan))
    read = get_plan(session, actor, activity_id)
    read.occurrence_ids = created or read.occurrence_ids
    return read


def _later_occurrences(times: list[datetime], start: datetime, rule: str) -> list[datetime]:
    """Return the occurrences after the activity itself, which is always the first one.

    RFC 5545 counts DTSTART as the first instance even when the rule would not produce
    it (a Sunday start of a Monday and Wednesday rule), but dateutil leaves it out. The
    activity then keeps its own time, and COUNT stays the size of the whole series.
    """
    later = [moment for moment in times if moment != start]
    if len(later) == len(times) and "COUNT=" in rule.upper() and later:
        later.pop()
    return later


def _create_occurrences(
    session: Session,
    actor: Actor,
    service: RecordService,
    activity: Any,
    times: list[datetime],
    offset: timedelta | None,
    body: ActivityPlanWrite,
) -> list[uuid.UUID]:
    created = []
    for moment in times:
        values: dict[str, Any] = {
            "kind": activity.kind,
            "subject": activity.subject,
            "body": activity.body,
            "owner_id": activity.owner_id,
            "status": "open",
            "account_id": activity.account_id,
            "contact_id": activity.contact_id,
            "lead_id": activity.lead_id,
            "opportunity_id": activity.opportunity_id,
        }
        if activity.kind == "task":
            values["due_at"] = moment
        values["occurred_at"] = moment
        occurrence = service.create(values)
        plan = ActivityPlan(
            tenant_id=actor.tenant_id,
            activity_id=occurrence.id,
            remind_at=moment - offset if offset is not None else None,
            remind_by_email=body.remind_by_email,
            series_id=activity.id,
        )
        session.add(plan)
        created.append(occurrence.id)
    session.flush()
    return created


def check_in(
    session: Session, actor: Actor, activity_id: uuid.UUID, body: CheckInWrite
) -> ActivityPlanRead:
    """Record where and when the rep arrived for a field visit (拜访签到)."""
    activity = RecordService(session, actor, ACTIVITIES).get(activity_id, "update")
    if activity.kind != "visit":
        raise ValidationFailed([field_error(actor, "kind", activity.kind, "check_in_visits_only")])
    plan = _plan_for(session, actor, activity_id)
    session.flush()
    before = _snapshot(plan)
    plan.check_in_at = ensure_utc(body.checked_in_at) if body.checked_in_at else utc_now()
    plan.check_in_latitude = body.latitude
    plan.check_in_longitude = body.longitude
    plan.check_in_address = body.address
    session.flush()
    audit(session, actor, "activities", activity.id, "activity.check_in", before, _snapshot(plan))
    return get_plan(session, actor, activity_id)


def record_outcome(
    session: Session, actor: Actor, activity_id: uuid.UUID, body: OutcomeWrite
) -> ActivityPlanRead:
    """Store how the activity went, mark it done and schedule the next step if one is given."""
    service = RecordService(session, actor, ACTIVITIES)
    activity = service.get(activity_id, "update")
    plan = _plan_for(session, actor, activity_id)
    session.flush()
    before = _snapshot(plan)
    plan.outcome = body.outcome
    plan.outcome_note = body.note
    if activity.status != "done" or activity.completed_at is None:
        # The generic status rule stamps completion only for tasks; an outcome completes any kind.
        service.update(activity.id, {"status": "done", "completed_at": utc_now()}, None)
    if body.next_step is not None:
        plan.next_activity_id = _create_next_step(service, activity, body.next_step)
    session.flush()
    audit(session, actor, "activities", activity.id, "activity.outcome", before, _snapshot(plan))
    return get_plan(session, actor, activity_id)


def _create_next_step(service: RecordService, activity: Any, step: NextStepWrite) -> uuid.UUID:
    start = ensure_utc(step.start_at)
    values: dict[str, Any] = {
        "kind": step.kind,
        "subject": step.subject,
        "owner_id": activity.owner_id,
        "status": "open",
        "occurred_at": start,
        "account_id": activity.account_id,
        "contact_id": activity.contact_id,
        "lead_id": activity.lead_id,
        "opportunity_id": activity.opportunity_id,
        "ticket_id": activity.ticket_id,
    }
    if step.kind == "task":
        values["due_at"] = start
    follow_up: uuid.UUID = service.create(values).id
    return follow_up
