"""A ticket's visible history; every entry is also written to the tenant's audit chain."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.timeutil import utc_now
from zhike.security.context import Actor
from zhike.service.models import Ticket, TicketEvent


def add_event(
    session: Session, actor: Actor, ticket: Ticket, kind: str, **data: Any
) -> TicketEvent:
    """Append ``kind`` (e.g. ``status``, ``assigned``, ``escalation``) to the ticket's history."""
    event = TicketEvent(
        tenant_id=ticket.tenant_id,
        ticket_id=ticket.id,
        kind=kind,
        actor_id=actor.user_id,
        actor_kind="user" if actor.user_id else "system",
        data=data,
        created_at=utc_now(),
    )
    session.add(event)
    record_event(
        session,
        actor,
        f"ticket.{kind.replace('-', '_')}",
        object_name="tickets",
        record_id=ticket.id,
        details=data,
    )
    return event
