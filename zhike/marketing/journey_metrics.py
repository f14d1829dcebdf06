"""Journey metrics per step and per A/B branch: engagement, conversions, revenue, cost, ROI.

Delivery and engagement counts are those of ``measurement.py``, narrowed to the
period. Conversions follow the campaign definition: a won opportunity of a
contact, or of any contact of the same account. It is a conversion of the
journey when the journey delivered a message to one of those contacts within
the journey's ``attribution_window_days`` before the close day ended (tenant
time zone). Those deliveries, in time order, are the conversion's touches, and
the chosen attribution model of ``attribution.py`` splits the conversion among
them. Under last touch, the step that delivered the last message before the
close gets the whole conversion and its amount. A step's ``converted`` is the
sum of its shares, and its revenue is the same shares of the opportunity
amounts, kept per currency because amounts in different currencies are never
added.

A step costs its fixed cost (``step_costs.py``) plus the per-send cost of its
channel for each message delivered in the period. ROI is (revenue - cost) / cost
in the cost's currency, and is null with a reason when there is no cost, when
the cost is in several currencies or when revenue is in another currency.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, cast

from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from zhike.analytics.periods import local_today, resolve_period
from zhike.core.errors import InvalidInput
from zhike.core.timeutil import local_midnight_utc
from zhike.customers.models import Contact
from zhike.marketing import attribution
from zhike.marketing.automation_models import EngagementEvent, Journey, MessageSend
from zhike.marketing.consent import tenant_settings
from zhike.marketing.journey_graph import JourneyGraph, SendStep, SplitStep
from zhike.marketing.journeys import get_journey
from zhike.marketing.measurement import EVENT_METRICS, _metrics
from zhike.marketing.money_totals import (
    MoneyAmount,
    money_list,
    return_on_investment,
)
from zhike.marketing.step_costs import step_costs
from zhike.marketing.won_deals import won_opportunities
from zhike.sales.models import Opportunity
from zhike.security.access import require
from zhike.security.context import Actor
from zhike.security.models import Tenant
from zhike.security.tenant_settings import FISCAL_YEAR_SETTING

AttributionModel = Literal[
    "first_touch", "last_touch", "linear", "time_decay", "position_based", "markov"
]
_RULE_BASED_MODELS: dict[str, Callable[[list[attribution.Path]], attribution.Credits]] = {
    "first_touch": attribution.first_touch,
    "last_touch": attribution.last_touch,
    "linear": attribution.linear,
    "time_decay": attribution.time_decay,
    "position_based": attribution.position_based,
}


# -- response schemas -----------------------------------------------------------------

# ``no_cost_incurred``: a fixed or per-send cost is set, but nothing was delivered and no
# fixed cost applies, so there is no spending yet to compare revenue with.
JourneyRoiUnavailableReason = Literal[
    "no_cost", "no_cost_incurred", "mixed_currencies", "currency_mismatch"
]


class OutcomeMetrics(BaseModel):
    """Counts, money and ROI of a step, a branch or the whole journey."""

    requested: int
    delivered: int
    blocked: int
    deferred: int
    bounced: int
    failed: int
    opened: int
    clicked: int
    unsubscribed: int
    complained: int
    open_rate: float | None
    click_rate: float | None
    # Conversions credited by the attribution model, fractional under shared-credit models.
    converted: float
    # Conversions with at least one touch here, whatever the model.
    influenced_conversions: int
    revenue: list[MoneyAmount]
    cost: list[MoneyAmount]
    # Blocked and deferred sends by the reason the send gate recorded, e.g. no_consent.
    blocked_reasons: dict[str, int]
    deferred_reasons: dict[str, int]
    roi: Decimal | None
    roi_currency: str | None
    roi_unavailable_reason: JourneyRoiUnavailableReason | None


class StepMetrics(OutcomeMetrics):
    step_id: str
    # None for a step id that only older versions of the graph contain.
    step_type: str | None
    channel: str | None
    fixed_cost: MoneyAmount | None
    send_cost: MoneyAmount | None


class BranchMetrics(OutcomeMetrics):
    split_step_id: str
    branch: str


class JourneyStepMetrics(BaseModel):
    journey_id: uuid.UUID
    name: str
    model: AttributionModel
    attribution_window_days: int
    period: str | None
    # Local dates of the tenant, both inclusive, or None when the period is open on that side.
    starts_on: date | None
    ends_on: date | None
    total: OutcomeMetrics
    steps: list[StepMetrics]
    branches: list[BranchMetrics]


# -- period -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    name: str | None
    starts_on: date | None
    ends_on: date | None
    start: datetime | None
    end: datetime | None

    def conditions(self, moment: Any) -> list[Any]:
        """Build the SQL conditions that ``moment`` lies in the period."""
        conditions = []
        if self.start is not None:
            conditions.append(moment >= self.start)
        if self.end is not None:
            conditions.append(moment < self.end)
        return conditions

    def contains_day(self, day: date) -> bool:
        return (self.starts_on is None or day >= self.starts_on) and (
            self.ends_on is None or day <= self.ends_on
        )


def resolve_metrics_period(
    tenant: Tenant | None, name: str | None, starts_on: date | None, ends_on: date | None
) -> Period:
    """Turn a named period or a date range (both inclusive) into UTC bounds in the tenant's zone."""
    zone = tenant.timezone if tenant is not None else "Asia/Shanghai"
    if name and (starts_on is not None or ends_on is not None):
        raise InvalidInput("marketing_period_conflict", period=name)
    if name:
        stored = (tenant.settings or {}) if tenant is not None else {}
        fiscal_start = stored.get(FISCAL_YEAR_SETTING, 1)
        fiscal_start = (
            fiscal_start if isinstance(fiscal_start, int) and 1 <= fiscal_start <= 12 else 1
        )
        first, after = resolve_period(name, local_today(zone), fiscal_start)
        starts_on, ends_on = first, after - timedelta(days=1)
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise InvalidInput(
            "marketing_period_order", start=starts_on.isoformat(), end=ends_on.isoformat()
        )
    return Period(
        name or None,
        starts_on,
        ends_on,
        local_midnight_utc(starts_on, zone) if starts_on is not None else None,
        local_midnight_utc(ends_on + timedelta(days=1), zone) if ends_on is not None else None,
    )


