"""The consent ledger, the suppression list, tenant marketing settings and signed links.

Consent is kept per contact, channel and purpose as an append-only ledger: a
change adds a line with its source, time, wording version and proof, and the
newest line is the one in force. Nothing here sends; ``gate.py`` reads this
state at the moment each message would leave.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.errors import InvalidInput, NotFound
from zhike.core.timeutil import utc_now
from zhike.customers.models import Contact
from zhike.marketing.automation_models import (
    CHANNELS,
    PURPOSES,
    ConsentEntry,
    MarketingSettings,
    Suppression,
)
from zhike.security.access import require
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

CONFIRMATION_DAYS = 7


# -- settings and signing ---------------------------------------------------------


def tenant_settings(session: Session, tenant_id: uuid.UUID) -> MarketingSettings:
    """Return the tenant's marketing settings, creating them (with a fresh key) on first use."""
    found = session.get(MarketingSettings, tenant_id)
    if found is None:
        found = MarketingSettings(tenant_id=tenant_id, signing_key=secrets.token_hex(32))
        session.add(found)
        session.flush()
    return found


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_token(settings: MarketingSettings, payload: dict[str, Any]) -> str:
    """Sign ``payload`` with the tenant's key (HMAC-SHA256); the tenant id travels in clear."""
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(bytes.fromhex(settings.signing_key), body.encode(), hashlib.sha256)
    return f"{settings.tenant_id.hex}.{body}.{_b64(mac.digest())}"


def token_tenant(token: str) -> uuid.UUID:
    """Return the tenant named by a signed link token, before its signature is checked."""
    try:
        return uuid.UUID(hex=token.split(".", 1)[0])
    except ValueError:
        raise InvalidInput("marketing_invalid_link") from None


