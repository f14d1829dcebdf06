"""Multi-touch attribution of conversions to campaign touches.

Six models over the same paths, for side-by-side comparison: first touch,
last touch, linear, time decay (credit halves every ``half_life_days`` before
the conversion), position-based (40 % first, 40 % last, 20 % shared by the
middle) and data-driven: the removal effect of a first-order Markov chain
(Anderl, Becker, von Wangenheim and Schumann, "Mapping the customer journey",
2016). Every model hands out exactly the conversions' total value.
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.timeutil import local_midnight_utc
from zhike.customers.models import Contact
from zhike.marketing.models import Campaign, CampaignMember
from zhike.sales.models import Opportunity, PipelineStage
from zhike.security.access import require, scope_select
from zhike.security.context import Actor
from zhike.security.models import Tenant

MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based", "markov")


@dataclass
class Touch:
    channel: str
    at: datetime


@dataclass
class Path:
    """One person's touches in time order; ``value`` counts only when ``converted``."""

    touches: list[Touch]
    converted: bool
    value: float = 1.0
    converted_at: datetime | None = None
    reference: dict[str, Any] = field(default_factory=dict)


Credits = dict[str, float]


def _add(credits: Credits, channel: str, amount: float) -> None:
    credits[channel] = credits.get(channel, 0.0) + amount


def first_touch(paths: list[Path]) -> Credits:
    credits: Credits = {}
    for path in paths:
        if path.converted and path.touches:
            _add(credits, path.touches[0].channel, path.value)
    return credits


def last_touch(paths: list[Path]) -> Credits:
    credits: Credits = {}
    for path in paths:
        if path.converted and path.touches:
            _add(credits, path.touches[-1].channel, path.value)
    return credits


def linear(paths: list[Path]) -> Credits:
    credits: Credits = {}
    for path in paths:
        if path.converted and path.touches:
            share = path.value / len(path.touches)
            for touch in path.touches:
                _add(credits, touch.channel, share)
    return credits


def time_decay(paths: list[Path], half_life_days: float = 7.0) -> Credits:
    credits: Credits = {}
    for path in paths:
        if not path.converted or not path.touches:
            continue
        end = path.converted_at or path.touches[-1].at
        weights = [
            0.5 ** (max((end - touch.at).total_seconds(), 0.0) / 86400.0 / half_life_days)
            for touch in path.touches
        ]
        total = sum(weights)
        for touch, weight in zip(path.touches, weights, strict=True):
            _add(credits, touch.channel, path.value * weight / total)
    return credits


def position_based(paths: list[Path], ends: float = 0.4) -> Credits:
    credits: Credits = {}
    for path in paths:
        if not path.converted or not path.touches:
            continue
        touches = path.touches
        if len(touches) == 1:
            _add(credits, touches[0].channel, path.value)
        elif len(touches) == 2:
            _add(credits, touches[0].channel, path.value / 2)
            _add(credits, touches[1].channel, path.value / 2)
        else:
            _add(credits, touches[0].channel, path.value * ends)
            _add(credits, touches[-1].channel, path.value * ends)
            middle = path.value * (1 - 2 * ends) / (len(touches) - 2)
            for touch in touches[1:-1]:
                _add(credits, touch.channel, middle)
    return credits


START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"


