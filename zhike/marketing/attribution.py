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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.timeutil import local_midnight_utc
from zhike.customers.models import Contact
from zhike.marketing.models import Campaign, CampaignMember
from zhike.marketing.money_totals import CENT, MoneyAmount, money_list
from zhike.marketing.won_deals import won_opportunities
from zhike.sales.models import Opportunity
from zhike.security.access import require, scope_select
from zhike.security.context import Actor, system_actor
from zhike.security.models import Tenant

MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based", "markov")


@dataclass
class Touch:
    channel: str
    at: datetime


@dataclass
class Path:
    """One person's touches in time order; ``value`` counts only when ``converted``.

    ``amount`` and ``currency`` are the exact revenue of a converting CRM path;
    the models themselves work on ``value``.
    """

    touches: list[Touch]
    converted: bool
    value: float = 1.0
    converted_at: datetime | None = None
    reference: dict[str, Any] = field(default_factory=dict)
    amount: Decimal = Decimal(0)
    currency: str | None = None


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


class AttributionRow(BaseModel):
    """Revenue of one currency credited to one campaign by each model."""

    campaign: str
    currency: str
    first_touch: Decimal
    last_touch: Decimal
    linear: Decimal
    time_decay: Decimal
    position_based: Decimal
    markov: Decimal


class AttributionComparison(BaseModel):
    conversions: int
    # One amount per currency of the converting opportunities.
    revenue: list[MoneyAmount]
    paths: int
    models: list[str]
    rows: list[AttributionRow]


def crm_paths(session: Session, actor: Actor, lookback_days: int = 365) -> list[Path]:
    """Build one path per won opportunity (converting) and per touched contact without one.

    Touches are campaign members of the opportunity's contact, or of any contact of its
    account, before the close day ended, within ``lookback_days``. Channels are the
    names of the campaigns the actor may read. Members, contacts and opportunities
    are read for the whole tenant (``won_deals``), so the paths carry opportunity
    ids for the caller's own use and must never be returned as they are.
    """
    require(actor, "campaigns", "read")
    require(actor, "marketing_metrics", "read")
    tenant = session.get(Tenant, actor.tenant_id)
    zone = tenant.timezone if tenant is not None else "Asia/Shanghai"
    whole_tenant = system_actor(actor.tenant_id)
    names = dict(
        session.execute(scope_select(actor, Campaign, select(Campaign.id, Campaign.name))).all()
    )
    touches_by_contact: dict[uuid.UUID, list[Touch]] = defaultdict(list)
    members = scope_select(
        whole_tenant,
        CampaignMember,
        select(CampaignMember.contact_id, CampaignMember.campaign_id, CampaignMember.touched_at),
    ).where(CampaignMember.contact_id.is_not(None), CampaignMember.touched_at.is_not(None))
    for contact_id, campaign_id, touched_at in session.execute(members):
        if campaign_id in names and contact_id is not None and touched_at is not None:
            touches_by_contact[contact_id].append(Touch(names[campaign_id], touched_at))
    account_of = (
        dict(
            session.execute(
                scope_select(whole_tenant, Contact, select(Contact.id, Contact.account_id)).where(
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
    won = won_opportunities(
        actor.tenant_id,
        Opportunity.id,
        Opportunity.contact_id,
        Opportunity.account_id,
        Opportunity.amount,
        Opportunity.currency,
        Opportunity.closed_on,
    )
    paths: list[Path] = []
    converted_contacts: set[uuid.UUID] = set()
    for opportunity_id, contact_id, account_id, amount, currency, closed_on in session.execute(won):
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
                amount or Decimal(0),
                currency,
            )
        )
    for contact_id, touches in touches_by_contact.items():
        if contact_id not in converted_contacts:
            paths.append(Path(sorted(touches, key=lambda touch: touch.at), False, 0.0))
    return paths


_RULE_BASED_MODELS: dict[str, Callable[[list[Path]], Credits]] = {
    "first_touch": first_touch,
    "last_touch": last_touch,
    "linear": linear,
    "time_decay": time_decay,
    "position_based": position_based,
}


def credit_by_currency(paths: list[Path]) -> dict[str, dict[str, dict[str, Decimal]]]:
    """Credit each currency's revenue to channels by every model: currency -> model -> channel.

    Rule-based models split each converting path's exact ``amount`` by the path's
    shares. The data-driven model runs on each currency's converting paths together
    with every path without a conversion, and splits that currency's revenue by the
    resulting credits.
    """
    quiet = [path for path in paths if not path.converted and path.touches]
    by_currency: dict[str, list[Path]] = defaultdict(list)
    for path in paths:
        if path.converted and path.touches and path.currency is not None:
            by_currency[path.currency].append(path)
    result: dict[str, dict[str, dict[str, Decimal]]] = {}
    for currency, group in sorted(by_currency.items()):
        credits: dict[str, dict[str, Decimal]] = {model: defaultdict(Decimal) for model in MODELS}
        counted = [Path(path.touches, True, 1.0, path.converted_at) for path in group]
        for path, single in zip(group, counted, strict=True):
            for model, function in _RULE_BASED_MODELS.items():
                for channel, share in function([single]).items():
                    credits[model][channel] += path.amount * Decimal(repr(share))
        # With a value of 1 per path the Markov credits add up to the number of conversions.
        markov_credits = markov([*counted, *quiet])
        credit_total = Decimal(repr(sum(markov_credits.values())))
        revenue = sum((path.amount for path in group), Decimal(0))
        if credit_total > 0:
            for channel, credit in markov_credits.items():
                credits["markov"][channel] += revenue * Decimal(repr(credit)) / credit_total
        result[currency] = credits
    return result


def compare_models(
    session: Session, actor: Actor, lookback_days: int = 365
) -> AttributionComparison:
    """Attribute won revenue to campaigns by every model, side by side, one row per currency."""
    paths = crm_paths(session, actor, lookback_days)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for path in paths:
        if path.converted and path.currency is not None:
            revenue[path.currency] += path.amount
    rows = []
    for currency, credits in credit_by_currency(paths).items():
        channels = sorted({channel for model in MODELS for channel in credits[model]})
        for channel in channels:
            amounts = {
                model: credits[model].get(channel, Decimal(0)).quantize(CENT) for model in MODELS
            }
            rows.append(AttributionRow(campaign=channel, currency=currency, **amounts))
    rows.sort(key=lambda row: (row.campaign, row.currency))
    return AttributionComparison(
        conversions=sum(1 for path in paths if path.converted),
        revenue=money_list(revenue),
        paths=len(paths),
        models=list(MODELS),
        rows=rows,
    )
