"""Tables of the LLM gateway: providers, the tenant policy and usage accounting."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.ids import new_id
from zhike.core.models import RecordMixin
from zhike.core.timeutil import utc_now

PROVIDER_KINDS = ("openai_compatible", "local")
HIGHLY_SENSITIVE_ROUTES = ("private_or_local", "refuse")
# Token prices and call costs are fractions of a cent: six decimals, not the two of amounts.
FineAmount = Numeric(18, 6, asdecimal=True)


class LLMProvider(RecordMixin, Base):
    """An OpenAI-compatible endpoint a tenant has connected; tried in ``priority`` order."""

    __tablename__ = "llm_providers"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(63))
    kind: Mapped[str] = mapped_column(String(30), default="openai_compatible")
    base_url: Mapped[str] = mapped_column(String(500), default="")
    chat_model: Mapped[str | None] = mapped_column(String(200), default=None)
    embedding_model: Mapped[str | None] = mapped_column(String(200), default=None)
    # AES-256-GCM ciphertext bound to the tenant; the plain key is never stored or returned.
    api_key_encrypted: Mapped[str | None] = mapped_column(String(1000), default=None)
    api_key_hint: Mapped[str | None] = mapped_column(String(20), default=None)
    # A private provider runs inside the company (self-hosted vLLM or Ollama) and may
    # receive data that must not leave it.
    is_private: Mapped[bool] = mapped_column(default=False)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    priority: Mapped[int] = mapped_column(default=100)
    timeout_seconds: Mapped[float] = mapped_column(default=30.0)
    max_retries: Mapped[int] = mapped_column(default=2)
    input_price_per_1k: Mapped[Decimal] = mapped_column(FineAmount, default=Decimal("0"))
    output_price_per_1k: Mapped[Decimal] = mapped_column(FineAmount, default=Decimal("0"))
    monthly_budget: Mapped[Decimal | None] = mapped_column(default=None)
    monthly_token_budget: Mapped[int | None] = mapped_column(default=None)


class LLMPolicy(RecordMixin, Base):
    """What a tenant lets leave the company, and for which purposes."""

    __tablename__ = "llm_policies"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    allow_external: Mapped[bool] = mapped_column(default=False)
    external_purposes: Mapped[list[str]] = mapped_column(default=list)
    highly_sensitive_route: Mapped[str] = mapped_column(String(30), default="private_or_local")
    redact_company_names: Mapped[bool] = mapped_column(default=False)
    fallback_to_local: Mapped[bool] = mapped_column(default=True)
    cache_seconds: Mapped[int] = mapped_column(default=3600)
    monthly_budget: Mapped[Decimal | None] = mapped_column(default=None)


class LLMUsage(Base):
    """One gateway call: who, what for, where it went, what it cost and what it disclosed."""

    __tablename__ = "llm_usage"
    __table_args__ = (Index("ix_llm_usage_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    feature: Mapped[str] = mapped_column(String(50))
    provider_name: Mapped[str] = mapped_column(String(63))
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    completion_tokens: Mapped[int] = mapped_column(default=0)
    latency_ms: Mapped[int] = mapped_column(default=0)
    cost: Mapped[Decimal] = mapped_column(FineAmount, default=Decimal("0"))
    is_cache_hit: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str] = mapped_column(String(30), default="ok")
    disclosed_categories: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