def _transitions(paths: list[Path]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for path in paths:
        if not path.touches:
            continue
        states = [START, *(touch.channel for touch in path.touches)]
        states.append(CONVERSION if path.converted else NULL)
        for here, there in itertools.pairwise(states):
            counts[here][there] += 1
    return counts


def conversion_probability(counts: dict[str, dict[str, int]], removed: str | None = None) -> float:
    """Compute the chance of reaching conversion from the start; a removed channel leads to null."""
    transient = sorted(state for state in counts if state != removed)
    if START not in transient:
        return 0.0
    index = {state: position for position, state in enumerate(transient)}
    size = len(transient)
    moves = np.zeros((size, size))
    absorbed = np.zeros(size)
    for state in transient:
        total = sum(counts[state].values())
        for target, count in counts[state].items():
            probability = count / total
            if target == CONVERSION:
                absorbed[index[state]] += probability
            elif target in index:
                moves[index[state], index[target]] += probability
            # Moves to null or to the removed channel end the path without conversion.
    reach = np.linalg.solve(np.eye(size) - moves, absorbed)
    return float(reach[index[START]])


def removal_effects(paths: list[Path]) -> dict[str, float]:
    counts = _transitions(paths)
    base = conversion_probability(counts)
    channels = sorted({touch.channel for path in paths for touch in path.touches})
    if base <= 0:
        return dict.fromkeys(channels, 0.0)
    return {
        channel: 1.0 - conversion_probability(counts, removed=channel) / base
        for channel in channels
    }


def markov(paths: list[Path]) -> Credits:
    effects = removal_effects(paths)
    total_effect = sum(effects.values())
    total_value = sum(path.value for path in paths if path.converted and path.touches)
    if total_effect <= 0:
        return {}
    return {channel: total_value * effect / total_effect for channel, effect in effects.items()}


def attribute(paths: list[Path], half_life_days: float = 7.0) -> dict[str, Credits]:
    """Run every model on the same paths."""
    return {
        "first_touch": first_touch(paths),
        "last_touch": last_touch(paths),
        "linear": linear(paths),
        "time_decay": time_decay(paths, half_life_days),
        "position_based": position_based(paths),
        "markov": markov(paths),
    }


# -- paths from the CRM ------------------------------------------------------------


def crm_paths(session: Session, actor: Actor, lookback_days: int = 365) -> list[Path]:
    """Build one path per won opportunity (converting) and per touched contact without one.

    Touches are campaign members of the opportunity's contact, or of any contact of its
    account, before the close day ended, within ``lookback_days``. Channels are
    campaign names.
    """
    for name in ("campaigns", "campaign_members", "opportunities", "contacts"):
        require(actor, name, "read")
    tenant = session.get(Tenant, actor.tenant_id)
    zone = tenant.timezone if tenant is not None else "Asia/Shanghai"
    names = dict(
        session.execute(scope_select(actor, Campaign, select(Campaign.id, Campaign.name))).all()
    )
    touches_by_contact: dict[uuid.UUID, list[Touch]] = defaultdict(list)
    members = scope_select(
        actor,
        CampaignMember,
        select(CampaignMember.contact_id, CampaignMember.campaign_id, CampaignMember.touched_at),
    ).where(CampaignMember.contact_id.is_not(None), CampaignMember.touched_at.is_not(None))
    for contact_id, campaign_id, touched_at in session.execute(members):
        if campaign_id in names and contact_id is not None and touched_at is not None:
            touches_by_contact[contact_id].append(Touch(names[campaign_id], touched_at))
    account_of = (
        dict(
            session.execute(
                scope_select(actor, Contact, select(Contact.id, Contact.account_id)).where(
                    Contact.id.in_(list(touches_by_contact))
                )
            ).all()
        )
        if touches_by_contact
        else {}
    )
    contacts_of_account: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for contact_id, account_id in account_of.items():
        if account_id is not None:
            contacts_of_account[account_id].append(contact_id)
    won = scope_select(
        actor,
        Opportunity,
        select(
            Opportunity.id,
            Opportunity.contact_id,
            Opportunity.account_id,
            Opportunity.amount,
            Opportunity.closed_on,
        )
        .join(PipelineStage, PipelineStage.id == Opportunity.stage_id)
        .where(PipelineStage.is_won.is_(True), Opportunity.closed_on.is_not(None)),
    )
    paths: list[Path] = []
    converted_contacts: set[uuid.UUID] = set()
    for opportunity_id, contact_id, account_id, amount, closed_on in session.execute(won):
        if closed_on is None:
            continue
        end = local_midnight_utc(closed_on + timedelta(days=1), zone)
        start = end - timedelta(days=lookback_days)
        people = {contact_id} if contact_id is not None else set()
        if account_id is not None:
            people.update(contacts_of_account.get(account_id, []))
        touches = sorted(
            (
                t
                for person in people
                for t in touches_by_contact.get(person, [])
                if start <= t.at < end
            ),
            key=lambda touch: touch.at,
        )
        if not touches:
            continue
        converted_contacts |= people
        paths.append(
            Path(
                touches,
                True,
                float(amount or Decimal(0)),
                end,
                {"opportunity_id": str(opportunity_id)},
            )
        )
    for contact_id, touches in touches_by_contact.items():
        if contact_id not in converted_contacts:
            paths.append(Path(sorted(touches, key=lambda touch: touch.at), False, 0.0))
    return paths


def compare_models(session: Session, actor: Actor, lookback_days: int = 365) -> dict[str, Any]:
    """Attribute won revenue to campaigns by every model, side by side."""
    paths = crm_paths(session, actor, lookback_days)
    results = attribute(paths)
    channels = sorted({channel for credits in results.values() for channel in credits})
    return {
        "conversions": sum(1 for path in paths if path.converted),
        "revenue": round(sum(path.value for path in paths if path.converted), 2),
        "paths": len(paths),
        "models": list(MODELS),
        "rows": [
            {
                "campaign": channel,
                **{model: round(results[model].get(channel, 0.0), 2) for model in MODELS},
            }
            for channel in channels
        ],
    }
