"""Usage accounting, budgets and the disclosure log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhike.ai.llm.errors import LLMBudgetExhausted
from zhike.ai.llm.models import LLMPolicy, LLMProvider, LLMUsage
from zhike.audit.service import AuditAction, record_event
from zhike.core.timeutil import utc_now
from zhike.security.context import Actor

COST_QUANTUM = Decimal("0.000001")


@dataclass(slots=True)
class UsageEntry:
    feature: str
    provider_name: str
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    cost: Decimal = Decimal("0")
    is_cache_hit: bool = False
    outcome: str = "ok"
    disclosed_categories: list[str] = field(default_factory=list)


def call_cost(row: LLMProvider | None, prompt_tokens: int, completion_tokens: int) -> Decimal:
    if row is None:
        return Decimal("0")
    cost = (
        Decimal(prompt_tokens) * row.input_price_per_1k
        + Decimal(completion_tokens) * row.output_price_per_1k
    ) / Decimal(1000)
    return cost.quantize(COST_QUANTUM)


def record_usage(session: Session, actor: Actor, entry: UsageEntry) -> None:
    session.add(
        LLMUsage(
            tenant_id=actor.tenant_id,
            user_id=actor.user_id,
            feature=entry.feature,
            provider_name=entry.provider_name,
            model=entry.model,
            prompt_tokens=entry.prompt_tokens,
            completion_tokens=entry.completion_tokens,
            latency_ms=entry.latency_ms,
            cost=entry.cost,
            is_cache_hit=entry.is_cache_hit,
            outcome=entry.outcome,
            disclosed_categories=sorted(entry.disclosed_categories),
        )
    )
    session.flush()


def month_start(now: datetime | None = None) -> datetime:
    # Budgets run by UTC calendar month so every process agrees on the boundary.
    now = now or utc_now()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def spent_this_month(
    session: Session, tenant_id: uuid.UUID, provider_name: str | None = None
) -> tuple[Decimal, int]:
    """Cost and tokens used since the start of the month, for the tenant or one provider."""
    statement = select(
        func.coalesce(func.sum(LLMUsage.cost), 0),
        func.coalesce(func.sum(LLMUsage.prompt_tokens + LLMUsage.completion_tokens), 0),
    ).where(LLMUsage.tenant_id == tenant_id, LLMUsage.created_at >= month_start())
    if provider_name is not None:
        statement = statement.where(LLMUsage.provider_name == provider_name)
    cost, tokens = session.execute(statement).one()
    return Decimal(cost), int(tokens)


def check_tenant_budget(session: Session, policy: LLMPolicy, tenant_id: uuid.UUID) -> None:
    if policy.monthly_budget is None:
        return
    spent, _ = spent_this_month(session, tenant_id)
    if spent >= policy.monthly_budget:
        raise LLMBudgetExhausted(
            scope="tenant", budget=str(policy.monthly_budget), spent=str(spent)
        )


def provider_budget_reason(session: Session, row: LLMProvider) -> str | None:
    """Why a provider's monthly budget stops it now, or None while it has budget left."""
    if row.monthly_budget is None and row.monthly_token_budget is None:
        return None
    spent, tokens = spent_this_month(session, row.tenant_id, row.name)
    if row.monthly_budget is not None and spent >= row.monthly_budget:
        return f"monthly budget {row.monthly_budget} spent ({spent})"
    if row.monthly_token_budget is not None and tokens >= row.monthly_token_budget:
        return f"monthly token budget {row.monthly_token_budget} used ({tokens})"
    return None


def log_disclosure(
    session: Session,
    actor: Actor,
    *,
    provider: str,
    model: str | None,
    purpose: str,
    disclosed: list[str],
    redacted: list[str],
) -> None:
    """Write the disclosure log entry: which personal data categories went where, and why."""
    record_event(
        session,
        actor,
        AuditAction.AI_CALL,
        object_name="llm_provider",
        record_id=provider,
        details={
            "provider": provider,
            "model": model,
            "purpose": purpose,
            "disclosed_categories": sorted(disclosed),
            "redacted_categories": sorted(redacted),
        },
    )
