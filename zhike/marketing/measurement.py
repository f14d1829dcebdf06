"""Campaign and journey metrics, and A/B tests with a significance test and a minimum sample.

Delivered counts sends the channel accepted; opened, clicked and unsubscribed
count distinct contacts with that event linked to the campaign or journey.
Converted and revenue influenced count won opportunities of touched contacts
(or of their accounts) closed after the first touch, read for the whole tenant
(``won_deals``). Revenue is kept per currency; cost is the campaign budget, and
ROI is (revenue - cost) / cost in the budget's currency, or null with a reason
(``money_totals``).
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel
from scipy import stats
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhike.core.errors import NotFound
from zhike.core.timeutil import local_midnight_utc
from zhike.customers.models import Contact
from zhike.marketing.automation_models import (
    EngagementEvent,
    Journey,
    JourneyEnrollment,
    MessageSend,
)
from zhike.marketing.journey_graph import JourneyGraph, SplitStep
from zhike.marketing.journeys import get_journey
from zhike.marketing.models import Campaign, CampaignMember
from zhike.marketing.money_totals import (
    MoneyAmount,
    RoiUnavailableReason,
    money_list,
    return_on_investment,
)
from zhike.marketing.won_deals import won_opportunities
from zhike.sales.contracts import local_today
from zhike.sales.models import Opportunity
from zhike.security.access import require, scope_select
from zhike.security.context import Actor
from zhike.security.models import Tenant

# ``not_started``: a campaign that is planned or starts later, has sent nothing and
# converted no one.
CampaignRoiUnavailableReason = RoiUnavailableReason | Literal["not_started"]

ALPHA = 0.05
POWER = 0.8
EVENT_METRICS = ("opened", "clicked", "unsubscribed", "bounced", "complained")


class DeliveryMetrics(BaseModel):
    """Sends by outcome and distinct contacts by engagement event."""

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


class CampaignStepMetrics(DeliveryMetrics):
    step_id: str


class CampaignMetrics(DeliveryMetrics):
    campaign_id: uuid.UUID
    name: str
    converted: int
    # One amount per currency of the won opportunities; currencies are never added.
    revenue_influenced: list[MoneyAmount]
    # The campaign budget in its currency, or empty without a budget.
    cost: list[MoneyAmount]
    roi: Decimal | None
    roi_currency: str | None
    roi_unavailable_reason: CampaignRoiUnavailableReason | None
    steps: list[CampaignStepMetrics]


def _send_counts(session: Session, condition: Any, by_step: bool) -> dict[Any, dict[str, int]]:
    columns = [MessageSend.step_id] if by_step else []
    rows = session.execute(
        select(*columns, MessageSend.status, func.count(MessageSend.id))
        .where(condition)
        .group_by(*columns, MessageSend.status)
    )
    found: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        key = row[0] if by_step else None
        found[key][str(row[-2])] += int(row[-1] or 0)
    return found


def _event_counts(session: Session, condition: Any, by_step: bool) -> dict[Any, dict[str, int]]:
    columns = [EngagementEvent.step_id] if by_step else []
    rows = session.execute(
        select(
            *columns, EngagementEvent.kind, func.count(func.distinct(EngagementEvent.contact_id))
        )
        .where(condition, EngagementEvent.kind.in_(EVENT_METRICS))
        .group_by(*columns, EngagementEvent.kind)
    )
    found: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        key = row[0] if by_step else None
        found[key][str(row[-2])] += int(row[-1] or 0)
    return found


def _metrics(sends: dict[str, int], events: dict[str, int]) -> dict[str, Any]:
    requested = sum(sends.values())
    delivered = sends.get("sent", 0)
    return {
        "requested": requested,
        "delivered": delivered,
        "blocked": sends.get("blocked", 0),
        "deferred": sends.get("deferred", 0) + sends.get("queued", 0) + sends.get("sending", 0),
        "bounced": sends.get("bounced", 0),
        "failed": sends.get("failed", 0),
        **{kind: events.get(kind, 0) for kind in EVENT_METRICS},
        "open_rate": round(events.get("opened", 0) / delivered, 4) if delivered else None,
        "click_rate": round(events.get("clicked", 0) / delivered, 4) if delivered else None,
    }


def _conversions(
    session: Session, actor: Actor, campaign_id: uuid.UUID
) -> tuple[int, dict[str, Decimal]]:
    """Count won opportunities of touched contacts or their accounts, closed after the first touch.

    Returns the count and the revenue per currency.
    """
    tenant = session.get(Tenant, actor.tenant_id)
    zone = tenant.timezone if tenant is not None else "Asia/Shanghai"
    first_touch = dict(
        session.execute(
            select(CampaignMember.contact_id, func.min(CampaignMember.touched_at))
            .where(
                CampaignMember.tenant_id == actor.tenant_id,
                CampaignMember.campaign_id == campaign_id,
                CampaignMember.contact_id.is_not(None),
                CampaignMember.deleted_at.is_(None),
            )
            .group_by(CampaignMember.contact_id)
        ).all()
    )
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    if not first_touch:
        return 0, revenue
    accounts: dict[uuid.UUID, Any] = {}
    for contact_id, account_id in session.execute(
        select(Contact.id, Contact.account_id).where(
            Contact.tenant_id == actor.tenant_id, Contact.id.in_(list(first_touch))
        )
    ):
        if account_id is not None:
            earliest = accounts.get(account_id)
            touched = first_touch[contact_id]
            accounts[account_id] = touched if earliest is None or touched < earliest else earliest
    won = won_opportunities(
        actor.tenant_id,
        Opportunity.contact_id,
        Opportunity.account_id,
        Opportunity.amount,
        Opportunity.currency,
        Opportunity.closed_on,
    )
    count = 0
    for buyer_id, buyer_account_id, amount, currency, closed_on in session.execute(won):
        touched = first_touch.get(buyer_id) if buyer_id is not None else None
        if touched is None and buyer_account_id is not None:
            touched = accounts.get(buyer_account_id)
        if touched is None or closed_on is None:
            continue
        if touched < local_midnight_utc(closed_on + timedelta(days=1), zone):
            count += 1
            revenue[currency] += amount or Decimal(0)
    return count, revenue


def campaign_metrics(session: Session, actor: Actor, campaign_id: uuid.UUID) -> CampaignMetrics:
    """Compute a campaign's delivery, engagement, conversions, revenue, cost and ROI."""
    require(actor, "campaigns", "read")
    require(actor, "marketing_metrics", "read")
    campaign = session.scalars(
        scope_select(actor, Campaign, select(Campaign)).where(Campaign.id == campaign_id)
    ).first()
    if campaign is None:
        raise NotFound("record_not_found", object="campaigns", id=str(campaign_id))
    send_condition = (MessageSend.tenant_id == actor.tenant_id) & (
        MessageSend.campaign_id == campaign_id
    )
    event_condition = (EngagementEvent.tenant_id == actor.tenant_id) & (
        EngagementEvent.campaign_id == campaign_id
    )
    totals = _metrics(
        _send_counts(session, send_condition, False)[None],
        _event_counts(session, event_condition, False)[None],
    )
    converted, revenue = _conversions(session, actor, campaign_id)
    cost: dict[str, Decimal] = {}
    if campaign.budget:
        cost[campaign.currency] = campaign.budget
    roi, roi_currency, reason = return_on_investment(revenue, cost)
    reason_shown: CampaignRoiUnavailableReason | None = reason
    not_begun = campaign.status == "planned" or (
        campaign.starts_on is not None and campaign.starts_on > local_today(actor)
    )
    if not_begun and not totals["requested"] and not converted:
        # A budget that nothing has spent yet would show as a loss of 100 %.
        roi, roi_currency, reason_shown = None, None, "not_started"
    return CampaignMetrics(
        campaign_id=campaign.id,
        name=campaign.name,
        **totals,
        converted=converted,
        revenue_influenced=money_list(revenue),
        cost=money_list(cost),
        roi=roi,
        roi_currency=roi_currency,
        roi_unavailable_reason=reason_shown,
        steps=[
            CampaignStepMetrics(**row)
            for row in _step_rows(session, send_condition, event_condition)
        ],
    )


