"""Static lists and dynamic segments over contacts, leads and accounts.

A dynamic segment is the analytics typed query's filters (``ReportFilter``,
so the same field paths, relations and field security as reports) plus
behaviour conditions on engagement events and conditions on model scores.
Membership is stored, so journeys and campaign sends read it cheaply; it is
re-evaluated in full on demand and incrementally, for the changed records
only, from the change log kept by ``engagement.py``.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, delete, exists, func, insert, select
from sqlalchemy.orm import Session

from zhike.ai.models.models import ModelScore
from zhike.analytics.compile import ReportCompiler
from zhike.analytics.query import ReportFilter, ReportQuery
from zhike.analytics.service import report_context
from zhike.core.errors import Conflict, InvalidInput, NotFound
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now
from zhike.marketing.automation_models import (
    ENGAGEMENT_KINDS,
    EngagementEvent,
    MarketingChange,
    Segment,
    SegmentMember,
)
from zhike.security.access import require, scope_select
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

SEGMENT_OBJECTS = ("contacts", "leads", "accounts")
_EVENT_COLUMN = {
    "contacts": EngagementEvent.contact_id,
    "leads": EngagementEvent.lead_id,
    "accounts": EngagementEvent.account_id,
}
# Ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits.
ID_CHUNK = 900


class BehaviourCondition(BaseModel):
    """At least ``min_count`` events of ``kind`` (within the last ``within_days``), or none."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    min_count: int = Field(default=1, ge=1, le=10_000)
    within_days: int | None = Field(default=None, ge=1, le=3650)
    negate: bool = False


class ScoreCondition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: str = Field(min_length=1, max_length=50)
    op: Literal["gte", "lte"] = "gte"
    value: float = Field(ge=0, le=1)


class SegmentDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: list[ReportFilter] = Field(default_factory=list, max_length=50)
    behaviour: list[BehaviourCondition] = Field(default_factory=list, max_length=20)
    scores: list[ScoreCondition] = Field(default_factory=list, max_length=10)


class SegmentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["static", "dynamic"] = "dynamic"
    object_name: Literal["contacts", "leads", "accounts"] = "contacts"
    definition: SegmentDefinition = Field(default_factory=SegmentDefinition)


# -- compiling a definition --------------------------------------------------------


def member_statement(
    session: Session,
    actor: Actor,
    object_name: str,
    definition: SegmentDefinition,
    only_ids: list[uuid.UUID] | None = None,
) -> Any:
    """Build a SELECT of the ids of ``object_name`` records matching ``definition``."""
    query = ReportQuery(object=object_name, filters=definition.filters)
    compiler = ReportCompiler(session, actor, query, report_context(session, actor, None))
    model: Any = compiler.base.model
    statement = compiler.resolver.apply_joins(select(model.id)).where(*compiler.where(None))
    statement = scope_select(actor, model, statement)
    now = utc_now()
    for condition in definition.behaviour:
        statement = statement.where(_behaviour(actor, object_name, model, condition, now))
    for score in definition.scores:
        compare = (
            ModelScore.score >= score.value
            if score.op == "gte"
            else ModelScore.score <= score.value
        )
        statement = statement.where(
            exists(
                select(ModelScore.id).where(
                    ModelScore.tenant_id == actor.tenant_id,
                    ModelScore.template == score.template,
                    ModelScore.record_id == model.id,
                    compare,
                )
            )
        )
    if only_ids is not None:
        statement = statement.where(model.id.in_(only_ids))
    return statement


def _behaviour(
    actor: Actor, object_name: str, model: Any, condition: BehaviourCondition, now: Any
) -> ColumnElement[bool]:
    if condition.kind not in ENGAGEMENT_KINDS:
        raise InvalidInput(
            "marketing_unknown_event", kind=condition.kind, known=", ".join(ENGAGEMENT_KINDS)
        )
    column = _EVENT_COLUMN[object_name]
    counted = select(func.count(EngagementEvent.id)).where(
        EngagementEvent.tenant_id == actor.tenant_id,
        column == model.id,
        EngagementEvent.kind == condition.kind,
    )
    if condition.within_days is not None:
        counted = counted.where(
            EngagementEvent.occurred_at >= now - timedelta(days=condition.within_days)
        )
    enough: ColumnElement[bool] = counted.scalar_subquery() >= condition.min_count
    return ~enough if condition.negate else enough


