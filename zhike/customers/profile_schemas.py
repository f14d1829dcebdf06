"""API bodies of the global customer 360 profile and the customer search."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

CustomerKind = Literal["person", "company"]
CustomerStatus = Literal["active", "merged"]


class LinkedRecord(BaseModel):
    object_name: str
    record_id: uuid.UUID
    name: str | None
    source: str = Field(description="the channel the record came through")
    link_method: str = Field(
        description="deterministic, probabilistic, new, review, merge or recluster"
    )
    link_score: float | None = Field(description="match probability 0..1; null for a new customer")
    link_reasons: list[str] = Field(description="the fields that agreed, as field:level")
    linked_at: datetime


class IdentityRead(BaseModel):
    id: uuid.UUID
    source: str
    object_name: str
    record_id: uuid.UUID
    kind: str = Field(description="email, mobile, phone, credit_code or external_id")
    value: str | None = Field(description="normalised, and masked as the record's field is")
    external_source: str | None
    first_seen_at: datetime
    last_seen_at: datetime


class SourceSummary(BaseModel):
    source: str
    records: int
    identities: int


class AttributeRead(BaseModel):
    """One field of the merged view, with the record and source its value came from."""

    field: str
    value: Any
    object_name: str
    record_id: uuid.UUID
    source: str
    updated_at: datetime
    alternatives: int = Field(description="readable records holding a different value")


class ProfileTimelineItem(BaseModel):
    kind: str
    occurred_at: datetime
    id: uuid.UUID
    title: str
    record: dict[str, Any]
    fields: dict[str, Any]
    subject_object: str
    subject_id: uuid.UUID


class ProfileTimeline(BaseModel):
    items: list[ProfileTimelineItem]
    next_cursor: str | None = None


class TagRead(BaseModel):
    segment_id: uuid.UUID
    name: str
    kind: str = Field(description="static (hand or import list) or dynamic (rule-computed)")
    object_name: str
    record_id: uuid.UUID


class ScoreRead(BaseModel):
    object_name: str
    record_id: uuid.UUID
    template: str
    score: float
    label: str | None
    source: str
    scored_at: datetime


class ProfileConsent(BaseModel):
    contact_id: uuid.UUID
    channel: str
    purpose: str
    status: str


class RecordQualityRead(BaseModel):
    object_name: str
    record_id: uuid.UUID
    score: float
    issues: list[Any]


class ProfileQuality(BaseModel):
    score: float | None = Field(description="mean of the records' scores, 0..100")
    records: list[RecordQualityRead]


class CustomerProfile(BaseModel):
    id: uuid.UUID
    kind: CustomerKind
    display_name: str | None
    status: CustomerStatus
    merged_into_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    records: list[LinkedRecord]
    identities: list[IdentityRead]
    sources: list[SourceSummary]
    attributes: list[AttributeRead]
    timeline: ProfileTimeline
    tags: list[TagRead]
    scores: list[ScoreRead]
    consent: list[ProfileConsent]
    quality: ProfileQuality | None


class CustomerSearchItem(BaseModel):
    id: uuid.UUID
    kind: CustomerKind
    display_name: str | None
    status: CustomerStatus
    records: int
    sources: list[str]
    email: str | None
    mobile: str | None
    matched_on: Literal["name", "mobile", "phone", "email"]


class CustomerSearchPage(BaseModel):
    items: list[CustomerSearchItem]


class ReclusterQueued(BaseModel):
    job: Literal["queued"] = "queued"


class ReclusterResult(BaseModel):
    """Counts of the records and customers a re-clustering read and changed in one tenant."""

    records: int
    pairs_compared: int
    customers: int
    linked_records: int
    customers_created: int
    customers_retired: int
    records_moved: int
    seconds: float
