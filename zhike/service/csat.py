"""Customer satisfaction (CSAT) surveys sent when a ticket is resolved.

A survey link carries a signed token: the tenant and survey ids plus an
HMAC-SHA256 over them keyed with the installation's secret key. The token can
be rebuilt for sending at any time and is checked without a login; only its
digest is stored, so a copy of the database cannot answer surveys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhike.core.errors import Conflict, NotFound
from zhike.core.ids import new_id
from zhike.core.settings import get_settings
from zhike.core.timeutil import ensure_utc
from zhike.service.models import CsatSurvey, Ticket
from zhike.service.settings import load_settings


def _signature(tenant_id: uuid.UUID, survey_id: uuid.UUID) -> str:
    key = get_settings().secret_key.encode("utf-8")
    message = b"csat:" + tenant_id.bytes + survey_id.bytes
    digest = hmac.new(key, message, hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def survey_token(tenant_id: uuid.UUID, survey_id: uuid.UUID) -> str:
    return f"{tenant_id.hex}.{survey_id.hex}.{_signature(tenant_id, survey_id)}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_token(token: str) -> tuple[uuid.UUID, uuid.UUID]:
    """Return (tenant id, survey id) of a well-signed token, or raise 404 for any other."""
    parts = token.split(".")
    try:
        tenant_id, survey_id = uuid.UUID(hex=parts[0]), uuid.UUID(hex=parts[1])
    except (ValueError, IndexError):
        raise NotFound("csat_survey_not_found") from None
    expected = _signature(tenant_id, survey_id)
    if len(parts) != 3 or not hmac.compare_digest(parts[2], expected):
        raise NotFound("csat_survey_not_found")
    return tenant_id, survey_id


def create_survey(session: Session, ticket: Ticket, now: datetime) -> tuple[CsatSurvey, str]:
    """Open a survey for a resolved ticket (one per resolution) and return it with its token."""
    _, settings = load_settings(session, ticket.tenant_id)
    survey = CsatSurvey(
        id=new_id(),
        tenant_id=ticket.tenant_id,
        ticket_id=ticket.id,
        token_hash="",
        expires_at=now + timedelta(days=settings.survey_days),
        created_at=now,
    )
    token = survey_token(ticket.tenant_id, survey.id)
    survey.token_hash = _digest(token)
    session.add(survey)
    session.flush()
    return survey, token


def find_survey(session: Session, token: str) -> tuple[CsatSurvey, Ticket]:
    """Survey and ticket of a token; the caller binds the session to the tenant first."""
    tenant_id, survey_id = parse_token(token)
    survey = session.scalar(
        select(CsatSurvey).where(
            CsatSurvey.tenant_id == tenant_id,
            CsatSurvey.id == survey_id,
            CsatSurvey.token_hash == _digest(token),
        )
    )
    ticket = session.get(Ticket, survey.ticket_id) if survey is not None else None
    if survey is None or ticket is None or ticket.deleted_at is not None:
        raise NotFound("csat_survey_not_found")
    return survey, ticket


def answer_survey(
    session: Session, token: str, rating: int, comment: str | None, now: datetime
) -> CsatSurvey:
    survey, _ = find_survey(session, token)
    if ensure_utc(survey.expires_at) < now:
        raise Conflict("csat_survey_expired", expired_at=ensure_utc(survey.expires_at).isoformat())
    if survey.responded_at is not None:
        raise Conflict("csat_survey_answered")
    survey.rating = rating
    survey.comment = comment
    survey.responded_at = now
    session.flush()
    return survey


def latest_survey(session: Session, ticket_id: uuid.UUID) -> CsatSurvey | None:
    return session.scalar(
        select(CsatSurvey)
        .where(CsatSurvey.ticket_id == ticket_id)
        .order_by(CsatSurvey.created_at.desc())
        .limit(1)
    )


def csat_summary(session: Session, tenant_id: uuid.UUID) -> dict[str, float | int]:
    """Share of answered surveys rated 4 or 5 (the usual CSAT), with counts."""
    sent = session.scalar(
        select(func.count()).select_from(CsatSurvey).where(CsatSurvey.tenant_id == tenant_id)
    )
    ratings = list(
        session.scalars(
            select(CsatSurvey.rating).where(
                CsatSurvey.tenant_id == tenant_id, CsatSurvey.rating.is_not(None)
            )
        )
    )
    satisfied = sum(1 for rating in ratings if rating is not None and rating >= 4)
    return {
        "sent": int(sent or 0),
        "answered": len(ratings),
        "csat": round(satisfied / len(ratings), 3) if ratings else 0.0,
    }