def preview_size(
    session: Session, actor: Actor, object_name: str, definition: SegmentDefinition
) -> int:
    """Count the records a definition would hold now, as the actor may see them."""
    require(actor, "segments", "read")
    if object_name not in SEGMENT_OBJECTS:
        raise InvalidInput(
            "marketing_unknown_segment_object", object=object_name, known=", ".join(SEGMENT_OBJECTS)
        )
    inner = member_statement(session, actor, object_name, definition).subquery()
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


# -- segments as stored objects ------------------------------------------------------


def get_segment(
    session: Session, actor: Actor, segment_id: uuid.UUID, action: str = "read"
) -> Segment:
    require(actor, "segments", action)
    segment = session.get(Segment, segment_id)
    if segment is None or segment.tenant_id != actor.tenant_id or segment.deleted_at is not None:
        raise NotFound("marketing_segment_not_found", id=str(segment_id))
    return segment


def list_segments(session: Session, actor: Actor) -> list[Segment]:
    require(actor, "segments", "read")
    return list(
        session.scalars(
            select(Segment)
            .where(Segment.tenant_id == actor.tenant_id, Segment.deleted_at.is_(None))
            .order_by(Segment.name)
        )
    )


def save_segment(
    session: Session, actor: Actor, body: SegmentBody, segment_id: uuid.UUID | None = None
) -> Segment:
    """Create or change a segment; a dynamic one is evaluated at once so its size is current."""
    clash = session.scalar(
        select(Segment.id).where(
            Segment.tenant_id == actor.tenant_id,
            Segment.name == body.name,
            Segment.deleted_at.is_(None),
        )
    )
    if clash is not None and clash != segment_id:
        raise Conflict("marketing_name_taken", name=body.name)
    if body.kind == "dynamic":
        # Compiling checks every field path and permission before anything is stored.
        member_statement(session, actor, body.object_name, body.definition)
    if segment_id is None:
        require(actor, "segments", "create")
        segment = Segment(
            tenant_id=actor.tenant_id,
            name=body.name,
            kind=body.kind,
            object_name=body.object_name,
            definition=body.definition.model_dump(mode="json"),
            owner_id=actor.user_id,
        )
        session.add(segment)
    else:
        segment = get_segment(session, actor, segment_id, "update")
        if segment.kind != body.kind or segment.object_name != body.object_name:
            raise InvalidInput("marketing_segment_kind_fixed")
        segment.name = body.name
        segment.definition = body.definition.model_dump(mode="json")
        segment.version += 1
    session.flush()
    if segment.kind == "dynamic":
        refresh_segment(session, actor, segment)
    return segment


def delete_segment(session: Session, actor: Actor, segment_id: uuid.UUID) -> None:
    segment = get_segment(session, actor, segment_id, "delete")
    segment.deleted_at = utc_now()
    session.flush()


def _stored_ids(session: Session, segment: Segment, only: list[uuid.UUID] | None) -> set[uuid.UUID]:
    statement = select(SegmentMember.record_id).where(SegmentMember.segment_id == segment.id)
    if only is not None:
        statement = statement.where(SegmentMember.record_id.in_(only))
    return set(session.scalars(statement))


def _apply(
    session: Session,
    segment: Segment,
    matching: set[uuid.UUID],
    stored: set[uuid.UUID],
) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    joined, left = matching - stored, stored - matching
    now = utc_now()
    if joined:
        session.execute(
            insert(SegmentMember),
            [
                {
                    "id": new_id(),
                    "tenant_id": segment.tenant_id,
                    "segment_id": segment.id,
                    "record_id": record_id,
                    "added_at": now,
                }
                for record_id in joined
            ],
        )
    ordered = list(left)
    for start in range(0, len(ordered), ID_CHUNK):
        session.execute(
            delete(SegmentMember).where(
                SegmentMember.segment_id == segment.id,
                SegmentMember.record_id.in_(ordered[start : start + ID_CHUNK]),
            )
        )
    segment.member_count = segment.member_count + len(joined) - len(left)
    segment.evaluated_at = now
    return joined, left


def refresh_segment(session: Session, actor: Actor, segment: Segment) -> tuple[int, int]:
    """Re-evaluate every record of a dynamic segment; return (joined, left) counts."""
    if segment.kind != "dynamic":
        return 0, 0
    definition = SegmentDefinition.model_validate(segment.definition)
    matching = set(
        session.scalars(member_statement(session, actor, segment.object_name, definition))
    )
    joined, left = _apply(session, segment, matching, _stored_ids(session, segment, None))
    segment.member_count = len(matching)
    session.flush()
    _announce_joins(session, segment, joined)
    return len(joined), len(left)


