"""Lead capture: API and channel intake, public web forms, and their spam protection.

Every path creates the lead through the record service (so the lead object's
normalisers and the duplicate check run), then routes it: assignment rules
first, else the pool of its region or product line. A web form is public and
knows only its ``form_key``; it is protected by a honeypot field that people
never see, a time trap (a signed token from the form page must be at least
``min_fill_seconds`` old and at most a day old) and per-IP and per-form rate
limits on the shared limiter. A submission caught by the honeypot or the time
trap gets the same answer as a real one, so a bot learns nothing, and is not
stored. Each token creates at most one lead: a second submission with it is
rejected with 409 ``capture_token_used``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.errors import Conflict, InvalidInput, NotFound
from zhike.core.settings import get_settings
from zhike.core.timeutil import utc_now
from zhike.platform.objects import get_object
from zhike.platform.records import RecordService
from zhike.sales.assignment import assign_leads
from zhike.sales.pool_models import LeadCaptureForm, LeadDuplicate, LeadFormTokenUse, SalesPool
from zhike.sales.pool_schemas import CaptureFormWrite, CaptureRequest
from zhike.sales.pools import enter_new_record, pool_for
from zhike.security.access import require, scope_select
from zhike.security.context import Actor, system_actor
from zhike.security.models import Tenant
from zhike.security.ratelimit import RateLimited, get_rate_limiter

logger = logging.getLogger(__name__)

FORMS_OBJECT = "lead_forms"
HONEYPOT_FIELD = "website"
TOKEN_FIELD = "form_token"  # noqa: S105 - a form field name, not a secret
TOKEN_MAX_AGE = timedelta(days=1)
# Issued nonces have 16 characters; the limit only keeps forged long ones out of the table.
NONCE_MAX_LENGTH = 32
CAPTURE_FIELDS = (
    "name",
    "company",
    "title",
    "mobile",
    "phone",
    "email",
    "province",
    "city",
    "lead_source",
    "product_id",
    "description",
    "external_id",
)


@dataclass
class Captured:
    lead: Any
    pool: SalesPool | None
    duplicates: list[LeadDuplicate]


def capture_lead(
    session: Session,
    actor: Actor,
    data: CaptureRequest | dict[str, Any],
    channel: str,
    assign: bool = True,
    pool_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Captured:
    """Create a lead from outside (API client, channel, form), flag duplicates, route it."""
    now = now or utc_now()
    values = data.model_dump(exclude_unset=True) if not isinstance(data, dict) else dict(data)
    values = {name: value for name, value in values.items() if name in CAPTURE_FIELDS}
    if values.get("external_id"):
        values.setdefault("source", channel)
    values.setdefault("lead_source", channel)
    values["owner_id"] = None
    actor.cache["capture_channel"] = channel
    try:
        service = RecordService(session, actor, get_object("leads"))
        lead = service.create(values)
    finally:
        actor.cache.pop("capture_channel", None)
    # The record service makes a person the owner of what they create; a captured
    # lead waits for the rules or a pool instead.
    if lead.owner_id is not None:
        lead.owner_id = None
        session.flush()
    pool = None
    if assign:
        report = assign_leads(session, _router(actor), [lead.id], now)
        session.refresh(lead)
        if report.assigned or report.pooled:
            pool = _entry_pool(session, actor, lead.id)
    if lead.owner_id is None and pool is None:
        pool = (
            session.get(SalesPool, pool_id)
            if pool_id is not None
            else pool_for(session, actor.tenant_id, "leads", lead.province, lead.product_id)
        )
        if pool is not None:
            enter_new_record(
                session, actor, pool, "leads", lead.id, None, f"capture:{channel}"[:50], now
            )
            session.flush()
    duplicates = list(
        session.scalars(
            select(LeadDuplicate)
            .where(LeadDuplicate.tenant_id == actor.tenant_id, LeadDuplicate.lead_id == lead.id)
            .order_by(LeadDuplicate.matched_object, LeadDuplicate.rule)
        )
    )
    logger.info(
        "lead captured",
        extra={"lead_id": str(lead.id), "channel": channel, "duplicates": len(duplicates)},
    )
    return Captured(lead, pool, duplicates)


def _router(actor: Actor) -> Actor:
    """Routing acts for the tenant: a form visitor or API client may not edit rules."""
    return system_actor(actor.tenant_id, locale=actor.locale, timezone=actor.timezone)


def _entry_pool(session: Session, actor: Actor, lead_id: uuid.UUID) -> SalesPool | None:
    from zhike.sales.pool_models import PoolEntry

    pool_id = session.scalar(
        select(PoolEntry.pool_id).where(
            PoolEntry.tenant_id == actor.tenant_id,
            PoolEntry.object_name == "leads",
            PoolEntry.record_id == lead_id,
        )
    )
    return session.get(SalesPool, pool_id) if pool_id is not None else None


def lead_duplicates(session: Session, actor: Actor, lead_id: uuid.UUID) -> list[LeadDuplicate]:
    """List the duplicate links of a lead the actor may read."""
    spec = get_object("leads")
    RecordService(session, actor, spec).get(lead_id)
    return list(
        session.scalars(
            select(LeadDuplicate)
            .where(LeadDuplicate.tenant_id == actor.tenant_id, LeadDuplicate.lead_id == lead_id)
            .order_by(LeadDuplicate.detected_at, LeadDuplicate.id)
        )
    )


# --- form administration -------------------------------------------------------------


def list_forms(session: Session, actor: Actor) -> list[LeadCaptureForm]:
    require(actor, FORMS_OBJECT, "read")
    return list(
        session.scalars(
            scope_select(actor, LeadCaptureForm, select(LeadCaptureForm)).order_by(
                LeadCaptureForm.name
            )
        )
    )


def create_form(session: Session, actor: Actor, data: CaptureFormWrite) -> LeadCaptureForm:
    require(actor, FORMS_OBJECT, "create")
    _check_pool(session, actor, data.pool_id)
    form = LeadCaptureForm(
        tenant_id=actor.tenant_id, form_key=secrets.token_urlsafe(24), **data.model_dump()
    )
    session.add(form)
    session.flush()
    record_event(
        session,
        actor,
        "config.change",
        object_name=FORMS_OBJECT,
        record_id=form.id,
        details={"created": data.model_dump(mode="json")},
    )
    return form


def update_form(
    session: Session, actor: Actor, form_id: uuid.UUID, data: CaptureFormWrite
) -> LeadCaptureForm:
    require(actor, FORMS_OBJECT, "update")
    form = session.scalar(
        scope_select(actor, LeadCaptureForm, select(LeadCaptureForm)).where(
            LeadCaptureForm.id == form_id
        )
    )
    if form is None:
        raise NotFound("capture_form_not_found", key=str(form_id))
    _check_pool(session, actor, data.pool_id)
    for name, value in data.model_dump().items():
        setattr(form, name, value)
    session.flush()
    record_event(
        session,
        actor,
        "config.change",
        object_name=FORMS_OBJECT,
        record_id=form.id,
        details={"updated": data.model_dump(mode="json")},
    )
    return form


def _check_pool(session: Session, actor: Actor, pool_id: uuid.UUID | None) -> None:
    if pool_id is None:
        return
    pool = session.scalar(
        select(SalesPool).where(SalesPool.tenant_id == actor.tenant_id, SalesPool.id == pool_id)
    )
    if pool is None or pool.object_name != "leads":
        raise NotFound("pool_not_found", id=str(pool_id))


# --- the public side -------------------------------------------------------------------


@dataclass(frozen=True)
class FormToken:
    """A verified form token: when the form was shown, and the nonce that makes it single-use."""

    issued: datetime
    nonce: str


def _signature(form_key: str, issued: str, nonce: str) -> str:
    secret = get_settings().secret_key.encode()
    digest = hmac.new(secret, f"{form_key}|{issued}|{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def issue_form_token(form_key: str, now: datetime) -> str:
    """Sign the time the form is shown and a random nonce; each rendered form gets its own token.

    The token has the form ``<unix seconds>.<nonce>.<signature>``. The nonce is
    URL-safe base64, which contains no dot.
    """
    issued = str(int(now.timestamp()))
    nonce = secrets.token_urlsafe(12)
    return f"{issued}.{nonce}.{_signature(form_key, issued, nonce)}"


def read_form_token(form_key: str, token: Any) -> FormToken | None:
    """Return the verified token, or None when it is missing, forged or malformed."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    issued, nonce, signature = token.split(".")
    if not issued.isdigit() or not nonce or len(nonce) > NONCE_MAX_LENGTH:
        return None
    if not hmac.compare_digest(signature, _signature(form_key, issued, nonce)):
        return None
    return FormToken(datetime.fromtimestamp(int(issued), tz=UTC), nonce)


