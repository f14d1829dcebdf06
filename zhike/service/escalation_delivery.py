"""Escalation messages by email and WeCom, besides the ticket history and the in-app view.

Each tenant chooses, per escalation event (``warning`` before a breach, ``breach``,
``handoff`` from the bot), which channels notify the people concerned. The
escalating transaction writes one ``EscalationDelivery`` row per person and
channel, as an outbox. After it commits, the queue sends each row. Every failed
attempt is recorded with its error and tried again with a growing delay. A row ends
``sent``, ``skipped`` (the person has no address on that channel) or ``failed``
after ``MAX_ATTEMPTS``, and an administrator can put a failed row back in line.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhike.ai.agents.connectors import SmtpMailer
from zhike.ai.llm.secrets import decrypt_secret, encrypt_secret, mask_secret
from zhike.core.db import Database
from zhike.core.errors import InvalidInput, NotFound
from zhike.core.i18n import translate
from zhike.core.settings import Settings
from zhike.core.timeutil import load_zone, utc_now
from zhike.security.models import Tenant, User
from zhike.security.tenancy import bind_tenant
from zhike.service.models import AgentProfile, EscalationDelivery, Ticket
from zhike.service.wecom import DEFAULT_BASE_URL, WeComApplication, send_text

logger = logging.getLogger(__name__)

SETTINGS_KEY = "service_escalation_delivery"
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 3600
# Other workers leave a claimed row alone for this long, so two runners do not send the
# same message. A worker that dies mid-send releases the row when the claim ends.
CLAIM_SECONDS = 300
SECRET_SHOWN = "********"  # noqa: S105 - the mask shown instead of a stored secret

EventName = Literal["warning", "breach", "handoff"]
ChannelName = Literal["email", "wecom"]
EVENTS: tuple[EventName, ...] = ("warning", "breach", "handoff")


def _no_channels() -> dict[EventName, list[ChannelName]]:
    return {event: [] for event in EVENTS}


class WeComSettingsBody(BaseModel):
    """The WeCom application that sends escalation messages."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(
        default=DEFAULT_BASE_URL,
        pattern=r"^https?://[^\s/?#]+(:\d+)?(/[^\s?#]*)?$",
        max_length=500,
        description="WeCom API address; another one only for a proxy or a test server",
    )
    corp_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    agent_id: int = Field(ge=1, description="AgentId of the application that sends the messages")
    corp_secret: str | None = Field(
        default=None,
        max_length=200,
        description=f"the application's Secret; {SECRET_SHOWN} or no value keeps the stored one",
    )


class EscalationDeliveryBody(BaseModel):
    """Channels per escalation event, and the WeCom application when WeCom is used."""

    model_config = ConfigDict(extra="forbid")

    channels: dict[EventName, list[ChannelName]] = Field(
        default_factory=_no_channels,
        description="event (warning, breach, handoff) to the channels that also notify",
    )
    wecom: WeComSettingsBody | None = None


class WeComSettingsRead(BaseModel):
    base_url: str
    corp_id: str
    agent_id: int
    corp_secret: str | None = Field(
        description="a mask showing the last characters, never the secret"
    )


class EscalationDeliveryRead(BaseModel):
    channels: dict[EventName, list[ChannelName]]
    wecom: WeComSettingsRead | None
    email_configured: bool = Field(description="whether the server has an SMTP server to send with")


class EscalationDeliveryRow(BaseModel):
    id: uuid.UUID
    ticket_id: uuid.UUID
    ticket_number: str | None
    event: str
    channel: str
    user_id: uuid.UUID | None
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    sent_at: datetime | None
    created_at: datetime


def _stored(tenant: Tenant) -> dict[str, Any]:
    raw = (tenant.settings or {}).get(SETTINGS_KEY)
    return dict(raw) if isinstance(raw, dict) else {}


def _channels(stored: dict[str, Any]) -> dict[str, list[str]]:
    raw = stored.get("channels") or {}
    return {event: list(raw.get(event) or []) for event in EVENTS}


