"""Helpers of the LLM gateway tests; test modules import them from here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from zhike.ai.llm.models import LLMPolicy, LLMProvider
from zhike.ai.llm.secrets import encrypt_secret
from zhike.core.db import Database


class SleepRecorder:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def add_provider(
    database: Database,
    tenant_id: Any,
    base_url: str,
    *,
    name: str = "deepseek",
    api_key: str | None = "sk-test-0123456789",
    **values: Any,
) -> LLMProvider:
    with database.session() as session:
        row = LLMProvider(
            tenant_id=tenant_id,
            name=name,
            base_url=base_url,
            chat_model=values.pop("chat_model", "deepseek-chat"),
            timeout_seconds=values.pop("timeout_seconds", 5.0),
            max_retries=values.pop("max_retries", 1),
            input_price_per_1k=values.pop("input_price_per_1k", Decimal("0.002")),
            output_price_per_1k=values.pop("output_price_per_1k", Decimal("0.008")),
            **values,
        )
        if api_key:
            row.api_key_encrypted = encrypt_secret(api_key, tenant_id)
        session.add(row)
    return row


def set_policy(database: Database, tenant_id: Any, **values: Any) -> None:
    defaults: dict[str, Any] = {
        "allow_external": True,
        "external_purposes": [],
        "highly_sensitive_route": "private_or_local",
        "redact_company_names": False,
        "fallback_to_local": True,
        "cache_seconds": 3600,
        "monthly_budget": None,
    }
    defaults.update(values)
    with database.session() as session:
        session.add(LLMPolicy(tenant_id=tenant_id, **defaults))