def _step_rows(session: Session, send_condition: Any, event_condition: Any) -> list[dict[str, Any]]:
    sends = _send_counts(session, send_condition, True)
    events = _event_counts(session, event_condition, True)
    return [
        {"step_id": step, **_metrics(sends.get(step, {}), events.get(step, {}))}
        for step in sorted(key for key in set(sends) | set(events) if key is not None)
    ]


def journey_metrics(session: Session, actor: Actor, journey_id: uuid.UUID) -> dict[str, Any]:
    journey = get_journey(session, actor, journey_id)
    require(actor, "marketing_metrics", "read")
    states = dict(
        session.execute(
            select(JourneyEnrollment.state, func.count(JourneyEnrollment.id))
            .where(JourneyEnrollment.journey_id == journey.id)
            .group_by(JourneyEnrollment.state)
        ).all()
    )
    send_condition = (MessageSend.tenant_id == actor.tenant_id) & (
        MessageSend.journey_id == journey.id
    )
    event_condition = (EngagementEvent.tenant_id == actor.tenant_id) & (
        EngagementEvent.journey_id == journey.id
    )
    return {
        "journey_id": str(journey.id),
        "name": journey.name,
        "enrollments": {state: int(count) for state, count in states.items()},
        "steps": _step_rows(session, send_condition, event_condition),
    }


# -- A/B tests -------------------------------------------------------------------------


