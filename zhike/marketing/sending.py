"""Send requests and their dispatch: every marketing message passes here and through the gate.

A path that wants to message a contact (a journey step, a campaign send, the
API, an agent tool) calls ``request_send``, which stores a ``MessageSend``
under a unique send key, so a repeated request never sends twice. ``dispatch_send``
reads the gate's facts, calls ``gate.decide``, and only on ``allow`` renders
the content and hands the message to the channel. Dispatch in the background
(``dispatch_due``) claims a batch of rows before delivering them and commits
their outcomes together, so a worker killed mid-batch leaves them claimed, and
the next run retries them with the same idempotency key.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from zhike.core.db import Database
from zhike.core.errors import InvalidInput, NotFound
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now
from zhike.customers.models import Account, Contact
from zhike.marketing.automation_models import (
    CHANNELS,
    PURPOSES,
    MarketingSettings,
    MessageSend,
    MessageTemplate,
)
from zhike.marketing.channels import Channel, OutboundMessage, channel_for
from zhike.marketing.consent import (
    add_suppression,
    sign_token,
    tenant_settings,
    unsubscribe_token,
    unsubscribe_url,
    verify_token,
)
from zhike.marketing.engagement import add_event
from zhike.marketing.gate import (
    FACTS_MAX_AGE_SECONDS,
    GateDecision,
    GateFacts,
    decide,
    read_gate_facts,
)
from zhike.marketing.models import CampaignMember
from zhike.marketing.templates import merge_data, render
from zhike.security.access import require
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

SEND_PATHS = ("journey", "campaign", "api", "agent")
MAX_ATTEMPTS = 5
# A claimed row older than this belongs to a worker that died; it is retried.
CLAIM_TIMEOUT = timedelta(minutes=5)
FINAL_STATUSES = ("sent", "blocked", "bounced")
_LINK = re.compile(r'href="(https?://[^"]+)"')


@dataclass
class SendRequest:
    contact_id: uuid.UUID
    channel: str
    purpose: str
    send_key: str
    path: str
    subject: str | None = None
    body: str | None = None
    template_id: uuid.UUID | None = None
    campaign_id: uuid.UUID | None = None
    journey_id: uuid.UUID | None = None
    step_id: str | None = None
    variant: str | None = None
    scheduled_at: datetime | None = None


def request_send(
    session: Session, actor: Actor, request: SendRequest, *, key_checked: bool = False
) -> MessageSend:
    """Store a send request once per send key; a repeat returns the stored request.

    ``key_checked`` skips the lookup of the key for a caller that has read the
    stored keys of its batch already. A key stored meanwhile by another worker
    still fails the unique constraint at flush.
    """
    require(actor, "marketing_messages", "create")
    if request.path not in SEND_PATHS:
        raise InvalidInput("marketing_unknown_path", path=request.path)
    if request.channel not in CHANNELS:
        raise InvalidInput(
            "marketing_unknown_channel", channel=request.channel, known=", ".join(CHANNELS)
        )
    if request.purpose not in PURPOSES:
        raise InvalidInput(
            "marketing_unknown_purpose", purpose=request.purpose, known=", ".join(PURPOSES)
        )
    if request.template_id is None and not request.body:
        raise InvalidInput("marketing_send_needs_content")
    if not key_checked:
        existing = session.scalars(
            select(MessageSend).where(
                MessageSend.tenant_id == actor.tenant_id, MessageSend.send_key == request.send_key
            )
        ).first()
        if existing is not None:
            return existing
    row = MessageSend(
        id=new_id(),
        tenant_id=actor.tenant_id,
        send_key=request.send_key,
        path=request.path,
        contact_id=request.contact_id,
        channel=request.channel,
        purpose=request.purpose,
        template_id=request.template_id,
        subject=request.subject,
        body=request.body,
        campaign_id=request.campaign_id,
        journey_id=request.journey_id,
        step_id=request.step_id,
        variant=request.variant,
        scheduled_at=request.scheduled_at or utc_now(),
        requested_by=actor.user_id,
    )
    # Not flushed here: a journey batch requests many sends and flushes them together.
    session.add(row)
    return row


def _content(
    session: Session, send: MessageSend, contact: Contact, link: str
) -> tuple[str | None, str]:
    subject, body = send.subject, send.body or ""
    if send.template_id is not None:
        template = session.get(MessageTemplate, send.template_id)
        if template is None or template.tenant_id != send.tenant_id:
            raise InvalidInput("marketing_template_not_found", id=str(send.template_id))
        subject, body = template.subject, template.body
    data = merge_data(session, contact, {"unsubscribe_url": link})
    rendered_subject = render(subject, data, html=False) if subject else None
    return rendered_subject, render(body, data, html=send.channel == "email")


def _unsubscribe_link(session: Session, send: MessageSend, contact: Contact) -> str:
    token = unsubscribe_token(
        session, contact.id, send.tenant_id, send.channel, send.purpose, send.id
    )
    return unsubscribe_url(session, send.tenant_id, token)


def _tracked_html(session: Session, send: MessageSend, html: str) -> str:
    settings = tenant_settings(session, send.tenant_id)
    base = settings.public_base_url.rstrip("/") + "/api/v1/marketing/t"

    def click(match: re.Match[str]) -> str:
        token = sign_token(settings, {"k": "click", "s": send.id.hex, "u": match.group(1)})
        return f'href="{base}/c/{token}"'

    pixel = sign_token(settings, {"k": "open", "s": send.id.hex})
    tracked = _LINK.sub(click, html)
    return tracked + f'<img src="{base}/o/{pixel}" width="1" height="1" alt="">'


def _outbound(
    session: Session, send: MessageSend, contact: Contact, address: str
) -> OutboundMessage:
    link = _unsubscribe_link(session, send, contact)
    subject, body = _content(session, send, contact, link)
    send.subject = subject
    send.body = body
    message = OutboundMessage(send.send_key, send.channel, address, subject, body)
    if send.channel == "email":
        message.html = _tracked_html(session, send, body)
        message.text = re.sub(r"<[^>]+>", "", body)
        # RFC 8058 one-click unsubscribe: mail clients POST to the link without a page.
        message.headers["List-Unsubscribe"] = f"<{link}>"
        message.headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def dispatch_send(
    session: Session,
    send: MessageSend,
    now: datetime | None = None,
    channels: dict[str, Channel] | None = None,
) -> MessageSend:
    """Deliver one send request if the gate allows it, and record the outcome on the row."""
    now = now or utc_now()
    if send.status in FINAL_STATUSES:
        return send
    settings = tenant_settings(session, send.tenant_id)
    with session.no_autoflush:
        facts = read_gate_facts(session, [send], {send.tenant_id: settings}, now)
        decision = decide(facts, settings, send, now)
        contact = session.get(Contact, send.contact_id) if decision.outcome == "allow" else None
        bounce = _apply_decision(session, send, decision, contact, now, channels)
    if bounce is not None:
        _record_bounce(session, send, *bounce)
    return send


def _apply_decision(
    session: Session,
    send: MessageSend,
    decision: GateDecision,
    contact: Contact | None,
    now: datetime,
    channels: dict[str, Channel] | None,
) -> tuple[str, str] | None:
    """Act on the gate's decision: deliver on ``allow`` and note the outcome on the row.

    Flushes nothing, so the outcome and a delivery's campaign touch reach the
    database when the caller commits. Returns the address and detail of a
    bounce, which the caller records with ``_record_bounce``.
    """
    send.address = decision.address
    if decision.outcome == "block":
        send.status, send.reason = "blocked", decision.reason
        return None
    if decision.outcome == "defer":
        send.status, send.reason = "deferred", decision.reason
        send.scheduled_at = decision.until or now
        return None
    assert contact is not None
    assert decision.address is not None
    channel = (channels or {}).get(send.channel) or channel_for(
        session, send.tenant_id, send.channel
    )
    if channels is not None:
        channels.setdefault(send.channel, channel)
    message = _outbound(session, send, contact, decision.address)
    result = channel.send(message)
    send.attempts += 1
    if result.status == "sent":
        send.status, send.reason, send.sent_at = "sent", None, now
        send.provider_message_id = result.provider_message_id
        _touch(session, send, now)
        return None
    if result.status == "bounced":
        send.status, send.reason = "bounced", (result.detail or "bounced")[:60]
        return decision.address, result.detail or ""
    retry = send.attempts < MAX_ATTEMPTS
    send.status = "queued" if retry else "failed"
    send.reason = (result.detail or "failed")[:60]
    send.scheduled_at = now + timedelta(minutes=2**send.attempts)
    return None


def _record_bounce(session: Session, send: MessageSend, address: str, detail: str) -> None:
    add_suppression(
        session,
        send.tenant_id,
        send.channel,
        address,
        "hard_bounce",
        send.contact_id,
        {"detail": detail},
    )
    _event(session, send, "bounced")


def _event(session: Session, send: MessageSend, kind: str, **details: Any) -> None:
    add_event(
        session,
        send.tenant_id,
        kind,
        contact_id=send.contact_id,
        details=details,
        campaign_id=send.campaign_id,
        journey_id=send.journey_id,
        step_id=send.step_id,
        send_id=send.id,
        variant=send.variant,
    )


def _touch(session: Session, send: MessageSend, now: datetime) -> None:
    """Record the delivery as a campaign touch, the input of attribution."""
    if send.campaign_id is None:
        return
    session.add(
        CampaignMember(
            tenant_id=send.tenant_id,
            campaign_id=send.campaign_id,
            contact_id=send.contact_id,
            status="sent",
            touched_at=now,
            source="marketing_send",
            external_id=send.id.hex,
        )
    )


def _claim_due(database: Database, limit: int, now: datetime) -> list[uuid.UUID]:
    """Mark up to ``limit`` due rows ``sending`` in a committed transaction and return their ids."""
    with database.session() as session:
        due = list(
            session.scalars(
                select(MessageSend.id)
                .where(
                    or_(
                        (MessageSend.status.in_(("queued", "deferred")))
                        & (MessageSend.scheduled_at <= now),
                        (MessageSend.status == "sending")
                        & (MessageSend.scheduled_at <= now - CLAIM_TIMEOUT),
                    )
                )
                .order_by(MessageSend.scheduled_at, MessageSend.id)
                .limit(limit)
            )
        )
        if due:
            session.execute(
                update(MessageSend)
                .where(MessageSend.id.in_(due))
                .values(status="sending", scheduled_at=now)
            )
    return due


def dispatch_due(
    database: Database,
    limit: int = 500,
    now: datetime | None = None,
    channels: dict[str, Channel] | None = None,
    facts_max_age: float = FACTS_MAX_AGE_SECONDS,
) -> int:
    """Deliver due sends in one claimed batch and commit their outcomes together.

    Returns how many rows were handled. The claim (status ``sending``) is
    committed before any delivery. The gate's facts are read for the batch in
    a few queries, and read again before a send once they are older than
    ``facts_max_age`` seconds. While delivering, the session writes nothing, so
    it holds no lock that would delay an unsubscribe. A worker killed
    mid-batch leaves every row of the batch ``sending``. After
    ``CLAIM_TIMEOUT`` they are delivered again with the same send key as
    idempotency key, which each channel passes on for the provider to drop
    the repeat, so no message goes out under a second key.
    """
    now = now or utc_now()
    channels = {} if channels is None else channels
    due = _claim_due(database, limit, now)
    if not due:
        return 0
    with database.session() as session:
        sends = list(
            session.scalars(
                select(MessageSend).where(MessageSend.id.in_(due)).order_by(MessageSend.id)
            )
        )
        settings = {
            tenant_id: tenant_settings(session, tenant_id)
            for tenant_id in {send.tenant_id for send in sends}
        }
        # Creating settings on first use is a write, so commit it before delivering.
        session.commit()
        bounces: list[tuple[MessageSend, str, str]] = []
        with session.no_autoflush:
            # Rendering reads these rows, and the gate reads fresh columns of its own.
            contacts = {
                contact.id: contact
                for contact in session.scalars(
                    select(Contact).where(Contact.id.in_({send.contact_id for send in sends}))
                )
            }
            # Held so that rendering finds each contact's account in the identity map.
            accounts = _load_accounts(session, contacts.values())
            facts = read_gate_facts(session, sends, settings, now)
            for index, send in enumerate(sends):
                if facts.age() > facts_max_age:
                    fresh = read_gate_facts(session, sends[index:], settings, now)
                    fresh.carry_uncommitted(facts)
                    facts = fresh
                bounce = _deliver_in_batch(
                    session, send, facts, settings, contacts.get(send.contact_id), now, channels
                )
                if bounce is not None:
                    bounces.append((send, *bounce))
        for send, address, detail in bounces:
            _record_bounce(session, send, address, detail)
        del accounts
    return len(due)


def _deliver_in_batch(
    session: Session,
    send: MessageSend,
    facts: GateFacts,
    settings: dict[uuid.UUID, MarketingSettings],
    contact: Contact | None,
    now: datetime,
    channels: dict[str, Channel],
) -> tuple[str, str] | None:
    try:
        decision = decide(facts, settings[send.tenant_id], send, now)
        bounce = _apply_decision(session, send, decision, contact, now, channels)
    except InvalidInput as error:
        send.status, send.reason = "failed", error.code[:60]
        logger.warning("send failed", extra={"send_id": str(send.id), "code": error.code})
        return None
    if send.status == "sent":
        facts.note_sent(send)
    if bounce is not None:
        facts.note_suppressed(send.tenant_id, send.channel, bounce[0])
    return bounce


def _load_accounts(session: Session, contacts: Iterable[Contact]) -> list[Account]:
    account_ids = {contact.account_id for contact in contacts if contact.account_id is not None}
    if not account_ids:
        return []
    return list(session.scalars(select(Account).where(Account.id.in_(account_ids))))


def send_now(
    session: Session, actor: Actor, request: SendRequest, channels: dict[str, Channel] | None = None
) -> MessageSend:
    """Request a send and dispatch it in the caller's transaction (the API and agent path)."""
    send = request_send(session, actor, request)
    return dispatch_send(session, send, channels=channels)


