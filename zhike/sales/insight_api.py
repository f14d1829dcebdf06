"""Rep activity insight: profiles against the best performers, nudges and the playbook."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from zhike.api.deps import ActorDep, SessionDep
from zhike.sales import insight
from zhike.sales.insight import RepProfile, TeamInsight

router = APIRouter(tags=["rep insight"])

Days = Annotated[int, Query(ge=7, le=365, description="length of the period, in days, ending now")]


@router.get("/insight/reps", response_model=TeamInsight)
def team_insight(session: SessionDep, actor: ActorDep, days: Days = 90) -> TeamInsight:
    """Profiles of the reps in your data scope, the team benchmark, nudges and the playbook."""
    return insight.team_insight(session, actor, days)


@router.get("/insight/reps/{user_id}", response_model=RepProfile)
def rep_profile(
    user_id: uuid.UUID, session: SessionDep, actor: ActorDep, days: Days = 90
) -> RepProfile:
    return insight.rep_profile(session, actor, user_id, days)
