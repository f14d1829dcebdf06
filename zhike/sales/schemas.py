"""API bodies for products, leads, opportunities, activities and pipeline stages."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhike.platform.schemas import (
    CurrencyCode,
    LongText,
    OptionalText,
    OwnedRead,
    RecordRead,
    ShortText,
    WriteSchema,
)

AmountValue = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
Percent = Annotated[int, Field(ge=0, le=100)]
StageKey = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{0,49}$")
]
Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class ProductCreate(WriteSchema):
    name: ShortText
    code: OptionalText = None
    series: OptionalText = None
    list_price: AmountValue | None = None
    currency: CurrencyCode | None = None
    is_active: bool = True
    description: LongText = None


class ProductUpdate(ProductCreate):
    name: ShortText | None = None  # type: ignore[assignment]
    is_active: bool | None = None  # type: ignore[assignment]


class ProductRead(RecordRead):
    name: str
    code: str | None
    series: str | None
    list_price: Decimal | None
    currency: str
    is_active: bool
    description: str | None


class LeadCreate(WriteSchema):
    name: ShortText
    owner_id: uuid.UUID | None = None
    company: OptionalText = None
    title: OptionalText = None
    mobile: OptionalText = None
    phone: OptionalText = None
    email: OptionalText = None
    province: OptionalText = None
    city: OptionalText = None
    lead_source: OptionalText = None
    product_id: uuid.UUID | None = None
    status: str | None = None
    first_contact_at: datetime | None = None
    description: LongText = None


class LeadUpdate(LeadCreate):
    name: ShortText | None = None  # type: ignore[assignment]


class LeadRead(OwnedRead):
    name: str
    company: str | None
    title: str | None
    mobile: str | None
    phone: str | None
    email: str | None
    province: str | None
    city: str | None
    lead_source: str | None
    product_id: uuid.UUID | None = None
    status: str
    first_contact_at: datetime | None
    converted_at: datetime | None
    converted_account_id: uuid.UUID | None
    converted_contact_id: uuid.UUID | None
    converted_opportunity_id: uuid.UUID | None
    description: str | None
    quality_score: int | None = Field(
        default=None, description="data-quality score 0-100 under the tenant's rules"
    )
    global_customer_id: uuid.UUID | None = Field(
        default=None, description="the global customer (360 profile) this record belongs to"
    )


class OpportunityCreate(WriteSchema):
    name: ShortText
    owner_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    stage: StageKey | None = Field(
        default=None, description="stage key of the tenant's pipeline, such as proposal"
    )
    stage_id: uuid.UUID | None = None
    amount: AmountValue | None = None
    currency: CurrencyCode | None = None
    probability: Percent | None = Field(
        default=None, description="percent, by default the probability of the stage"
    )
    expected_close_date: date | None = None
    engaged_on: date | None = None
    closed_on: date | None = None
    description: LongText = None


class OpportunityUpdate(OpportunityCreate):
    name: ShortText | None = None  # type: ignore[assignment]


class OpportunityRead(OwnedRead):
    name: str
    account_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    product_id: uuid.UUID | None
    lead_id: uuid.UUID | None
    stage_id: uuid.UUID
    amount: Decimal | None
    currency: str
    probability: int | None
    expected_close_date: date | None
    engaged_on: date | None
    closed_on: date | None
    description: str | None


class ActivityCreate(WriteSchema):
    kind: str
    subject: Subject
    owner_id: uuid.UUID | None = None
    body: LongText = None
    status: str | None = Field(default=None, description="open, done or cancelled")
    occurred_at: datetime | None = None
    due_at: datetime | None = Field(default=None, description="tasks only")
    completed_at: datetime | None = None
    account_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    opportunity_id: uuid.UUID | None = None
    ticket_id: uuid.UUID | None = None


class ActivityUpdate(ActivityCreate):
    kind: str | None = None  # type: ignore[assignment]
    subject: Subject | None = None  # type: ignore[assignment]


class ActivityRead(OwnedRead):
    kind: str
    subject: str
    body: str | None
    status: str
    occurred_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    account_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    lead_id: uuid.UUID | None
    opportunity_id: uuid.UUID | None
    ticket_id: uuid.UUID | None


class StageChangeRead(BaseModel):
    """One entry of an opportunity's stage history, with the stage keys resolved."""

    id: uuid.UUID
    opportunity_id: uuid.UUID
    from_stage_id: uuid.UUID | None
    from_stage: str | None
    to_stage_id: uuid.UUID
    to_stage: str
    amount: Decimal | None
    currency: str
    changed_at: datetime
    changed_by_id: uuid.UUID | None


class StageHistory(BaseModel):
    items: list[StageChangeRead]


class PipelineStageWrite(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    key: StageKey
    name_zh: ShortText
    name_en: ShortText
    position: int = Field(ge=0, le=1000)
    probability: Percent
    is_won: bool = False
    is_lost: bool = False


class PipelineStageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key: str
    name_zh: str
    name_en: str
    position: int
    probability: int
    is_won: bool
    is_lost: bool


class PipelineStagesWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stages: list[PipelineStageWrite] = Field(min_length=2, max_length=50)


class PipelineStages(BaseModel):
    stages: list[PipelineStageRead]