def token_age(form_key: str, token: str | None, now: datetime) -> timedelta | None:
    """Return the age of a valid token, or None when it is missing, forged or malformed."""
    found = read_form_token(form_key, token)
    return None if found is None else now - found.issued


def spend_form_token(session: Session, form: LeadCaptureForm, token: str, now: datetime) -> None:
    """Record the token's nonce as used, or raise 409 when a submission already used it.

    The unique (form, nonce) constraint decides between concurrent submissions
    of the same token, in this process or another.
    """
    found = read_form_token(form.form_key, token)
    if found is None:
        raise InvalidInput("capture_token_invalid")
    session.execute(
        delete(LeadFormTokenUse).where(
            LeadFormTokenUse.form_id == form.id, LeadFormTokenUse.used_at < now - TOKEN_MAX_AGE
        )
    )
    try:
        with session.begin_nested():
            session.add(
                LeadFormTokenUse(
                    tenant_id=form.tenant_id, form_id=form.id, nonce=found.nonce, used_at=now
                )
            )
    except IntegrityError as error:
        raise Conflict("capture_token_used") from error


def load_public_form(session: Session, form_key: str) -> tuple[LeadCaptureForm, Tenant]:
    form = session.scalar(select(LeadCaptureForm).where(LeadCaptureForm.form_key == form_key))
    if form is None or not form.is_active or form.deleted_at is not None:
        raise NotFound("capture_form_not_found", key=form_key[:12])
    tenant = session.get(Tenant, form.tenant_id)
    if tenant is None:
        raise NotFound("capture_form_not_found", key=form_key[:12])
    return form, tenant


