"""Stalled deals: open opportunities whose time in their current stage is abnormal.

"Abnormal" is judged with robust statistics of past stays in the same stage,
by the same owner where there are enough of them, else by everyone: a stay is
stalled when it exceeds median + k × MAD (scaled to a standard deviation), so
one very slow deal in the history does not hide the next one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.i18n import translate
from zhike.core.timeutil import utc_now
from zhike.sales.models import Opportunity, OpportunityStageChange, PipelineStage
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


def robust_limit(durations: np.ndarray) -> tuple[float, float]:
    """Median and the median + K·MAD limit of past stays, in days."""
    median = float(np.median(durations))
    mad = float(np.median(np.abs(durations - median))) * MAD_SCALE
    return median, max(median + K * mad, median + MIN_LIMIT_DAYS)


def stage_stays(session: Session, actor: Actor, now: datetime) -> pd.DataFrame:
    """Every stay of every opportunity in a stage: finished ones and the current open one."""
    statement = (
        select(
            OpportunityStageChange.opportunity_id,
            OpportunityStageChange.to_stage_id,
            OpportunityStageChange.changed_at,
            Opportunity.owner_id,
            Opportunity.stage_id,
        )
        .join(Opportunity, Opportunity.id == OpportunityStageChange.opportunity_id)
        .where(
            OpportunityStageChange.tenant_id == actor.tenant_id, Opportunity.deleted_at.is_(None)
        )
        .order_by(OpportunityStageChange.opportunity_id, OpportunityStageChange.changed_at)
    )
    changes = pd.DataFrame(session.execute(statement).fetchall())
    if changes.empty:
        return changes
    changes["changed_at"] = pd.to_datetime(changes["changed_at"], utc=True)
    changes["left_at"] = changes.groupby("opportunity_id")["changed_at"].shift(-1)
    changes["current"] = changes["left_at"].isna()
    changes["left_at"] = changes["left_at"].fillna(pd.Timestamp(now))
    changes["days"] = (changes["left_at"] - changes["changed_at"]).dt.total_seconds() / 86400.0
    return changes


def find_stalled(session: Session, actor: Actor, now: datetime | None = None) -> list[StalledDeal]:
    """Open opportunities whose current stay is beyond the robust limit for stage and owner."""
    moment = now or utc_now()
    stays = stage_stays(session, actor, moment)
    if stays.empty:
        return []
    stages = {
        stage.id: stage
        for stage in session.scalars(
            select(PipelineStage).where(PipelineStage.tenant_id == actor.tenant_id)
        )
    }
    finished = stays[~stays["current"]]
    current = stays[stays["current"] & (stays["to_stage_id"] == stays["stage_id"])]
    result: list[StalledDeal] = []
    for row in current.itertuples(index=False):
        stage = stages.get(row.to_stage_id)
        if stage is None or stage.is_won or stage.is_lost:
            continue
        same_stage = finished[finished["to_stage_id"] == row.to_stage_id]
        own = same_stage[same_stage["owner_id"] == row.owner_id]
        reference = own if len(own) >= MIN_OWNER_STAYS else same_stage
        if len(reference) < MIN_STAGE_STAYS:
            continue
        typical, limit = robust_limit(reference["days"].to_numpy(dtype=float))
        if row.days <= limit:
            continue
        name = stage.name_zh if actor.locale == "zh-CN" else stage.name_en
        result.append(
            StalledDeal(
                opportunity_id=row.opportunity_id,
                stage_key=stage.key,
                stage_name=name,
                owner_id=row.owner_id,
                days_in_stage=round(float(row.days), 1),
                typical_days=round(typical, 1),
                limit_days=round(limit, 1),
                reason=translate(
                    "model.stalled.reason",
                    actor.locale,
                    stage=name,
                    days=int(row.days),
                    typical=round(typical),
                    limit=round(limit),
                ),
            )
        )
    result.sort(key=lambda deal: -(deal.days_in_stage / max(deal.limit_days, 1.0)))
    return result