def verify_token(session: Session, token: str, kind: str) -> dict[str, Any]:
    """Return the payload of a link token of ``kind`` or raise when forged, altered or expired."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidInput("marketing_invalid_link")
    settings = session.get(MarketingSettings, token_tenant(token))
    if settings is None:
        raise InvalidInput("marketing_invalid_link")
    expected = hmac.new(bytes.fromhex(settings.signing_key), parts[1].encode(), hashlib.sha256)
    try:
        given = _unb64(parts[2])
        payload = json.loads(_unb64(parts[1]))
    except (ValueError, json.JSONDecodeError):
        raise InvalidInput("marketing_invalid_link") from None
    if not hmac.compare_digest(expected.digest(), given) or payload.get("k") != kind:
        raise InvalidInput("marketing_invalid_link")
    expires = payload.get("e")
    if isinstance(expires, int) and expires < int(utc_now().timestamp()):
        raise InvalidInput("marketing_link_expired")
    return dict(payload)


def unsubscribe_token(
    session: Session,
    contact_id: uuid.UUID,
    tenant_id: uuid.UUID,
    channel: str,
    purpose: str,
    send_id: uuid.UUID | None = None,
) -> str:
    """Sign a one-click unsubscribe link; ``send_id`` credits the unsubscribe to its message.

    The link expires at the first UTC midnight after ``unsubscribe_link_days``
    days. Tokens signed on the same day are therefore identical, so a message
    delivered again after a crash has the same text, which channels that
    detect repeats by content (WeCom's duplicate check) can drop.
    """
    settings = tenant_settings(session, tenant_id)
    later = utc_now() + timedelta(days=settings.unsubscribe_link_days)
    expires = datetime.combine(later.date() + timedelta(days=1), time(0), tzinfo=UTC)
    payload: dict[str, Any] = {
        "k": "unsubscribe",
        "c": contact_id.hex,
        "ch": channel,
        "p": purpose,
        "e": int(expires.timestamp()),
    }
    if send_id is not None:
        payload["s"] = send_id.hex
    return sign_token(settings, payload)


def unsubscribe_url(session: Session, tenant_id: uuid.UUID, token: str) -> str:
    base = tenant_settings(session, tenant_id).public_base_url.rstrip("/")
    return f"{base}/api/v1/marketing/unsubscribe/{token}"


# -- the ledger -------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentInput:
    contact_id: uuid.UUID
    channel: str
    purpose: str
    status: str
    source: str
    wording_version: str
    proof: dict[str, Any]


def _check_key(channel: str, purpose: str) -> None:
    if channel not in CHANNELS:
        raise InvalidInput("marketing_unknown_channel", channel=channel, known=", ".join(CHANNELS))
    if purpose not in PURPOSES:
        raise InvalidInput("marketing_unknown_purpose", purpose=purpose, known=", ".join(PURPOSES))


def _contact(session: Session, actor: Actor, contact_id: uuid.UUID) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.tenant_id != actor.tenant_id or contact.deleted_at is not None:
        raise NotFound("record_not_found", object="contacts", id=str(contact_id))
    return contact


def record_consent(
    session: Session, actor: Actor, entry: ConsentInput
) -> tuple[ConsentEntry, str | None]:
    """Add a ledger line; a grant on a double opt-in channel stays pending until confirmed.

    Returns the line and, for a pending grant, the confirmation token to email.
    """
    require(actor, "consents", "create")
    _check_key(entry.channel, entry.purpose)
    if entry.status not in ("granted", "withdrawn"):
        raise InvalidInput(
            "marketing_invalid_consent_status", status=entry.status, known="granted, withdrawn"
        )
    _contact(session, actor, entry.contact_id)
    settings = tenant_settings(session, actor.tenant_id)
    status = entry.status
    token = None
    digest = None
    if status == "granted" and entry.channel in settings.double_opt_in_channels:
        status = "pending"
        expires = utc_now() + timedelta(days=CONFIRMATION_DAYS)
        nonce = secrets.token_hex(8)
        token = sign_token(settings, {"k": "confirm", "n": nonce, "e": int(expires.timestamp())})
        digest = hashlib.sha256(token.encode()).hexdigest()
    line = ConsentEntry(
        tenant_id=actor.tenant_id,
        contact_id=entry.contact_id,
        channel=entry.channel,
        purpose=entry.purpose,
        status=status,
        source=entry.source,
        wording_version=entry.wording_version,
        proof=entry.proof,
        recorded_by=actor.user_id,
        confirmation_digest=digest,
    )
    session.add(line)
    session.flush()
    if status == "withdrawn":
        _suppress_if_all_withdrawn(session, actor.tenant_id, entry.contact_id, entry.channel)
    _audit(session, actor, line)
    return line, token


def confirm_consent(session: Session, token: str) -> ConsentEntry:
    """Turn a pending grant into a granted one: the double opt-in click."""
    verify_token(session, token, "confirm")
    digest = hashlib.sha256(token.encode()).hexdigest()
    pending = session.scalars(
        select(ConsentEntry).where(ConsentEntry.confirmation_digest == digest)
    ).first()
    if pending is None:
        raise InvalidInput("marketing_invalid_link")
    current = current_consent(
        session, pending.tenant_id, pending.contact_id, pending.channel, pending.purpose
    )
    if current is not None and current.id != pending.id:
        # A later line (a withdrawal, or a confirmation already made) wins over an old link.
        return current
    line = ConsentEntry(
        tenant_id=pending.tenant_id,
        contact_id=pending.contact_id,
        channel=pending.channel,
        purpose=pending.purpose,
        status="granted",
        source="double_opt_in",
        wording_version=pending.wording_version,
        proof={**pending.proof, "confirmed_entry": str(pending.id)},
    )
    session.add(line)
    session.flush()
    return line


def withdraw_by_link(session: Session, token: str) -> ConsentEntry:
    """Apply a one-click unsubscribe: a withdrawal line and a suppression, in this transaction."""
    payload = verify_token(session, token, "unsubscribe")
    tenant_id = token_tenant(token)
    contact_id = uuid.UUID(hex=str(payload["c"]))
    channel, purpose = str(payload["ch"]), str(payload["p"])
    line = ConsentEntry(
        tenant_id=tenant_id,
        contact_id=contact_id,
        channel=channel,
        purpose=purpose,
        status="withdrawn",
        source="unsubscribe_link",
        wording_version="-",
        proof={"token_digest": hashlib.sha256(token.encode()).hexdigest()[:16]},
    )
    session.add(line)
    session.flush()
    _suppress_if_all_withdrawn(session, tenant_id, contact_id, channel)
    from zhike.marketing.automation_models import MessageSend
    from zhike.marketing.engagement import add_event

    links: dict[str, Any] = {}
    send = session.get(MessageSend, uuid.UUID(hex=str(payload["s"]))) if payload.get("s") else None
    if send is not None and send.tenant_id == tenant_id:
        links = {
            "campaign_id": send.campaign_id,
            "journey_id": send.journey_id,
            "step_id": send.step_id,
            "send_id": send.id,
            "variant": send.variant,
        }
    add_event(
        session,
        tenant_id,
        "unsubscribed",
        contact_id=contact_id,
        details={"channel": channel, "purpose": purpose},
        **links,
    )
    logger.info("unsubscribed by link", extra={"contact_id": str(contact_id), "channel": channel})
    return line


def current_consent(
    session: Session, tenant_id: uuid.UUID, contact_id: uuid.UUID, channel: str, purpose: str
) -> ConsentEntry | None:
    return session.scalars(
        select(ConsentEntry)
        .where(
            ConsentEntry.tenant_id == tenant_id,
            ConsentEntry.contact_id == contact_id,
            ConsentEntry.channel == channel,
            ConsentEntry.purpose == purpose,
        )
        .order_by(ConsentEntry.recorded_at.desc(), ConsentEntry.id.desc())
        .limit(1)
    ).first()


def consent_status(
    session: Session, tenant_id: uuid.UUID, contact_id: uuid.UUID, channel: str, purpose: str
) -> str | None:
    """Return the status in force (of the newest ledger line, as ids sort by creation), or None."""
    status: str | None = session.scalar(
        select(ConsentEntry.status)
        .where(
            ConsentEntry.tenant_id == tenant_id,
            ConsentEntry.contact_id == contact_id,
            ConsentEntry.channel == channel,
            ConsentEntry.purpose == purpose,
        )
        .order_by(ConsentEntry.id.desc())
        .limit(1)
    )
    return status


def consent_ledger(session: Session, actor: Actor, contact_id: uuid.UUID) -> list[ConsentEntry]:
    require(actor, "consents", "read")
    _contact(session, actor, contact_id)
    return list(
        session.scalars(
            select(ConsentEntry)
            .where(ConsentEntry.tenant_id == actor.tenant_id, ConsentEntry.contact_id == contact_id)
            .order_by(ConsentEntry.recorded_at, ConsentEntry.id)
        )
    )


def _suppress_if_all_withdrawn(
    session: Session, tenant_id: uuid.UUID, contact_id: uuid.UUID, channel: str
) -> None:
    """Suppress the contact's address once no purpose on the channel is granted any more."""
    for purpose in PURPOSES:
        line = current_consent(session, tenant_id, contact_id, channel, purpose)
        if line is not None and line.status == "granted":
            return
    contact = session.get(Contact, contact_id)
    address = address_for(contact, channel) if contact is not None else None
    if address:
        add_suppression(session, tenant_id, channel, address, "unsubscribed", contact_id)


def _audit(session: Session, actor: Actor, line: ConsentEntry) -> None:
    record_event(
        session,
        actor,
        f"consent.{line.status}",
        object_name="consents",
        record_id=line.id,
        details={
            "contact_id": str(line.contact_id),
            "channel": line.channel,
            "purpose": line.purpose,
            "source": line.source,
            "wording_version": line.wording_version,
        },
    )


# -- addresses and suppression -----------------------------------------------------


def normalize_address(channel: str, address: str) -> str:
    """Lower-case emails; reduce mobiles to digits without the +86 prefix SMS gateways refuse."""
    text = address.strip()
    if channel == "email":
        return text.lower()
    if channel in ("sms", "phone"):
        digits = text.replace(" ", "").replace("-", "")
        return digits[3:] if digits.startswith("+86") else digits
    return text


def address_for(contact: Contact, channel: str) -> str | None:
    """Return the contact's address on ``channel``: email, mobile, or the WeCom user id."""
    return address_from(channel, contact.email, contact.mobile, contact.phone, contact.custom)


def address_from(
    channel: str,
    email: str | None,
    mobile: str | None,
    phone: str | None,
    custom: dict[str, Any] | None,
) -> str | None:
    """Return the address on ``channel`` from a contact's fields, for callers without the row."""
    if channel == "email":
        value = email
    elif channel in ("sms", "phone"):
        value = mobile or (phone if channel == "phone" else None)
    elif channel == "wecom":
        raw = (custom or {}).get("wecom_user_id")
        value = str(raw) if raw else None
    else:
        value = None
    return normalize_address(channel, value) if value else None


def add_suppression(
    session: Session,
    tenant_id: uuid.UUID,
    channel: str,
    address: str,
    reason: str,
    contact_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> Suppression:
    """Suppress ``address`` on ``channel``; an address already suppressed keeps its first reason."""
    normalized = normalize_address(channel, address)
    found = session.scalars(
        select(Suppression).where(
            Suppression.tenant_id == tenant_id,
            Suppression.channel == channel,
            Suppression.address == normalized,
        )
    ).first()
    if found is not None:
        return found
    row = Suppression(
        tenant_id=tenant_id,
        channel=channel,
        address=normalized,
        reason=reason,
        contact_id=contact_id,
        details=details or {},
    )
    session.add(row)
    session.flush()
    logger.info("address suppressed", extra={"channel": channel, "reason": reason})
    return row


def suppress_manually(
    session: Session, actor: Actor, channel: str, address: str, note: str | None
) -> Suppression:
    require(actor, "consents", "update")
    if channel not in CHANNELS:
        raise InvalidInput("marketing_unknown_channel", channel=channel, known=", ".join(CHANNELS))
    if not address.strip():
        raise InvalidInput("marketing_address_required")
    row = add_suppression(
        session, actor.tenant_id, channel, address, "manual", details={"note": note or ""}
    )
    record_event(
        session,
        actor,
        "suppression.add",
        object_name="consents",
        record_id=row.id,
        details={"channel": channel, "reason": row.reason},
    )
    return row


def remove_suppression(session: Session, actor: Actor, suppression_id: uuid.UUID) -> None:
    require(actor, "consents", "delete")
    row = session.get(Suppression, suppression_id)
    if row is None or row.tenant_id != actor.tenant_id:
        raise NotFound("marketing_suppression_not_found", id=str(suppression_id))
    record_event(
        session,
        actor,
        "suppression.remove",
        object_name="consents",
        record_id=row.id,
        details={"channel": row.channel, "reason": row.reason},
    )
    session.delete(row)
    session.flush()


def list_suppressions(session: Session, actor: Actor, limit: int = 200) -> list[Suppression]:
    require(actor, "consents", "read")
    return list(
        session.scalars(
            select(Suppression)
            .where(Suppression.tenant_id == actor.tenant_id)
            .order_by(Suppression.created_at.desc())
            .limit(limit)
        )
    )


def is_suppressed(session: Session, tenant_id: uuid.UUID, channel: str, address: str) -> bool:
    return (
        session.scalar(
            select(Suppression.id).where(
                Suppression.tenant_id == tenant_id,
                Suppression.channel == channel,
                Suppression.address == normalize_address(channel, address),
            )
        )
        is not None
    )
