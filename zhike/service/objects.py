"""Declaration of service tickets for the generic record service.

The status workflow is checked here and the desk's side effects run as an
after-write hook, so a status change through the generic record API, an
import or the desk endpoints follows the same rules and leaves the same history.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhike.core.errors import Conflict
from zhike.core.i18n import Localized, catalog_label
from zhike.core.timeutil import utc_now
from zhike.customers.models import Account, Contact
from zhike.platform.field_catalog import choice_label
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
from zhike.security.models import User
from zhike.service.models import (
    SLA_STATES,
    TICKET_CHANNELS,
    TICKET_PRIORITIES,
    TICKET_STATUSES,
    Ticket,
)
from zhike.service.routing import require_ticket_worker
from zhike.service.schemas import TicketCreate, TicketRead, TicketUpdate

SOLVED_STATUSES = ("resolved", "closed")
# Values of category_source: set by the classification model, by keyword rules, or on create.
CATEGORY_SOURCES = ("model", "keywords", "given")

# Which status each status may move to; closed is final, a follow-up is a new ticket.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("open", "pending", "on_hold", "resolved", "closed"),
    "open": ("pending", "on_hold", "resolved", "closed"),
    "pending": ("open", "on_hold", "resolved", "closed"),
    "on_hold": ("open", "pending", "resolved", "closed"),
    "resolved": ("open", "closed"),
    "closed": (),
}


def ticket_times(
    session: Session, actor: Actor, values: dict[str, Any], record: Any
) -> dict[str, Any]:
    """Stamp when a ticket was opened, resolved and closed; clear them when it reopens."""
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
    if status == "closed" and (record is None or record.closed_at is None):
        values["closed_at"] = utc_now()
    return values


def _status_label(status: str) -> Localized:
    return catalog_label("field_choice.tickets.status", status)


def _status_list(statuses: tuple[str, ...]) -> Localized:
    def render(locale: str) -> str:
        separator = "、" if locale.startswith("zh") else ", "
        return separator.join(choice_label("tickets", "status", item, locale) for item in statuses)

    return Localized(render)


def ticket_workflow(
    session: Session, actor: Actor, values: dict[str, Any], record: Any
) -> dict[str, Any]:
    """Reject a status change that the workflow does not allow from the current status."""
    status = values.get("status")
    if record is None or status is None or status == record.status:
        return values
    allowed = TRANSITIONS.get(record.status, ())
    if status not in allowed:
        number = record.number or "-"
        if not allowed:
            raise Conflict("ticket_closed_status", number=number)
        raise Conflict(
            "ticket_invalid_transition",
            current=_status_label(record.status),
            target=_status_label(status),
            allowed=_status_list(allowed),
        )
    return values


def assignee_is_owner(
    session: Session, actor: Actor, values: dict[str, Any], record: Any
) -> dict[str, Any]:
    """The assignee owns the ticket, so the record scopes of agents follow the assignment."""
    assignee_id = values.get("assignee_id")
    if assignee_id is None:
        return values
    if record is None or record.assignee_id != assignee_id:
        # Every way of assigning (the desk, PATCH, import) takes only people who work tickets.
        assignee = session.get(User, assignee_id)
        if assignee is not None:
            require_ticket_worker(session, assignee)
    values["owner_id"] = assignee_id
    return values


def desk_values(
    session: Session, actor: Actor, values: dict[str, Any], record: Any
) -> dict[str, Any]:
    from zhike.service.desk import derive_values

    return derive_values(session, actor, values, record)


def desk_effects(
    session: Session,
    actor: Actor,
    record: Any,
    values: dict[str, Any],
    previous: dict[str, Any] | None,
) -> None:
    from zhike.service.desk import after_ticket_write

    after_ticket_write(session, actor, record, values, previous)


TICKETS = register_object(
    ObjectSpec(
        name="tickets",
        model=Ticket,
        create_schema=TicketCreate,
        update_schema=TicketUpdate,
        read_schema=TicketRead,
        search_fields=("subject", "number"),
        filter_fields=(
            "number",
            "status",
            "priority",
            "category",
            "channel",
            "owner_id",
            "assignee_id",
            "account_id",
            "contact_id",
            "product_id",
            "sla_state",
            "customer_tier",
            "opened_at",
            "resolved_at",
            "resolution_due_at",
            "created_at",
            "updated_at",
            "external_id",
            "source",
        ),
        sort_fields=(
            "opened_at",
            "resolved_at",
            "resolution_due_at",
            "first_response_due_at",
            "created_at",
            "updated_at",
            "subject",
        ),
        default_sort="-opened_at",
        normalizers=(
            required_fields("subject", "status", "priority"),
            utc_times("opened_at", "resolved_at"),
            choices(status=TICKET_STATUSES, priority=TICKET_PRIORITIES),
            ticket_workflow,
            ticket_times,
            owner_reference(),
            references(
                account_id=Account, contact_id=Contact, product_id=Product, assignee_id=User
            ),
            # After the reference checks, so an unknown assignee is reported as assignee_id.
            assignee_is_owner,
            custom_fields("tickets"),
            desk_values,
        ),
        after_write=(desk_effects,),
        # NOTE: generic writes accept any channel text, so a channel outside this list has no label.
        open_choice_fields=("channel",),
        choice_fields={
            "status": TICKET_STATUSES,
            "priority": TICKET_PRIORITIES,
            "channel": TICKET_CHANNELS,
            "sla_state": SLA_STATES,
            "category_source": CATEGORY_SOURCES,
        },
    )
)
