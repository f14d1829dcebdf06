"""The ticket desk: intake from every channel, the workflow, conversation, assignment and queue.

Reads and writes of the ticket row go through the generic record service (role
grants, record scope, audit, optimistic concurrency). ``after_ticket_write``
is its after-write hook for tickets: numbering, routing and SLA on create;
SLA pause and resume, history and CSAT on status changes.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from zhike.core.errors import Conflict, InvalidInput
from zhike.core.timeutil import ensure_utc, utc_now
from zhike.platform.records import RecordService
from zhike.security.access import require
from zhike.security.context import Actor
from zhike.security.models import User
from zhike.service import routing, sla
from zhike.service.calendar import BusinessCalendar
from zhike.service.history import add_event
from zhike.service.models import (
    SlaPolicy,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketMessage,
)
from zhike.service.objects import SOLVED_STATUSES, TICKETS
from zhike.service.schemas import (
    EventRead,
    MessageRead,
    QueueItem,
    TicketHistory,
    TicketIntake,
)
from zhike.service.settings import load_settings, tenant_calendar

logger = logging.getLogger(__name__)

TRACKED_FIELDS = ("priority", "category", "assignee_id", "customer_tier")
ROUTED_FIELDS = (
    "number",
    "category",
    "category_source",
    "customer_tier",
    "assignee_id",
    "owner_id",
    "predicted_resolution_hours",
    "routing",
)
SLA_FIELDS = (
    "sla_policy_id",
    "first_response_due_at",
    "resolution_due_at",
    "sla_paused_at",
    "sla_paused_seconds",
    "sla_state",
)


def next_number(session: Session, tenant_id: uuid.UUID) -> str:
    """Hand out the tenant's next ticket number; the row lock serialises concurrent intakes."""
    value = session.execute(
        update(TicketCounter)
        .where(TicketCounter.tenant_id == tenant_id)
        .values(last_number=TicketCounter.last_number + 1)
        .returning(TicketCounter.last_number)
    ).scalar()
    if value is None:
        # NOTE: when a new tenant's first two intakes arrive at the same moment, both
        # insert here. The second then fails on the primary key, and its client retries.
        session.execute(insert(TicketCounter).values(tenant_id=tenant_id, last_number=1))
        value = 1
    return f"T{int(value):06d}"


def _route_new_ticket(session: Session, ticket: Ticket) -> None:
    _, settings = load_settings(session, ticket.tenant_id)
    details: dict[str, Any] = {}
    if not ticket.category:
        text = f"{ticket.subject}\n{ticket.description or ''}"
        found = routing.classify(session, ticket.tenant_id, text, settings)
        details["classification"] = {
            "category": found.category,
            "source": found.source,
            "confidence": found.confidence,
            "reasons": found.reasons,
        }
        if found.category:
            ticket.category = found.category
            ticket.category_source = found.source
    else:
        ticket.category_source = "given"
    if ticket.customer_tier is None and ticket.account_id is not None:
        from zhike.customers.models import Account

        ticket.customer_tier = session.scalar(
            select(Account.tier).where(Account.id == ticket.account_id)
        )
    if ticket.assignee_id is None and settings.auto_assign:
        choice = routing.choose_agent(session, ticket)
        if choice is not None:
            ticket.assignee_id = ticket.owner_id = choice.user_id
            routing.mark_assigned(session, ticket, choice.user_id)
            details["assignment"] = {"user_id": str(choice.user_id), "reasons": choice.reasons}
    hours, basis = routing.predict_resolution_hours(
        session, ticket.tenant_id, ticket.category, ticket.priority
    )
    ticket.predicted_resolution_hours = hours
    details["resolution_time"] = basis
    ticket.routing = details


def _draft(record: Ticket | None, values: dict[str, Any]) -> Ticket:
    """Build a transient ticket as it will be after this write, to derive fields from.

    The derived values go back into the write itself, so a create or update stays one
    INSERT or UPDATE and the record's version moves by exactly one.
    """
    table: Any = Ticket.__table__
    columns = [column.key for column in table.columns]
    if record is not None:
        data = {name: getattr(record, name) for name in columns}
    else:
        # Column defaults apply only at the INSERT, and the draft must already see them: a
        # ticket created without a priority is a normal one and gets that policy.
        data = {
            column.key: column.default.arg
            for column in table.columns
            if column.default is not None and getattr(column.default, "is_scalar", False)
        }
    data.update({name: value for name, value in values.items() if name in columns})
    return Ticket(**data)


