"""SLA targets, the pause while waiting on the customer, breach prediction and escalation.

A ticket's targets come from the active policy for its priority and customer
tier (a policy for the exact tier wins over one for any tier). Due times are
``opened_at`` plus the target plus all time spent waiting on the customer,
counted in working time when the policy uses business hours, so they can be
recomputed at any moment from the stored fields.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhike.core.timeutil import ensure_utc
from zhike.security.context import Actor
from zhike.security.models import User
from zhike.service.calendar import BusinessCalendar, WallClock
from zhike.service.escalation_delivery import record_deliveries
from zhike.service.history import add_event
from zhike.service.models import TICKET_PRIORITIES, SlaPolicy, Ticket
from zhike.service.settings import tenant_calendar

logger = logging.getLogger(__name__)

OPEN_STATUSES = ("new", "open", "pending", "on_hold")
# Waiting on the customer stops the clock; waiting on a third party (on_hold) does not.
PAUSED_STATUSES = ("pending",)
DEFAULT_ESCALATION = {"notify": True, "reassign": False, "raise_priority": True}


class Clock(Protocol):
    def add(self, start: datetime, seconds: float) -> datetime: ...

    def between(self, start: datetime, end: datetime) -> float: ...


def select_policy(
    session: Session, tenant_id: uuid.UUID, priority: str, tier: str | None
) -> SlaPolicy | None:
    candidates = session.scalars(
        select(SlaPolicy).where(
            SlaPolicy.tenant_id == tenant_id,
            SlaPolicy.priority == priority,
            SlaPolicy.is_active.is_(True),
            or_(SlaPolicy.customer_tier.is_(None), SlaPolicy.customer_tier == tier),
        )
    ).all()
    exact = [policy for policy in candidates if policy.customer_tier is not None]
    chosen = exact or list(candidates)
    return min(chosen, key=lambda policy: policy.resolution_minutes) if chosen else None


def clock_for(policy: SlaPolicy, calendar: BusinessCalendar) -> Clock:
    return calendar if policy.uses_business_hours else WallClock()


def apply_targets(session: Session, ticket: Ticket, calendar: BusinessCalendar) -> None:
    """Set the policy and due times of ``ticket`` from its priority, tier and paused time."""
    policy = select_policy(session, ticket.tenant_id, ticket.priority, ticket.customer_tier)
    if policy is None or ticket.opened_at is None:
        ticket.sla_policy_id = None
        ticket.first_response_due_at = ticket.resolution_due_at = None
        ticket.sla_state = "none"
        return
    clock = clock_for(policy, calendar)
    paused = float(ticket.sla_paused_seconds or 0)
    opened = ensure_utc(ticket.opened_at)
    ticket.sla_policy_id = policy.id
    ticket.first_response_due_at = clock.add(opened, policy.first_response_minutes * 60 + paused)
    ticket.resolution_due_at = clock.add(opened, policy.resolution_minutes * 60 + paused)
    if ticket.status in PAUSED_STATUSES and ticket.sla_paused_at is None:
        # A ticket that already waits on the customer when it gets a policy (one created
        # later, or an imported ticket) has waited since its last change.
        ticket.sla_paused_at = ensure_utc(ticket.updated_at or opened)
    if ticket.sla_state in ("none", "met"):
        ticket.sla_state = "paused" if ticket.status in PAUSED_STATUSES else "ok"


def pause(ticket: Ticket, now: datetime) -> None:
    if ticket.sla_paused_at is None and ticket.sla_policy_id is not None:
        ticket.sla_paused_at = now
        ticket.sla_state = "paused"


def resume(session: Session, ticket: Ticket, calendar: BusinessCalendar, now: datetime) -> float:
    """Add the time paused to the ticket's total and move its due times; return the seconds."""
    if ticket.sla_paused_at is None:
        return 0.0
    policy = session.get(SlaPolicy, ticket.sla_policy_id) if ticket.sla_policy_id else None
    clock: Clock = clock_for(policy, calendar) if policy else calendar
    waited = max(0.0, clock.between(ticket.sla_paused_at, now))
    ticket.sla_paused_seconds = int((ticket.sla_paused_seconds or 0) + waited)
    ticket.sla_paused_at = None
    ticket.sla_state = "ok"
    apply_targets(session, ticket, calendar)
    return waited


@dataclass
class SlaStatus:
    """Where a ticket stands against its current target."""

    target: str  # first_response or resolution
    due_at: datetime
    remaining_seconds: float
    used_ratio: float
    state: str
    reasons: list[dict[str, Any]] = field(default_factory=list)


