"""The send gate: the one check between any marketing message and its channel.

``decide`` runs at the moment a message would leave, inside ``sending``, which
is the only caller of a channel. Journeys, campaign sends, the API and agent
tools all create send requests and reach a channel only through that module,
so none of them can skip consent, suppression, frequency caps or quiet hours.

The facts the gate needs (contact, consent in force, suppression, recent sends)
are read for a whole delivery batch in a few queries by ``read_gate_facts``.
Background delivery reads them again once they are older than
``FACTS_MAX_AGE_SECONDS``, so an unsubscribe committed while a batch is being
delivered blocks every send of that batch that starts more than that long
afterwards. A single send (``evaluate_send``) reads them fresh, with no cache.
"""

from __future__ import annotations

import time as monotonic_clock
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhike.core.timeutil import load_zone
from zhike.customers.models import Contact
from zhike.marketing.automation_models import (
    ConsentEntry,
    MarketingSettings,
    MessageSend,
    Suppression,
)
from zhike.marketing.consent import address_from, normalize_address
from zhike.security.models import Tenant

# How long a batch's gate facts are trusted. Half a second keeps an unsubscribe
# honoured within one second of its commit, with room for rendering and delivery.
FACTS_MAX_AGE_SECONDS = 0.5
DEFAULT_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class GateDecision:
    """``allow``, ``block`` (with a reason) or ``defer`` (until a time, e.g. after quiet hours)."""

    outcome: str
    reason: str | None = None
    address: str | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class ContactGate:
    """The columns of a contact that the gate reads, without loading the whole row."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    deleted_at: datetime | None
    do_not_contact: bool
    email: str | None
    mobile: str | None
    phone: str | None
    custom: dict[str, Any] | None

    def address(self, channel: str) -> str | None:
        return address_from(channel, self.email, self.mobile, self.phone, self.custom)


@dataclass
class GateFacts:
    """Database state the gate reads for a set of sends, and when it was read.

    ``sent_uncommitted`` counts deliveries of the current batch per tenant,
    contact and channel, and ``suppressed_uncommitted`` contains the addresses the
    batch's bounces suppressed. Neither is in the database before the batch
    commits, so they carry over when the facts are read again.
    """

    contacts: dict[uuid.UUID, ContactGate]
    consents: dict[tuple[uuid.UUID, uuid.UUID, str, str], str]
    suppressed: set[tuple[uuid.UUID, str, str]]
    recent_sends: dict[tuple[uuid.UUID, uuid.UUID, str], int]
    zones: dict[uuid.UUID, str]
    read_at: float = field(default_factory=monotonic_clock.monotonic)
    sent_uncommitted: dict[tuple[uuid.UUID, uuid.UUID, str], int] = field(default_factory=dict)
    suppressed_uncommitted: set[tuple[uuid.UUID, str, str]] = field(default_factory=set)

    def age(self) -> float:
        """Return the seconds since these facts were read."""
        return monotonic_clock.monotonic() - self.read_at

    def note_sent(self, send: MessageSend) -> None:
        key = (send.tenant_id, send.contact_id, send.channel)
        self.sent_uncommitted[key] = self.sent_uncommitted.get(key, 0) + 1

    def note_suppressed(self, tenant_id: uuid.UUID, channel: str, address: str) -> None:
        self.suppressed_uncommitted.add((tenant_id, channel, normalize_address(channel, address)))

    def carry_uncommitted(self, previous: GateFacts) -> None:
        """Keep the batch's own deliveries and bounces noted in ``previous``, facts read earlier."""
        self.sent_uncommitted = previous.sent_uncommitted
        self.suppressed_uncommitted = previous.suppressed_uncommitted


def zone_for(custom: dict[str, Any] | None, tenant_zone: str | None) -> str:
    """Return a contact's time zone: its ``timezone`` custom field, else the tenant's."""
    zone = (custom or {}).get("timezone")
    if isinstance(zone, str):
        try:
            load_zone(zone)
            return zone
        except ValueError:
            pass
    return tenant_zone or DEFAULT_ZONE


def contact_zone(session: Session, contact: Contact) -> str:
    """Return the contact's time zone, reading the tenant's default when needed."""
    tenant = session.get(Tenant, contact.tenant_id)
    return zone_for(contact.custom, tenant.timezone if tenant is not None else None)


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


def _read_consents(
    session: Session, tenant_id: uuid.UUID, sends: list[MessageSend]
) -> dict[tuple[uuid.UUID, uuid.UUID, str, str], str]:
    """Return the status in force per contact, channel and purpose: the newest ledger line's."""
    newest: dict[tuple[uuid.UUID, uuid.UUID, str, str], tuple[uuid.UUID, str]] = {}
    rows = session.execute(
        select(
            ConsentEntry.contact_id,
            ConsentEntry.channel,
            ConsentEntry.purpose,
            ConsentEntry.id,
            ConsentEntry.status,
        ).where(
            ConsentEntry.tenant_id == tenant_id,
            ConsentEntry.contact_id.in_({send.contact_id for send in sends}),
            ConsentEntry.channel.in_({send.channel for send in sends}),
            ConsentEntry.purpose.in_({send.purpose for send in sends}),
        )
    )
    for contact_id, channel, purpose, entry_id, status in rows:
        key = (tenant_id, contact_id, channel, purpose)
        # Ids are UUIDv7, so the largest id is the newest line.
        if key not in newest or entry_id > newest[key][0]:
            newest[key] = (entry_id, status)
    return {key: status for key, (_, status) in newest.items()}


