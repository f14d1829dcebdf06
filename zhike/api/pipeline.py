"""The tenant's opportunity pipeline and each opportunity's stage history."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from zhike.api.deps import ActorDep, SessionDep
from zhike.sales import pipeline
from zhike.sales.opportunities import stage_history
from zhike.sales.schemas import (
    PipelineStageRead,
    PipelineStages,
    PipelineStagesWrite,
    StageHistory,
)

router = APIRouter(tags=["pipeline"])


def _stages(stages: list[object]) -> PipelineStages:
    return PipelineStages(stages=[PipelineStageRead.model_validate(stage) for stage in stages])


@router.get("/pipeline/stages", response_model=PipelineStages)
def get_stages(session: SessionDep, actor: ActorDep) -> PipelineStages:
    """The live stages of the tenant's pipeline, in position order."""
    return _stages(list(pipeline.list_stages(session, actor)))


@router.put("/pipeline/stages", response_model=PipelineStages)
def put_stages(body: PipelineStagesWrite, session: SessionDep, actor: ActorDep) -> PipelineStages:
    """Replace the pipeline (administrators only): exactly one won stage, at least one lost.

    Stages are matched by key. A stage that live opportunities still use cannot be removed (409).
    """
    return _stages(list(pipeline.replace_stages(session, actor, body.stages)))


@router.get("/opportunities/{opportunity_id}/stage-history", response_model=StageHistory)
def get_stage_history(
    opportunity_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> StageHistory:
    """Every stage the opportunity entered, oldest first, starting with its initial stage."""
    return StageHistory(items=stage_history(session, actor, opportunity_id))