def read_settings(tenant: Tenant, settings: Settings) -> EscalationDeliveryRead:
    stored = _stored(tenant)
    wecom = stored.get("wecom")
    shown = None
    if isinstance(wecom, dict):
        secret = wecom.get("corp_secret")
        shown = WeComSettingsRead(
            base_url=str(wecom["base_url"]),
            corp_id=str(wecom["corp_id"]),
            agent_id=int(wecom["agent_id"]),
            corp_secret=mask_secret(decrypt_secret(str(secret), tenant.id)) if secret else None,
        )
    return EscalationDeliveryRead(
        channels=_channels(stored),
        wecom=shown,
        email_configured=bool(settings.smtp_host),
    )


def write_settings(tenant: Tenant, body: EscalationDeliveryBody) -> dict[str, Any]:
    """Store ``body`` with the secret encrypted; return the changes, without secrets."""
    before = _stored(tenant)
    channels = {event: list(dict.fromkeys(body.channels.get(event) or [])) for event in EVENTS}
    wecom: dict[str, Any] | None = None
    if body.wecom is not None:
        previous = before.get("wecom") if isinstance(before.get("wecom"), dict) else {}
        submitted = body.wecom.corp_secret
        if submitted is None or submitted == SECRET_SHOWN or submitted.startswith("****"):
            sealed = (previous or {}).get("corp_secret")
        else:
            sealed = encrypt_secret(submitted.strip(), tenant.id)
        wecom = {
            "base_url": body.wecom.base_url.rstrip("/"),
            "corp_id": body.wecom.corp_id,
            "agent_id": body.wecom.agent_id,
            "corp_secret": sealed,
        }

    uses_wecom = any("wecom" in chosen for chosen in channels.values())
    if uses_wecom and (wecom is None or not wecom.get("corp_secret")):
        raise InvalidInput("service_wecom_not_configured")

    stored = dict(tenant.settings or {})
    stored[SETTINGS_KEY] = {"channels": channels, "wecom": wecom}
    tenant.settings = stored

    changes: dict[str, Any] = {}
    if _channels(before) != channels:
        changes["channels"] = [_channels(before), channels]
    old_wecom = before.get("wecom") or {}
    new_wecom = wecom or {}
    for name in ("base_url", "corp_id", "agent_id"):
        if old_wecom.get(name) != new_wecom.get(name):
            changes[f"wecom.{name}"] = [old_wecom.get(name), new_wecom.get(name)]
    if old_wecom.get("corp_secret") != new_wecom.get("corp_secret"):
        # Only the fact of the change is audited, never the secret or its ciphertext.
        changes["wecom.corp_secret"] = [
            SECRET_SHOWN if old_wecom.get("corp_secret") else None,
            SECRET_SHOWN if new_wecom.get("corp_secret") else None,
        ]
    return changes


def record_deliveries(
    session: Session,
    ticket: Ticket,
    event: str,
    user_ids: list[str],
    now: datetime | None = None,
) -> list[EscalationDelivery]:
    """Write one pending row per person and channel chosen for ``event``, once per ticket."""
    tenant = session.get(Tenant, ticket.tenant_id)
    if tenant is None:
        return []
    chosen = _channels(_stored(tenant)).get(event, [])
    created = []
    for channel in chosen:
        for user_id in dict.fromkeys(user_ids):
            user_uuid = uuid.UUID(user_id)
            exists = session.scalar(
                select(EscalationDelivery.id).where(
                    EscalationDelivery.tenant_id == ticket.tenant_id,
                    EscalationDelivery.ticket_id == ticket.id,
                    EscalationDelivery.event == event,
                    EscalationDelivery.channel == channel,
                    EscalationDelivery.user_id == user_uuid,
                )
            )
            if exists is not None:
                continue
            row = EscalationDelivery(
                tenant_id=ticket.tenant_id,
                ticket_id=ticket.id,
                event=event,
                channel=channel,
                user_id=user_uuid,
                next_attempt_at=now or utc_now(),
            )
            session.add(row)
            created.append(row)
    if created:
        session.flush()
    return created