def derive_values(
    session: Session, actor: Actor, values: dict[str, Any], record: Ticket | None
) -> dict[str, Any]:
    """Add the number, routing and SLA fields that follow from a create or update."""
    now = utc_now()
    draft = _draft(record, values)
    if record is None:
        draft.tenant_id = actor.tenant_id
        draft.number = draft.number or next_number(session, actor.tenant_id)
        draft.sla_paused_seconds = 0
        draft.sla_state = "none"
        _route_new_ticket(session, draft)
        sla.apply_targets(session, draft, tenant_calendar(session, actor.tenant_id))
        if draft.status in sla.PAUSED_STATUSES:
            sla.pause(draft, now)
        for name in (*ROUTED_FIELDS, *SLA_FIELDS):
            values[name] = getattr(draft, name)
        return values
    status_changed = "status" in values and values["status"] != record.status
    retarget = any(
        name in values and values[name] != getattr(record, name)
        for name in ("priority", "customer_tier")
    )
    if not status_changed and not retarget:
        return values
    calendar = tenant_calendar(session, actor.tenant_id)
    if status_changed:
        _status_sla(session, draft, record.status, calendar, now)
    if retarget:
        sla.apply_targets(session, draft, calendar)
    for name in SLA_FIELDS:
        values[name] = getattr(draft, name)
    return values


def _status_sla(
    session: Session, draft: Ticket, old_status: str, calendar: BusinessCalendar, now: datetime
) -> None:
    if draft.status in sla.PAUSED_STATUSES:
        sla.pause(draft, now)
    elif old_status in sla.PAUSED_STATUSES:
        sla.resume(session, draft, calendar, now)
    if draft.status in SOLVED_STATUSES and old_status not in SOLVED_STATUSES:
        if draft.resolution_due_at is not None:
            resolved = ensure_utc(draft.resolved_at or now)
            met = resolved <= ensure_utc(draft.resolution_due_at)
            draft.sla_state = "met" if met else "breached"
    elif draft.status not in SOLVED_STATUSES and old_status in SOLVED_STATUSES:
        draft.sla_state = "ok" if draft.sla_policy_id else "none"


def after_ticket_write(
    session: Session,
    actor: Actor,
    ticket: Ticket,
    values: dict[str, Any],
    previous: dict[str, Any] | None,
) -> None:
    """Record the history of a write and open a CSAT survey when a ticket is resolved."""
    if previous is None:
        add_event(
            session,
            actor,
            ticket,
            "created",
            channel=ticket.channel,
            number=ticket.number,
            category=ticket.category,
            assignee_id=str(ticket.assignee_id) if ticket.assignee_id else None,
        )
        return
    old_status = previous.get("status")
    if "status" in values and old_status is not None and old_status != ticket.status:
        data: dict[str, Any] = {"old": old_status, "new": ticket.status}
        if old_status in sla.PAUSED_STATUSES and "sla_paused_seconds" in previous:
            data["paused_seconds"] = (ticket.sla_paused_seconds or 0) - (
                previous["sla_paused_seconds"] or 0
            )
        if ticket.status in SOLVED_STATUSES and old_status not in SOLVED_STATUSES:
            from zhike.service.csat import create_survey

            if ticket.sla_state in ("met", "breached"):
                data["sla"] = ticket.sla_state
            survey, _ = create_survey(session, ticket, utc_now())
            data["survey_id"] = str(survey.id)
        add_event(session, actor, ticket, "status", **data)
    changed = {
        name: [_plain(previous.get(name)), _plain(getattr(ticket, name))]
        for name in TRACKED_FIELDS
        if name in values and previous.get(name) != getattr(ticket, name)
    }
    if "assignee_id" in changed and ticket.assignee_id is not None:
        routing.mark_assigned(session, ticket, ticket.assignee_id)
    for name, (old, new) in changed.items():
        kind = "assigned" if name == "assignee_id" else name
        add_event(session, actor, ticket, kind, old=old, new=new)


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


