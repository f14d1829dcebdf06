"""Agent email through the marketing send gate: consent, suppression, caps and quiet hours.

An agent's message to a customer is recorded as a ``MessageSend`` on the
``agent`` path and checked by ``marketing.gate.evaluate_send``, the same check
that campaigns and journeys pass, so a withdrawn consent, a suppressed address
or a do-not-contact flag stops it. Only an allowed message reaches the agent's
SMTP server. The recipient must be a contact of the tenant, because consent is
recorded per contact. A lead or an address without a contact is blocked with
``contact_missing``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhike.ai.agents.connectors import Mailer
from zhike.core.i18n import translate
from zhike.core.ids import new_id
from zhike.customers.models import Contact
from zhike.marketing.automation_models import MessageSend
from zhike.marketing.consent import (
    normalize_address,
    tenant_settings,
    unsubscribe_token,
    unsubscribe_url,
)
from zhike.marketing.gate import evaluate_send
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

CHANNEL = "email"


@dataclass(frozen=True)
class GatedEmail:
    """Outcome of one agent email: ``sent`` or ``blocked``, with the gate's reason."""

    status: str
    reason: str | None
    contact_id: uuid.UUID | None
    send_id: uuid.UUID | None
    message_id: str | None = None
    until: datetime | None = None


def find_contact(
    session: Session, tenant_id: uuid.UUID, recipient: str, contact_id: uuid.UUID | None
) -> Contact | None:
    """Return the contact the message is for: ``contact_id`` when given, else by email address."""
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.tenant_id != tenant_id or contact.deleted_at is not None:
            return None
        return contact
    address = normalize_address(CHANNEL, recipient)
    return session.scalars(
        select(Contact)
        .where(
            Contact.tenant_id == tenant_id,
            Contact.deleted_at.is_(None),
            func.lower(Contact.email) == address,
        )
        .order_by(Contact.id)
        .limit(1)
    ).first()


def send_gated_email(
    session: Session,
    actor: Actor,
    mailer: Mailer,
    *,
    send_key: str,
    recipient: str,
    contact_id: uuid.UUID | None,
    subject: str,
    body: str,
    purpose: str,
    now: datetime,
) -> GatedEmail:
    """Check one email with the send gate and deliver it only when the gate allows it.

    ``send_key`` makes a repeated call return the stored outcome without sending
    again. A delivery failure raises the mailer's ``ToolFailed`` and, with the
    caller's transaction rolled back, leaves no record, so the retry starts clean.
    """
    contact = find_contact(session, actor.tenant_id, recipient, contact_id)
    if contact is None:
        logger.info("agent email blocked", extra={"reason": "contact_missing", "key": send_key})
        return GatedEmail("blocked", "contact_missing", contact_id, None)
    send = session.scalars(
        select(MessageSend).where(
            MessageSend.tenant_id == actor.tenant_id, MessageSend.send_key == send_key
        )
    ).first()
    if send is not None and send.status in ("sent", "blocked"):
        return GatedEmail(
            send.status, send.reason, send.contact_id, send.id, send.provider_message_id
        )
    if send is None:
        send = MessageSend(
            id=new_id(),
            tenant_id=actor.tenant_id,
            send_key=send_key,
            path="agent",
            contact_id=contact.id,
            channel=CHANNEL,
            purpose=purpose,
            subject=subject,
            body=body,
            scheduled_at=now,
            requested_by=actor.user_id,
        )
        session.add(send)
        session.flush()
    settings = tenant_settings(session, actor.tenant_id)
    with session.no_autoflush:
        decision = evaluate_send(session, settings, send, now)
    send.address = decision.address
    if decision.outcome != "allow":
        # Quiet hours block an agent's message too: the run reports it rather than
        # leaving a deferred row for the campaign dispatcher, which uses another server.
        send.status, send.reason = "blocked", decision.reason
        logger.info(
            "agent email blocked",
            extra={"reason": decision.reason, "send_id": str(send.id), "key": send_key},
        )
        return GatedEmail("blocked", decision.reason, contact.id, send.id, until=decision.until)
    assert decision.address is not None
    message_id = f"<{send_key.replace(':', '.')}@agents.zhike>"
    link = unsubscribe_url(
        session,
        actor.tenant_id,
        unsubscribe_token(session, contact.id, actor.tenant_id, CHANNEL, purpose, send.id),
    )
    text = body + "\n\n" + translate("agents.email.unsubscribe", actor.locale, url=link)
    mailer.send(decision.address, subject, text, message_id)
    send.attempts += 1
    send.status, send.reason, send.sent_at = "sent", None, now
    send.provider_message_id = message_id
    return GatedEmail("sent", None, contact.id, send.id, message_id)