def retry_delay(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failures: 1, 2, 4 … minutes, up to 1 h."""
    return int(min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1)))


def _claim(session: Session, delivery_id: uuid.UUID, now: datetime) -> bool:
    result = session.execute(
        update(EscalationDelivery)
        .where(
            EscalationDelivery.id == delivery_id,
            EscalationDelivery.status == "pending",
            EscalationDelivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _message(session: Session, row: EscalationDelivery, user: User) -> tuple[str, str]:
    ticket = session.get(Ticket, row.ticket_id)
    tenant = session.get(Tenant, row.tenant_id)
    locale = user.locale or (tenant.locale if tenant else None) or "zh-CN"
    zone = load_zone(tenant.timezone if tenant else "Asia/Shanghai")
    due = None
    if ticket is not None:
        due = (
            ticket.resolution_due_at if ticket.first_responded_at else ticket.first_response_due_at
        )
    values = {
        "number": (ticket.number if ticket else None) or "-",
        "subject": ticket.subject if ticket else "-",
        "priority": translate(f"service.escalation.priority.{ticket.priority}", locale)
        if ticket
        else "-",
        "due": due.astimezone(zone).strftime("%Y-%m-%d %H:%M") if due else "-",
    }
    subject = translate(f"service.escalation.{row.event}.subject", locale, **values)
    text = translate(f"service.escalation.{row.event}.text", locale, **values)
    return subject, text


def _wecom_application(tenant: Tenant) -> WeComApplication:
    wecom = _stored(tenant).get("wecom")
    if not isinstance(wecom, dict) or not wecom.get("corp_secret"):
        raise DeliveryError(
            "WeCom is not configured for this company; set it in the service settings"
        )
    return WeComApplication(
        base_url=str(wecom["base_url"]),
        corp_id=str(wecom["corp_id"]),
        agent_id=int(wecom["agent_id"]),
        corp_secret=decrypt_secret(str(wecom["corp_secret"]), tenant.id),
    )


class DeliverySkipped(Exception):
    """The person has no address on the channel, so trying again cannot help."""


class DeliveryError(Exception):
    """A channel cannot send now, e.g. it is not configured; the next attempt may succeed."""


def _send(session: Session, row: EscalationDelivery, settings: Settings) -> str:
    """Send one row's message; return the provider's message id or raise on failure."""
    user = session.get(User, row.user_id) if row.user_id else None
    if user is None or not user.is_active or user.deleted_at is not None:
        raise DeliverySkipped("the recipient no longer exists or is inactive")
    subject, text = _message(session, row, user)
    if row.channel == "email":
        if not settings.smtp_host:
            raise DeliveryError("no SMTP server is configured; set ZHIKE_SMTP_HOST")
        mailer = SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            use_tls=settings.smtp_starttls,
        )
        message_id = f"<{row.id.hex}@zhike.invalid>"
        mailer.send(user.email, subject, text, message_id)
        return message_id
    tenant = session.get(Tenant, row.tenant_id)
    assert tenant is not None
    profile = session.scalar(
        select(AgentProfile).where(
            AgentProfile.tenant_id == row.tenant_id, AgentProfile.user_id == user.id
        )
    )
    if profile is None or not profile.wecom_user_id:
        raise DeliverySkipped("the recipient has no WeCom user id in the agent settings")
    return send_text(_wecom_application(tenant), profile.wecom_user_id, f"{subject}\n{text}")


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str
    attempts: int


def deliver(
    database: Database, delivery_id: uuid.UUID, settings: Settings, now: datetime | None = None
) -> DeliveryOutcome | None:
    """Send one delivery if it is due and no one else holds it; return its new state.

    Returns None when the row is not due, already done or claimed by another worker.
    """
    moment = now or utc_now()
    with database.session() as session:
        tenant_id = session.scalar(
            select(EscalationDelivery.tenant_id).where(EscalationDelivery.id == delivery_id)
        )
        if tenant_id is None:
            return None
        bind_tenant(session, tenant_id)
        if not _claim(session, delivery_id, moment):
            return None
    with database.session() as session:
        bind_tenant(session, tenant_id)
        row = session.get(EscalationDelivery, delivery_id)
        assert row is not None
        row.attempts += 1
        try:
            row.provider_message_id = _send(session, row, settings)[:200] or None
            row.status, row.sent_at, row.last_error = "sent", utc_now(), None
        except DeliverySkipped as error:
            row.status, row.last_error = "skipped", str(error)[:500]
        except Exception as error:
            row.last_error = f"{type(error).__name__}: {error}"[:500]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
            else:
                row.next_attempt_at = moment + timedelta(seconds=retry_delay(row.attempts))
        outcome = DeliveryOutcome(row.status, row.attempts)
        status = row.status
        log = logger.info if status in ("sent", "skipped") else logger.warning
        log(
            "escalation delivery attempt",
            extra={
                "delivery_id": str(row.id),
                "ticket_id": str(row.ticket_id),
                "channel": row.channel,
                "event": row.event,
                "attempt": row.attempts,
                "status": status,
                "error": row.last_error,
            },
        )
    return outcome


def due_deliveries(
    database: Database,
    now: datetime,
    limit: int = 500,
    tenant_ids: Sequence[uuid.UUID] | None = None,
) -> list[uuid.UUID]:
    """Ids of pending rows whose next attempt is due, tenant by tenant, oldest first.

    ``tenant_ids`` limits the search to those tenants; by default every tenant is searched.
    """
    if tenant_ids is None:
        with database.session() as session:
            tenant_ids = list(session.scalars(select(Tenant.id)))
    found: list[uuid.UUID] = []
    for tenant_id in tenant_ids:
        with database.session() as session:
            bind_tenant(session, tenant_id)
            found.extend(
                session.scalars(
                    select(EscalationDelivery.id)
                    .where(
                        EscalationDelivery.tenant_id == tenant_id,
                        EscalationDelivery.status == "pending",
                        EscalationDelivery.next_attempt_at <= now,
                    )
                    .order_by(EscalationDelivery.next_attempt_at)
                    .limit(limit)
                )
            )
        if len(found) >= limit:
            break
    return found[:limit]


def deliver_due(
    database: Database,
    settings: Settings,
    now: datetime | None = None,
    tenant_ids: Sequence[uuid.UUID] | None = None,
) -> dict[str, int]:
    """Try every due delivery once (of ``tenant_ids`` only, when given); return counts by status."""
    moment = now or utc_now()
    counts: dict[str, int] = {}
    for delivery_id in due_deliveries(database, moment, tenant_ids=tenant_ids):
        outcome = deliver(database, delivery_id, settings, moment)
        if outcome is not None:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts


def list_deliveries(
    session: Session,
    tenant_id: uuid.UUID,
    status: str | None,
    limit: int,
    delivery_id: uuid.UUID | None = None,
) -> list[EscalationDeliveryRow]:
    query = (
        select(EscalationDelivery, Ticket.number)
        .join(Ticket, Ticket.id == EscalationDelivery.ticket_id)
        .where(EscalationDelivery.tenant_id == tenant_id)
        .order_by(EscalationDelivery.created_at.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(EscalationDelivery.status == status)
    if delivery_id is not None:
        query = query.where(EscalationDelivery.id == delivery_id)
    return [
        EscalationDeliveryRow(
            id=row.id,
            ticket_id=row.ticket_id,
            ticket_number=number,
            event=row.event,
            channel=row.channel,
            user_id=row.user_id,
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
            next_attempt_at=row.next_attempt_at,
            sent_at=row.sent_at,
            created_at=row.created_at,
        )
        for row, number in session.execute(query).all()
    ]


def requeue(session: Session, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> EscalationDelivery:
    """Put a failed or skipped delivery back in line with a fresh set of attempts."""
    row = session.scalar(
        select(EscalationDelivery).where(
            EscalationDelivery.id == delivery_id, EscalationDelivery.tenant_id == tenant_id
        )
    )
    if row is None:
        raise NotFound("service_delivery_not_found", id=str(delivery_id))
    if row.status in ("failed", "skipped"):
        row.status = "pending"
        row.attempts = 0
        row.next_attempt_at = utc_now()
        session.flush()
    return row
