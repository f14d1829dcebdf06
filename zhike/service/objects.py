"""Declaration of service tickets for the generic record service."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhike.core.timeutil import utc_now
from zhike.customers.models import Account, Contact
from zhike.platform.normalize import (
    choices,
    custom_fields,
    owner_reference,
    references,
    required_fields,
    utc_times,
)
from zhike.platform.objects import ObjectSpec, register_object
from zhike.sales.models import Product
from zhike.security.context import Actor
from zhike.service.models import TICKET_PRIORITIES, TICKET_STATUSES, Ticket
from zhike.service.schemas import TicketCreate, TicketRead, TicketUpdate

SOLVED_STATUSES = ("resolved", "closed")


def ticket_times(
    session: Session, actor: Actor, values: dict[str, Any], record: Any
) -> dict[str, Any]:
    """Stamp when a ticket was opened and resolved, and clear the latter when it reopens."""
    if record is None and values.get("opened_at") is None:
        values["opened_at"] = utc_now()
    status = values.get("status")
    if status is None or "resolved_at" in values:
        return values
    was_solved = record is not None and record.status in SOLVED_STATUSES
    if status in SOLVED_STATUSES and not was_solved:
        values["resolved_at"] = utc_now()
    elif status not in SOLVED_STATUSES and was_solved:
        values["resolved_at"] = None
    return values


TICKETS = register_object(
    ObjectSpec(
        name="tickets",
        model=Ticket,
        create_schema=TicketCreate,
        update_schema=TicketUpdate,
        read_schema=TicketRead,
        search_fields=("subject",),
        filter_fields=(
            "status",
            "priority",
            "category",
            "channel",
            "owner_id",
            "account_id",
            "contact_id",
            "product_id",
            "opened_at",
            "resolved_at",
            "created_at",
            "updated_at",
            "external_id",
            "source",
        ),
        sort_fields=("opened_at", "resolved_at", "created_at", "updated_at", "subject"),
        default_sort="-opened_at",
        normalizers=(
            required_fields("subject", "status", "priority"),
            utc_times("opened_at", "resolved_at"),
            choices(status=TICKET_STATUSES, priority=TICKET_PRIORITIES),
            ticket_times,
            owner_reference(),
            references(account_id=Account, contact_id=Contact, product_id=Product),
            custom_fields("tickets"),
        ),
    )
)
