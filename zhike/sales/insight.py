"""Rep activity insight (销售行为管理): profiles, best performers, nudges and a playbook.

Every number is computed from stored activities, leads, quotes and stage
history over a period, so a profile can always be explained by counting rows.
The best performers are the top quarter of reps (at least one) by deals won,
then win rate, then user id for a stable order. A rep is shown their own
profile and the team benchmark as medians, never another rep's records.
Managers are shown the reps their data scope covers.
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, or_, select, type_coerce, union
from sqlalchemy.orm import Session

from zhike.analytics.compile import RepeatedUuid
from zhike.core.i18n import translate
from zhike.core.timeutil import ensure_utc, utc_now
from zhike.customers.models import Account
from zhike.sales.models import Activity, Lead, Opportunity, OpportunityStageChange, PipelineStage
from zhike.sales.quote_models import Quote
from zhike.security.access import action_forbidden, require
from zhike.security.context import Actor
from zhike.security.models import User

# Tiers that mark an account as high value, in the usual Chinese and English spellings.
HIGH_VALUE_TIERS = ("A", "KA", "VIP", "strategic", "战略", "重点")
# Open opportunity amount from which an account counts as high value whatever its tier.
HIGH_VALUE_AMOUNT = Decimal("500000")
UNTOUCHED_DAYS = 30

# Metric name -> whether a higher value is better.
METRICS: dict[str, bool] = {
    "visits_per_week": True,
    "calls_per_week": True,
    "meetings_per_week": True,
    "lead_response_hours": False,
    "quote_response_hours": False,
    "avg_days_in_stage": False,
    "stage_conversion": True,
    "win_rate": True,
    "won_count": True,
    "high_value_activity_share": True,
}


class RepProfile(BaseModel):
    user_id: uuid.UUID
    name: str
    is_top_performer: bool
    metrics: dict[str, float | None]
    # Per metric: the rep's value divided by the top performers' median (None without data).
    versus_top: dict[str, float | None]
    days_in_stage: dict[str, float]
    conversion_by_stage: dict[str, float]
    activity_count: int
    progress_count: int
    untouched_high_value_accounts: int


class PlaybookItem(BaseModel):
    metric: str
    top_value: float
    others_value: float | None
    message: str


class Nudge(BaseModel):
    user_id: uuid.UUID
    kind: str
    message: str
    record_id: uuid.UUID | None = None


class TeamInsight(BaseModel):
    period_start: datetime
    period_end: datetime
    reps: list[RepProfile]
    benchmark: dict[str, float | None]
    top_performers: int
    playbook: list[PlaybookItem]
    nudges: list[Nudge]


@dataclass
class _Raw:
    kinds: dict[str, int]
    lead_hours: list[float]
    quote_hours: list[float]
    stage_days: dict[str, list[float]]
    entered: dict[str, int]
    advanced: dict[str, int]
    progress: int
    won: int
    lost: int
    activities_on_high_value: int
    untouched: list[uuid.UUID]


def _empty() -> _Raw:
    return _Raw(
        defaultdict(int),
        [],
        [],
        defaultdict(list),
        defaultdict(int),
        defaultdict(int),
        0,
        0,
        0,
        0,
        [],
    )


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _hours(start: datetime, end: datetime) -> float:
    return max(0.0, (ensure_utc(end) - ensure_utc(start)).total_seconds() / 3600)


def _sales_users(session: Session, tenant_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Active users who own any lead, opportunity or activity: the people the insight is about."""
    owners = union(
        select(Opportunity.owner_id.label("owner")).where(Opportunity.tenant_id == tenant_id),
        select(Lead.owner_id).where(Lead.tenant_id == tenant_id),
        select(Activity.owner_id).where(Activity.tenant_id == tenant_id),
    ).subquery()
    return dict(
        session.execute(
            select(User.id, User.display_name).where(
                User.tenant_id == tenant_id,
                User.is_active.is_(True),
                User.deleted_at.is_(None),
                User.id.in_(select(owners.c.owner)),
            )
        ).all()
    )


