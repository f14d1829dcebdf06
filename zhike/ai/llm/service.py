"""Administration of providers, the tenant policy and usage reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from zhike.ai.llm.models import LLMPolicy, LLMProvider, LLMUsage
from zhike.ai.llm.policy import load_policy
from zhike.ai.llm.schemas import (
    PolicyBody,
    ProviderCreate,
    ProviderRead,
    ProviderUpdate,
    UsageReport,
    UsageRow,
)
from zhike.ai.llm.secrets import encrypt_secret, mask_secret
from zhike.audit.service import AuditAction, record_event
from zhike.core.errors import Conflict, NotFound
from zhike.core.timeutil import ensure_utc, utc_now
from zhike.security.admin import require_administrator
from zhike.security.context import Actor


def provider_read(row: LLMProvider) -> ProviderRead:
    return ProviderRead(
        id=row.id,
        name=row.name,
        kind=row.kind,
        base_url=row.base_url,
        chat_model=row.chat_model,
        embedding_model=row.embedding_model,
        api_key=row.api_key_hint,
        is_private=row.is_private,
        is_enabled=row.is_enabled,
        priority=row.priority,
        timeout_seconds=row.timeout_seconds,
        max_retries=row.max_retries,
        input_price_per_1k=row.input_price_per_1k,
        output_price_per_1k=row.output_price_per_1k,
        monthly_budget=row.monthly_budget,
        monthly_token_budget=row.monthly_token_budget,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _set_key(row: LLMProvider, api_key: str | None) -> None:
    if api_key:
        row.api_key_encrypted = encrypt_secret(api_key, row.tenant_id)
        row.api_key_hint = mask_secret(api_key)
    else:
        row.api_key_encrypted = None
        row.api_key_hint = None


def list_providers(session: Session, actor: Actor) -> list[LLMProvider]:
    require_administrator(actor)
    return list(
        session.scalars(
            select(LLMProvider)
            .where(LLMProvider.tenant_id == actor.tenant_id, LLMProvider.deleted_at.is_(None))
            .order_by(LLMProvider.priority, LLMProvider.name)
        )
    )


def create_provider(session: Session, actor: Actor, body: ProviderCreate) -> LLMProvider:
    require_administrator(actor)
    exists = session.scalar(
        select(LLMProvider.id).where(
            LLMProvider.tenant_id == actor.tenant_id, LLMProvider.name == body.name
        )
    )
    if exists is not None:
        raise Conflict("llm_provider_exists", name=body.name)
    values = body.model_dump(exclude={"api_key", "base_url"})
    row = LLMProvider(tenant_id=actor.tenant_id, base_url=str(body.base_url), **values)
    _set_key(row, body.api_key)
    session.add(row)
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.CONFIG_CHANGE,
        object_name="llm_provider",
        record_id=row.id,
        details={"operation": "create", "name": row.name, "base_url": row.base_url},
    )
    return row


def update_provider(
    session: Session, actor: Actor, provider_id: uuid.UUID, body: ProviderUpdate
) -> LLMProvider:
    require_administrator(actor)
    row = session.scalar(
        select(LLMProvider).where(
            LLMProvider.id == provider_id,
            LLMProvider.tenant_id == actor.tenant_id,
            LLMProvider.deleted_at.is_(None),
        )
    )
    if row is None:
        raise NotFound("llm_provider_not_found", id=str(provider_id))
    changes = body.model_dump(exclude_unset=True)
    if "api_key" in changes:
        _set_key(row, changes.pop("api_key"))
    if "base_url" in changes and changes["base_url"] is not None:
        changes["base_url"] = str(changes["base_url"])
    for name, value in changes.items():
        setattr(row, name, value)
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.CONFIG_CHANGE,
        object_name="llm_provider",
        record_id=row.id,
        details={
            "operation": "update",
            "name": row.name,
            "fields": sorted(body.model_dump(exclude_unset=True)),
        },
    )
    return row


def policy_body(policy: LLMPolicy) -> PolicyBody:
    return PolicyBody.model_validate(
        {
            "allow_external": policy.allow_external,
            "external_purposes": policy.external_purposes,
            "highly_sensitive_route": policy.highly_sensitive_route,
            "redact_company_names": policy.redact_company_names,
            "fallback_to_local": policy.fallback_to_local,
            "cache_seconds": policy.cache_seconds,
            "monthly_budget": policy.monthly_budget,
        }
    )


def get_policy(session: Session, actor: Actor) -> PolicyBody:
    require_administrator(actor)
    return policy_body(load_policy(session, actor.tenant_id))


def put_policy(session: Session, actor: Actor, body: PolicyBody) -> PolicyBody:
    require_administrator(actor)
    policy = load_policy(session, actor.tenant_id)
    values = body.model_dump()
    values["external_purposes"] = list(values["external_purposes"])
    for name, value in values.items():
        setattr(policy, name, value)
    if policy.id is None:
        session.add(policy)
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.CONFIG_CHANGE,
        object_name="llm_policy",
        record_id=policy.id,
        details={"operation": "put", **body.model_dump(mode="json")},
    )
    return policy_body(policy)


def usage_report(
    session: Session, actor: Actor, since: datetime | None, until: datetime | None
) -> UsageReport:
    require_administrator(actor)
    until = ensure_utc(until) if until else utc_now()
    since = (
        ensure_utc(since)
        if since
        else until.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    )
    rows = session.execute(
        select(
            LLMUsage.provider_name,
            LLMUsage.feature,
            LLMUsage.user_id,
            func.count(LLMUsage.id),
            func.sum(case((LLMUsage.is_cache_hit.is_(True), 1), else_=0)),
            func.sum(case((LLMUsage.outcome == "failed", 1), else_=0)),
            func.sum(LLMUsage.prompt_tokens),
            func.sum(LLMUsage.completion_tokens),
            func.sum(LLMUsage.cost),
            func.avg(LLMUsage.latency_ms),
        )
        .where(
            LLMUsage.tenant_id == actor.tenant_id,
            LLMUsage.created_at >= since,
            LLMUsage.created_at < until,
        )
        .group_by(LLMUsage.provider_name, LLMUsage.feature, LLMUsage.user_id)
        .order_by(LLMUsage.provider_name, LLMUsage.feature)
    ).all()
    report_rows = [
        UsageRow(
            provider_name=row[0],
            feature=row[1],
            user_id=row[2],
            calls=int(row[3]),
            cache_hits=int(row[4] or 0),
            failures=int(row[5] or 0),
            prompt_tokens=int(row[6] or 0),
            completion_tokens=int(row[7] or 0),
            cost=Decimal(row[8] or 0),
            average_latency_ms=round(float(row[9] or 0)),
        )
        for row in rows
    ]
    return UsageReport(
        since=since,
        until=until,
        rows=report_rows,
        total_cost=sum((row.cost for row in report_rows), Decimal("0")),
        total_calls=sum(row.calls for row in report_rows),
    )