def evaluate(
    ticket: Ticket,
    policy: SlaPolicy,
    calendar: BusinessCalendar,
    now: datetime,
) -> SlaStatus | None:
    """Predict a breach from the share of target time used and the expected resolution time."""
    if ticket.opened_at is None or ticket.status not in OPEN_STATUSES:
        return None
    clock = clock_for(policy, calendar)
    responded = ticket.first_responded_at is not None
    target = "resolution" if responded else "first_response"
    due = ticket.resolution_due_at if responded else ticket.first_response_due_at
    if due is None:
        return None
    due = ensure_utc(due)
    minutes = policy.resolution_minutes if responded else policy.first_response_minutes
    # While paused, time stands still at the moment the pause began.
    moment = ensure_utc(ticket.sla_paused_at) if ticket.sla_paused_at else now
    remaining = clock.between(moment, due)
    used = 1.0 - remaining / (minutes * 60) if minutes else 1.0
    reasons: list[dict[str, Any]] = [
        {"code": "time_used", "target": target, "used_ratio": round(used, 3)}
    ]
    if ticket.sla_paused_at is not None or ticket.status in PAUSED_STATUSES:
        state = "paused"
    elif remaining <= 0:
        state = "breached"
    elif used >= policy.warn_ratio:
        state = "at_risk"
        reasons.append({"code": "past_warning", "warn_ratio": policy.warn_ratio})
    else:
        state = "ok"
    predicted = ticket.predicted_resolution_hours
    if (
        state == "ok"
        and target == "resolution"
        and predicted is not None
        and ticket.opened_at is not None
    ):
        # Expected working time still needed, against the working time left.
        spent = clock.between(ensure_utc(ticket.opened_at), now)
        needed = predicted * 3600 - spent
        if needed > remaining:
            state = "at_risk"
            reasons.append({"code": "predicted_late", "predicted_hours": round(predicted, 1)})
    return SlaStatus(target, due, remaining, used, state, reasons)


def _raise_priority(priority: str) -> str:
    position = TICKET_PRIORITIES.index(priority) if priority in TICKET_PRIORITIES else 1
    return TICKET_PRIORITIES[min(position + 1, len(TICKET_PRIORITIES) - 1)]


def notify_targets(session: Session, ticket: Ticket) -> list[str]:
    """The assignee and the assignee's manager; with no assignee, the tenant's administrators."""
    targets: list[uuid.UUID] = []
    if ticket.assignee_id is not None:
        targets.append(ticket.assignee_id)
        manager = session.scalar(select(User.manager_id).where(User.id == ticket.assignee_id))
        if manager is not None:
            targets.append(manager)
    if not targets:
        targets.extend(
            session.scalars(
                select(User.id).where(
                    User.tenant_id == ticket.tenant_id,
                    User.role == "administrator",
                    User.is_active.is_(True),
                    User.deleted_at.is_(None),
                )
            )
        )
    return [str(target) for target in targets]


def escalate(
    session: Session,
    actor: Actor,
    ticket: Ticket,
    policy: SlaPolicy,
    status: SlaStatus,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Take the policy's escalation steps once per level: 1 when at risk, 2 when breached.

    Messages by email or WeCom are queued for ``now`` (the time of the check).
    """
    from zhike.service.routing import choose_agent

    level = 2 if status.state == "breached" else 1
    if ticket.escalation_level >= level:
        return {}
    steps = {**DEFAULT_ESCALATION, **(policy.escalation or {})}
    done: dict[str, Any] = {"level": level, "target": status.target, "state": status.state}
    if steps.get("notify"):
        done["notified"] = notify_targets(session, ticket)
    if steps.get("raise_priority"):
        raised = _raise_priority(ticket.priority)
        if raised != ticket.priority:
            # Due times stay as they were: a tighter target now would breach at once.
            done["priority"] = [ticket.priority, raised]
            ticket.priority = raised
    if steps.get("reassign"):
        choice = choose_agent(session, ticket, exclude={ticket.assignee_id})
        if choice is not None and choice.user_id != ticket.assignee_id:
            done["assignee"] = [
                str(ticket.assignee_id) if ticket.assignee_id else None,
                str(choice.user_id),
            ]
            ticket.assignee_id = ticket.owner_id = choice.user_id
    ticket.escalation_level = level
    ticket.sla_state = status.state
    add_event(session, actor, ticket, "escalation", **done)
    if done.get("notified"):
        event = "breach" if level == 2 else "warning"
        record_deliveries(session, ticket, event, done["notified"], now)
    logger.info(
        "ticket escalated",
        extra={"ticket_id": str(ticket.id), "level": level, "state": status.state},
    )
    return done


def check_tenant(session: Session, actor: Actor, now: datetime) -> list[dict[str, Any]]:
    """Evaluate every open ticket with an SLA of the actor's tenant and escalate where due."""
    calendar = tenant_calendar(session, actor.tenant_id)
    policies = {
        policy.id: policy
        for policy in session.scalars(
            select(SlaPolicy).where(SlaPolicy.tenant_id == actor.tenant_id)
        )
    }
    tickets = session.scalars(
        select(Ticket).where(
            Ticket.tenant_id == actor.tenant_id,
            Ticket.deleted_at.is_(None),
            Ticket.status.in_(OPEN_STATUSES),
            Ticket.sla_policy_id.is_not(None),
        )
    ).all()
    results = []
    for ticket in tickets:
        policy = policies.get(ticket.sla_policy_id) if ticket.sla_policy_id else None
        if policy is None:
            continue
        status = evaluate(ticket, policy, calendar, now)
        if status is None:
            continue
        if status.state in ("at_risk", "breached"):
            done = escalate(session, actor, ticket, policy, status, now)
            if done:
                results.append({"ticket_id": str(ticket.id), "number": ticket.number, **done})
        elif ticket.sla_state != status.state:
            ticket.sla_state = status.state
    session.flush()
    return results
