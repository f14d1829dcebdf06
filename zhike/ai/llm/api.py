"""Administration of the LLM gateway: providers, the tenant policy and usage."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, status

from zhike.ai.llm import service
from zhike.ai.llm.schemas import (
    PolicyBody,
    ProviderCreate,
    ProviderRead,
    ProviderUpdate,
    UsageReport,
)
from zhike.api.deps import ActorDep, SessionDep

router = APIRouter(prefix="/llm", tags=["llm"])


@router.get("/providers", response_model=list[ProviderRead])
def list_providers(session: SessionDep, actor: ActorDep) -> list[ProviderRead]:
    """List the tenant's language-model providers; API keys are shown masked."""
    return [service.provider_read(row) for row in service.list_providers(session, actor)]


@router.post("/providers", response_model=ProviderRead, status_code=status.HTTP_201_CREATED)
def create_provider(body: ProviderCreate, session: SessionDep, actor: ActorDep) -> ProviderRead:
    """Connect an OpenAI-compatible provider; the API key is encrypted and never returned."""
    return service.provider_read(service.create_provider(session, actor, body))


@router.patch("/providers/{provider_id}", response_model=ProviderRead)
def update_provider(
    provider_id: uuid.UUID, body: ProviderUpdate, session: SessionDep, actor: ActorDep
) -> ProviderRead:
    """Change a provider; send ``api_key`` to replace the key, an empty string to remove it."""
    return service.provider_read(service.update_provider(session, actor, provider_id, body))


@router.get("/policy", response_model=PolicyBody)
def get_policy(session: SessionDep, actor: ActorDep) -> PolicyBody:
    """Read what the tenant lets leave the company; the default lets nothing out."""
    return service.get_policy(session, actor)


@router.put("/policy", response_model=PolicyBody)
def put_policy(body: PolicyBody, session: SessionDep, actor: ActorDep) -> PolicyBody:
    """Replace the tenant's policy."""
    return service.put_policy(session, actor, body)


@router.get("/usage", response_model=UsageReport)
def get_usage(
    session: SessionDep,
    actor: ActorDep,
    since: datetime | None = None,
    until: datetime | None = None,
) -> UsageReport:
    """Calls, tokens, cost, cache hits and latency per provider, feature and user."""
    return service.usage_report(session, actor, since, until)
