"""Reading a customer's recent history: tickets with their conversations, activities and deals.

The window is the last ``window_days`` days. Older items still matter and are
read too when they are open: unresolved tickets, deals not yet won or lost, and
open activities such as tasks. Every read is scoped by ``scope_select``, so the
history holds only what the asker may read; reads happen on each request, so a
new event is in the next context built after its transaction commits.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from zhike.ai.context.schemas import ContextItem, Customer
from zhike.ai.retrieval.text import words
from zhike.core.timeutil import ensure_utc
from zhike.sales.models import Activity, Opportunity, PipelineStage
from zhike.security.access import grant_for, scope_select
from zhike.security.context import Actor
from zhike.service.models import Ticket

OPEN_TICKET_STATUSES = ("new", "open", "pending", "on_hold")
# More items than this of one kind are cut, newest first: a context is for reading.
MAX_ITEMS_PER_KIND = 200
MAX_TOPICS = 8


def topics_of(*texts: str | None) -> list[str]:
    """Content words of the texts (jieba words of two or more characters), in order."""
    found: list[str] = []
    for text in texts:
        for word in words(text or ""):
            if len(word) >= 2 and not word.isdigit() and word not in found:
                found.append(word)
    return found[:MAX_TOPICS]


def _customer_condition(model: Any, customer: Customer) -> Any:
    conditions = []
    if customer.account_id is not None:
        conditions.append(model.account_id == customer.account_id)
    if customer.contact_id is not None and hasattr(model, "contact_id"):
        conditions.append(model.contact_id == customer.contact_id)
    return or_(*conditions)


def _tickets(
    session: Session, actor: Actor, customer: Customer, since: datetime
) -> list[ContextItem]:
    opened = Ticket.opened_at
    statement = scope_select(actor, Ticket, select(Ticket)).where(
        _customer_condition(Ticket, customer),
        or_(
            Ticket.status.in_(OPEN_TICKET_STATUSES),
            Ticket.created_at >= since,
            and_(opened.is_not(None), opened >= since),
        ),
    )
    rows = session.scalars(statement.order_by(Ticket.created_at.desc()).limit(MAX_ITEMS_PER_KIND))
    return [
        ContextItem(
            kind="ticket",
            object="tickets",
            id=ticket.id,
            title=ticket.subject,
            status=ticket.status,
            category=ticket.category,
            priority=ticket.priority,
            channel=ticket.channel,
            occurred_at=ensure_utc(ticket.opened_at or ticket.created_at),
            is_open=ticket.status in OPEN_TICKET_STATUSES,
            topics=topics_of(ticket.subject, ticket.category, ticket.description),
        )
        for ticket in rows
    ]


# Latest messages of a ticket's conversation that the context shows as its progress.
MESSAGES_PER_TICKET = 3


def _conversations(session: Session, items: list[ContextItem]) -> None:
    """Add the latest conversation messages of each ticket to its progress and topics.

    The tickets were already read with the asker's scope, and a message is part
    of its ticket, so reading messages by those ticket ids shows nothing more.
    """
    from zhike.service.models import TicketMessage

    by_ticket = {item.id: item for item in items}
    if not by_ticket:
        return
    statement = (
        select(TicketMessage)
        .where(TicketMessage.ticket_id.in_(by_ticket))
        .order_by(TicketMessage.created_at.desc())
    )
    counts: dict[Any, int] = defaultdict(int)
    for message in session.scalars(statement.limit(MAX_ITEMS_PER_KIND * MESSAGES_PER_TICKET)):
        if counts[message.ticket_id] >= MESSAGES_PER_TICKET:
            continue
        counts[message.ticket_id] += 1
        item = by_ticket[message.ticket_id]
        item.progress.insert(0, f"{message.author_kind}: {message.body[:200]}")
        for topic in topics_of(message.body):
            if topic not in item.topics and len(item.topics) < MAX_TOPICS * 2:
                item.topics.append(topic)


def _activities(
    session: Session, actor: Actor, customer: Customer, since: datetime
) -> tuple[list[ContextItem], dict[Any, list[str]]]:
    """Activities of the window, and the progress notes logged against tickets and deals."""
    statement = scope_select(actor, Activity, select(Activity)).where(
        _customer_condition(Activity, customer),
        or_(Activity.occurred_at >= since, Activity.status == "open"),
    )
    rows = list(
        session.scalars(statement.order_by(Activity.occurred_at.desc()).limit(MAX_ITEMS_PER_KIND))
    )
    progress: dict[Any, list[str]] = defaultdict(list)
    items = []
    for activity in reversed(rows):
        for parent in (activity.ticket_id, activity.opportunity_id):
            if parent is not None:
                progress[parent].append(activity.subject)
        items.append(
            ContextItem(
                kind="activity",
                object="activities",
                id=activity.id,
                title=activity.subject,
                status=activity.status,
                category=activity.kind,
                channel=activity.source
                if activity.source not in (None, "manual")
                else activity.kind,
                occurred_at=ensure_utc(activity.occurred_at),
                is_open=activity.status == "open",
                topics=topics_of(activity.subject, activity.body),
            )
        )
    return items, progress


def _deals(
    session: Session, actor: Actor, customer: Customer, since: datetime
) -> list[ContextItem]:
    if customer.account_id is None and customer.contact_id is None:
        return []
    stages = {
        stage.id: stage
        for stage in session.scalars(scope_select(actor, PipelineStage, select(PipelineStage)))
    }
    closed_ids = [stage_id for stage_id, stage in stages.items() if stage.is_won or stage.is_lost]
    statement = scope_select(actor, Opportunity, select(Opportunity)).where(
        _customer_condition(Opportunity, customer),
        or_(Opportunity.updated_at >= since, Opportunity.stage_id.not_in(closed_ids)),
    )
    rows = session.scalars(
        statement.order_by(Opportunity.updated_at.desc()).limit(MAX_ITEMS_PER_KIND)
    )
    items = []
    for deal in rows:
        stage = stages.get(deal.stage_id)
        items.append(
            ContextItem(
                kind="deal",
                object="opportunities",
                id=deal.id,
                title=deal.name,
                status=stage.key if stage else None,
                occurred_at=ensure_utc(deal.updated_at),
                is_open=stage is not None and not (stage.is_won or stage.is_lost),
                topics=topics_of(deal.name, deal.description),
            )
        )
    return items


def read_history(
    session: Session, actor: Actor, customer: Customer, now: datetime, window_days: int
) -> tuple[list[ContextItem], list[str]]:
    """Collect the customer's items in time order, and the kinds the asker's role may not read."""
    since = now - timedelta(days=window_days)
    items: list[ContextItem] = []
    hidden: list[str] = []
    progress: dict[Any, list[str]] = {}
    if grant_for(actor, "activities") is not None:
        activities, progress = _activities(session, actor, customer, since)
        items.extend(activities)
    else:
        hidden.append("activities")
    if grant_for(actor, "tickets") is not None:
        items.extend(_tickets(session, actor, customer, since))
    else:
        hidden.append("tickets")
    if grant_for(actor, "opportunities") is not None:
        items.extend(_deals(session, actor, customer, since))
    else:
        hidden.append("opportunities")
    for item in items:
        item.progress = list(progress.get(item.id, []))
    _conversations(session, [item for item in items if item.kind == "ticket"])
    items.sort(key=lambda item: (item.occurred_at, str(item.id)))
    return items, hidden
