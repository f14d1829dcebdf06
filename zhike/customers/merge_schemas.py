"""Request and response bodies of the duplicate review queue and of merges."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MergeableObject = Literal["contacts", "accounts"]
SurvivorshipRule = Literal["most_recent", "most_complete", "trusted_source"]
CandidateStatus = Literal["open", "merged", "rejected"]
RecordSide = Literal["survivor", "merged"]


class ScanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    object_name: MergeableObject = "contacts"
    min_score: float = Field(
        default=0.8, ge=0.0, le=1.0, description="smallest match probability to queue a pair at"
    )


class ScanResult(BaseModel):
    object_name: str
    records: int
    pairs_compared: int
    queued: int
    updated: int
    skipped_decided: int


class CandidateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    object_name: str
    first_id: uuid.UUID
    second_id: uuid.UUID
    score: float
    matched_fields: list[str]
    reasons: list[str]
    status: str
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    merge_id: uuid.UUID | None
    created_at: datetime


class CandidatePage(BaseModel):
    items: list[CandidateRead]


class MergeOptions(BaseModel):
    """Survivorship settings: the rules and picks that choose each field's surviving value."""

    model_config = ConfigDict(extra="forbid")

    rule: SurvivorshipRule = Field(
        default="most_recent", description="rule for every field without its own rule or pick"
    )
    field_rules: dict[str, SurvivorshipRule] = Field(default_factory=dict)
    trusted_sources: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="sources in order of trust, most trusted first, for the trusted_source rule",
    )
    picks: dict[str, RecordSide] = Field(
        default_factory=dict, description="fields whose value the user picked from one record"
    )


class MergeRequest(MergeOptions):
    object_name: MergeableObject
    survivor_id: uuid.UUID
    merged_id: uuid.UUID


class AcceptRequest(MergeOptions):
    survivor_id: uuid.UUID | None = Field(
        default=None, description="which of the pair survives; the older record when left out"
    )


class FieldDecision(BaseModel):
    field: str
    survivor_value: Any
    merged_value: Any
    chosen: RecordSide
    rule: str
    reason: str


class MergePreview(BaseModel):
    object_name: str
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    fields: list[FieldDecision]
    related_rows: dict[str, int]


class MergeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    object_name: str
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    candidate_id: uuid.UUID | None
    field_choices: dict[str, Any]
    repointed: list[dict[str, Any]]
    merged_by: uuid.UUID | None
    merged_at: datetime
    unmerged_by: uuid.UUID | None
    unmerged_at: datetime | None


class UnmergeResult(BaseModel):
    merge: MergeRead
    restored_fields: list[str]
    kept_later_edits: list[str] = Field(
        description="survivor fields changed after the merge, whose newer value was kept"
    )
    restored_rows: int