def minimum_sample_size(
    baseline: float, effect: float, alpha: float = ALPHA, power: float = POWER
) -> int:
    """Contacts per arm for a two-sided two-proportion test to detect ``effect`` on ``baseline``."""
    low = min(max(baseline, 0.001), 0.999)
    high = min(low + effect, 0.999)
    pooled = (low + high) / 2
    z_alpha = stats.norm.ppf(1 - alpha / 2)
    z_power = stats.norm.ppf(power)
    numerator = (
        z_alpha * math.sqrt(2 * pooled * (1 - pooled))
        + z_power * math.sqrt(low * (1 - low) + high * (1 - high))
    ) ** 2
    needed: float = float(numerator) / (high - low) ** 2
    return math.ceil(needed)


def two_proportion_test(
    success_a: int, total_a: int, success_b: int, total_b: int
) -> tuple[float, float]:
    """Return (z, two-sided p) of the pooled two-proportion z-test."""
    if total_a == 0 or total_b == 0:
        return 0.0, 1.0
    pooled = (success_a + success_b) / (total_a + total_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / total_a + 1 / total_b))
    if spread == 0:
        return 0.0, 1.0
    z = (success_b / total_b - success_a / total_a) / spread
    return z, float(2 * stats.norm.sf(abs(z)))


def _arm_outcomes(
    session: Session, journey: Journey, step: SplitStep
) -> dict[str, tuple[int, int]]:
    entered: dict[str, set[uuid.UUID]] = defaultdict(set)
    reached_goal: set[uuid.UUID] = set()
    for contact_id, variants, state in session.execute(
        select(
            JourneyEnrollment.contact_id, JourneyEnrollment.variants, JourneyEnrollment.state
        ).where(JourneyEnrollment.journey_id == journey.id)
    ):
        branch = (variants or {}).get(step.id)
        if branch is not None:
            entered[str(branch)].add(contact_id)
            if state == "goal":
                reached_goal.add(contact_id)
    if step.metric == "converted":
        succeeded = reached_goal
    else:
        succeeded = set(
            session.scalars(
                select(EngagementEvent.contact_id).where(
                    EngagementEvent.journey_id == journey.id, EngagementEvent.kind == step.metric
                )
            )
        )
    return {
        branch.name: (len(entered[branch.name] & succeeded), len(entered[branch.name]))
        for branch in step.branches
    }


def ab_tests(
    session: Session, actor: Actor, journey_id: uuid.UUID, apply_winner: bool = True
) -> list[dict[str, Any]]:
    """Evaluate every split step; pick a winner when the test is significant and large enough.

    Two arms use the two-proportion z-test; more arms use the chi-square test of
    independence, and the winner is then the best arm. The minimum sample uses the
    control arm's (the first branch's) rate as baseline and the step's minimum
    detectable effect.
    """
    journey = get_journey(session, actor, journey_id, "update" if apply_winner else "read")
    graph = JourneyGraph.model_validate(journey.graph)
    results = []
    for step in graph.steps:
        if not isinstance(step, SplitStep):
            continue
        arms = _arm_outcomes(session, journey, step)
        names = [branch.name for branch in step.branches]
        control_success, control_total = arms[names[0]]
        baseline = control_success / control_total if control_total else 0.1
        needed = minimum_sample_size(baseline, step.minimum_detectable_effect)
        if len(names) == 2:
            z, p_value = two_proportion_test(*arms[names[0]], *arms[names[1]])
            test = "two_proportion_z"
        else:
            table = [[arms[name][0], arms[name][1] - arms[name][0]] for name in names]
            usable = all(sum(row) > 0 for row in table) and any(row[0] for row in table)
            z = 0.0
            p_value = float(stats.chi2_contingency(table)[1]) if usable else 1.0
            test = "chi_square"
        large_enough = all(arms[name][1] >= needed for name in names)
        significant = large_enough and p_value < ALPHA
        rates = {name: (arms[name][0] / arms[name][1] if arms[name][1] else 0.0) for name in names}
        winner = max(names, key=lambda name: rates[name]) if significant else None
        if winner and apply_winner and (journey.winners or {}).get(step.id) != winner:
            journey.winners = {**(journey.winners or {}), step.id: winner}
            session.flush()
        results.append(
            {
                "step_id": step.id,
                "metric": step.metric,
                "test": test,
                "arms": [
                    {
                        "name": name,
                        "successes": arms[name][0],
                        "contacts": arms[name][1],
                        "rate": round(rates[name], 4),
                    }
                    for name in names
                ],
                "z": round(z, 4),
                "p_value": round(p_value, 6),
                "minimum_sample_per_arm": needed,
                "is_large_enough": large_enough,
                "is_significant": significant,
                "winner": winner or (journey.winners or {}).get(step.id),
            }
        )
    return results