def _high_value_accounts(
    session: Session, tenant_id: uuid.UUID
) -> dict[uuid.UUID, uuid.UUID | None]:
    """High-value accounts and their owners: a high tier, or a large open pipeline."""
    open_stage = select(PipelineStage.id).where(
        PipelineStage.tenant_id == tenant_id,
        PipelineStage.is_won.is_(False),
        PipelineStage.is_lost.is_(False),
    )
    large = (
        select(Opportunity.account_id)
        .where(
            Opportunity.tenant_id == tenant_id,
            Opportunity.deleted_at.is_(None),
            Opportunity.account_id.is_not(None),
            Opportunity.stage_id.in_(open_stage),
        )
        .group_by(Opportunity.account_id)
        .having(func.sum(Opportunity.amount) >= HIGH_VALUE_AMOUNT)
    )
    return dict(
        session.execute(
            select(Account.id, Account.owner_id).where(
                Account.tenant_id == tenant_id,
                Account.deleted_at.is_(None),
                or_(Account.tier.in_(HIGH_VALUE_TIERS), Account.id.in_(large)),
            )
        ).all()
    )


def _collect(
    session: Session, tenant_id: uuid.UUID, start: datetime, end: datetime
) -> dict[uuid.UUID, _Raw]:
    raw: dict[Any, _Raw] = defaultdict(_empty)
    high_value = _high_value_accounts(session, tenant_id)

    for owner, kind, account_id, count in session.execute(
        select(Activity.owner_id, Activity.kind, Activity.account_id, func.count())
        .where(
            Activity.tenant_id == tenant_id,
            Activity.deleted_at.is_(None),
            Activity.status == "done",
            Activity.occurred_at >= start,
            Activity.occurred_at < end,
            Activity.owner_id.is_not(None),
        )
        .group_by(Activity.owner_id, Activity.kind, Activity.account_id)
    ):
        raw[owner].kinds[kind] += count
        if account_id in high_value:
            raw[owner].activities_on_high_value += count

    first_touch = (
        select(Activity.lead_id, func.min(Activity.occurred_at).label("first"))
        .where(Activity.tenant_id == tenant_id, Activity.deleted_at.is_(None))
        .group_by(Activity.lead_id)
        .subquery()
    )
    for owner, created, first_contact, first_activity in session.execute(
        select(Lead.owner_id, Lead.created_at, Lead.first_contact_at, first_touch.c.first)
        .outerjoin(first_touch, first_touch.c.lead_id == Lead.id)
        .where(
            Lead.tenant_id == tenant_id,
            Lead.deleted_at.is_(None),
            Lead.owner_id.is_not(None),
            Lead.created_at >= start,
            Lead.created_at < end,
        )
    ):
        touches = [
            ensure_utc(value) for value in (first_contact, first_activity) if value is not None
        ]
        if touches:
            raw[owner].lead_hours.append(_hours(created, min(touches)))

    for owner, requested, sent in session.execute(
        select(Quote.owner_id, Quote.requested_at, Quote.sent_at).where(
            Quote.tenant_id == tenant_id,
            Quote.deleted_at.is_(None),
            Quote.version_number == 1,
            Quote.owner_id.is_not(None),
            Quote.requested_at >= start,
            Quote.requested_at < end,
            Quote.sent_at.is_not(None),
        )
    ):
        if requested is not None and sent is not None:
            raw[owner].quote_hours.append(_hours(requested, sent))

    _collect_stages(session, tenant_id, start, end, raw)

    # Correlated per account, so the search goes through the (account, time) index of
    # activities rather than over every activity of the tenant.
    latest_activity = (
        select(func.max(Activity.occurred_at))
        .where(
            Activity.account_id == Account.id,
            Activity.tenant_id == tenant_id,
            Activity.deleted_at.is_(None),
        )
        .scalar_subquery()
    )
    last_touch = (
        dict(
            session.execute(
                select(Account.id, latest_activity).where(
                    Account.tenant_id == tenant_id, Account.id.in_(list(high_value))
                )
            ).all()
        )
        if high_value
        else {}
    )
    threshold = end - timedelta(days=UNTOUCHED_DAYS)
    for account_id, owner in sorted(high_value.items(), key=lambda item: str(item[0])):
        touched = last_touch.get(account_id)
        if owner is not None and (touched is None or ensure_utc(touched) < threshold):
            raw[owner].untouched.append(account_id)
    return raw


