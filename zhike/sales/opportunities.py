"""Opportunity rules: stage resolution, default probability, close date and stage history."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from zhike.core.errors import ValidationFailed
from zhike.core.timeutil import load_zone, utc_now
from zhike.platform.normalize import field_error
from zhike.sales.models import Opportunity, OpportunityStageChange, PipelineStage
from zhike.sales.schemas import StageChangeRead
from zhike.security.access import scope_select
from zhike.security.context import Actor


def _live_stages(actor: Actor) -> Select[Any]:
    return scope_select(actor, PipelineStage, select(PipelineStage))


def _resolve_stage(
    session: Session, actor: Actor, key: Any, stage_id: Any, record: Any
) -> PipelineStage | None:
    if key is not None:
        stage: PipelineStage | None = session.scalar(
            _live_stages(actor).where(PipelineStage.key == key)
        )
        if stage is None or (stage_id is not None and stage.id != stage_id):
            raise ValidationFailed([field_error(actor, "stage", key, "invalid_stage")])
        return stage
    if stage_id is not None:
        by_id: PipelineStage | None = session.scalar(
            _live_stages(actor).where(PipelineStage.id == stage_id)
        )
        if by_id is None:
            raise ValidationFailed([field_error(actor, "stage_id", stage_id, "invalid_stage")])
        return by_id
    if record is None:
        # A new opportunity without a stage starts at the first open stage of the pipeline.
        first: PipelineStage | None = session.scalar(
            _live_stages(actor)
            .where(PipelineStage.is_won.is_(False), PipelineStage.is_lost.is_(False))
            .order_by(PipelineStage.position, PipelineStage.key)
            .limit(1)
        )
        if first is None:
            raise ValidationFailed([field_error(actor, "stage", None, "invalid_stage")])
        return first
    return None


def normalize_stage(
    session: Session, actor: Actor, values: dict[str, Any], record: Any
) -> dict[str, Any]:
    """Turn ``stage`` (a key) or ``stage_id`` into the stage, and derive what follows from it."""
    key = values.pop("stage", None)
    stage_id = values.pop("stage_id", None)
    stage = _resolve_stage(session, actor, key, stage_id, record)
    if stage is None:
        return values
    values["stage_id"] = stage.id
    if record is not None and record.stage_id == stage.id:
        return values
    if values.get("probability") is None:
        values["probability"] = stage.probability
    if stage.is_won or stage.is_lost:
        if values.get("closed_on") is None:
            values["closed_on"] = utc_now().astimezone(load_zone(actor.timezone)).date()
    elif record is not None and "closed_on" not in values:
        values["closed_on"] = None
    return values


def record_stage_change(
    session: Session,
    actor: Actor,
    record: Any,
    values: dict[str, Any],
    previous: dict[str, Any] | None,
) -> None:
    """Append a history row for the initial stage and for every later change of stage."""
    if "stage_id" not in values:
        return
    from_stage_id = None if previous is None else previous.get("stage_id")
    if previous is not None and from_stage_id == record.stage_id:
        return
    session.add(
        OpportunityStageChange(
            tenant_id=actor.tenant_id,
            opportunity_id=record.id,
            from_stage_id=from_stage_id,
            to_stage_id=record.stage_id,
            amount=record.amount,
            currency=record.currency,
            changed_at=utc_now(),
            changed_by_id=actor.user_id,
        )
    )
    session.flush()


def stage_history(
    session: Session, actor: Actor, opportunity_id: uuid.UUID
) -> list[StageChangeRead]:
    """The stage changes of one opportunity of the actor's tenant, oldest first."""
    from zhike.platform.records import RecordService
    from zhike.sales.objects import OPPORTUNITIES

    RecordService(session, actor, OPPORTUNITIES).get(opportunity_id)
    from_stage = aliased(PipelineStage)
    to_stage = aliased(PipelineStage)
    statement = (
        scope_select(
            actor,
            OpportunityStageChange,
            select(OpportunityStageChange, from_stage.key, to_stage.key),
        )
        .join(to_stage, to_stage.id == OpportunityStageChange.to_stage_id)
        .outerjoin(from_stage, from_stage.id == OpportunityStageChange.from_stage_id)
        .where(OpportunityStageChange.opportunity_id == opportunity_id)
        .order_by(OpportunityStageChange.changed_at, OpportunityStageChange.id)
    )
    return [
        StageChangeRead(
            id=change.id,
            opportunity_id=change.opportunity_id,
            from_stage_id=change.from_stage_id,
            from_stage=from_key,
            to_stage_id=change.to_stage_id,
            to_stage=to_key,
            amount=change.amount,
            currency=change.currency,
            changed_at=change.changed_at,
            changed_by_id=change.changed_by_id,
        )
        for change, from_key, to_key in session.execute(statement)
    ]


def live_opportunity_counts(
    session: Session, actor: Actor, stage_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    from sqlalchemy import func

    statement = (
        scope_select(actor, Opportunity, select(Opportunity.stage_id, func.count()))
        .where(Opportunity.stage_id.in_(stage_ids))
        .group_by(Opportunity.stage_id)
    )
    return {stage_id: int(count) for stage_id, count in session.execute(statement)}
