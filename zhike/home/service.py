"""The home page summary: tasks, KPIs, funnel, forecast against target, risks and stalled deals.

Every figure is read through ``scope_select``, so a sales rep sees their own
records, a manager their team tree and a director the company, exactly as in
the lists the figures drill down to. A part whose object the role may not read
is left out rather than refused, so one missing grant does not blank the page.
Amounts are summed in the tenant's currency only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from zhike.ai.models.explain import render_factors
from zhike.ai.models.models import ModelScore, ModelVersion
from zhike.core.timeutil import local_midnight_utc, utc_now
from zhike.customers.models import Account
from zhike.home.schemas import (
    AtRiskAccount,
    Drill,
    Forecast,
    ForecastMonth,
    FunnelStage,
    HomeScope,
    HomeSummary,
    Kpi,
    StalledDealItem,
    TaskItem,
    TaskPanel,
)
from zhike.sales.models import Activity, Lead, Opportunity, PipelineStage
from zhike.sales.quotas import add_months, fiscal_start_month, quarter_start, target_amount
from zhike.sales.stalled import find_stalled
from zhike.security.access import grant_for, scope_select
from zhike.security.context import Actor
from zhike.security.fields import hidden_fields
from zhike.service.models import Ticket

TASK_HORIZON_DAYS = 7
TASK_LIMIT = 10
AT_RISK_LIMIT = 10
AT_RISK_MIN_SCORE = 0.5
STALLED_LIMIT = 10
OPEN_TICKET_STATUSES = ("new", "open", "pending", "on_hold")
CHURN_TEMPLATE = "churn_risk"


@dataclass(frozen=True)
class _Period:
    start: date
    end: date
    previous_start: date
    # The previous period cut to as many days as have passed in the current one.
    previous_end: date


def _to_date(start: date, today: date, months: int) -> _Period:
    previous_start = add_months(start, -months)
    elapsed = (today - start).days + 1
    previous_end = min(previous_start + timedelta(days=elapsed), start)
    return _Period(start, add_months(start, months), previous_start, previous_end)


def _can_read(actor: Actor, object_name: str) -> bool:
    grant = grant_for(actor, object_name)
    return grant is not None and "read" in grant.actions


def _scope(actor: Actor) -> HomeScope:
    grant = grant_for(actor, "opportunities")
    if grant is None or grant.scope == "own":
        return "own"
    return "company" if grant.scope == "company" else "team"


def _change(value: Decimal, previous: Decimal) -> float | None:
    if previous == 0:
        return None
    return float(round((value - previous) / previous, 4))


class HomeBuilder:
    """Builder of one user's home summary, with one method per part of the page."""

    def __init__(self, session: Session, actor: Actor, now: datetime | None = None) -> None:
        self.session = session
        self.actor = actor
        self.now = now or utc_now()
        self.today = self.now.astimezone(_zone(actor.timezone)).date()
        self.fiscal_start = fiscal_start_month(session, actor.tenant_id)
        self.stages = list(
            session.scalars(
                scope_select(actor, PipelineStage, select(PipelineStage)).order_by(
                    PipelineStage.position
                )
            )
        )
        self.won_ids = [stage.id for stage in self.stages if stage.is_won]
        self.open_ids = [
            stage.id for stage in self.stages if not stage.is_won and not stage.is_lost
        ]
        self.amount_hidden = "amount" in hidden_fields(actor, "opportunities")

    def build(self) -> HomeSummary:
        reads_opportunities = _can_read(self.actor, "opportunities")
        at_risk, available = self.at_risk() if _can_read(self.actor, "accounts") else ([], False)
        return HomeSummary(
            scope=_scope(self.actor),
            currency=self.actor.currency,
            today=self.today,
            tasks=self.tasks() if _can_read(self.actor, "activities") else None,
            kpis=self.kpis(),
            funnel=self.funnel() if reads_opportunities else [],
            forecast=self.forecast() if reads_opportunities and not self.amount_hidden else None,
            at_risk=at_risk,
            at_risk_available=available,
            stalled=self.stalled() if reads_opportunities else [],
        )

    def _stage_name(self, stage: PipelineStage) -> str:
        return stage.name_zh if self.actor.locale == "zh-CN" else stage.name_en

    def _opportunities(self, *columns: Any) -> Any:
        return scope_select(self.actor, Opportunity, select(*columns))

    def tasks(self) -> TaskPanel:
        horizon = self.now + timedelta(days=TASK_HORIZON_DAYS)
        base = scope_select(self.actor, Activity, select(Activity)).where(
            Activity.kind == "task",
            Activity.status == "open",
            Activity.owner_id == self.actor.user_id,
            Activity.due_at.is_not(None),
            Activity.due_at < horizon,
        )
        due = base.subquery()
        counts = self.session.execute(
            select(func.count().filter(due.c.due_at < self.now), func.count()).select_from(due)
        ).one()
        rows = self.session.scalars(base.order_by(Activity.due_at, Activity.id).limit(TASK_LIMIT))
        items = [
            TaskItem(
                id=row.id,
                subject=row.subject,
                due_at=row.due_at,
                is_overdue=row.due_at < self.now,
                account_id=row.account_id,
                contact_id=row.contact_id,
                lead_id=row.lead_id,
                opportunity_id=row.opportunity_id,
                drill=Drill(object="activities", record_id=row.id),
            )
            for row in rows
            if row.due_at is not None
        ]
        overdue = int(counts[0] or 0)
        return TaskPanel(
            overdue=overdue,
            due_soon=int(counts[1] or 0) - overdue,
            horizon_days=TASK_HORIZON_DAYS,
            items=items,
            drill=Drill(
                object="activities",
                filters={
                    "kind": "task",
                    "status": "open",
                    "owner_id": str(self.actor.user_id),
                    "due_at__lt": horizon.isoformat(),
                },
            ),
        )

    def _won_between(self, start: date, end: date) -> Decimal:
        statement = self._opportunities(func.sum(Opportunity.amount)).where(
            Opportunity.stage_id.in_(self.won_ids),
            Opportunity.closed_on >= start,
            Opportunity.closed_on < end,
            Opportunity.currency == self.actor.currency,
        )
        return Decimal(self.session.scalar(statement) or 0)

    def _won_kpi(self, key: str, period: _Period) -> Kpi:
        value = self._won_between(period.start, period.end)
        previous = self._won_between(period.previous_start, period.previous_end)
        return Kpi(
            key=key,
            kind="amount",
            value=value,
            previous=previous,
            change=_change(value, previous),
            period_start=period.start,
            period_end=period.end,
            drill=Drill(
                object="opportunities",
                filters={
                    "stage_id__in": ",".join(str(stage_id) for stage_id in self.won_ids),
                    "closed_on__gte": period.start.isoformat(),
                    "closed_on__lt": period.end.isoformat(),
                },
            ),
        )

    def kpis(self) -> list[Kpi]:
        month = _to_date(self.today.replace(day=1), self.today, 1)
        quarter = _to_date(quarter_start(self.today, self.fiscal_start), self.today, 3)
        kpis: list[Kpi] = []
        if _can_read(self.actor, "opportunities") and not self.amount_hidden:
            kpis.append(self._won_kpi("won_this_month", month))
            kpis.append(self._won_kpi("won_this_quarter", quarter))
            open_amount = self.session.scalar(
                self._opportunities(func.sum(Opportunity.amount)).where(
                    Opportunity.stage_id.in_(self.open_ids),
                    Opportunity.currency == self.actor.currency,
                )
            )
            kpis.append(
                Kpi(
                    key="open_pipeline",
                    kind="amount",
                    value=Decimal(open_amount or 0),
                    previous=None,
                    change=None,
                    period_start=None,
                    period_end=None,
                    drill=Drill(
                        object="opportunities",
                        filters={"stage_id__in": ",".join(str(i) for i in self.open_ids)},
                    ),
                )
            )
        if _can_read(self.actor, "leads"):
            kpis.append(self._new_leads(month))
        if _can_read(self.actor, "tickets"):
            count = self.session.scalar(
                scope_select(self.actor, Ticket, select(func.count())).where(
                    Ticket.status.in_(OPEN_TICKET_STATUSES)
                )
            )
            kpis.append(
                Kpi(
                    key="open_tickets",
                    kind="count",
                    value=Decimal(count or 0),
                    previous=None,
                    change=None,
                    period_start=None,
                    period_end=None,
                    drill=Drill(
                        object="tickets", filters={"status__in": ",".join(OPEN_TICKET_STATUSES)}
                    ),
                )
            )
        return kpis

    def _new_leads(self, period: _Period) -> Kpi:
        zone = self.actor.timezone

        def count(start: date, end: date) -> Decimal:
            statement = scope_select(self.actor, Lead, select(func.count())).where(
                Lead.created_at >= local_midnight_utc(start, zone),
                Lead.created_at < local_midnight_utc(end, zone),
            )
            return Decimal(self.session.scalar(statement) or 0)

        value = count(period.start, period.end)
        previous = count(period.previous_start, period.previous_end)
        return Kpi(
            key="new_leads_this_month",
            kind="count",
            value=value,
            previous=previous,
            change=_change(value, previous),
            period_start=period.start,
            period_end=period.end,
            drill=Drill(
                object="leads",
                filters={
                    "created_at__gte": local_midnight_utc(period.start, zone).isoformat(),
                    "created_at__lt": local_midnight_utc(period.end, zone).isoformat(),
                },
            ),
        )

    def funnel(self) -> list[FunnelStage]:
        in_currency = Opportunity.currency == self.actor.currency
        rows = self.session.execute(
            self._opportunities(
                Opportunity.stage_id,
                func.count(),
                func.sum(case((in_currency, Opportunity.amount))),
                func.count(case((in_currency, None), else_=Opportunity.id)),
            )
            .where(Opportunity.stage_id.in_(self.open_ids))
            .group_by(Opportunity.stage_id)
        ).all()
        # Counts cover every deal, as the stage's drill-down list does. An amount in another
        # currency cannot be added to the tenant's, so each stage reports how many it left out.
        totals = {row[0]: (int(row[1]), Decimal(row[2] or 0), int(row[3])) for row in rows}
        empty = (0, Decimal(0), 0)
        return [
            FunnelStage(
                stage_id=stage.id,
                key=stage.key,
                name=self._stage_name(stage),
                count=totals.get(stage.id, empty)[0],
                amount=None if self.amount_hidden else totals.get(stage.id, empty)[1],
                other_currency_count=totals.get(stage.id, empty)[2],
                drill=Drill(object="opportunities", filters={"stage_id": str(stage.id)}),
            )
            for stage in self.stages
            if stage.id in self.open_ids
        ]

    def _target(self, start: date) -> Decimal | None:
        scope = _scope(self.actor)
        if scope == "company":
            return target_amount(
                self.session, self.actor, start, user_ids=(), team_ids=(), company=True
            )
        if scope == "team":
            members = tuple(
                {*self.actor.subtree_members, *self.actor.department_members}
                | ({self.actor.user_id} if self.actor.user_id else set())
            )
            teams = (self.actor.team_id,) if self.actor.team_id else ()
            return target_amount(
                self.session, self.actor, start, user_ids=members, team_ids=teams, company=False
            )
        users = (self.actor.user_id,) if self.actor.user_id else ()
        return target_amount(
            self.session, self.actor, start, user_ids=users, team_ids=(), company=False
        )

    def forecast(self) -> Forecast:
        start = quarter_start(self.today, self.fiscal_start)
        end = add_months(start, 3)
        probabilities = {stage.id: stage.probability for stage in self.stages}
        current_month = self.today.replace(day=1)
        months = [add_months(start, offset) for offset in range(3)]
        won = {month: Decimal(0) for month in months}
        weighted = {month: Decimal(0) for month in months}
        won_rows = self.session.execute(
            self._opportunities(Opportunity.closed_on, Opportunity.amount).where(
                Opportunity.stage_id.in_(self.won_ids),
                Opportunity.closed_on >= start,
                Opportunity.closed_on < end,
                Opportunity.currency == self.actor.currency,
            )
        )
        for closed_on, amount in won_rows:
            won[closed_on.replace(day=1)] += Decimal(amount or 0)

        open_rows = self.session.execute(
            self._opportunities(
                Opportunity.expected_close_date,
                Opportunity.amount,
                Opportunity.probability,
                Opportunity.stage_id,
            ).where(
                Opportunity.stage_id.in_(self.open_ids),
                Opportunity.expected_close_date < end,
                Opportunity.currency == self.actor.currency,
            )
        )
        for expected, amount, probability, stage_id in open_rows:
            month = max(expected.replace(day=1), current_month)
            if month not in weighted:
                continue
            chance = probability if probability is not None else probabilities.get(stage_id, 0)
            weighted[month] += Decimal(amount or 0) * Decimal(chance) / Decimal(100)

        won_total = sum(won.values(), Decimal(0))
        weighted_total = sum(weighted.values(), Decimal(0)).quantize(Decimal("0.01"))
        target = self._target(start)
        return Forecast(
            period_start=start,
            period_end=end,
            target=target,
            won=won_total,
            weighted_pipeline=weighted_total,
            forecast=won_total + weighted_total,
            attainment=float(round(won_total / target, 4)) if target else None,
            months=[
                ForecastMonth(
                    month=month,
                    won=won[month],
                    weighted_pipeline=weighted[month].quantize(Decimal("0.01")),
                )
                for month in months
            ],
            drill=Drill(
                object="opportunities",
                filters={
                    "stage_id__in": ",".join(str(i) for i in self.open_ids),
                    "expected_close_date__lt": end.isoformat(),
                },
            ),
        )

    def _churn_model_has_scored(self) -> bool:
        """Tell whether a production churn model exists and has scored at least one account.

        Cold-start rule scores alone do not count, so the panel reports an untrained model
        instead of an empty list that would read as "no account is at risk".
        """
        in_production = self.session.scalar(
            select(ModelVersion.id)
            .where(
                ModelVersion.tenant_id == self.actor.tenant_id,
                ModelVersion.template == CHURN_TEMPLATE,
                ModelVersion.status == "production",
            )
            .limit(1)
        )
        if in_production is None:
            return False
        scored = self.session.scalar(
            select(ModelScore.id)
            .where(
                ModelScore.tenant_id == self.actor.tenant_id,
                ModelScore.template == CHURN_TEMPLATE,
                ModelScore.object_name == "accounts",
                ModelScore.model_version_id.is_not(None),
            )
            .limit(1)
        )
        return scored is not None

    def at_risk(self) -> tuple[list[AtRiskAccount], bool]:
        if not self._churn_model_has_scored():
            return [], False
        statement = (
            scope_select(self.actor, Account, select(Account.id, Account.name, ModelScore))
            .join(ModelScore, ModelScore.record_id == Account.id)
            .where(
                ModelScore.tenant_id == self.actor.tenant_id,
                ModelScore.template == CHURN_TEMPLATE,
                ModelScore.object_name == "accounts",
                ModelScore.score >= AT_RISK_MIN_SCORE,
            )
            .order_by(ModelScore.score.desc(), Account.id)
            .limit(AT_RISK_LIMIT)
        )
        items = [
            AtRiskAccount(
                account_id=account_id,
                name=name,
                score=round(float(score.score), 4),
                label=score.label,
                source=score.source,
                reasons=[
                    factor["text"]
                    for factor in render_factors(score.top_factors or [], self.actor.locale)
                ],
                drill=Drill(object="accounts", record_id=account_id),
            )
            for account_id, name, score in self.session.execute(statement)
        ]
        return items, True

    def stalled(self) -> list[StalledDealItem]:
        deals = find_stalled(self.session, self.actor, self.now)
        if not deals:
            return []
        # The detector reads the tenant's whole stage history; keep only what the user may read.
        readable: dict[uuid.UUID, tuple[str, Decimal | None]] = {
            row[0]: (row[1], row[2])
            for row in self.session.execute(
                self._opportunities(Opportunity.id, Opportunity.name, Opportunity.amount).where(
                    Opportunity.id.in_([deal.opportunity_id for deal in deals])
                )
            )
        }
        items = []
        for deal in deals:
            if deal.opportunity_id not in readable:
                continue
            name, amount = readable[deal.opportunity_id]
            items.append(
                StalledDealItem(
                    opportunity_id=deal.opportunity_id,
                    name=name,
                    stage_name=deal.stage_name,
                    amount=None if self.amount_hidden else amount,
                    days_in_stage=deal.days_in_stage,
                    typical_days=deal.typical_days,
                    reason=deal.reason,
                    drill=Drill(object="opportunities", record_id=deal.opportunity_id),
                )
            )
            if len(items) >= STALLED_LIMIT:
                break
        return items


def _zone(name: str) -> Any:
    from zhike.core.timeutil import load_zone

    return load_zone(name)


def home_summary(session: Session, actor: Actor, now: datetime | None = None) -> HomeSummary:
    """Build the signed-in user's home page summary."""
    return HomeBuilder(session, actor, now).build()
