"""The send gate: the one check between any marketing message and its channel.

``evaluate_send`` runs at the moment a message would leave, inside
``sending.dispatch_send``, which is the only caller of a channel. Journeys,
campaign sends, the API and agent tools all create send requests and reach a
channel only through that dispatch, so none of them can skip consent,
suppression, frequency caps or quiet hours. State is read from the database on
every call, with no cache, so an unsubscribe committed a moment ago already
blocks the next send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhike.core.timeutil import load_zone
from zhike.customers.models import Contact
from zhike.marketing.automation_models import MarketingSettings, MessageSend
from zhike.marketing.consent import address_for, consent_status, is_suppressed
from zhike.security.models import Tenant


@dataclass(frozen=True)
class GateDecision:
    """``allow``, ``block`` (with a reason) or ``defer`` (until a time, e.g. after quiet hours)."""

    outcome: str
    reason: str | None = None
    address: str | None = None
    until: datetime | None = None


def contact_zone(session: Session, contact: Contact) -> str:
    """Return the contact's time zone: its ``timezone`` custom field, else the tenant's."""
    zone = (contact.custom or {}).get("timezone")
    if isinstance(zone, str):
        try:
            load_zone(zone)
            return zone
        except ValueError:
            pass
    tenant = session.get(Tenant, contact.tenant_id)
    return tenant.timezone if tenant is not None else "Asia/Shanghai"


def quiet_until(settings: MarketingSettings, zone: str, now: datetime) -> datetime | None:
    """Return the end of quiet hours when ``now`` falls inside them in ``zone``, else None."""
    if not settings.quiet_hours_start or not settings.quiet_hours_end:
        return None
    start = time.fromisoformat(settings.quiet_hours_start)
    end = time.fromisoformat(settings.quiet_hours_end)
    local = now.astimezone(load_zone(zone))
    clock = local.time()
    # Quiet hours usually cross midnight (21:00-08:00); both forms are handled.
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    resume = datetime.combine(day, end, tzinfo=local.tzinfo)
    return resume.astimezone(now.tzinfo)


def evaluate_send(
    session: Session,
    settings: MarketingSettings,
    send: MessageSend,
    contact: Contact | None,
    now: datetime,
) -> GateDecision:
    if contact is None or contact.deleted_at is not None or contact.tenant_id != send.tenant_id:
        return GateDecision("block", "contact_missing")
    if contact.do_not_contact:
        return GateDecision("block", "do_not_contact")
    address = address_for(contact, send.channel)
    if not address:
        return GateDecision("block", "no_address")
    consent = consent_status(session, send.tenant_id, contact.id, send.channel, send.purpose)
    if consent is None or consent == "withdrawn":
        return GateDecision("block", "no_consent", address)
    if consent != "granted":
        return GateDecision("block", "consent_pending", address)
    if is_suppressed(session, send.tenant_id, send.channel, address):
        return GateDecision("block", "suppressed", address)
    if settings.frequency_cap > 0:
        since = now - timedelta(days=settings.frequency_window_days)
        recent = session.scalar(
            select(func.count(MessageSend.id)).where(
                MessageSend.tenant_id == send.tenant_id,
                MessageSend.contact_id == contact.id,
                MessageSend.channel == send.channel,
                MessageSend.status == "sent",
                MessageSend.sent_at >= since,
                MessageSend.id != send.id,
            )
        )
        if (recent or 0) >= settings.frequency_cap:
            return GateDecision("block", "frequency_cap", address)
    resume = quiet_until(settings, contact_zone(session, contact), now)
    if resume is not None:
        return GateDecision("defer", "quiet_hours", address, resume)
    return GateDecision("allow", None, address)
