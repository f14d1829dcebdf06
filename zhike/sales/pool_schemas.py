"""API bodies for pools, claims, assignment rules, capture forms and lead conversion."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from zhike.platform.schemas import LongText, OptionalText, ShortText

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Days = Annotated[int, Field(ge=1, le=3650)]
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PoolWrite(Strict):
    name: ShortText
    object_name: Literal["leads", "accounts"] = "leads"
    description: LongText = None
    provinces: list[str] = Field(default_factory=list, max_length=100)
    product_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    member_team_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    max_owned_per_user: int | None = Field(default=None, ge=0, le=100_000)
    max_claims_per_day: int | None = Field(default=None, ge=0, le=10_000)
    return_after_days_without_activity: Days | None = None
    return_after_days_without_progress: Days | None = None
    warn_days_before: int = Field(default=2, ge=0, le=365)
    is_default: bool = False
    is_active: bool = True


class PoolRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    version: int
    name: str
    object_name: str
    description: str | None
    provinces: list[str]
    product_ids: list[str]
    member_team_ids: list[str]
    max_owned_per_user: int | None
    max_claims_per_day: int | None
    return_after_days_without_activity: int | None
    return_after_days_without_progress: int | None
    warn_days_before: int
    is_default: bool
    is_active: bool
    pooled_count: int = 0
    claimed_count: int = 0


class PoolList(BaseModel):
    items: list[PoolRead]


class PoolItems(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None = None


class ClaimRequest(Strict):
    reason: Reason
    note: OptionalText = None


class ReleaseRequest(Strict):
    reason: Reason
    note: OptionalText = None
    pool_id: uuid.UUID | None = None


class MoveToPoolRequest(Strict):
    record_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)
    reason: Reason
    note: OptionalText = None


class PoolEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    pool_id: uuid.UUID | None
    object_name: str
    record_id: uuid.UUID
    action: str
    reason: str
    note: str | None
    user_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    occurred_at: datetime


class PoolEventList(BaseModel):
    items: list[PoolEventRead]


class ClaimResult(BaseModel):
    object_name: str
    record_id: uuid.UUID
    owner_id: uuid.UUID | None
    pool_id: uuid.UUID
    state: str
    return_due_at: datetime | None = None


class RecycleReport(BaseModel):
    pools: int = 0
    followups_refreshed: int = 0
    progress_refreshed: int = 0
    closed: int = 0
    returned_without_activity: int = 0
    returned_without_progress: int = 0
    returned_owner_left: int = 0
    warned: int = 0
    owners_notified: int = 0


class WorkingHours(Strict):
    days: list[Annotated[int, Field(ge=1, le=7)]] = Field(default_factory=lambda: [1, 2, 3, 4, 5])
    start: str = "09:00"
    end: str = "18:00"

    @field_validator("start", "end")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not _TIME.match(value):
            raise ValueError(f"invalid time {value!r}; write it as HH:MM, such as 09:00")
        return value


class AssignmentMember(Strict):
    user_id: uuid.UUID
    weight: int = Field(default=1, ge=1, le=1000)
    capacity: int | None = Field(default=None, ge=0, le=1_000_000)


class AssignmentRuleWrite(Strict):
    name: ShortText
    position: int = Field(default=0, ge=0, le=10_000)
    is_active: bool = True
    method: Literal["round_robin", "weighted"] = "round_robin"
    provinces: list[str] = Field(default_factory=list, max_length=100)
    cities: list[str] = Field(default_factory=list, max_length=500)
    product_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    lead_sources: list[str] = Field(default_factory=list, max_length=100)
    min_score: float | None = Field(default=None, ge=0, le=100)
    max_score: float | None = Field(default=None, ge=0, le=100)
    working_hours: WorkingHours | None = None
    members: list[AssignmentMember] = Field(default_factory=list, max_length=500)
    fallback_pool_id: uuid.UUID | None = None


class AssignmentRuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    version: int
    name: str
    position: int
    is_active: bool
    method: str
    provinces: list[str]
    cities: list[str]
    product_ids: list[str]
    lead_sources: list[str]
    min_score: float | None
    max_score: float | None
    working_hours: dict[str, Any]
    members: list[dict[str, Any]]
    fallback_pool_id: uuid.UUID | None


class AssignmentRuleList(BaseModel):
    items: list[AssignmentRuleRead]


class AssignRequest(Strict):
    lead_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=100_000,
        description="leads to assign; all unowned open leads if empty",
    )
    dry_run: bool = False


class AssignmentReport(BaseModel):
    considered: int = 0
    assigned: int = 0
    pooled: int = 0
    unmatched: int = 0
    by_user: dict[str, int] = Field(default_factory=dict)
    by_rule: dict[str, int] = Field(default_factory=dict)


class ReassignRequest(Strict):
    from_user_id: uuid.UUID
    to_user_id: uuid.UUID | None = Field(
        default=None, description="new owner; when empty the assignment rules choose"
    )


FormField = Literal[
    "name", "company", "title", "mobile", "phone", "email", "province", "city", "description"
]


def _default_form_fields() -> list[FormField]:
    return ["name", "company", "mobile", "email"]


class CaptureFormWrite(Strict):
    name: ShortText
    fields: list[FormField] = Field(default_factory=_default_form_fields, min_length=1)
    lead_source: ShortText = "web_form"
    pool_id: uuid.UUID | None = None
    assign: bool = True
    min_fill_seconds: int = Field(default=3, ge=0, le=3600)
    max_per_minute_per_ip: int = Field(default=5, ge=1, le=10_000)
    max_per_minute: int = Field(default=120, ge=1, le=100_000)
    is_active: bool = True


class CaptureFormRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    form_key: str
    fields: list[str]
    lead_source: str
    pool_id: uuid.UUID | None
    assign: bool
    min_fill_seconds: int
    max_per_minute_per_ip: int
    max_per_minute: int
    is_active: bool


class CaptureFormList(BaseModel):
    items: list[CaptureFormRead]


class CaptureRequest(Strict):
    """A lead from an API client or a channel connector."""

    channel: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,49}$")] = "api"
    name: ShortText
    company: OptionalText = None
    title: OptionalText = None
    mobile: OptionalText = None
    phone: OptionalText = None
    email: OptionalText = None
    province: OptionalText = None
    city: OptionalText = None
    lead_source: OptionalText = None
    product_id: uuid.UUID | None = None
    description: LongText = None
    external_id: Annotated[str, StringConstraints(max_length=100)] | None = None
    assign: bool = True


class DuplicateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lead_id: uuid.UUID
    matched_object: str
    matched_id: uuid.UUID
    rule: str
    channel: str | None
    status: str
    detected_at: datetime


class CaptureResult(BaseModel):
    lead_id: uuid.UUID
    owner_id: uuid.UUID | None
    pool_id: uuid.UUID | None
    duplicates: list[DuplicateRead]


class DuplicateList(BaseModel):
    items: list[DuplicateRead]


class ConvertRequest(Strict):
    account_id: uuid.UUID | None = Field(
        default=None, description="existing account to link; found or created when empty"
    )
    contact_id: uuid.UUID | None = Field(
        default=None, description="existing contact to link; found or created when empty"
    )
    create_opportunity: bool = True
    opportunity_name: OptionalText = None
    amount: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)] | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")] | None = None
    stage: str | None = None


class ConvertResult(BaseModel):
    lead_id: uuid.UUID
    account_id: uuid.UUID
    contact_id: uuid.UUID
    opportunity_id: uuid.UUID | None
    account_created: bool
    contact_created: bool
    opportunity_created: bool
    activities_moved: int


class DepartureHandover(Strict):
    """Hand-over mode for a user's open records when an administrator deactivates them."""

    mode: Literal["rules", "pool"] = Field(
        description=(
            "rules: leads through the assignment rules, customers to the manager; "
            "pool: records held in a public pool go back to it, the rest as with rules"
        )
    )
