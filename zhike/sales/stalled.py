"""Stalled deals: open opportunities whose time in their current stage is abnormal.

"Abnormal" is judged with robust statistics of past stays in the same stage,
by the same owner where there are enough of them, else by everyone: a stay is
stalled when it exceeds median + k × MAD (scaled to a standard deviation), so
one very slow deal in the history does not hide the next one.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import numpy as np
from sqlalchemy import select, type_coerce
from sqlalchemy.orm import Session

from zhike.analytics.compile import RepeatedUuid
from zhike.core.i18n import translate
from zhike.core.timeutil import utc_now
from zhike.sales.models import Opportunity, OpportunityStageChange, PipelineStage
from zhike.security.access import scope_select
from zhike.security.context import Actor

MAD_SCALE = 1.4826
K = 3.0
MIN_OWNER_STAYS = 5
MIN_STAGE_STAYS = 5
MIN_LIMIT_DAYS = 7.0


@dataclass
class StalledDeal:
    opportunity_id: uuid.UUID
    stage_key: str
    stage_name: str
    owner_id: uuid.UUID | None
    days_in_stage: float
    typical_days: float
    limit_days: float
    reason: str


def elapsed_days(days: float) -> float:
    """Cut a stay down to tenths of a day, so its whole part is the number of whole days elapsed.

    Rounding instead could turn 124.96 days into 125.0 while only 124 whole days have passed.
    """
    return math.floor(days * 10) / 10


def robust_limit(durations: np.ndarray) -> tuple[float, float]:
    """Median and the median + K·MAD limit of past stays, in days."""
    median = float(np.median(durations))
    mad = float(np.median(np.abs(durations - median))) * MAD_SCALE
    return median, max(median + K * mad, median + MIN_LIMIT_DAYS)


class StageStay(NamedTuple):
    """One stay of an opportunity in a stage, with the opportunity's current owner and stage."""

    opportunity_id: uuid.UUID
    to_stage_id: uuid.UUID
    owner_id: uuid.UUID | None
    stage_id: uuid.UUID
    days: float
    # The opportunity's latest stay, which has not ended yet.
    current: bool


def stage_stays(session: Session, actor: Actor, now: datetime) -> list[StageStay]:
    """Every stay of every opportunity in a stage: finished ones and the current open one."""
    statement = (
        select(
            type_coerce(OpportunityStageChange.opportunity_id, RepeatedUuid()),
            type_coerce(OpportunityStageChange.to_stage_id, RepeatedUuid()),
            OpportunityStageChange.changed_at,
            type_coerce(Opportunity.owner_id, RepeatedUuid()),
            type_coerce(Opportunity.stage_id, RepeatedUuid()),
        )
        .join(Opportunity, Opportunity.id == OpportunityStageChange.opportunity_id)
        .where(
            OpportunityStageChange.tenant_id == actor.tenant_id, Opportunity.deleted_at.is_(None)
        )
        .order_by(OpportunityStageChange.opportunity_id, OpportunityStageChange.changed_at)
    )
    # A Core read on the session's connection, because the rows are only used as tuples and
    # the ORM's per-row handling is a large share of the cost over thousands of changes.
    rows = session.connection().execute(statement).all()
    stays = []
    # Rows come ordered by opportunity and time, so a stay ends where the next row of the
    # same opportunity begins, and the last row of an opportunity is its current stay.
    for index, (opportunity_id, to_stage_id, changed_at, owner_id, stage_id) in enumerate(rows):
        following = rows[index + 1] if index + 1 < len(rows) else None
        if following is None or following[0] != opportunity_id:
            current, left_at = True, now
        else:
            current, left_at = False, following[2]
        days = (left_at - changed_at).total_seconds() / 86400.0
        stays.append(StageStay(opportunity_id, to_stage_id, owner_id, stage_id, days, current))
    return stays


# A stage id for everyone's stays in the stage, or a (stage id, owner id) pair for one owner's.
_GroupKey = uuid.UUID | tuple[uuid.UUID, uuid.UUID]


