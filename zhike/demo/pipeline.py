"""Demo opportunities moving through the tenant's pipeline, and the leads that fed them."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from zhike.demo.context import DemoContext, DemoLead, DemoOpportunity, money, person
from zhike.demo.identifiers import mobile_number
from zhike.demo.vocabulary import (
    CITIES,
    CONTACT_ROLES,
    INDUSTRIES,
    LEAD_SOURCES,
    LOST_REASONS,
    OPPORTUNITY_PURPOSES,
    TRADE_NAMES,
)
from zhike.sales.models import Lead, Opportunity, OpportunityStageChange, PipelineStage
from zhike.sales.stages import stages_by_key
from zhike.sales.stalled import MAD_SCALE, MIN_LIMIT_DAYS, K

OPPORTUNITY_COUNT = 1500
# Leads per status; converted leads each became one of the opportunities.
LEAD_STATUS_COUNTS = {
    "new": 100,
    "working": 110,
    "qualified": 70,
    "converted": 100,
    "disqualified": 120,
}
# Chance of losing the deal while in each open stage; about two deals in five are won.
_LOSS_CHANCE = (0.25, 0.2, 0.15, 0.15, 0.1)
_DAYS_IN_STAGE = ((3, 20), (5, 25), (7, 30), (7, 35), (5, 25))
_DISCOUNTS = (Decimal("0"), Decimal("0.05"), Decimal("0.08"), Decimal("0.10"), Decimal("0.15"))
# Open deals left sitting in a stage past the stalled-deal limit, each with another owner
# and, while there are stages enough, in another stage.
STALLED_DEAL_COUNT = 5
# How many days beyond the smallest stalled stay a stalled deal's stay may start.
_STALLED_WINDOW_DAYS = 21


def stalled_after_days(index: int) -> int:
    """Return a stay in open stage ``index`` that is past every limit the detector can derive.

    Every finished stay in the stage lies in ``[low, high]`` days (the ``_DAYS_IN_STAGE``
    draw plus up to eight hours). For values in that range the median is at most ``high``
    and the median absolute deviation at most ``(high - low) / 2``. The detector's limit is
    the larger of median + K × scaled MAD and median + MIN_LIMIT_DAYS, so it stays below
    the number returned, whatever the seed and however few stays an owner has.
    """
    low, high = _DAYS_IN_STAGE[index][0], _DAYS_IN_STAGE[index][1] + 1
    spread = K * MAD_SCALE * (high - low) / 2
    return math.ceil(high + max(spread, MIN_LIMIT_DAYS)) + 1


@dataclass
class _StalledDeals:
    """Chooses the deals that stop in an open stage long before today, one per owner."""

    rng: random.Random
    end: datetime
    open_stages: list[PipelineStage]
    owners: set[uuid.UUID] = field(default_factory=set)
    stage_indexes: list[int] = field(default_factory=list)

    def stage_to_stop_in(
        self, path: list[tuple[datetime, uuid.UUID, Decimal]], owner: uuid.UUID
    ) -> int | None:
        """Return the index in ``path`` where the deal stops, or None to leave it as drawn.

        Deals come in order of creation, and only the older deals reach the deep stages
        early enough, so each deal is offered every stage that has no stalled deal yet.
        """
        if len(self.stage_indexes) >= STALLED_DEAL_COUNT or owner in self.owners:
            return None
        untaken = [i for i in range(len(self.open_stages)) if i not in self.stage_indexes]
        # Only a stage the deal later left, because a stop in its last stage changes nothing.
        for index in untaken or range(len(self.open_stages)):
            if index >= len(path) - 1:
                break
            days_in_stage = (self.end - path[index][0]).days
            shortest = stalled_after_days(index)
            if shortest <= days_in_stage <= shortest + _STALLED_WINDOW_DAYS:
                self.owners.add(owner)
                self.stage_indexes.append(index)
                return index
        return None

    def expected_close(self, today: date) -> date:
        """Draw a close date still ahead, as a rep keeps pushing it out."""
        return today + timedelta(days=self.rng.randint(7, 60))


def build_opportunities(context: DemoContext) -> None:
    rng = context.rng("opportunities")
    history_rng = context.rng("stage-history")
    stages = sorted(
        stages_by_key(context.session, context.actor.tenant_id).values(), key=lambda s: s.position
    )
    open_stages = [stage for stage in stages if not stage.is_won and not stage.is_lost]
    won = next(stage for stage in stages if stage.is_won)
    lost = next(stage for stage in stages if stage.is_lost)
    context.stages = stages
    # Its own random stream, so choosing the stalled deals shifts no other draw.
    stalled = _StalledDeals(context.rng("stalled-deals"), context.end, open_stages)

    drafts = sorted(
        context.moment(rng, context.start, context.end - timedelta(hours=1))
        for _ in range(OPPORTUNITY_COUNT)
    )
    for created in drafts:
        account = rng.choice(context.accounts_before(created))
        contacts = context.contacts_by_account.get(account.id) or []
        contact_id = rng.choice(contacts).id if contacts else None
        product_id, product = rng.choice(context.products)
        units = rng.randint(*product.unit_range)
        quoted = money(product.list_price * units)
        final = money(quoted * (1 - rng.choice(_DISCOUNTS)))

        # Walk the pipeline until the deal is won, lost, or the next step would be in the future.
        path: list[tuple[datetime, uuid.UUID, Decimal]] = [(created, open_stages[0].id, quoted)]
        outcome: bool | None = None
        at = created
        for index in range(len(open_stages)):
            step = at + timedelta(days=rng.randint(*_DAYS_IN_STAGE[index]), hours=rng.randint(0, 8))
            if step >= context.end:
                break
            at = step
            if rng.random() < _LOSS_CHANCE[index]:
                path.append((at, lost.id, path[-1][2]))
                outcome = False
                break
            nearly_closed = index + 1 >= len(open_stages) - 2
            amount = final if nearly_closed else quoted
            target = open_stages[index + 1].id if index + 1 < len(open_stages) else won.id
            path.append((at, target, amount))
            if target == won.id:
                outcome = True
        stage_id = path[-1][1]
        stage = next(stage for stage in stages if stage.id == stage_id)
        closed_at = at if outcome is not None else None
        if closed_at is not None:
            expected_close = context.local_date(closed_at)
        else:
            expected_close = context.local_date(created) + timedelta(days=rng.randint(60, 150))
            if expected_close <= context.today:
                expected_close = context.today + timedelta(days=rng.randint(7, 60))
        values: dict[str, object] = {
            "id": context.new_id(rng, created),
            "name": f"{account.short_name}{product.name.split('（')[0].replace(' ', '')}"
            f"{rng.choice(OPPORTUNITY_PURPOSES)}",
            "account_id": account.id,
            "contact_id": contact_id,
            "product_id": product_id,
            "stage_id": stage_id,
            "amount": path[-1][2],
            "currency": "CNY",
            "probability": stage.probability,
            "expected_close_date": expected_close,
            "engaged_on": context.local_date(created),
            "closed_on": context.local_date(closed_at) if closed_at else None,
            "description": f"输单原因：{rng.choice(LOST_REASONS)}" if outcome is False else None,
            "owner_id": account.owner_id,
            "updated_at": path[-1][0],
        }
        # The stop comes after every draw from ``rng`` above, so later opportunities are drawn
        # as they would be without it. Only later stage-history ids shift with the shorter path.
        stop = stalled.stage_to_stop_in(path, account.owner_id)
        if stop is not None:
            path = path[: stop + 1]
            outcome, closed_at = None, None
            values |= {
                "stage_id": open_stages[stop].id,
                "amount": path[-1][2],
                "probability": open_stages[stop].probability,
                "expected_close_date": stalled.expected_close(context.today),
                "closed_on": None,
                "description": None,
                "updated_at": path[-1][0],
            }
        opportunity_id = context.add(Opportunity, values, created)
        previous: uuid.UUID | None = None
        for changed_at, to_stage, amount in path:
            context.add(
                OpportunityStageChange,
                {
                    "id": context.new_id(history_rng, changed_at),
                    "opportunity_id": opportunity_id,
                    "from_stage_id": previous,
                    "to_stage_id": to_stage,
                    "amount": amount,
                    "currency": "CNY",
                    "changed_at": changed_at,
                    "changed_by_id": account.owner_id,
                },
                changed_at,
            )
            previous = to_stage
        context.opportunities.append(
            DemoOpportunity(
                opportunity_id, account, contact_id, account.owner_id, created, closed_at, outcome
            )
        )
    context.writer.flush()


def build_leads(context: DemoContext) -> None:
    rng = context.rng("leads")
    account_names = {account.name for account in context.accounts}
    converted = rng.sample(context.opportunities, LEAD_STATUS_COUNTS["converted"])
    converted_links: dict[uuid.UUID, uuid.UUID] = {}
    recent_days = {"new": 30, "working": 90, "qualified": 120, "disqualified": 700}
    for status, count in LEAD_STATUS_COUNTS.items():
        for index in range(count):
            someone = person(rng)
            title = rng.choice(CONTACT_ROLES)[0]
            values: dict[str, object] = {
                "name": someone.name,
                "title": title,
                "mobile": mobile_number(rng),
                "lead_source": rng.choice(LEAD_SOURCES),
                "status": status,
            }
            if status == "converted":
                opportunity = converted[index]
                account = opportunity.account
                created = opportunity.created_at - timedelta(days=rng.randint(3, 30))
                until = opportunity.created_at
                values |= {
                    "company": account.name,
                    "email": f"{someone.pinyin}@{account.domain}",
                    "province": account.city.province,
                    "city": account.city.name,
                    "converted_at": opportunity.created_at,
                    "converted_account_id": account.id,
                    "converted_contact_id": opportunity.contact_id,
                    "converted_opportunity_id": opportunity.id,
                }
                owner = opportunity.owner_id
            else:
                city = rng.choice(CITIES)
                company = _new_company(rng, city.name, account_names)
                created = context.moment(
                    rng,
                    context.end - timedelta(days=recent_days[status]),
                    context.end - timedelta(hours=2),
                )
                until = context.end
                values |= {
                    "company": company,
                    "email": f"{someone.pinyin}@{_lead_domain(rng)}",
                    "province": city.province,
                    "city": city.name,
                }
                if status == "disqualified":
                    values["description"] = rng.choice(
                        ("无明确预算", "非目标行业", "联系方式无效", "已采购竞品")
                    )
                owner = rng.choice(context.reps_by_region[city.region])
            if status != "new":
                values["first_contact_at"] = created + timedelta(hours=rng.randint(1, 48))
            values["id"] = context.new_id(rng, created)
            values["owner_id"] = owner
            lead_id = context.add(Lead, values, created)
            context.leads.append(DemoLead(lead_id, status, owner, created, until))
            if status == "converted":
                converted_links[converted[index].id] = lead_id
    context.writer.flush()
    context.writer.link(Opportunity, "lead_id", converted_links)


def _new_company(rng: random.Random, city: str, taken: set[str]) -> str:
    """A company not among the accounts: leads are mostly people the CRM has not met yet."""
    while True:
        trade = rng.choice(TRADE_NAMES)[0]
        word = rng.choice(INDUSTRIES)[0]
        name = f"{city}{trade}{word}有限公司"
        if name not in taken:
            taken.add(name)
            return name


def _lead_domain(rng: random.Random) -> str:
    return rng.choice(("example.com", "example.net", "example.org"))
