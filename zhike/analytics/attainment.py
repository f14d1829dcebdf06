"""Forecast against target for one fiscal quarter, per owner or per team.

For each subject the quarter's figures are:

- ``won``: amount of deals in a won stage closed inside the quarter;
- ``committed``: ``won`` plus the open deals expected to close in the quarter
  whose stage probability is at least ``COMMIT_PROBABILITY`` (the default
  pipeline's "commit" stage and later);
- ``weighted_pipeline``: every open deal expected in the quarter, amount times
  its probability (the deal's own, else its stage's);
- ``forecast``: ``won`` plus ``weighted_pipeline``.

While the quarter is running, open deals whose expected close date has passed
still count, since they can only close from now on. Only deals in the tenant's
currency are added up, because amounts in another currency cannot be summed
with them. Only deals the viewer may read count, so a sales rep gets their own figures.
Targets come from ``zhike.sales.quotas``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.analytics.periods import check_supported_day, local_today
from zhike.core.errors import Forbidden, InvalidInput
from zhike.sales.models import Opportunity, PipelineStage
from zhike.sales.quotas import add_months, fiscal_start_month, list_targets, quarter_start
from zhike.security.access import grant_for, require, scope_select
from zhike.security.context import Actor
from zhike.security.fields import hidden_fields, masked_fields
from zhike.security.models import Team, User

COMMIT_PROBABILITY = 80
CENT = Decimal("0.01")
GroupBy = Literal["owner", "team"]


class AttainmentRow(BaseModel):
    """The figures of one owner or team. ``id`` is null for deals without an owner or team."""

    id: uuid.UUID | None
    name: str | None
    target: Decimal | None
    won: Decimal
    committed: Decimal
    weighted_pipeline: Decimal
    forecast: Decimal
    attainment: float | None = Field(description="won / target, or null without a target")
    forecast_attainment: float | None = Field(description="forecast / target")


class ForecastAttainment(BaseModel):
    period_start: date
    period_end: date = Field(description="first day after the quarter")
    currency: str
    group_by: GroupBy
    rows: list[AttainmentRow]
    total: AttainmentRow


@dataclass
class _Sums:
    won: Decimal = Decimal(0)
    committed: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)

    def add(self, other: _Sums) -> None:
        self.won += other.won
        self.committed += other.committed
        self.weighted += other.weighted


def forecast_attainment(
    session: Session,
    actor: Actor,
    *,
    period_start: date | None = None,
    group_by: GroupBy = "owner",
    owner_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
) -> ForecastAttainment:
    """Compute won, committed and weighted forecast against target for one quarter."""
    _require_amounts(session, actor)
    today = local_today(actor.timezone)
    start = _quarter(session, actor, period_start or today, exact=period_start is not None)
    end = add_months(start, 3)
    users = scope_select(actor, User, select(User.id, User.team_id))
    owner_teams: dict[uuid.UUID, uuid.UUID | None] = dict(session.execute(users).all())
    targets = _Targets.load(session, actor, start, owner_teams)

    sums = _deal_sums(session, actor, start, end, start <= today < end, owner_id, team_id)
    by_subject: dict[uuid.UUID | None, _Sums] = defaultdict(_Sums)
    for owner, owner_sums in sums.items():
        by_subject[_subject_of(owner, group_by, owner_teams)].add(owner_sums)
    if _sees_everyone(actor):
        holders = targets.users if group_by == "owner" else targets.teams
        for subject in holders:
            if _in_filter(subject, group_by, owner_teams, owner_id, team_id):
                by_subject.setdefault(subject, _Sums())

    names = _names(session, actor, group_by)
    rows = [
        _row(
            subject,
            None if subject is None else names.get(subject),
            subject_sums,
            targets.of_subject(subject, group_by),
        )
        for subject, subject_sums in by_subject.items()
    ]
    rows.sort(key=lambda row: (row.id is None, -(row.target or 0), row.name or ""))
    total_sums = _Sums()
    for subject_sums in by_subject.values():
        total_sums.add(subject_sums)
    return ForecastAttainment(
        period_start=start,
        period_end=end,
        currency=actor.currency,
        group_by=group_by,
        rows=rows,
        total=_row(None, None, total_sums, targets.total(owner_id, team_id)),
    )


def _require_amounts(session: Session, actor: Actor) -> None:
    require(actor, "opportunities", "read")
    hidden = "amount" in hidden_fields(actor, "opportunities")
    if hidden or masked_fields(session, actor, "opportunities", ["amount"]):
        raise Forbidden("report_field_masked", field="amount")


def _quarter(session: Session, actor: Actor, day: date, *, exact: bool) -> date:
    """Return the first day of the fiscal quarter of ``day``.

    With ``exact``, ``day`` itself must be that first day, or 400 names the right one.
    A day outside the supported dates is a 400 too, since the quarter's end could not be counted.
    """
    check_supported_day(day, "period_start")
    start = quarter_start(day, fiscal_start_month(session, actor.tenant_id))
    if exact and start != day:
        raise InvalidInput(
            "target_not_quarter_start", value=day.isoformat(), expected=start.isoformat()
        )
    return start


def _subject_of(
    owner: uuid.UUID | None, group_by: GroupBy, owner_teams: dict[uuid.UUID, uuid.UUID | None]
) -> uuid.UUID | None:
    if group_by == "owner" or owner is None:
        return owner
    return owner_teams.get(owner)


@dataclass
class _Targets:
    """The quarter's targets in the tenant's currency, by user, by team and for the company."""

    users: dict[uuid.UUID, Decimal]
    teams: dict[uuid.UUID, Decimal]
    company: Decimal | None
    owner_teams: dict[uuid.UUID, uuid.UUID | None]

    @classmethod
    def load(
        cls,
        session: Session,
        actor: Actor,
        start: date,
        owner_teams: dict[uuid.UUID, uuid.UUID | None],
    ) -> _Targets:
        targets = [
            target
            for target in list_targets(session, actor, start)
            if target.currency == actor.currency
        ]
        company = [target.amount for target in targets if not target.user_id and not target.team_id]
        return cls(
            users={target.user_id: target.amount for target in targets if target.user_id},
            teams={target.team_id: target.amount for target in targets if target.team_id},
            company=company[0] if company else None,
            owner_teams=owner_teams,
        )

    def of_team(self, team: uuid.UUID) -> Decimal | None:
        """Return the team's own target, else the sum of its members' targets."""
        if team in self.teams:
            return self.teams[team]
        members = [
            amount for user, amount in self.users.items() if self.owner_teams.get(user) == team
        ]
        return sum(members, Decimal(0)) if members else None

    def of_subject(self, subject: uuid.UUID | None, group_by: GroupBy) -> Decimal | None:
        if subject is None:
            return None
        return self.users.get(subject) if group_by == "owner" else self.of_team(subject)

    def total(self, owner_id: uuid.UUID | None, team_id: uuid.UUID | None) -> Decimal | None:
        if owner_id is not None:
            return self.users.get(owner_id)
        if team_id is not None:
            return self.of_team(team_id)
        return self.company


def _deal_sums(
    session: Session,
    actor: Actor,
    start: date,
    end: date,
    is_running: bool,
    owner_id: uuid.UUID | None,
    team_id: uuid.UUID | None,
) -> dict[uuid.UUID | None, _Sums]:
    statement = (
        scope_select(
            actor,
            Opportunity,
            select(
                Opportunity.owner_id,
                Opportunity.amount,
                Opportunity.probability,
                Opportunity.closed_on,
                Opportunity.expected_close_date,
                PipelineStage.probability,
                PipelineStage.is_won,
                PipelineStage.is_lost,
            ),
        )
        .join(PipelineStage, PipelineStage.id == Opportunity.stage_id)
        .where(Opportunity.currency == actor.currency, PipelineStage.is_lost.is_(False))
    )
    if owner_id is not None:
        statement = statement.where(Opportunity.owner_id == owner_id)
    if team_id is not None:
        members = select(User.id).where(User.tenant_id == actor.tenant_id, User.team_id == team_id)
        statement = statement.where(Opportunity.owner_id.in_(members))
    sums: dict[uuid.UUID | None, _Sums] = defaultdict(_Sums)
    for owner, amount, own_chance, closed_on, expected, stage_chance, is_won, _ in session.execute(
        statement
    ):
        value = Decimal(amount or 0)
        entry = sums[owner]
        if is_won:
            if closed_on is not None and start <= closed_on < end:
                entry.won += value
                entry.committed += value
            continue
        if expected is None or expected >= end or (expected < start and not is_running):
            continue
        chance = own_chance if own_chance is not None else stage_chance
        entry.weighted += value * Decimal(chance) / Decimal(100)
        if stage_chance >= COMMIT_PROBABILITY:
            entry.committed += value
    return sums


def _sees_everyone(actor: Actor) -> bool:
    grant = grant_for(actor, "opportunities")
    return grant is not None and grant.scope == "company"


def _in_filter(
    subject: uuid.UUID | None,
    group_by: GroupBy,
    owner_teams: dict[uuid.UUID, uuid.UUID | None],
    owner_id: uuid.UUID | None,
    team_id: uuid.UUID | None,
) -> bool:
    if group_by == "team":
        return owner_id is None and (team_id is None or subject == team_id)
    if owner_id is not None and subject != owner_id:
        return False
    return team_id is None or (subject is not None and owner_teams.get(subject) == team_id)


def _names(session: Session, actor: Actor, group_by: GroupBy) -> dict[uuid.UUID, str]:
    if group_by == "owner":
        statement = scope_select(actor, User, select(User.id, User.display_name))
    else:
        statement = scope_select(actor, Team, select(Team.id, Team.name))
    return dict(session.execute(statement).all())


def _ratio(value: Decimal, target: Decimal | None) -> float | None:
    return float(round(value / target, 4)) if target else None


def _row(
    subject: uuid.UUID | None, name: str | None, sums: _Sums, target: Decimal | None
) -> AttainmentRow:
    weighted = sums.weighted.quantize(CENT)
    forecast = sums.won + weighted
    return AttainmentRow(
        id=subject,
        name=name,
        target=target,
        won=sums.won,
        committed=sums.committed,
        weighted_pipeline=weighted,
        forecast=forecast,
        attainment=_ratio(sums.won, target),
        forecast_attainment=_ratio(forecast, target),
    )
