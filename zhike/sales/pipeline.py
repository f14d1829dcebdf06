"""Per-tenant configuration of the opportunity pipeline."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.errors import Conflict, ValidationFailed
from zhike.core.timeutil import utc_now
from zhike.platform.normalize import field_error
from zhike.sales.models import PipelineStage
from zhike.sales.opportunities import live_opportunity_counts
from zhike.sales.schemas import PipelineStageWrite
from zhike.security.access import scope_select
from zhike.security.admin import require_administrator
from zhike.security.context import Actor

logger = logging.getLogger(__name__)


def list_stages(session: Session, actor: Actor) -> list[PipelineStage]:
    statement = scope_select(actor, PipelineStage, select(PipelineStage)).order_by(
        PipelineStage.position, PipelineStage.key
    )
    return list(session.scalars(statement))


def _check_pipeline(actor: Actor, stages: list[PipelineStageWrite]) -> None:
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, stage in enumerate(stages):
        if stage.key in seen:
            errors.append(
                field_error(actor, f"stages.{index}.key", stage.key, "duplicate_stage_key")
            )
        seen.add(stage.key)
        if stage.is_won and stage.is_lost:
            errors.append(field_error(actor, f"stages.{index}", stage.key, "stage_won_and_lost"))
    won = sum(1 for stage in stages if stage.is_won)
    if won != 1:
        errors.append(field_error(actor, "stages", won, "pipeline_won_count", count=won))
    if not any(stage.is_lost for stage in stages):
        errors.append(field_error(actor, "stages", 0, "pipeline_needs_lost"))
    if errors:
        raise ValidationFailed(errors)


def replace_stages(
    session: Session, actor: Actor, stages: list[PipelineStageWrite]
) -> list[PipelineStage]:
    """Make the tenant's pipeline exactly ``stages``, matched to existing stages by key.

    A removed stage is soft-deleted so the stage history that names it stays readable,
    and comes back to life if its key is configured again.
    """
    require_administrator(actor)
    _check_pipeline(actor, stages)
    existing = {
        stage.key: stage
        for stage in session.scalars(
            select(PipelineStage).where(PipelineStage.tenant_id == actor.tenant_id)
        )
    }
    wanted = {stage.key for stage in stages}
    removed = [
        stage for key, stage in existing.items() if key not in wanted and stage.deleted_at is None
    ]
    if removed:
        counts = live_opportunity_counts(session, actor, [stage.id for stage in removed])
        in_use = [stage for stage in removed if counts.get(stage.id)]
        if in_use:
            stage = min(in_use, key=lambda item: item.position)
            raise Conflict("stage_in_use", stage=stage.key, count=counts[stage.id])
    now = utc_now()
    for stage in removed:
        stage.deleted_at = now
    for wanted_stage in stages:
        fields = wanted_stage.model_dump()
        row = existing.get(wanted_stage.key)
        if row is None:
            session.add(PipelineStage(tenant_id=actor.tenant_id, **fields))
            continue
        for name, value in fields.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
        if row.deleted_at is not None:
            row.deleted_at = None
    session.flush()
    logger.info(
        "pipeline replaced",
        extra={"tenant_id": str(actor.tenant_id), "stages": len(stages), "removed": len(removed)},
    )
    return list_stages(session, actor)