def _read_suppressed(
    session: Session,
    tenant_id: uuid.UUID,
    sends: list[MessageSend],
    contacts: dict[uuid.UUID, ContactGate],
) -> set[tuple[uuid.UUID, str, str]]:
    addresses_by_channel: dict[str, set[str]] = {}
    for send in sends:
        contact = contacts.get(send.contact_id)
        address = contact.address(send.channel) if contact is not None else None
        if address:
            addresses_by_channel.setdefault(send.channel, set()).add(address)
    found: set[tuple[uuid.UUID, str, str]] = set()
    for channel, addresses in addresses_by_channel.items():
        rows = session.scalars(
            select(Suppression.address).where(
                Suppression.tenant_id == tenant_id,
                Suppression.channel == channel,
                Suppression.address.in_(addresses),
            )
        )
        found.update((tenant_id, channel, address) for address in rows)
    return found


def _read_recent_sends(
    session: Session, tenant_id: uuid.UUID, sends: list[MessageSend], since: datetime
) -> dict[tuple[uuid.UUID, uuid.UUID, str], int]:
    rows = session.execute(
        select(MessageSend.contact_id, MessageSend.channel, func.count(MessageSend.id))
        .where(
            MessageSend.tenant_id == tenant_id,
            MessageSend.contact_id.in_({send.contact_id for send in sends}),
            MessageSend.channel.in_({send.channel for send in sends}),
            MessageSend.status == "sent",
            MessageSend.sent_at >= since,
        )
        .group_by(MessageSend.contact_id, MessageSend.channel)
    )
    return {(tenant_id, contact_id, channel): count for contact_id, channel, count in rows}


def read_gate_facts(
    session: Session,
    sends: Iterable[MessageSend],
    settings: dict[uuid.UUID, MarketingSettings],
    now: datetime,
) -> GateFacts:
    """Read, in a few queries per tenant, everything the gate decides ``sends`` on.

    Contacts are read as plain columns, not ORM objects, so a change committed
    by another transaction (do not contact, a new address, a deletion) is seen
    and the session's loaded contacts stay as they are. ``settings`` contains the
    marketing settings of every tenant among the sends.
    """
    batch = list(sends)
    facts = GateFacts(contacts={}, consents={}, suppressed=set(), recent_sends={}, zones={})
    by_tenant: dict[uuid.UUID, list[MessageSend]] = {}
    for send in batch:
        by_tenant.setdefault(send.tenant_id, []).append(send)
    for tenant_id, tenant_sends in by_tenant.items():
        rows = session.execute(
            select(
                Contact.id,
                Contact.tenant_id,
                Contact.deleted_at,
                Contact.do_not_contact,
                Contact.email,
                Contact.mobile,
                Contact.phone,
                Contact.custom,
            ).where(
                Contact.tenant_id == tenant_id,
                Contact.id.in_({send.contact_id for send in tenant_sends}),
            )
        )
        loaded = {row[0]: ContactGate(*row) for row in rows}
        facts.contacts.update(loaded)
        facts.consents.update(_read_consents(session, tenant_id, tenant_sends))
        facts.suppressed.update(_read_suppressed(session, tenant_id, tenant_sends, loaded))
        tenant_settings = settings[tenant_id]
        if tenant_settings.frequency_cap > 0:
            since = now - timedelta(days=tenant_settings.frequency_window_days)
            facts.recent_sends.update(_read_recent_sends(session, tenant_id, tenant_sends, since))
        tenant = session.get(Tenant, tenant_id)
        facts.zones[tenant_id] = tenant.timezone if tenant is not None else DEFAULT_ZONE
    return facts


def decide(
    facts: GateFacts, settings: MarketingSettings, send: MessageSend, now: datetime
) -> GateDecision:
    """Decide one send from facts read for it; the rules of every send path live here."""
    contact = facts.contacts.get(send.contact_id)
    if contact is None or contact.deleted_at is not None or contact.tenant_id != send.tenant_id:
        return GateDecision("block", "contact_missing")
    if contact.do_not_contact:
        return GateDecision("block", "do_not_contact")
    address = contact.address(send.channel)
    if not address:
        return GateDecision("block", "no_address")
    consent = facts.consents.get((send.tenant_id, contact.id, send.channel, send.purpose))
    if consent is None or consent == "withdrawn":
        return GateDecision("block", "no_consent", address)
    if consent != "granted":
        return GateDecision("block", "consent_pending", address)
    suppression_key = (send.tenant_id, send.channel, address)
    if suppression_key in facts.suppressed or suppression_key in facts.suppressed_uncommitted:
        return GateDecision("block", "suppressed", address)
    if settings.frequency_cap > 0:
        key = (send.tenant_id, contact.id, send.channel)
        recent = facts.recent_sends.get(key, 0) + facts.sent_uncommitted.get(key, 0)
        if recent >= settings.frequency_cap:
            return GateDecision("block", "frequency_cap", address)
    resume = quiet_until(settings, zone_for(contact.custom, facts.zones.get(send.tenant_id)), now)
    if resume is not None:
        return GateDecision("defer", "quiet_hours", address, resume)
    return GateDecision("allow", None, address)


def evaluate_send(
    session: Session, settings: MarketingSettings, send: MessageSend, now: datetime
) -> GateDecision:
    """Decide one send on facts read now, for a send delivered on its own."""
    facts = read_gate_facts(session, [send], {send.tenant_id: settings}, now)
    return decide(facts, settings, send, now)
