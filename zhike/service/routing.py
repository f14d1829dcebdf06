"""Routing: which category a ticket belongs to, who handles it, and how long it should take.

- Category: the tenant's trained ``ticket_category`` model when one is in
  production, otherwise the keyword rules of the service settings.
- Assignee: among available agents with capacity left, those whose skills
  include the category (or product) come first; then the lowest open load;
  then the one assigned longest ago, which rotates work round-robin.
- Resolution time: the median of similar resolved tickets, with how many
  tickets it rests on, so the number explains itself.
"""

from __future__ import annotations

import logging
import statistics
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhike.core.errors import InvalidInput
from zhike.core.timeutil import ensure_utc
from zhike.security.actors import resolve_role
from zhike.security.models import User
from zhike.service.models import AgentProfile, Ticket
from zhike.service.settings import ServiceSettings

logger = logging.getLogger(__name__)

OPEN_STATUSES = ("new", "open", "pending", "on_hold")
# Hours assumed before a tenant has resolved tickets of its own.
DEFAULT_RESOLUTION_HOURS = {"urgent": 4.0, "high": 8.0, "normal": 24.0, "low": 72.0}
HISTORY_LIMIT = 500
MIN_SIMILAR = 5
MODEL_MIN_CONFIDENCE = 0.4


@dataclass
class Classification:
    category: str | None
    source: str  # model, keywords or none
    confidence: float
    reasons: list[dict[str, Any]] = field(default_factory=list)


def classify(
    session: Session, tenant_id: uuid.UUID, text: str, settings: ServiceSettings
) -> Classification:
    """Category of a ticket's text, with the terms or keywords that decided it."""
    model_result = _classify_with_model(session, tenant_id, text)
    if model_result is not None:
        return model_result
    lowered = text.lower()
    best: Classification | None = None
    for rule in settings.keyword_rules:
        matched = [keyword for keyword in rule.keywords if keyword.lower() in lowered]
        if matched and (best is None or len(matched) > len(best.reasons)):
            best = Classification(
                rule.category,
                "keywords",
                min(1.0, 0.5 + 0.1 * len(matched)),
                [{"code": "keyword", "value": keyword} for keyword in matched],
            )
    return best or Classification(None, "none", 0.0, [])


def _classify_with_model(
    session: Session, tenant_id: uuid.UUID, text: str
) -> Classification | None:
    from zhike.ai.models.explain import text_factors
    from zhike.ai.models.realtime import production_model

    entry = production_model(session, tenant_id, "ticket_category")
    if entry.model is None:
        return None
    probabilities = entry.model.pipeline.predict_proba([text])[0]
    best = int(probabilities.argmax())
    confidence = float(probabilities[best])
    if confidence < MODEL_MIN_CONFIDENCE:
        return None  # too unsure: keyword rules may still know better
    category = str(entry.model.classes[best])
    factors = text_factors(entry.model.pipeline, [text], [category])[0]
    reasons = [{"code": "term", "value": factor["value"]} for factor in factors]
    reasons.append({"code": "model_version", "value": str(entry.version_id)})
    return Classification(category, "model", round(confidence, 3), reasons)


@dataclass
class AgentChoice:
    user_id: uuid.UUID
    reasons: list[dict[str, Any]]


def agent_loads(session: Session, tenant_id: uuid.UUID) -> dict[uuid.UUID, int]:
    rows = session.execute(
        select(Ticket.assignee_id, func.count())
        .where(
            Ticket.tenant_id == tenant_id,
            Ticket.deleted_at.is_(None),
            Ticket.status.in_(OPEN_STATUSES),
            Ticket.assignee_id.is_not(None),
        )
        .group_by(Ticket.assignee_id)
    ).all()
    return {user_id: int(count) for user_id, count in rows if user_id is not None}


