"""Memory across sessions and channels: recognising a customer and remembering interactions.

A customer is recognised by contact id, account id, mobile or phone number
(normalized as the contact records store them) or email. Interactions are stored
as activities through the record service, with ``source`` set to the channel they
came from, so the afternoon's phone call sees the morning's web chat, and the
same permissions, audit and timeline apply as to any activity.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhike.ai.context.schemas import Customer, InteractionCreate, InteractionRead, Subject
from zhike.core.errors import NotFound
from zhike.core.ids import new_id
from zhike.customers.matching.chinese import email_key, mobile_key
from zhike.customers.models import Account, Contact
from zhike.platform.objects import get_object
from zhike.platform.records import RecordService
from zhike.sales.models import Opportunity
from zhike.security.access import grant_for, scope_select
from zhike.security.context import Actor
from zhike.service.models import Ticket

logger = logging.getLogger(__name__)

# Activity kinds for the channels an interaction arrives on; others become notes.
CHANNEL_KINDS = {
    "phone": "call",
    "call": "call",
    "email": "email",
    "visit": "visit",
    "meeting": "meeting",
}


def _readable(session: Session, actor: Actor, model: Any, record_id: uuid.UUID) -> Any:
    object_name = {
        Contact: "contacts",
        Account: "accounts",
        Opportunity: "opportunities",
        Ticket: "tickets",
    }[model]
    if grant_for(actor, object_name) is None:
        return None
    return session.scalar(scope_select(actor, model, select(model)).where(model.id == record_id))


def _contact_by_address(
    session: Session, actor: Actor, phone: str | None, email: str | None
) -> Contact | None:
    if grant_for(actor, "contacts") is None:
        return None
    conditions = []
    if phone:
        forms = {phone.strip(), *(key for key in (mobile_key(phone),) if key)}
        conditions.extend([Contact.mobile.in_(forms), Contact.phone.in_(forms)])
    if email:
        forms = {email.strip(), *(key for key in (email_key(email),) if key)}
        conditions.append(Contact.email.in_(forms))
    if not conditions:
        return None
    statement = scope_select(actor, Contact, select(Contact)).where(or_(*conditions))
    # The most recently updated match wins when two contacts share a number.
    return session.scalars(statement.order_by(Contact.updated_at.desc()).limit(1)).first()


def recognise_customer(session: Session, actor: Actor, subject: Subject) -> Customer | None:
    """Find the contact and account ``subject`` names, as far as the actor may read them."""
    contact: Contact | None = None
    account: Account | None = None
    matched_by = ""
    if subject.contact_id:
        contact = _readable(session, actor, Contact, subject.contact_id)
        matched_by = "contact_id"
    if contact is None and subject.ticket_id:
        ticket = _readable(session, actor, Ticket, subject.ticket_id)
        if ticket is not None:
            matched_by = "ticket"
            contact = (
                _readable(session, actor, Contact, ticket.contact_id) if ticket.contact_id else None
            )
            account = (
                _readable(session, actor, Account, ticket.account_id) if ticket.account_id else None
            )
    if contact is None and subject.opportunity_id:
        deal = _readable(session, actor, Opportunity, subject.opportunity_id)
        if deal is not None:
            matched_by = "opportunity"
            contact = (
                _readable(session, actor, Contact, deal.contact_id) if deal.contact_id else None
            )
            account = (
                _readable(session, actor, Account, deal.account_id) if deal.account_id else None
            )
    if contact is None and (subject.phone or subject.email):
        contact = _contact_by_address(session, actor, subject.phone, subject.email)
        matched_by = "phone" if subject.phone else "email"
    if account is None and subject.account_id:
        account = _readable(session, actor, Account, subject.account_id)
        matched_by = matched_by or "account_id"
    if account is None and contact is not None and contact.account_id:
        account = _readable(session, actor, Account, contact.account_id)
    if contact is None and account is None:
        return None
    return Customer(
        contact_id=contact.id if contact else None,
        contact_name=contact.name if contact else None,
        account_id=account.id if account else None,
        account_name=account.name if account else None,
        matched_by=matched_by or "record",
    )


def remember_interaction(
    session: Session, actor: Actor, data: InteractionCreate
) -> InteractionRead:
    """Store an interaction as an activity of the recognised customer, or raise 404."""
    customer = recognise_customer(session, actor, data.subject)
    if customer is None:
        shown = (
            data.subject.contact_id
            or data.subject.account_id
            or data.subject.phone
            or data.subject.email
        )
        raise NotFound("assistant_unknown_customer", value=str(shown))
    channel = data.channel.strip().lower()
    values: dict[str, Any] = {
        "kind": CHANNEL_KINDS.get(channel, "note"),
        "subject": data.summary,
        "body": data.details,
        "status": "done",
        "account_id": customer.account_id,
        "contact_id": customer.contact_id,
        "ticket_id": data.ticket_id,
        "source": channel,
        # One session contains many interactions, so the channel id is the session plus a suffix.
        "external_id": f"{data.session_id}#{new_id().hex[-12:]}" if data.session_id else None,
    }
    service = RecordService(session, actor, get_object("activities"))
    activity = service.create({name: value for name, value in values.items() if value is not None})
    logger.info(
        "interaction remembered",
        extra={
            "activity_id": str(activity.id),
            "channel": channel,
            "matched_by": customer.matched_by,
        },
    )
    return InteractionRead(activity_id=activity.id, customer=customer)