def _collect_stages(
    session: Session,
    tenant_id: uuid.UUID,
    start: datetime,
    end: datetime,
    raw: dict[uuid.UUID, _Raw],
) -> None:
    stages = {
        stage.id: stage
        for stage in session.scalars(
            select(PipelineStage).where(PipelineStage.tenant_id == tenant_id)
        )
    }
    # Every count below needs a stage change inside the period (a stay entered or left then),
    # so the history of opportunities that did not move in the period is left unread.
    moved = select(OpportunityStageChange.opportunity_id).where(
        OpportunityStageChange.tenant_id == tenant_id,
        OpportunityStageChange.changed_at >= start,
        OpportunityStageChange.changed_at < end,
    )
    history: dict[uuid.UUID, list[tuple[datetime, uuid.UUID, uuid.UUID | None]]] = defaultdict(list)
    owners: dict[Any, Any] = {}
    # A Core read on the session's connection, which skips the ORM's per-row handling.
    for opportunity_id, owner, to_stage, from_stage_id, changed_at in session.connection().execute(
        select(
            type_coerce(OpportunityStageChange.opportunity_id, RepeatedUuid()),
            type_coerce(Opportunity.owner_id, RepeatedUuid()),
            type_coerce(OpportunityStageChange.to_stage_id, RepeatedUuid()),
            type_coerce(OpportunityStageChange.from_stage_id, RepeatedUuid()),
            OpportunityStageChange.changed_at,
        )
        .join(Opportunity, Opportunity.id == OpportunityStageChange.opportunity_id)
        .where(
            OpportunityStageChange.tenant_id == tenant_id,
            Opportunity.deleted_at.is_(None),
            Opportunity.owner_id.is_not(None),
            OpportunityStageChange.changed_at < end,
            OpportunityStageChange.opportunity_id.in_(moved),
        )
        .order_by(OpportunityStageChange.opportunity_id, OpportunityStageChange.changed_at)
    ):
        history[opportunity_id].append((ensure_utc(changed_at), to_stage, from_stage_id))
        owners[opportunity_id] = owner
    for opportunity_id, changes in history.items():
        rep = raw[owners[opportunity_id]]
        for index, (entered_at, stage_id, from_stage) in enumerate(changes):
            stage = stages.get(stage_id)
            if stage is None:
                continue
            left_at = changes[index + 1][0] if index + 1 < len(changes) else None
            in_period = start <= entered_at < end
            if in_period and stage.is_won:
                rep.won += 1
            if in_period and stage.is_lost:
                rep.lost += 1
            previous = stages.get(from_stage) if from_stage else None
            moved_forward = previous is not None and (
                stage.is_won or (not stage.is_lost and stage.position > previous.position)
            )
            if in_period and moved_forward:
                rep.progress += 1
            if stage.is_won or stage.is_lost:
                continue
            if in_period:
                rep.entered[stage.key] += 1
                if index + 1 < len(changes):
                    following = stages.get(changes[index + 1][1])
                    if following is not None and (
                        following.is_won
                        or (not following.is_lost and following.position > stage.position)
                    ):
                        rep.advanced[stage.key] += 1
            if left_at is not None and start <= left_at < end:
                rep.stage_days[stage.key].append((left_at - entered_at).total_seconds() / 86400)


