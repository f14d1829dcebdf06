"""Data quality: rules per object, record scores and issues, per-source summaries."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import event
from sqlalchemy.orm import Session

from zhike.api.deps import ActorDep, SessionDep
from zhike.customers import quality_report, quality_settings
from zhike.customers.quality import RecordQuality, record_quality
from zhike.customers.quality_rules import (
    QualityObject,
    QualityRuleSetRead,
    QualityRuleSetWrite,
)
from zhike.platform.query import MAX_PAGE_SIZE
from zhike.security.admin import require_administrator

router = APIRouter(prefix="/customers/quality", tags=["data quality"])


def _every_object() -> list[QualityObject]:
    return ["contacts", "leads", "accounts"]


class RecomputeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    object_names: list[QualityObject] = Field(default_factory=_every_object, min_length=1)


def _recompute_after_commit(
    session: Session, tenant_id: uuid.UUID, object_names: tuple[str, ...]
) -> None:
    def send(_session: Session) -> None:
        from zhike.customers.quality_jobs import enqueue_quality_recompute

        enqueue_quality_recompute(tenant_id, object_names)

    event.listen(session, "after_commit", send, once=True)


@router.get("/rules/{object_name}", response_model=QualityRuleSetRead)
def get_rules(
    object_name: QualityObject, session: SessionDep, actor: ActorDep
) -> QualityRuleSetRead:
    """Return the rules that score the object's records, the tenant's own or the built-in ones."""
    return quality_settings.read_rule_set(session, actor, object_name)


@router.put("/rules/{object_name}", response_model=QualityRuleSetRead)
def put_rules(
    object_name: QualityObject, body: QualityRuleSetWrite, session: SessionDep, actor: ActorDep
) -> QualityRuleSetRead:
    """Replace the object's rules (administrators) and recompute stored scores in the background."""
    saved = quality_settings.save_rule_set(session, actor, object_name, body)
    _recompute_after_commit(session, actor.tenant_id, (object_name,))
    return saved


@router.delete("/rules/{object_name}", response_model=QualityRuleSetRead)
def reset_rules(
    object_name: QualityObject, session: SessionDep, actor: ActorDep
) -> QualityRuleSetRead:
    """Restore the built-in rules (administrators) and recompute stored scores in the background."""
    reset = quality_settings.reset_rule_set(session, actor, object_name)
    _recompute_after_commit(session, actor.tenant_id, (object_name,))
    return reset


@router.post("/recompute-jobs", status_code=status.HTTP_202_ACCEPTED)
def recompute(body: RecomputeRequest, session: SessionDep, actor: ActorDep) -> Any:
    """Queue a recomputation of every stored score of the tenant (administrators)."""
    require_administrator(actor)
    names = tuple(dict.fromkeys(body.object_names))
    _recompute_after_commit(session, actor.tenant_id, names)
    return JSONResponse(
        {"queued": True, "object_names": list(names)}, status_code=status.HTTP_202_ACCEPTED
    )


@router.get("/summary", response_model=quality_report.QualitySummary)
def summary(
    session: SessionDep,
    actor: ActorDep,
    object_name: QualityObject = "contacts",
    group_by: quality_report.SummaryGroup = "source",
    attention_below: Annotated[int, Query(ge=1, le=100)] = quality_report.DEFAULT_ATTENTION_BELOW,
) -> quality_report.QualitySummary:
    """Records, average stored score and records needing attention per source.

    `source` groups by the import source or external system. Records entered in the
    web app or through the API without one form the `__direct__` group. For leads,
    `lead_source` groups by the channel the lead came from.
    """
    return quality_report.source_summary(session, actor, object_name, group_by, attention_below)


@router.get("/issues", response_model=quality_report.RecordIssuePage)
def issues(
    session: SessionDep,
    actor: ActorDep,
    object_name: QualityObject = "contacts",
    source: Annotated[
        str | None, Query(max_length=200, description="one group of the summary, e.g. __direct__")
    ] = None,
    group_by: quality_report.SummaryGroup = "source",
    max_score: Annotated[int, Query(ge=0, le=100)] = 99,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> quality_report.RecordIssuePage:
    """Records you may read scoring at most `max_score`, lowest first, with their issues.

    Issues on fields your role hides are left out.
    """
    return quality_report.records_with_issues(
        session, actor, object_name, source, group_by, max_score, limit, cursor
    )


@router.get("/records/{object_name}/{record_id}", response_model=RecordQuality)
def get_record_quality(
    object_name: QualityObject, record_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> RecordQuality:
    """Score one record under the rules in force now and list the issues you may see."""
    return record_quality(session, actor, object_name, record_id)
