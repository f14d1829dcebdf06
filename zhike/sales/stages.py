"""The default opportunity pipeline that every new tenant starts with."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.sales.models import PipelineStage

# (key, zh-CN name, en name, probability in percent, won, lost)
DEFAULT_STAGES: tuple[tuple[str, str, str, int, bool, bool], ...] = (
    ("prospecting", "初步接洽", "Prospecting", 10, False, False),
    ("qualification", "需求确认", "Qualification", 20, False, False),
    ("engaging", "方案沟通", "Engaging", 40, False, False),
    ("proposal", "报价谈判", "Proposal", 60, False, False),
    ("commit", "合同审批", "Commit", 80, False, False),
    ("won", "赢单", "Won", 100, True, False),
    ("lost", "输单", "Lost", 0, False, True),
)


def seed_default_stages(session: Session, tenant_id: uuid.UUID) -> list[PipelineStage]:
    existing = {
        stage.key: stage
        for stage in session.scalars(
            select(PipelineStage).where(PipelineStage.tenant_id == tenant_id)
        )
    }
    stages = []
    for position, (key, name_zh, name_en, probability, is_won, is_lost) in enumerate(
        DEFAULT_STAGES
    ):
        stage = existing.get(key)
        if stage is None:
            stage = PipelineStage(
                tenant_id=tenant_id,
                key=key,
                name_zh=name_zh,
                name_en=name_en,
                position=position,
                probability=probability,
                is_won=is_won,
                is_lost=is_lost,
            )
            session.add(stage)
        stages.append(stage)
    session.flush()
    return stages


def stages_by_key(session: Session, tenant_id: uuid.UUID) -> dict[str, PipelineStage]:
    return {
        stage.key: stage
        for stage in session.scalars(
            select(PipelineStage).where(
                PipelineStage.tenant_id == tenant_id, PipelineStage.deleted_at.is_(None)
            )
        )
    }