def reevaluate_records(
    session: Session, actor: Actor, segment: Segment, record_ids: list[uuid.UUID]
) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """Re-evaluate membership of only ``record_ids``; return the ids that joined and left."""
    definition = SegmentDefinition.model_validate(segment.definition)
    joined_all: set[uuid.UUID] = set()
    left_all: set[uuid.UUID] = set()
    for start in range(0, len(record_ids), ID_CHUNK):
        chunk = record_ids[start : start + ID_CHUNK]
        statement = member_statement(session, actor, segment.object_name, definition, chunk)
        matching = set(session.scalars(statement))
        joined, left = _apply(session, segment, matching, _stored_ids(session, segment, chunk))
        joined_all |= joined
        left_all |= left
    session.flush()
    _announce_joins(session, segment, joined_all)
    return joined_all, left_all


def _announce_joins(session: Session, segment: Segment, joined: set[uuid.UUID]) -> None:
    if joined and segment.object_name == "contacts":
        from zhike.marketing.journeys import enroll_on_trigger

        enroll_on_trigger(
            session,
            segment.tenant_id,
            "segment_joined",
            sorted(joined),
            {"segment_id": str(segment.id)},
        )


def add_static_members(
    session: Session, actor: Actor, segment_id: uuid.UUID, record_ids: list[uuid.UUID]
) -> int:
    """Add records to a static list (by hand or from an import); return how many were new."""
    segment = get_segment(session, actor, segment_id, "update")
    if segment.kind != "static":
        raise InvalidInput("marketing_segment_not_static", name=segment.name)
    query = ReportQuery(object=segment.object_name)
    model: Any = ReportCompiler(
        session, actor, query, report_context(session, actor, None)
    ).base.model
    visible: set[uuid.UUID] = set()
    for start in range(0, len(record_ids), ID_CHUNK):
        chunk = record_ids[start : start + ID_CHUNK]
        visible |= set(
            session.scalars(scope_select(actor, model, select(model.id)).where(model.id.in_(chunk)))
        )
    missing = [str(record_id) for record_id in record_ids if record_id not in visible]
    if missing:
        raise NotFound("record_not_found", object=segment.object_name, id=", ".join(missing[:5]))
    stored = _stored_ids(session, segment, list(visible))
    joined, _ = _apply(session, segment, visible | stored, stored)
    session.flush()
    _announce_joins(session, segment, joined)
    return len(joined)


def remove_static_members(
    session: Session, actor: Actor, segment_id: uuid.UUID, record_ids: list[uuid.UUID]
) -> int:
    segment = get_segment(session, actor, segment_id, "update")
    if segment.kind != "static":
        raise InvalidInput("marketing_segment_not_static", name=segment.name)
    stored = _stored_ids(session, segment, record_ids)
    _apply(session, segment, set(), stored)
    session.flush()
    return len(stored)


def segment_member_ids(
    session: Session, segment: Segment, limit: int | None = None
) -> list[uuid.UUID]:
    statement = (
        select(SegmentMember.record_id)
        .where(SegmentMember.segment_id == segment.id)
        .order_by(SegmentMember.record_id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


# -- incremental re-evaluation -----------------------------------------------------------


def process_changes(session: Session, actor: Actor, limit: int = 5000) -> int:
    """Apply the noted record changes of the actor's tenant to its segments and triggers.

    Returns how many change rows were consumed. Each dynamic segment looks only
    at the records that changed, so a change costs work in proportion to itself,
    not to the size of the segment.
    """
    changes = list(
        session.scalars(
            select(MarketingChange)
            .where(MarketingChange.tenant_id == actor.tenant_id)
            .order_by(MarketingChange.id)
            .limit(limit)
        )
    )
    if not changes:
        return 0
    by_object: dict[str, set[uuid.UUID]] = defaultdict(set)
    contact_fields: dict[uuid.UUID, set[str]] = defaultdict(set)
    for change in changes:
        by_object[change.object_name].add(change.record_id)
        if change.object_name == "contacts":
            contact_fields[change.record_id].update(change.fields)
    segments = session.scalars(
        select(Segment).where(
            Segment.tenant_id == actor.tenant_id,
            Segment.kind == "dynamic",
            Segment.deleted_at.is_(None),
        )
    ).all()
    for segment in segments:
        ids = sorted(by_object.get(segment.object_name, ()))
        if ids:
            reevaluate_records(session, actor, segment, ids)
    from zhike.marketing.journeys import trigger_from_changes

    trigger_from_changes(session, actor.tenant_id, contact_fields)
    last = changes[-1].id
    session.execute(
        delete(MarketingChange).where(
            MarketingChange.tenant_id == actor.tenant_id, MarketingChange.id <= last
        )
    )
    session.flush()
    return len(changes)