def looks_like_spam(form: LeadCaptureForm, submitted: dict[str, Any], now: datetime) -> str | None:
    """Return why a submission is spam (honeypot, time trap), or None for a person."""
    if str(submitted.get(HONEYPOT_FIELD) or "").strip():
        return "honeypot"
    age = token_age(form.form_key, submitted.get(TOKEN_FIELD), now)
    if age is None:
        return "bad_token"
    if age < timedelta(seconds=form.min_fill_seconds):
        return "too_fast"
    if age > TOKEN_MAX_AGE:
        return "token_expired"
    return None


def check_rate_limits(form: LeadCaptureForm, ip: str | None, now: datetime) -> None:
    limiter = get_rate_limiter()
    for key, limit in (
        (f"form:{form.id}:ip:{ip or '-'}", form.max_per_minute_per_ip),
        (f"form:{form.id}", form.max_per_minute),
    ):
        result = limiter.hit(key, limit, now)
        if not result.allowed:
            raise RateLimited(result)


def submit_form(
    session: Session,
    form_key: str,
    submitted: dict[str, Any],
    ip: str | None,
    now: datetime | None = None,
) -> Captured | None:
    """Take one public submission; None when it was recognised as spam and dropped."""
    now = now or utc_now()
    form, tenant = load_public_form(session, form_key)
    check_rate_limits(form, ip, now)
    spam = looks_like_spam(form, submitted, now)
    if spam is not None:
        logger.info(
            "form submission dropped as spam", extra={"form_id": str(form.id), "reason": spam}
        )
        return None
    values: dict[str, Any] = {}
    for name in form.fields:
        value = submitted.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidInput("capture_field_not_text", field=name)
        if value is not None and value.strip():
            values[name] = value.strip()
    if not values.get("name"):
        raise InvalidInput("capture_name_required")
    # Spent in the transaction that stores the lead: a rejected submission leaves the token
    # usable, so the visitor can correct the form and send it again.
    spend_form_token(session, form, submitted[TOKEN_FIELD], now)
    values["lead_source"] = form.lead_source
    actor = Actor(
        tenant_id=tenant.id,
        user_id=None,
        role="system",
        locale=tenant.locale,
        timezone=tenant.timezone,
    )
    return capture_lead(session, actor, values, "web_form", form.assign, form.pool_id, now)
