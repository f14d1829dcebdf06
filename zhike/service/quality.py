"""Conversation quality of a ticket: customer sentiment, response times and outcome, with reasons.

The score starts at 70 and each finding moves it up or down by a stated
amount, so the reasons add up to the score. Customer sentiment comes from the
tenant's production ``sentiment`` model when there is one, else from the
built-in lexicon, and is read at the start and at the end of the conversation:
a customer who ends calmer than they started is the point of good service.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.i18n import translate
from zhike.core.timeutil import ensure_utc
from zhike.platform.records import RecordService
from zhike.security.context import Actor
from zhike.service.csat import latest_survey
from zhike.service.models import SlaPolicy, Ticket, TicketMessage
from zhike.service.objects import TICKETS
from zhike.service.schemas import QualityReason, QualityScore
from zhike.service.settings import tenant_calendar
from zhike.service.sla import clock_for

BASE_SCORE = 70.0


def customer_sentiment(
    session: Session, tenant_id: uuid.UUID, texts: list[str]
) -> tuple[list[float], str]:
    """Probability that each text is positive, and which scorer produced it."""
    from zhike.ai.models.coldstart import lexicon_sentiment
    from zhike.ai.models.realtime import production_model

    if not texts:
        return [], "none"
    entry = production_model(session, tenant_id, "sentiment")
    if entry.model is not None:
        classes = [str(name) for name in entry.model.classes]
        positive = next((name for name in ("positive", "1") if name in classes), None)
        if positive is not None:
            probabilities = entry.model.pipeline.predict_proba(texts)
            column = classes.index(positive)
            return [float(row[column]) for row in probabilities], "model"
    scores, _ = lexicon_sentiment(texts)
    return [float(score) for score in scores], "lexicon"


def _reason(locale: str, code: str, impact: float, **detail: Any) -> QualityReason:
    return QualityReason(
        code=code,
        impact=round(impact, 1),
        message=translate(f"service.quality.{code}", locale, **detail),
        detail=detail,
    )


def score_ticket(session: Session, actor: Actor, ticket_id: uuid.UUID) -> QualityScore:
    ticket: Ticket = RecordService(session, actor, TICKETS).get(ticket_id)
    messages = session.scalars(
        select(TicketMessage)
        .where(TicketMessage.ticket_id == ticket.id, TicketMessage.is_internal.is_(False))
        .order_by(TicketMessage.created_at, TicketMessage.id)
    ).all()
    locale = actor.locale
    reasons: list[QualityReason] = []

    customer_texts = [message.body for message in messages if message.author_kind == "customer"]
    sentiments, source = customer_sentiment(session, ticket.tenant_id, customer_texts)
    start = sentiments[0] if sentiments else None
    end = sentiments[-1] if sentiments else None
    if start is not None and end is not None and len(sentiments) > 1:
        change = end - start
        if change >= 0.15:
            reasons.append(_reason(locale, "sentiment_improved", 10, change=round(change, 2)))
        elif change <= -0.15:
            reasons.append(_reason(locale, "sentiment_worsened", -15, change=round(change, 2)))
    if end is not None and end < 0.4:
        reasons.append(_reason(locale, "ended_negative", -10, value=round(end, 2)))
    elif end is not None and end > 0.6:
        reasons.append(_reason(locale, "ended_positive", 5, value=round(end, 2)))

    calendar = tenant_calendar(session, ticket.tenant_id)
    policy = session.get(SlaPolicy, ticket.sla_policy_id) if ticket.sla_policy_id else None
    clock = clock_for(policy, calendar) if policy else calendar
    first_minutes = None
    if ticket.first_responded_at is not None and ticket.opened_at is not None:
        first_minutes = clock.between(ticket.opened_at, ticket.first_responded_at) / 60
        target = policy.first_response_minutes if policy else None
        if target is not None and first_minutes <= target:
            reasons.append(
                _reason(locale, "first_response_on_time", 10, minutes=round(first_minutes))
            )
        elif target is not None:
            reasons.append(
                _reason(
                    locale, "first_response_late", -15, minutes=round(first_minutes), target=target
                )
            )
    elif ticket.status not in ("resolved", "closed"):
        reasons.append(_reason(locale, "no_response_yet", -10))

    gaps = _response_gaps(messages, clock)
    average = sum(gaps) / len(gaps) / 60 if gaps else None
    if average is not None and average > 8 * 60:
        reasons.append(_reason(locale, "slow_replies", -10, minutes=round(average)))

    is_resolved = ticket.status in ("resolved", "closed")
    if is_resolved:
        reasons.append(_reason(locale, "resolved", 10))
        if ticket.sla_state == "breached":
            reasons.append(_reason(locale, "resolution_breached", -10))
    survey = latest_survey(session, ticket.id)
    rating = survey.rating if survey is not None else None
    if rating is not None:
        reasons.append(_reason(locale, "csat", (rating - 3) * 7.5, rating=rating))

    score = max(0.0, min(100.0, BASE_SCORE + sum(reason.impact for reason in reasons)))
    return QualityScore(
        ticket_id=ticket.id,
        score=round(score, 1),
        sentiment_start=None if start is None else round(start, 3),
        sentiment_end=None if end is None else round(end, 3),
        sentiment_source=source,
        first_response_minutes=None if first_minutes is None else round(first_minutes, 1),
        average_response_minutes=None if average is None else round(average, 1),
        is_resolved=is_resolved,
        csat_rating=rating,
        reasons=reasons,
    )


def _response_gaps(messages: Any, clock: Any) -> list[float]:
    """Working seconds from each customer message to the next agent reply."""
    gaps = []
    waiting_since = None
    for message in messages:
        if message.author_kind == "customer" and waiting_since is None:
            waiting_since = ensure_utc(message.created_at)
        elif message.author_kind == "agent" and waiting_since is not None:
            gaps.append(max(0.0, clock.between(waiting_since, ensure_utc(message.created_at))))
            waiting_since = None
    return gaps
