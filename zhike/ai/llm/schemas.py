"""API shapes of the LLM administration endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

ProviderKind = Literal["openai_compatible", "local"]
HighlySensitiveRoute = Literal["private_or_local", "refuse"]
Purpose = Literal[
    "summary",
    "email_draft",
    "query_parsing",
    "answer_generation",
    "classification",
    "extraction",
    "embedding",
]


class ProviderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=63, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: ProviderKind = "openai_compatible"
    base_url: HttpUrl
    chat_model: str | None = Field(default=None, max_length=200)
    embedding_model: str | None = Field(default=None, max_length=200)
    api_key: str | None = Field(default=None, max_length=500, description="write-only")
    is_private: bool = False
    is_enabled: bool = True
    priority: int = Field(default=100, ge=0, le=10_000)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    max_retries: int = Field(default=2, ge=0, le=10)
    input_price_per_1k: Decimal = Field(default=Decimal("0"), ge=0)
    output_price_per_1k: Decimal = Field(default=Decimal("0"), ge=0)
    monthly_budget: Decimal | None = Field(default=None, ge=0)
    monthly_token_budget: int | None = Field(default=None, ge=0)


class ProviderUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: HttpUrl | None = None
    chat_model: str | None = Field(default=None, max_length=200)
    embedding_model: str | None = Field(default=None, max_length=200)
    api_key: str | None = Field(
        default=None, max_length=500, description="write-only; an empty string removes the key"
    )
    is_private: bool | None = None
    is_enabled: bool | None = None
    priority: int | None = Field(default=None, ge=0, le=10_000)
    timeout_seconds: float | None = Field(default=None, gt=0, le=600)
    max_retries: int | None = Field(default=None, ge=0, le=10)
    input_price_per_1k: Decimal | None = Field(default=None, ge=0)
    output_price_per_1k: Decimal | None = Field(default=None, ge=0)
    monthly_budget: Decimal | None = Field(default=None, ge=0)
    monthly_token_budget: int | None = Field(default=None, ge=0)


class ProviderRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    base_url: str
    chat_model: str | None
    embedding_model: str | None
    api_key: str | None = Field(description="masked; the key itself is never returned")
    is_private: bool
    is_enabled: bool
    priority: int
    timeout_seconds: float
    max_retries: int
    input_price_per_1k: Decimal
    output_price_per_1k: Decimal
    monthly_budget: Decimal | None
    monthly_token_budget: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class PolicyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allow_external: bool = False
    external_purposes: list[Purpose] = Field(
        default_factory=list, description="empty: every purpose, once allow_external is true"
    )
    highly_sensitive_route: HighlySensitiveRoute = "private_or_local"
    redact_company_names: bool = False
    fallback_to_local: bool = True
    cache_seconds: int = Field(default=3600, ge=0, le=7 * 86400)
    monthly_budget: Decimal | None = Field(default=None, ge=0)


class UsageRow(BaseModel):
    provider_name: str
    feature: str
    user_id: uuid.UUID | None
    calls: int
    cache_hits: int
    failures: int
    prompt_tokens: int
    completion_tokens: int
    cost: Decimal
    average_latency_ms: int


class UsageReport(BaseModel):
    since: datetime
    until: datetime
    rows: list[UsageRow]
    total_cost: Decimal
    total_calls: int