# -- accumulation -----------------------------------------------------------------------


@dataclass
class _Tally:
    """Everything counted for one row before it becomes a response object."""

    sends: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    events: dict[str, set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))
    converted: Decimal = Decimal(0)
    influenced: set[int] = field(default_factory=set)
    revenue: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    cost: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    reasons: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    # A cost applies to this row (fixed or per send), whether or not any was incurred.
    cost_set: bool = False

    def outcome(self) -> dict[str, Any]:
        counts = {kind: len(self.events.get(kind, set())) for kind in EVENT_METRICS}
        roi, roi_currency, reason = return_on_investment(self.revenue, self.cost)
        unavailable: JourneyRoiUnavailableReason | None = reason
        if reason == "no_cost" and self.cost_set:
            unavailable = "no_cost_incurred"
        return {
            **_metrics(self.sends, counts),
            "converted": float(round(self.converted, 4)),
            "influenced_conversions": len(self.influenced),
            "revenue": money_list(self.revenue),
            "cost": money_list(self.cost),
            "roi": roi,
            "roi_currency": roi_currency,
            "roi_unavailable_reason": unavailable,
            "blocked_reasons": self._reasons("blocked"),
            "deferred_reasons": self._reasons("deferred"),
        }

    def _reasons(self, status: str) -> dict[str, int]:
        found = {reason: n for (kind, reason), n in self.reasons.items() if kind == status}
        return dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))


def parse_variants(variant: str | None) -> list[tuple[str, str]]:
    """Split a send's variant (``split1=A/split2=B``) into (split step, branch) pairs."""
    if not variant:
        return []
    pairs = []
    for part in variant.split("/"):
        split_id, _, branch = part.partition("=")
        if split_id and branch:
            pairs.append((split_id, branch))
    return pairs