def get_send(session: Session, actor: Actor, send_id: uuid.UUID) -> MessageSend:
    require(actor, "marketing_messages", "read")
    send = session.get(MessageSend, send_id)
    if send is None or send.tenant_id != actor.tenant_id:
        raise NotFound("marketing_send_not_found", id=str(send_id))
    return send


# -- tracking, bounces and complaints -----------------------------------------------


def _send_from_token(session: Session, token: str, kind: str) -> tuple[MessageSend, dict[str, Any]]:
    payload = verify_token(session, token, kind)
    send = session.get(MessageSend, uuid.UUID(hex=str(payload["s"])))
    if send is None:
        raise InvalidInput("marketing_invalid_link")
    return send, payload


def track_open(session: Session, token: str) -> None:
    send, _ = _send_from_token(session, token, "open")
    _event(session, send, "opened")


def track_click(session: Session, token: str) -> str:
    """Record a click and return the link's target, which the signature vouches for."""
    send, payload = _send_from_token(session, token, "click")
    url = str(payload["u"])
    _event(session, send, "clicked", url=url[:500])
    return url


def record_feedback(
    session: Session, tenant_id: uuid.UUID, kind: str, address: str, send_key: str | None
) -> None:
    """Apply a bounce or complaint report from the mail provider: suppress and log the event."""
    if kind not in ("bounce", "complaint"):
        raise InvalidInput("marketing_unknown_feedback", kind=kind)
    send = None
    if send_key:
        send = session.scalars(
            select(MessageSend).where(
                MessageSend.tenant_id == tenant_id, MessageSend.send_key == send_key
            )
        ).first()
    add_suppression(
        session,
        tenant_id,
        "email",
        address,
        "hard_bounce" if kind == "bounce" else "complaint",
        send.contact_id if send is not None else None,
    )
    if send is not None:
        if kind == "bounce":
            send.status, send.reason = "bounced", "reported"
        _event(session, send, "bounced" if kind == "bounce" else "complained")
