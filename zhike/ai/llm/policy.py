"""Routing by sensitivity: which providers a request may reach, in which order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.ai.llm.errors import LLMRefused
from zhike.ai.llm.models import LLMPolicy, LLMProvider
from zhike.platform.classification import HIGHLY_SENSITIVE

PURPOSES = (
    "summary",
    "email_draft",
    "query_parsing",
    "answer_generation",
    "classification",
    "extraction",
    "embedding",
)
LOCAL = "local"


def load_policy(session: Session, tenant_id: uuid.UUID) -> LLMPolicy:
    """Load the tenant's policy, or a default that lets nothing leave when none was set."""
    policy = session.scalar(
        select(LLMPolicy).where(LLMPolicy.tenant_id == tenant_id, LLMPolicy.deleted_at.is_(None))
    )
    if policy is None:
        policy = LLMPolicy(
            tenant_id=tenant_id,
            allow_external=False,
            external_purposes=[],
            highly_sensitive_route="private_or_local",
            redact_company_names=False,
            fallback_to_local=True,
            cache_seconds=3600,
            monthly_budget=None,
        )
    return policy


def load_providers(session: Session, tenant_id: uuid.UUID) -> list[LLMProvider]:
    return list(
        session.scalars(
            select(LLMProvider)
            .where(
                LLMProvider.tenant_id == tenant_id,
                LLMProvider.deleted_at.is_(None),
                LLMProvider.is_enabled.is_(True),
            )
            .order_by(LLMProvider.priority, LLMProvider.name)
        )
    )


def external_allowed(policy: LLMPolicy, purpose: str) -> bool:
    """Tell whether external providers may serve ``purpose``; an empty list allows every purpose."""
    return policy.allow_external and (
        not policy.external_purposes or purpose in policy.external_purposes
    )


@dataclass(frozen=True, slots=True)
class Plan:
    """Network providers in the order to try, then whether the local provider ends the chain."""

    providers: list[LLMProvider]
    use_local: bool


def plan_route(
    policy: LLMPolicy, providers: list[LLMProvider], purpose: str, strictest: str
) -> Plan:
    if strictest == HIGHLY_SENSITIVE:
        if policy.highly_sensitive_route == "refuse":
            raise LLMRefused("llm_highly_sensitive_refused", purpose=purpose)
        private = [row for row in providers if row.is_private and row.kind != LOCAL]
        return Plan(private, use_local=True)
    allowed = external_allowed(policy, purpose)
    chain = [row for row in providers if row.kind != LOCAL and (row.is_private or allowed)]
    use_local = policy.fallback_to_local or any(row.kind == LOCAL for row in providers)
    if not chain and not use_local:
        raise LLMRefused("llm_no_allowed_provider", purpose=purpose)
    return Plan(chain, use_local)