class _ReferenceStays:
    """Finished stays by stage and by stage and owner, each group's limit computed once."""

    def __init__(self, stays: list[StageStay]) -> None:
        self.by_stage: dict[uuid.UUID, list[float]] = defaultdict(list)
        self.by_owner: dict[tuple[uuid.UUID, uuid.UUID], list[float]] = defaultdict(list)
        for stay in stays:
            if stay.current:
                continue
            self.by_stage[stay.to_stage_id].append(stay.days)
            if stay.owner_id is not None:
                self.by_owner[(stay.to_stage_id, stay.owner_id)].append(stay.days)
        self.limits: dict[_GroupKey, tuple[float, float] | None] = {}

    def limit(self, stage_id: uuid.UUID, owner_id: uuid.UUID | None) -> tuple[float, float] | None:
        """Typical stay and limit for the owner's stays in the stage, else everyone's.

        Returns None when the stage has too few finished stays to judge.
        """
        own = self.by_owner.get((stage_id, owner_id), []) if owner_id is not None else []
        key: _GroupKey
        if owner_id is not None and len(own) >= MIN_OWNER_STAYS:
            key, reference = (stage_id, owner_id), own
        else:
            key, reference = stage_id, self.by_stage.get(stage_id, [])
        if key not in self.limits:
            self.limits[key] = (
                robust_limit(np.asarray(reference, dtype=float))
                if len(reference) >= MIN_STAGE_STAYS
                else None
            )
        return self.limits[key]


def find_stalled(session: Session, actor: Actor, now: datetime | None = None) -> list[StalledDeal]:
    """Open opportunities whose current stay is beyond the robust limit for stage and owner."""
    moment = now or utc_now()
    stays = stage_stays(session, actor, moment)
    if not stays:
        return []
    stages = {
        stage.id: stage
        for stage in session.scalars(
            select(PipelineStage).where(PipelineStage.tenant_id == actor.tenant_id)
        )
    }
    references = _ReferenceStays(stays)
    result: list[StalledDeal] = []
    for row in stays:
        if not row.current or row.to_stage_id != row.stage_id:
            continue
        stage = stages.get(row.to_stage_id)
        if stage is None or stage.is_won or stage.is_lost:
            continue
        limits = references.limit(row.to_stage_id, row.owner_id)
        if limits is None:
            continue
        typical, limit = limits
        if row.days <= limit:
            continue
        name = stage.name_zh if actor.locale == "zh-CN" else stage.name_en
        days_in_stage = elapsed_days(float(row.days))
        result.append(
            StalledDeal(
                opportunity_id=row.opportunity_id,
                stage_key=stage.key,
                stage_name=name,
                owner_id=row.owner_id,
                days_in_stage=days_in_stage,
                typical_days=round(typical, 1),
                limit_days=round(limit, 1),
                reason=translate(
                    "model.stalled.reason",
                    actor.locale,
                    stage=name,
                    # Whole days elapsed, the figure the home page shows for days_in_stage.
                    days=math.floor(days_in_stage),
                    typical=round(typical),
                    limit=round(limit),
                ),
            )
        )
    result.sort(key=lambda deal: -(deal.days_in_stage / max(deal.limit_days, 1.0)))
    return result


def find_readable_stalled(
    session: Session, actor: Actor, now: datetime | None = None
) -> list[StalledDeal]:
    """Return the stalled deals the actor may read, most overdue first.

    The detector learns typical stays from the tenant's whole stage history, so its
    result is filtered by the actor's record scope before it is returned.
    """
    deals = find_stalled(session, actor, now)
    if not deals:
        return []
    readable = set(
        session.scalars(
            scope_select(actor, Opportunity, select(Opportunity.id)).where(
                Opportunity.id.in_([deal.opportunity_id for deal in deals])
            )
        )
    )
    return [deal for deal in deals if deal.opportunity_id in readable]
