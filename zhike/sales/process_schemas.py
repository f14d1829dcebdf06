"""API bodies for sales processes, stage checks and approval requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhike.sales.models import ACTIVITY_KINDS
from zhike.sales.schemas import Percent, StageKey

ProcessKey = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{0,49}$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Guidance = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
FieldName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^(custom\.)?[a-z][a-z0-9_]{0,62}$")
]
ActivityKind = Literal["call", "meeting", "email", "note", "task", "visit"]
assert set(ActivityKind.__args__) == set(ACTIVITY_KINDS)  # type: ignore[attr-defined]


class StageCriteria(BaseModel):
    """What must be true of an opportunity at a stage boundary."""

    model_config = ConfigDict(extra="forbid")

    fields: list[FieldName] = Field(
        default_factory=list, max_length=50, description="opportunity fields that need a value"
    )
    activities: list[ActivityKind] = Field(
        default_factory=list,
        max_length=6,
        description="activity kinds that need a done activity linked to the opportunity",
    )
    approval: bool = Field(default=False, description="a manager must approve the move")


class ProcessStageWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: StageKey
    probability: Percent | None = Field(
        default=None, description="percent; the pipeline stage's probability when empty"
    )
    entry: StageCriteria = Field(default_factory=StageCriteria)
    exit: StageCriteria = Field(default_factory=StageCriteria)
    guidance_zh: Guidance | None = None
    guidance_en: Guidance | None = None


class SalesProcessWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: ProcessKey
    name_zh: Name
    name_en: Name
    product_series: Name | None = Field(
        default=None, description="applies to opportunities whose product has this series"
    )
    account_tier: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = (
        Field(default=None, description="applies to opportunities whose account has this tier")
    )
    is_default: bool = Field(default=False, description="applies when no other process matches")
    stages: list[ProcessStageWrite] = Field(default_factory=list, max_length=50)


class ProcessStageRead(BaseModel):
    stage_id: uuid.UUID
    stage: str
    probability: int | None
    entry: StageCriteria
    exit: StageCriteria
    guidance_zh: str | None
    guidance_en: str | None


class SalesProcessRead(BaseModel):
    id: uuid.UUID
    key: str
    name_zh: str
    name_en: str
    product_series: str | None
    account_tier: str | None
    is_default: bool
    version: int
    stages: list[ProcessStageRead]


class SalesProcessList(BaseModel):
    items: list[SalesProcessRead]


class UnmetCriterion(BaseModel):
    """One criterion a move still misses, with the stage whose rule requires it."""

    kind: Literal["field", "activity", "approval"]
    name: str = Field(description="field name, activity kind, or the target stage's key")
    code: str
    field: str
    stage: str = Field(description="key of the stage whose rule requires it")
    stage_name: str
    message: str


class StageMove(BaseModel):
    """Whether the opportunity could move to ``stage`` now, and what is missing if not."""

    stage: str
    stage_id: uuid.UUID
    allowed: bool
    unmet: list[UnmetCriterion]


class CriterionStatus(BaseModel):
    """One criterion of the move to the next stage, checked by the server's stage rules."""

    kind: Literal["field", "activity", "approval"]
    name: str = Field(description="field name, activity kind, or the target stage's key")
    label: str = Field(description="the criterion's name in the reader's language")
    stage: str = Field(description="key of the stage whose rule asks for it")
    stage_name: str
    met: bool
    message: str | None = Field(description="what to do, while the criterion is unmet")


class OpportunityProcessRead(BaseModel):
    opportunity_id: uuid.UUID
    process_key: str | None
    process_name: str | None
    stage: str
    stage_name: str
    guidance: str | None
    next_stage: str | None = Field(
        description="the next open stage, else the won stage; empty once the deal is closed"
    )
    next_stage_name: str | None
    next_stage_criteria: list[CriterionStatus] = Field(
        description="exit criteria of the current stage and entry criteria of the next"
    )
    moves: list[StageMove]


class ApprovalRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: StageKey
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class ApprovalDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class ApprovalRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    subject_id: uuid.UUID
    target: str
    status: str
    reason: str | None
    owner_id: uuid.UUID | None
    requested_by_id: uuid.UUID | None
    decided_by_id: uuid.UUID | None
    decided_at: datetime | None
    decision_note: str | None
    created_at: datetime
    subject_name: str | None = Field(
        default=None,
        description="the quote's number and title, or the opportunity's name; absent where "
        "the reader may not read that record",
    )
    requested_by_name: str | None = None
    decided_by_name: str | None = None
    stage_name: str | None = Field(
        default=None,
        description="for a stage change, the stage asked for, in the reader's language",
    )
    amount: Decimal | None = Field(
        default=None,
        description="the quote's total or the opportunity's amount, where the reader may see it",
    )
    currency: str | None = None
    discount_percent: Decimal | None = Field(
        default=None,
        description="for a quote, its effective discount from the book prices, in percent",
    )


class ApprovalRequestList(BaseModel):
    items: list[ApprovalRequestRead]