class TicketDesk:
    """Service-desk operations for one actor; every ticket is reached through its record scope."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self.records = RecordService(session, actor, TICKETS)

    def intake(self, channel: str, body: TicketIntake) -> Ticket:
        """Create a ticket that arrived on ``channel``; a repeated external id returns the first."""
        values = body.model_dump(exclude_none=True)
        values["channel"] = channel
        values["status"] = "new"
        if body.external_id:
            values["source"] = channel
            existing = self.records.find_by_external_id(channel, body.external_id)
            if existing is not None:
                found: Ticket = existing
                return found
        ticket: Ticket = self.records.create(values)
        if body.description:
            self.session.add(
                TicketMessage(
                    tenant_id=ticket.tenant_id,
                    ticket_id=ticket.id,
                    author_kind="customer",
                    body=body.description,
                    created_at=ticket.opened_at or utc_now(),
                )
            )
            self.session.flush()
        logger.info("ticket received", extra={"ticket_id": str(ticket.id), "channel": channel})
        return ticket

    def change_status(
        self, ticket_id: uuid.UUID, status: str, expected_version: int | None, note: str | None
    ) -> Ticket:
        ticket: Ticket = self.records.update(ticket_id, {"status": status}, expected_version)
        if note:
            self._message(ticket, "agent", note, is_internal=True)
        return ticket

    def assign(
        self, ticket_id: uuid.UUID, assignee_id: uuid.UUID | None, expected_version: int | None
    ) -> Ticket:
        current: Ticket = self.records.get(ticket_id, "update")
        reasons: list[dict[str, Any]] = [{"code": "manual"}]
        if assignee_id is None:
            choice = routing.choose_agent(self.session, current)
            if choice is None:
                raise Conflict("ticket_no_agent_available", number=current.number or "-")
            assignee_id, reasons = choice.user_id, choice.reasons
        else:
            self._check_agent(assignee_id)
        assignment = {"user_id": str(assignee_id), "reasons": reasons}
        ticket: Ticket = self.records.update(
            ticket_id,
            {
                "assignee_id": assignee_id,
                "routing": {**(current.routing or {}), "assignment": assignment},
            },
            expected_version,
        )
        return ticket

    def _check_agent(self, user_id: uuid.UUID) -> None:
        user = self.session.scalar(
            select(User).where(
                User.id == user_id,
                User.tenant_id == self.actor.tenant_id,
                User.deleted_at.is_(None),
                User.is_active.is_(True),
            )
        )
        if user is None:
            raise InvalidInput("ticket_unknown_agent", id=str(user_id))
        routing.require_ticket_worker(self.session, user)

    def reply(self, ticket_id: uuid.UUID, body: str, is_internal: bool) -> TicketMessage:
        """Add a reply or internal note; a first public reply stops the response clock."""
        ticket = self.records.get(ticket_id, "update")
        if ticket.status == "closed":
            raise Conflict("ticket_closed", number=ticket.number or "-")
        message = self._message(ticket, "agent", body, is_internal)
        if not is_internal:
            if ticket.first_responded_at is None:
                ticket.first_responded_at = message.created_at
                add_event(self.session, self.actor, ticket, "first_response")
            if ticket.status == "new":
                self.records.update(ticket.id, {"status": "open"}, None)
        self.session.flush()
        return message

    def customer_message(self, ticket_id: uuid.UUID, body: str) -> TicketMessage:
        """Record what the customer wrote; a reply to a pending ticket restarts its clock."""
        ticket = self.records.get(ticket_id, "update")
        if ticket.status == "closed":
            raise Conflict("ticket_closed", number=ticket.number or "-")
        message = self._message(ticket, "customer", body, False)
        if ticket.status in ("pending", "resolved"):
            self.records.update(ticket.id, {"status": "open"}, None)
        return message

    def _message(
        self, ticket: Ticket, author_kind: str, body: str, is_internal: bool
    ) -> TicketMessage:
        message = TicketMessage(
            tenant_id=ticket.tenant_id,
            ticket_id=ticket.id,
            author_kind=author_kind,
            author_id=self.actor.user_id if author_kind == "agent" else None,
            body=body,
            is_internal=is_internal,
            created_at=utc_now(),
        )
        self.session.add(message)
        self.session.flush()
        return message

    def history(self, ticket_id: uuid.UUID) -> TicketHistory:
        ticket = self.records.get(ticket_id)
        messages = self.session.scalars(
            select(TicketMessage)
            .where(TicketMessage.ticket_id == ticket.id)
            .order_by(TicketMessage.created_at, TicketMessage.id)
        ).all()
        events = self.session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.created_at, TicketEvent.id)
        ).all()
        return TicketHistory(
            messages=[MessageRead.model_validate(message) for message in messages],
            events=[EventRead.model_validate(event) for event in events],
        )

    def queue(self, now: datetime, limit: int = 100, mine: bool = False) -> list[QueueItem]:
        """List open tickets the actor may see, nearest to (or furthest past) breach first."""
        require(self.actor, TICKETS.name, "read")
        from zhike.security.access import scope_select

        statement = scope_select(self.actor, Ticket, select(Ticket)).where(
            Ticket.status.in_(sla.OPEN_STATUSES)
        )
        if mine:
            statement = statement.where(Ticket.assignee_id == self.actor.user_id)
        # NOTE: only the 1,000 tickets due first by resolution are ranked, so a backlog
        # larger than that may leave a ticket with an earlier first-response due unseen.
        tickets = self.session.scalars(
            statement.order_by(Ticket.resolution_due_at.is_(None), Ticket.resolution_due_at).limit(
                1000
            )
        ).all()
        calendar = tenant_calendar(self.session, self.actor.tenant_id)
        policies = {
            policy.id: policy
            for policy in self.session.scalars(
                select(SlaPolicy).where(SlaPolicy.tenant_id == self.actor.tenant_id)
            )
        }
        items = []
        for ticket in tickets:
            policy = policies.get(ticket.sla_policy_id) if ticket.sla_policy_id else None
            status = sla.evaluate(ticket, policy, calendar, now) if policy else None
            items.append(
                QueueItem(
                    ticket=self.records.present(ticket),
                    sla_target=status.target if status else None,
                    due_at=status.due_at if status else None,
                    remaining_seconds=round(status.remaining_seconds) if status else None,
                    sla_state=status.state if status else ticket.sla_state,
                    reasons=status.reasons if status else [],
                )
            )
        order = {"breached": 0, "at_risk": 1, "ok": 2, "paused": 3}
        items.sort(
            key=lambda item: (
                order.get(item.sla_state, 4),
                item.remaining_seconds if item.remaining_seconds is not None else float("inf"),
            )
        )
        return items[:limit]
