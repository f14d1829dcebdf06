"""Quality reports: scores summarised per source, and pages of records with their issues.

Both read through the actor's data scope, so a rep's summary covers the records
the rep may read and no others.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from zhike.core.errors import InvalidInput
from zhike.customers.quality import (
    QualityIssue,
    check_object,
    evaluator_for,
    score_state,
    scores_outdated,
    state_of,
    visible_issues,
)
from zhike.platform.objects import get_object
from zhike.platform.query import ListParams
from zhike.platform.records import RecordService
from zhike.security.access import require, scope_select
from zhike.security.context import Actor

SummaryGroup = Literal["source", "lead_source"]
# The value the API uses for records without a source: typed in the web app or sent
# through the API without an external id.
DIRECT_SOURCE = "__direct__"
DEFAULT_ATTENTION_BELOW = 80


class SourceQuality(BaseModel):
    source: str = Field(description=f"source name, or {DIRECT_SOURCE} for records without one")
    records: int
    scored: int = Field(description="records with a stored score")
    average_score: float | None
    below_threshold: int = Field(description="records scoring under attention_below")
    perfect: int = Field(description="records scoring 100")


class QualitySummary(BaseModel):
    object_name: str
    group_by: SummaryGroup
    attention_below: int
    records: int
    average_score: float | None
    sources: list[SourceQuality]
    scores_computed_at: datetime | None = Field(
        description="when the stored scores were last recomputed for the whole tenant; "
        "null when they never were"
    )
    scores_outdated: bool = Field(
        description="the rules changed since the last recomputation, or there was none: "
        "stored scores may differ from the scores record pages show"
    )


class RecordIssues(BaseModel):
    record_id: uuid.UUID
    name: str | None
    source: str
    quality_score: int | None
    issues: list[QualityIssue]


class RecordIssuePage(BaseModel):
    object_name: str
    items: list[RecordIssues]
    next_cursor: str | None


def _group_column(object_name: str, group_by: str) -> str:
    if group_by == "lead_source" and object_name != "leads":
        raise InvalidInput("quality_unknown_group", value=group_by, allowed="source")
    return group_by


def source_summary(
    session: Session,
    actor: Actor,
    object_name: str,
    group_by: SummaryGroup = "source",
    attention_below: int = DEFAULT_ATTENTION_BELOW,
) -> QualitySummary:
    """Count records, average score and records needing attention per source."""
    check_object(object_name)
    require(actor, object_name, "read")
    model: Any = get_object(object_name).model
    table = model.__table__
    group = table.c[_group_column(object_name, group_by)]
    score = table.c.quality_score

    statement = scope_select(
        actor,
        model,
        select(
            group.label("group_value"),
            func.count().label("records"),
            func.count(score).label("scored"),
            func.sum(score).label("score_sum"),
            func.sum(case((score < attention_below, 1), else_=0)).label("below"),
            func.sum(case((score == 100, 1), else_=0)).label("perfect"),
        ),
    ).group_by(group)
    rows = list(session.execute(statement))

    sources = [
        SourceQuality(
            source=row.group_value if row.group_value is not None else DIRECT_SOURCE,
            records=int(row.records),
            scored=int(row.scored),
            average_score=round(int(row.score_sum) / int(row.scored), 1) if row.scored else None,
            below_threshold=int(row.below or 0),
            perfect=int(row.perfect or 0),
        )
        for row in rows
    ]
    sources.sort(key=lambda item: (-item.records, item.source))

    state = score_state(session, actor.tenant_id, object_name)
    scored = sum(int(row.scored) for row in rows)
    score_sum = sum(int(row.score_sum or 0) for row in rows)
    return QualitySummary(
        object_name=object_name,
        group_by=group_by,
        attention_below=attention_below,
        records=sum(item.records for item in sources),
        average_score=round(score_sum / scored, 1) if scored else None,
        sources=sources,
        scores_computed_at=state.computed_at if state is not None else None,
        scores_outdated=scores_outdated(session, actor.tenant_id, object_name),
    )


def records_with_issues(
    session: Session,
    actor: Actor,
    object_name: str,
    source: str | None = None,
    group_by: SummaryGroup = "source",
    max_score: int = 99,
    limit: int = 50,
    cursor: str | None = None,
) -> RecordIssuePage:
    """Records scoring at most ``max_score``, lowest first, each with its visible issues.

    The page comes from the record list, so scope, filters and cursors are the list's.
    """
    check_object(object_name)
    column = _group_column(object_name, group_by)
    filters = {"quality_score__lte": str(max_score)}
    if source == DIRECT_SOURCE:
        filters[f"{column}__isnull"] = "true"
    elif source is not None:
        filters[column] = source
    service = RecordService(session, actor, get_object(object_name))
    page = service.list(
        ListParams(filters=filters, sort="quality_score", limit=limit, cursor=cursor)
    )
    evaluator = evaluator_for(session, actor, object_name)
    states = [state_of(record, evaluator.fields) for record in page.items]
    live = evaluator.live_references(session, actor.tenant_id, states)
    items = []
    for record, state in zip(page.items, states, strict=True):
        _, findings = evaluator.evaluate(state, live)
        group_value = getattr(record, column)
        items.append(
            RecordIssues(
                record_id=record.id,
                name=record.name,
                source=group_value if group_value is not None else DIRECT_SOURCE,
                quality_score=record.quality_score,
                issues=visible_issues(actor, object_name, findings),
            )
        )
    return RecordIssuePage(object_name=object_name, items=items, next_cursor=page.next_cursor)
