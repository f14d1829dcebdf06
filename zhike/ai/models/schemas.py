"""API shapes of the model lifecycle."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class ModelVersionOut(BaseModel):
    id: uuid.UUID
    template: str
    number: int
    status: str
    learner: str
    parameters: dict[str, Any]
    fingerprint: dict[str, Any]
    metrics: dict[str, Any]
    created_at: datetime
    promoted_at: datetime | None
    archived_at: datetime | None


class TemplateProgress(BaseModel):
    """How far a template is from handing over from cold-start rules to a trained model."""

    template: str
    object_name: str
    labelled: int
    needed: int
    source: str  # "rules" or "model"
    production_version_id: uuid.UUID | None


class Factor(BaseModel):
    feature: str
    value: Any
    contribution: float
    text: str


class ScoreOut(BaseModel):
    template: str
    object_name: str
    record_id: uuid.UUID
    score: float
    label: str | None
    source: str
    model_version_id: uuid.UUID | None
    details: dict[str, Any]
    top_factors: list[Factor]
    scored_at: datetime | None = None
    # The version's number within its template; None for cold-start rules.
    model_version: int | None = None


class TrainRequest(BaseModel):
    template: str


class AlertOut(BaseModel):
    id: uuid.UUID
    template: str
    kind: str
    subject: str
    value: float
    threshold: float
    created_at: datetime
