"""Field metadata for administration and imports, and the model monitoring history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from zhike.ai.models.history import list_monitor_runs
from zhike.api.deps import ActorDep, SessionDep
from zhike.platform.field_catalog import FieldInfo, object_fields, set_classification
from zhike.security.fields import hidden_fields

router = APIRouter(tags=["admin"])


class FieldCatalog(BaseModel):
    object: str
    items: list[FieldInfo]


class ClassificationWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    classification: str = Field(description="public, internal, sensitive or highly_sensitive")


class MonitorRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    model_version_id: uuid.UUID
    template: str
    window_start: datetime
    window_end: datetime
    rows: int
    metrics: dict[str, Any]
    drift: dict[str, Any]
    created_at: datetime


@router.get("/objects/{object_name}/fields", response_model=FieldCatalog)
def get_object_fields(object_name: str, session: SessionDep, actor: ActorDep) -> FieldCatalog:
    """Built-in and custom fields with labels, types and classifications.

    Fields that the caller's role hides are left out, except for administrators.
    """
    items = object_fields(session, actor, object_name)
    if not actor.grants.is_administrator:
        hidden = hidden_fields(actor, object_name)
        items = [item for item in items if item.name.removeprefix("custom.") not in hidden]
    return FieldCatalog(object=object_name, items=items)


@router.put("/objects/{object_name}/fields/{field_name}/classification", response_model=FieldInfo)
def put_field_classification(
    object_name: str,
    field_name: Annotated[str, Path(max_length=80)],
    body: ClassificationWrite,
    session: SessionDep,
    actor: ActorDep,
) -> FieldInfo:
    """Classify a built-in or custom field; masking, export and LLM routing follow it. Audited."""
    return set_classification(session, actor, object_name, field_name, body.classification)


@router.get("/models/monitor-runs", response_model=list[MonitorRunRead])
def get_monitor_runs(
    session: SessionDep,
    actor: ActorDep,
    template: Annotated[str | None, Query(max_length=50)] = None,
) -> list[MonitorRunRead]:
    """Metrics and drift (PSI) of each monitored window, oldest first (administrators)."""
    return [
        MonitorRunRead.model_validate(run) for run in list_monitor_runs(session, actor, template)
    ]