@dataclass(frozen=True)
class _Delivery:
    contact_id: uuid.UUID
    step_id: str
    variant: str | None
    at: datetime


@dataclass
class _Conversion:
    touches: list[_Delivery]
    amount: Decimal
    currency: str
    end: datetime


# -- the metrics ------------------------------------------------------------------------


class _Calculation:
    def __init__(
        self,
        session: Session,
        actor: Actor,
        journey: Journey,
        period: Period,
        model: AttributionModel,
    ) -> None:
        self.session = session
        self.actor = actor
        self.journey = journey
        self.graph = JourneyGraph.model_validate(journey.graph)
        self.period = period
        self.model = model
        self.window = timedelta(days=self.graph.attribution_window_days)
        tenant = session.get(Tenant, actor.tenant_id)
        self.zone = tenant.timezone if tenant is not None else "Asia/Shanghai"
        self.total = _Tally()
        self.steps: dict[str, _Tally] = defaultdict(_Tally)
        self.branches: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
        # Delivered messages in the period by step and channel, and by branch too.
        self.delivered: dict[tuple[str, str], int] = defaultdict(int)
        self.branch_delivered: dict[tuple[str, str, str, str], int] = defaultdict(int)
        self.per_send: dict[str, tuple[Decimal, str]] = {}

    def _parts(self, step_id: str | None, variant: str | None) -> list[_Tally]:
        """Return the step's tally and the tally of every branch the message came through."""
        found = [self.steps[step_id]] if step_id is not None else []
        found.extend(self.branches[pair] for pair in parse_variants(variant))
        return found

    def _tallies(self, step_id: str | None, variant: str | None) -> list[_Tally]:
        return [self.total, *self._parts(step_id, variant)]

    def count_sends(self) -> None:
        sent_or_requested = func.coalesce(MessageSend.sent_at, MessageSend.created_at)
        rows = self.session.execute(
            select(
                MessageSend.step_id,
                MessageSend.variant,
                MessageSend.channel,
                MessageSend.status,
                MessageSend.reason,
                func.count(MessageSend.id),
            )
            .where(
                MessageSend.tenant_id == self.actor.tenant_id,
                MessageSend.journey_id == self.journey.id,
                *self.period.conditions(sent_or_requested),
            )
            .group_by(
                MessageSend.step_id,
                MessageSend.variant,
                MessageSend.channel,
                MessageSend.status,
                MessageSend.reason,
            )
        )
        for step_id, variant, channel, status, reason, count in rows:
            for tally in self._tallies(step_id, variant):
                tally.sends[str(status)] += int(count)
                if status in ("blocked", "deferred"):
                    tally.reasons[(str(status), reason or "unknown")] += int(count)
            if status == "sent" and step_id is not None:
                self.delivered[(step_id, channel)] += int(count)
                for split_id, branch in parse_variants(variant):
                    self.branch_delivered[(split_id, branch, step_id, channel)] += int(count)

    def count_events(self) -> None:
        rows = self.session.execute(
            select(
                EngagementEvent.step_id,
                EngagementEvent.variant,
                EngagementEvent.kind,
                EngagementEvent.contact_id,
            )
            .where(
                EngagementEvent.tenant_id == self.actor.tenant_id,
                EngagementEvent.journey_id == self.journey.id,
                EngagementEvent.kind.in_(EVENT_METRICS),
                EngagementEvent.contact_id.is_not(None),
                *self.period.conditions(EngagementEvent.occurred_at),
            )
            .distinct()
        )
        for step_id, variant, kind, contact_id in rows:
            if contact_id is None:
                continue
            for tally in self._tallies(step_id, variant):
                tally.events[str(kind)].add(contact_id)

    def _delivery_conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [
            MessageSend.tenant_id == self.actor.tenant_id,
            MessageSend.journey_id == self.journey.id,
            MessageSend.status == "sent",
            MessageSend.sent_at.is_not(None),
            MessageSend.step_id.is_not(None),
        ]
        if self.period.start is not None:
            conditions.append(MessageSend.sent_at >= self.period.start - self.window)
        if self.period.end is not None:
            conditions.append(MessageSend.sent_at < self.period.end)
        return conditions

    def _deliveries(self) -> dict[uuid.UUID, list[_Delivery]]:
        """Delivered messages that can be touches of a conversion closed in the period."""
        statement = select(
            MessageSend.contact_id, MessageSend.step_id, MessageSend.variant, MessageSend.sent_at
        ).where(*self._delivery_conditions())
        found: dict[uuid.UUID, list[_Delivery]] = defaultdict(list)
        for contact_id, step_id, variant, sent_at in self.session.execute(statement):
            if sent_at is not None:
                found[contact_id].append(_Delivery(contact_id, str(step_id), variant, sent_at))
        return found

    def _conversions(
        self, deliveries: dict[uuid.UUID, list[_Delivery]]
    ) -> tuple[list[_Conversion], set[uuid.UUID]]:
        """Won opportunities of touched contacts or their accounts, with their touches."""
        if not deliveries:
            return [], set()
        # Subqueries, not id lists: a large journey would pass SQLite's bound-parameter limit.
        touched = select(MessageSend.contact_id).where(*self._delivery_conditions())
        account_of = dict(
            self.session.execute(
                select(Contact.id, Contact.account_id).where(
                    Contact.tenant_id == self.actor.tenant_id, Contact.id.in_(touched)
                )
            ).all()
        )
        contacts_of_account: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for contact_id, account_id in account_of.items():
            if account_id is not None:
                contacts_of_account[account_id].append(contact_id)
        # Every won opportunity of the tenant counts, whatever the caller may read;
        # only sums per step and branch leave this module (see ``won_deals``).
        won = won_opportunities(
            self.actor.tenant_id,
            Opportunity.contact_id,
            Opportunity.account_id,
            Opportunity.amount,
            Opportunity.currency,
            Opportunity.closed_on,
        ).where(
            or_(
                Opportunity.contact_id.in_(touched),
                Opportunity.account_id.in_(
                    select(Contact.account_id).where(
                        Contact.tenant_id == self.actor.tenant_id,
                        Contact.id.in_(touched),
                        Contact.account_id.is_not(None),
                    )
                ),
            )
        )
        conversions: list[_Conversion] = []
        converted_people: set[uuid.UUID] = set()
        for buyer_id, account_id, amount, currency, closed_on in self.session.execute(won):
            if closed_on is None or not self.period.contains_day(closed_on):
                continue
            end = local_midnight_utc(closed_on + timedelta(days=1), self.zone)
            people = {buyer_id} if buyer_id is not None else set()
            if account_id is not None:
                people.update(contacts_of_account.get(account_id, []))
            touches = sorted(
                (
                    delivery
                    for person in people
                    for delivery in deliveries.get(person, [])
                    if end - self.window <= delivery.at < end
                ),
                key=lambda delivery: (delivery.at, delivery.step_id),
            )
            if touches:
                converted_people |= people
                conversions.append(
                    _Conversion(touches, amount or Decimal(0), currency or "CNY", end)
                )
        return conversions, converted_people

    def credit_conversions(self) -> None:
        deliveries = self._deliveries()
        conversions, converted_people = self._conversions(deliveries)
        for index, conversion in enumerate(conversions):
            self.total.converted += 1
            self.total.influenced.add(index)
            self.total.revenue[conversion.currency] += conversion.amount
            for touch in conversion.touches:
                for tally in self._parts(touch.step_id, touch.variant):
                    tally.influenced.add(index)
        if self.model == "markov":
            credited = self._markov_credits(conversions, deliveries, converted_people)
        else:
            credited = [
                (touch, conversion.currency, share, conversion.amount * share)
                for conversion in conversions
                for touch, share in zip(
                    conversion.touches, self._path_shares(conversion), strict=True
                )
            ]
        for touch, currency, share, revenue in credited:
            for tally in self._parts(touch.step_id, touch.variant):
                tally.converted += share
                tally.revenue[currency] += revenue

    def _path_shares(self, conversion: _Conversion) -> list[Decimal]:
        """Compute each touch's share of one conversion under a rule-based attribution model."""
        # Numbering the touches keeps two deliveries of one step apart in the model.
        path = attribution.Path(
            [
                attribution.Touch(str(number), touch.at)
                for number, touch in enumerate(conversion.touches)
            ],
            True,
            1.0,
            conversion.end,
        )
        credits = _RULE_BASED_MODELS[self.model]([path])
        return [
            Decimal(repr(credits.get(str(number), 0.0)))
            for number in range(len(conversion.touches))
        ]

    def _markov_credits(
        self,
        conversions: list[_Conversion],
        deliveries: dict[uuid.UUID, list[_Delivery]],
        converted_people: set[uuid.UUID],
    ) -> list[tuple[_Delivery, str, Decimal, Decimal]]:
        """Split each currency's conversions and revenue among steps by removal effect.

        The data-driven model credits steps, not touches, so a step's credit is shared
        equally by its touches in converting paths, which lets branches add them up.
        When no step has a removal effect, the currency's conversions stay uncredited.
        Returns (touch, currency, conversion share, revenue share) for every touch.
        """
        quiet_paths = [
            attribution.Path(
                [
                    attribution.Touch(touch.step_id, touch.at)
                    for touch in sorted(touches, key=lambda touch: touch.at)
                ],
                False,
                0.0,
            )
            for contact_id, touches in deliveries.items()
            if contact_id not in converted_people
        ]
        by_currency: dict[str, list[_Conversion]] = defaultdict(list)
        for conversion in conversions:
            by_currency[conversion.currency].append(conversion)
        credited: list[tuple[_Delivery, str, Decimal, Decimal]] = []
        for currency, group in sorted(by_currency.items()):
            paths = [
                attribution.Path(
                    [attribution.Touch(touch.step_id, touch.at) for touch in conversion.touches],
                    True,
                    1.0,
                    conversion.end,
                )
                for conversion in group
            ]
            # With a value of 1 per path the credits add up to the number of conversions.
            credits = attribution.markov([*paths, *quiet_paths])
            revenue = sum((conversion.amount for conversion in group), Decimal(0))
            touches_of_step: dict[str, list[_Delivery]] = defaultdict(list)
            for conversion in group:
                for touch in conversion.touches:
                    touches_of_step[touch.step_id].append(touch)
            # A first-order chain can credit a step that touched none of this currency's
            # conversions, so only the steps that did share them, in proportion to their credits.
            weights = {
                step_id: Decimal(repr(credits.get(step_id, 0.0))) for step_id in touches_of_step
            }
            weight_total = sum(weights.values(), Decimal(0))
            if weight_total <= 0:
                continue
            for step_id, touches in touches_of_step.items():
                share = weights[step_id] * len(group) / weight_total / len(touches)
                for touch in touches:
                    credited.append((touch, currency, share, revenue * share / len(group)))
        return credited

    def add_costs(self) -> dict[str, Any]:
        """Add fixed and per-send costs; return the fixed cost rows by step id."""
        settings = tenant_settings(self.session, self.actor.tenant_id)
        per_send = {
            channel: (Decimal(str(cost["amount"])), str(cost["currency"]))
            for channel, cost in (settings.send_costs or {}).items()
        }
        fixed = step_costs(self.session, self.journey)
        self._mark_costs_set(per_send, fixed)
        for (step_id, channel), count in self.delivered.items():
            if channel in per_send:
                amount, currency = per_send[channel]
                for tally in (self.total, self.steps[step_id]):
                    tally.cost[currency] += amount * count
        for (split_id, branch, _step_id, channel), count in self.branch_delivered.items():
            if channel in per_send:
                amount, currency = per_send[channel]
                self.branches[(split_id, branch)].cost[currency] += amount * count
        for step_id, row in fixed.items():
            for tally in (self.total, self.steps[step_id]):
                tally.cost[row.currency] += row.amount
            self._share_fixed_cost(step_id, row.amount, row.currency)
        self.per_send = per_send
        return fixed

    def _mark_costs_set(self, per_send: dict[str, Any], fixed: dict[str, Any]) -> None:
        """Note the rows a cost applies to, so a zero cost reads as "none yet", not "none set"."""
        priced = {
            step.id
            for step in self.graph.steps
            if isinstance(step, SendStep) and step.channel in per_send
        }
        priced |= set(fixed)
        for step_id in priced:
            self.steps[step_id].cost_set = True
        if priced:
            self.total.cost_set = True
            # A branch's messages come from priced steps too when the journey has any.
            for step in self.graph.steps:
                if isinstance(step, SplitStep):
                    for branch in step.branches:
                        self.branches[(step.id, branch.name)].cost_set = True

    def _share_fixed_cost(self, step_id: str, amount: Decimal, currency: str) -> None:
        """Give each branch the part of a send step's fixed cost that its deliveries make up."""
        step_total = sum(count for (step, _), count in self.delivered.items() if step == step_id)
        if step_total == 0:
            return
        for (split_id, branch, step, _channel), count in self.branch_delivered.items():
            if step == step_id:
                self.branches[(split_id, branch)].cost[currency] += amount * count / step_total

    def result(self, fixed: dict[str, Any]) -> JourneyStepMetrics:
        graph_steps = {step.id: step for step in self.graph.steps}
        ordered = [*graph_steps, *sorted(set(self.steps) - set(graph_steps))]
        steps = []
        for step_id in ordered:
            step = graph_steps.get(step_id)
            channel = step.channel if isinstance(step, SendStep) else None
            cost_row = fixed.get(step_id)
            send_cost = self.per_send.get(channel) if channel is not None else None
            steps.append(
                StepMetrics(
                    step_id=step_id,
                    step_type=step.type if step is not None else None,
                    channel=channel,
                    fixed_cost=MoneyAmount(currency=cost_row.currency, amount=cost_row.amount)
                    if cost_row is not None
                    else None,
                    send_cost=MoneyAmount(currency=send_cost[1], amount=send_cost[0])
                    if send_cost is not None
                    else None,
                    **self.steps[step_id].outcome(),
                )
            )
        branches = [
            BranchMetrics(
                split_step_id=step.id,
                branch=branch.name,
                **self.branches[(step.id, branch.name)].outcome(),
            )
            for step in self.graph.steps
            if isinstance(step, SplitStep)
            for branch in step.branches
        ]
        return JourneyStepMetrics(
            journey_id=self.journey.id,
            name=self.journey.name,
            model=self.model,
            attribution_window_days=self.graph.attribution_window_days,
            period=self.period.name,
            starts_on=self.period.starts_on,
            ends_on=self.period.ends_on,
            total=OutcomeMetrics(**self.total.outcome()),
            steps=steps,
            branches=branches,
        )


def journey_step_metrics(
    session: Session,
    actor: Actor,
    journey_id: uuid.UUID,
    *,
    period: str | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    model: str = "last_touch",
) -> JourneyStepMetrics:
    """Compute the metrics of every step and A/B branch of a journey in a period."""
    journey = get_journey(session, actor, journey_id)
    require(actor, "marketing_metrics", "read")
    if model not in attribution.MODELS:
        raise InvalidInput(
            "marketing_unknown_attribution_model", model=model, known=", ".join(attribution.MODELS)
        )
    resolved = resolve_metrics_period(
        session.get(Tenant, actor.tenant_id), period, starts_on, ends_on
    )
    calculation = _Calculation(session, actor, journey, resolved, cast(AttributionModel, model))
    calculation.count_sends()
    calculation.count_events()
    calculation.credit_conversions()
    fixed = calculation.add_costs()
    return calculation.result(fixed)