def choose_agent(
    session: Session, ticket: Ticket, exclude: set[uuid.UUID | None] | None = None
) -> AgentChoice | None:
    """Pick the agent for ``ticket`` by skills, then load, then round-robin."""
    profiles = session.execute(
        select(AgentProfile)
        .join(User, User.id == AgentProfile.user_id)
        .where(
            AgentProfile.tenant_id == ticket.tenant_id,
            AgentProfile.is_available.is_(True),
            User.is_active.is_(True),
            User.deleted_at.is_(None),
        )
    ).scalars()
    loads = agent_loads(session, ticket.tenant_id)
    wanted = {value for value in (ticket.category, _product_skill(session, ticket)) if value}
    candidates = []
    for profile in profiles:
        if exclude and profile.user_id in exclude:
            continue
        load = loads.get(profile.user_id, 0)
        if load >= profile.max_open_tickets:
            continue
        skilled = bool(wanted & set(profile.skills or []))
        last = ensure_utc(profile.last_assigned_at).timestamp() if profile.last_assigned_at else 0
        candidates.append((not skilled, load, last, str(profile.user_id), profile, skilled))
    if not candidates:
        return None
    candidates.sort(key=lambda item: item[:4])
    _, load, _, _, profile, skilled = candidates[0]
    reasons: list[dict[str, Any]] = []
    if skilled:
        reasons.append({"code": "skill", "value": sorted(wanted & set(profile.skills))})
    elif wanted:
        reasons.append({"code": "no_skilled_agent", "value": sorted(wanted)})
    reasons.append({"code": "load", "value": load, "max": profile.max_open_tickets})
    same = [item for item in candidates if item[:2] == candidates[0][:2]]
    if len(same) > 1:
        reasons.append({"code": "round_robin", "value": len(same)})
    return AgentChoice(profile.user_id, reasons)


def _product_skill(session: Session, ticket: Ticket) -> str | None:
    if ticket.product_id is None:
        return None
    from zhike.sales.models import Product

    name = session.scalar(select(Product.name).where(Product.id == ticket.product_id))
    return str(name) if name else None


def mark_assigned(session: Session, ticket: Ticket, user_id: uuid.UUID) -> None:
    profile = session.scalar(
        select(AgentProfile).where(
            AgentProfile.tenant_id == ticket.tenant_id, AgentProfile.user_id == user_id
        )
    )
    if profile is not None:
        from zhike.core.timeutil import utc_now

        profile.last_assigned_at = utc_now()


def predict_resolution_hours(
    session: Session, tenant_id: uuid.UUID, category: str | None, priority: str
) -> tuple[float, dict[str, Any]]:
    """Median hours to resolve similar tickets, narrowing from category and priority outwards."""
    rows = session.execute(
        select(Ticket.category, Ticket.priority, Ticket.opened_at, Ticket.resolved_at)
        .where(
            Ticket.tenant_id == tenant_id,
            Ticket.deleted_at.is_(None),
            Ticket.resolved_at.is_not(None),
            Ticket.opened_at.is_not(None),
        )
        .order_by(Ticket.resolved_at.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    durations = [
        (row_category, row_priority, (ensure_utc(resolved) - ensure_utc(opened)).total_seconds())
        for row_category, row_priority, opened, resolved in rows
        if opened is not None and resolved is not None
    ]
    levels = (
        ("category_priority", lambda c, p: c == category and p == priority),
        ("category", lambda c, p: c == category),
        ("priority", lambda c, p: p == priority),
        ("all", lambda c, p: True),
    )
    for basis, matches in levels:
        if basis.startswith("category") and category is None:
            continue
        hours = [seconds / 3600 for c, p, seconds in durations if matches(c, p)]
        if len(hours) >= MIN_SIMILAR:
            median = round(statistics.median(hours), 2)
            return median, {"basis": basis, "tickets": len(hours), "median_hours": median}
    default = DEFAULT_RESOLUTION_HOURS.get(priority, 24.0)
    return default, {"basis": "default", "tickets": len(durations), "median_hours": default}


def require_ticket_worker(session: Session, user: User) -> None:
    """Raise unless ``user``'s role may edit tickets, as taking one means working on it."""
    grant = resolve_role(session, user.tenant_id, user.role).grant("tickets")
    if grant is None or "update" not in grant.actions:
        raise InvalidInput("ticket_agent_not_allowed", name=user.display_name)
