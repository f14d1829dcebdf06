"""Sales funnel: how many opportunities reach each stage, convert onward, and how long they stay.

An opportunity has reached a stage when it entered that stage or any later
one, or was won: a deal that jumped from qualification to proposal still
passed through the stages in between as far as the funnel is concerned.
Time in stage runs from entering a stage to the next change in the stage
history. A deal still sitting in a stage counts as open there and stays out
of the durations, because its unfinished stay would pull them toward zero.
"""

from __future__ import annotations

import statistics
import uuid
from datetime import date, datetime
from itertools import pairwise

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.timeutil import local_midnight_utc
from zhike.sales.models import Opportunity, OpportunityStageChange, PipelineStage
from zhike.security.access import require, scope_select
from zhike.security.context import Actor
from zhike.security.models import Tenant

SECONDS_PER_DAY = 86_400


class FunnelStage(BaseModel):
    key: str
    name: str
    reached: int = Field(description="deals that entered this stage or a later one, or were won")
    converted_to_next: float | None = Field(
        description="share of those that reached the next step; None for the last step"
    )
    lost_here: int = Field(description="deals lost while this was their furthest open stage")
    open_here: int = Field(description="deals in this stage now")
    median_days_in_stage: float | None
    mean_days_in_stage: float | None
    durations_measured: int


class Funnel(BaseModel):
    created_from: date | None
    created_to: date | None
    opportunities: int
    won: int
    lost: int
    win_rate: float | None = Field(description="won / (won + lost)")
    stages: list[FunnelStage]


def sales_funnel(
    session: Session,
    actor: Actor,
    *,
    created_from: date | None = None,
    created_to: date | None = None,
    owner_id: uuid.UUID | None = None,
) -> Funnel:
    """Build the funnel of the opportunities the actor can read, created in the given days."""
    require(actor, "opportunities", "read")
    tenant = session.get(Tenant, actor.tenant_id)
    assert tenant is not None
    statement = select(Opportunity.id, Opportunity.stage_id)
    if created_from is not None:
        statement = statement.where(
            Opportunity.created_at >= local_midnight_utc(created_from, tenant.timezone)
        )
    if created_to is not None:
        # Inclusive of the last day, in the tenant's time zone.
        end = date.fromordinal(created_to.toordinal() + 1)
        statement = statement.where(
            Opportunity.created_at < local_midnight_utc(end, tenant.timezone)
        )
    if owner_id is not None:
        statement = statement.where(Opportunity.owner_id == owner_id)
    scoped = scope_select(actor, Opportunity, statement)
    current = dict(session.execute(scoped).all())

    stages = list(
        session.scalars(
            select(PipelineStage)
            .where(PipelineStage.tenant_id == actor.tenant_id, PipelineStage.deleted_at.is_(None))
            .order_by(PipelineStage.position)
        )
    )
    by_id = {stage.id: stage for stage in stages}
    history: dict[uuid.UUID, list[tuple[datetime, uuid.UUID]]] = {}
    if current:
        rows = session.execute(
            select(
                OpportunityStageChange.opportunity_id,
                OpportunityStageChange.changed_at,
                OpportunityStageChange.to_stage_id,
            )
            .where(OpportunityStageChange.tenant_id == actor.tenant_id)
            .where(OpportunityStageChange.opportunity_id.in_(select(scoped.subquery().c.id)))
        )
        for opportunity_id, changed_at, stage_id in rows:
            if opportunity_id in current:
                history.setdefault(opportunity_id, []).append((changed_at, stage_id))
    return _build(stages, by_id, current, history, actor.locale, created_from, created_to)


def _build(
    stages: list[PipelineStage],
    by_id: dict[uuid.UUID, PipelineStage],
    current: dict[uuid.UUID, uuid.UUID],
    history: dict[uuid.UUID, list[tuple[datetime, uuid.UUID]]],
    locale: str,
    created_from: date | None,
    created_to: date | None,
) -> Funnel:
    open_stages = [stage for stage in stages if not stage.is_won and not stage.is_lost]
    won_stages = [stage for stage in stages if stage.is_won]
    steps = open_stages + won_stages[:1]
    reached = {stage.id: 0 for stage in steps}
    lost_here = {stage.id: 0 for stage in steps}
    open_here = {stage.id: 0 for stage in steps}
    durations: dict[uuid.UUID, list[float]] = {stage.id: [] for stage in steps}
    won = lost = 0

    for opportunity_id, stage_id in current.items():
        now_stage = by_id.get(stage_id)
        if now_stage is None:
            continue
        changes = sorted(history.get(opportunity_id, []))
        entered = [by_id[s] for _, s in changes if s in by_id] or [now_stage]
        furthest = max(
            (stage.position for stage in entered if not stage.is_won and not stage.is_lost),
            default=None,
        )
        if now_stage.is_won:
            won += 1
            for stage in steps:
                reached[stage.id] += 1
        else:
            for stage in open_stages:
                if furthest is not None and stage.position <= furthest:
                    reached[stage.id] += 1
            if now_stage.is_lost:
                lost += 1
                last_open = [s for s in open_stages if s.position == furthest]
                if last_open:
                    lost_here[last_open[0].id] += 1
            elif now_stage.id in open_here:
                open_here[now_stage.id] += 1
        for (entered_at, stage_id_in), (left_at, _) in pairwise(changes):
            if stage_id_in in durations:
                durations[stage_id_in].append((left_at - entered_at).total_seconds())

    funnel_stages = []
    for index, stage in enumerate(steps):
        following = steps[index + 1] if index + 1 < len(steps) else None
        days = [seconds / SECONDS_PER_DAY for seconds in durations[stage.id]]
        count = reached[stage.id]
        funnel_stages.append(
            FunnelStage(
                key=stage.key,
                name=stage.name_en if locale == "en" else stage.name_zh,
                reached=count,
                converted_to_next=(
                    round(reached[following.id] / count, 4)
                    if following is not None and count
                    else None
                ),
                lost_here=lost_here[stage.id],
                open_here=open_here[stage.id],
                median_days_in_stage=round(statistics.median(days), 2) if days else None,
                mean_days_in_stage=round(statistics.fmean(days), 2) if days else None,
                durations_measured=len(days),
            )
        )

    closed = won + lost
    return Funnel(
        created_from=created_from,
        created_to=created_to,
        opportunities=len(current),
        won=won,
        lost=lost,
        win_rate=round(won / closed, 4) if closed else None,
        stages=funnel_stages,
    )