def _metrics(raw: _Raw, weeks: float) -> dict[str, float | None]:
    activity_total = sum(raw.kinds.values())
    entered = sum(raw.entered.values())
    days = [value for values in raw.stage_days.values() for value in values]
    closed = raw.won + raw.lost
    return {
        "visits_per_week": round(raw.kinds.get("visit", 0) / weeks, 2),
        "calls_per_week": round(raw.kinds.get("call", 0) / weeks, 2),
        "meetings_per_week": round(raw.kinds.get("meeting", 0) / weeks, 2),
        "lead_response_hours": _round(_median(raw.lead_hours)),
        "quote_response_hours": _round(_median(raw.quote_hours)),
        "avg_days_in_stage": _round(statistics.fmean(days) if days else None),
        "stage_conversion": _round(sum(raw.advanced.values()) / entered if entered else None),
        "win_rate": _round(raw.won / closed if closed else None),
        "won_count": float(raw.won),
        "high_value_activity_share": _round(
            raw.activities_on_high_value / activity_total if activity_total else None
        ),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _visible_users(actor: Actor, users: dict[uuid.UUID, str]) -> list[uuid.UUID]:
    grant = require(actor, "rep_insight", "read")
    if grant.scope == "company":
        return sorted(users, key=str)
    allowed = {actor.user_id} if actor.user_id else set()
    if grant.scope == "department":
        allowed |= set(actor.department_members)
    elif grant.scope == "department_tree":
        allowed |= set(actor.subtree_members)
    return sorted((user for user in users if user in allowed), key=str)


def team_insight(
    session: Session, actor: Actor, days: int = 90, now: datetime | None = None
) -> TeamInsight:
    """Profiles of the reps the actor may see, against the best performers of the whole team."""
    end = now or utc_now()
    start = end - timedelta(days=days)
    users = _sales_users(session, actor.tenant_id)
    visible = _visible_users(actor, users)
    raw = _collect(session, actor.tenant_id, start, end)
    weeks = days / 7
    metrics = {user: _metrics(raw[user], weeks) for user in users}
    ranked = sorted(
        users,
        key=lambda user: (-(raw[user].won), -(metrics[user]["win_rate"] or 0.0), str(user)),
    )
    top_count = max(1, len(ranked) // 4) if ranked else 0
    top = set(ranked[:top_count])
    benchmark = {
        name: _round(_median([value for user in top if (value := metrics[user][name]) is not None]))
        for name in METRICS
    }
    profiles = [
        _profile(user, users[user], user in top, metrics[user], benchmark, raw[user])
        for user in visible
    ]
    playbook = build_playbook(actor.locale, metrics, top)
    nudges = [
        nudge
        for user in visible
        for nudge in _nudges_for(actor.locale, user, metrics, raw, top, users)
    ]
    return TeamInsight(
        period_start=start,
        period_end=end,
        reps=profiles,
        benchmark=benchmark,
        top_performers=top_count,
        playbook=playbook,
        nudges=nudges,
    )


def _profile(
    user: uuid.UUID,
    name: str,
    is_top: bool,
    metrics: dict[str, float | None],
    benchmark: dict[str, float | None],
    raw: _Raw,
) -> RepProfile:
    versus: dict[str, float | None] = {}
    for metric, value in metrics.items():
        reference = benchmark.get(metric)
        versus[metric] = round(value / reference, 2) if value is not None and reference else None
    return RepProfile(
        user_id=user,
        name=name,
        is_top_performer=is_top,
        metrics=metrics,
        versus_top=versus,
        days_in_stage={
            key: round(statistics.fmean(values), 2)
            for key, values in sorted(raw.stage_days.items())
        },
        conversion_by_stage={
            key: round(raw.advanced.get(key, 0) / count, 2)
            for key, count in sorted(raw.entered.items())
        },
        activity_count=sum(raw.kinds.values()),
        progress_count=raw.progress,
        untouched_high_value_accounts=len(raw.untouched),
    )


def build_playbook(
    locale: str, metrics: dict[uuid.UUID, dict[str, float | None]], top: set[uuid.UUID]
) -> list[PlaybookItem]:
    """Turn the metrics where the best performers differ most from the others into rules.

    A metric enters the playbook when the top performers' median is better than the
    others' median by at least 20 percent (or the others have no data); items are
    ordered by that margin, then by metric name.
    """
    items: list[tuple[float, PlaybookItem]] = []
    for metric, higher_is_better in METRICS.items():
        if metric == "won_count":
            continue
        top_values = [value for user in top if (value := metrics[user][metric]) is not None]
        other_values = [
            value
            for user, values in metrics.items()
            if user not in top and (value := values[metric]) is not None
        ]
        top_median = _median(top_values)
        if top_median is None:
            continue
        others = _median(other_values)
        if others is None:
            margin = 1.0
        elif higher_is_better and others:
            margin = (top_median - others) / others
        elif higher_is_better:
            margin = 1.0 if top_median > 0 else 0.0
        else:
            margin = (others - top_median) / others if others else 0.0
        if margin < 0.2:
            continue
        message = translate(
            f"sales_process.playbook.{metric}",
            locale,
            top=_display(top_median),
            others=_display(others) if others is not None else "-",
        )
        items.append(
            (
                margin,
                PlaybookItem(
                    metric=metric, top_value=top_median, others_value=others, message=message
                ),
            )
        )
    items.sort(key=lambda item: (-item[0], item[1].metric))
    return [item for _, item in items]


def _display(value: float) -> str:
    return f"{value:.0%}" if 0 < value < 1 else f"{value:g}"


def _nudges_for(
    locale: str,
    user: uuid.UUID,
    metrics: dict[uuid.UUID, dict[str, float | None]],
    raw: dict[uuid.UUID, _Raw],
    top: set[uuid.UUID],
    users: dict[uuid.UUID, str],
) -> list[Nudge]:
    """Suggest a focus for high activity with little progress; remind of neglected big accounts."""
    nudges = []
    activity = {other: sum(raw[other].kinds.values()) for other in users}
    progress = {other: raw[other].progress for other in users}
    median_activity = statistics.median(activity.values()) if activity else 0
    median_progress = statistics.median(progress.values()) if progress else 0
    if (
        activity[user] > 0
        and activity[user] >= median_activity
        and progress[user] < max(1.0, median_progress)
        and user not in top
    ):
        nudges.append(
            Nudge(
                user_id=user,
                kind="low_progress",
                message=translate(
                    "sales_process.nudge.low_progress",
                    locale,
                    activities=activity[user],
                    progress=progress[user],
                    team=_display(float(median_progress)),
                ),
            )
        )
    for account_id in raw[user].untouched:
        nudges.append(
            Nudge(
                user_id=user,
                kind="untouched_account",
                record_id=account_id,
                message=translate(
                    "sales_process.nudge.untouched_account", locale, days=UNTOUCHED_DAYS
                ),
            )
        )
    return nudges


def rep_profile(session: Session, actor: Actor, user_id: uuid.UUID, days: int = 90) -> RepProfile:
    insight = team_insight(session, actor, days)
    for profile in insight.reps:
        if profile.user_id == user_id:
            return profile
    raise action_forbidden("read", "rep_insight")


def create_nudges(session: Session, tenant_id: uuid.UUID, now: datetime) -> int:
    """Store this week's nudges as notifications, each at most once per rep, kind and week."""
    from zhike.sales.reminders import notify
    from zhike.security.context import system_actor

    actor = system_actor(tenant_id)
    insight = team_insight(session, actor, now=now)
    year, week, _ = now.date().isocalendar()
    created = 0
    for nudge in insight.nudges:
        params: dict[str, Any] = {"days": UNTOUCHED_DAYS}
        if nudge.kind == "low_progress":
            profile = next(item for item in insight.reps if item.user_id == nudge.user_id)
            params = {"activities": profile.activity_count, "progress": profile.progress_count}
        key = f"nudge:{nudge.kind}:{nudge.user_id}:{nudge.record_id or ''}:{year}-W{week:02d}"
        if notify(
            session,
            tenant_id,
            nudge.user_id,
            nudge.kind,
            params,
            "accounts" if nudge.record_id else None,
            nudge.record_id,
            key,
            now=now,
        ):
            created += 1
    return created
