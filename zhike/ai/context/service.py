"""The context engine's entry point: ``build_context``.

Agents and the assistant call it with the actor they work for::

    context = build_context(session, actor, subject=Subject(phone="13800138000"),
                            where=Where(module="service", channel="phone"))
    for item in context.ranked()[:5]:
        ...

It recognises the customer, reads their history through the access layer, links
cause and effect, ranks by priority and adds stored model scores. Nothing is
cached, so the context reflects every committed event.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy.orm import Session

from zhike.ai.context.history import read_history
from zhike.ai.context.links import find_links, rank_items
from zhike.ai.context.memory import recognise_customer
from zhike.ai.context.schemas import Asker, Context, Customer, ScoreSummary, Subject, Where
from zhike.core.errors import ZhikeError
from zhike.core.timeutil import ensure_utc, utc_now
from zhike.security.context import Actor
from zhike.security.models import Team, User

logger = logging.getLogger(__name__)

DEFAULT_WINDOW_DAYS = 30


def describe_asker(session: Session, actor: Actor) -> Asker:
    user = session.get(User, actor.user_id) if actor.user_id else None
    team = session.get(Team, actor.team_id) if actor.team_id else None
    grants = actor.grants
    return Asker(
        user_id=actor.user_id,
        display_name=user.display_name if user else None,
        role=actor.role,
        role_name=grants.name_zh if actor.locale == "zh-CN" else grants.name_en,
        team=team.name if team and team.tenant_id == actor.tenant_id else None,
        permissions={name: sorted(grant.actions) for name, grant in sorted(grants.objects.items())},
        timezone=actor.timezone,
        locale=actor.locale,
    )


def _subject_from_where(subject: Subject | None, where: Where) -> Subject | None:
    """The record on screen names the customer when the request names nobody."""
    if subject is not None or where.record is None:
        return subject
    field = {
        "contacts": "contact_id",
        "accounts": "account_id",
        "opportunities": "opportunity_id",
        "tickets": "ticket_id",
    }.get(where.record.object)
    return Subject(**{field: where.record.id}) if field else None


def _scores(session: Session, actor: Actor, customer: Customer) -> list[ScoreSummary]:
    from zhike.ai.models.realtime import read_record_scores

    found = []
    for object_name, record_id in (
        ("accounts", customer.account_id),
        ("contacts", customer.contact_id),
    ):
        if record_id is None:
            continue
        try:
            rows = read_record_scores(session, actor, object_name, record_id)
        except ZhikeError:
            continue
        for row, factors, _ in rows:
            found.append(
                ScoreSummary(
                    object=object_name,
                    record_id=record_id,
                    template=row.template,
                    score=row.score,
                    label=row.label,
                    scored_at=ensure_utc(row.scored_at),
                    top_factors=factors[:3],
                )
            )
    return found


def build_context(
    session: Session,
    actor: Actor,
    subject: Subject | None = None,
    where: Where | None = None,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
    now: datetime | None = None,
) -> Context:
    """Assemble the context of a request made by ``actor`` about ``subject`` from ``where``."""
    started = time.perf_counter()
    where = where or Where()
    moment = ensure_utc(now) if now else utc_now()
    context = Context(
        asker=describe_asker(session, actor), where=where, built_at=moment, window_days=window_days
    )
    subject = _subject_from_where(subject, where)
    customer = recognise_customer(session, actor, subject) if subject else None
    if customer is None:
        return context
    context.customer = customer
    items, hidden = read_history(session, actor, customer, moment, window_days)
    links = find_links(items)
    rank_items(items, links, moment)
    context.items = items
    context.links = links
    context.hidden_kinds = hidden
    context.open_issues = [
        item.id
        for item in sorted(items, key=lambda item: item.rank)
        if item.is_open and item.kind != "deal"
    ]
    context.scores = _scores(session, actor, customer)
    logger.info(
        "context built",
        extra={
            "items": len(items),
            "links": len(links),
            "matched_by": customer.matched_by,
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return context
