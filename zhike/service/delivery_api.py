"""Endpoints under /service for escalation messages by email and WeCom, and their delivery log."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from zhike.api.deps import ActorDep, SessionDep
from zhike.audit.service import record_event
from zhike.core.errors import NotFound
from zhike.core.settings import get_settings
from zhike.security.access import require
from zhike.security.admin import require_administrator
from zhike.security.models import Tenant
from zhike.service.escalation_delivery import (
    EscalationDeliveryBody,
    EscalationDeliveryRead,
    EscalationDeliveryRow,
    list_deliveries,
    read_settings,
    requeue,
    write_settings,
)
from zhike.service.wecom import forget_tokens

router = APIRouter(prefix="/service", tags=["service"])


def _tenant(session: SessionDep, actor: ActorDep) -> Tenant:
    tenant = session.get(Tenant, actor.tenant_id)
    if tenant is None:
        raise NotFound("tenant_not_found", slug=str(actor.tenant_id))
    return tenant


@router.get("/escalation-delivery", response_model=EscalationDeliveryRead)
def get_escalation_delivery(session: SessionDep, actor: ActorDep) -> EscalationDeliveryRead:
    """Channels that notify per escalation event; the WeCom secret is shown masked."""
    require_administrator(actor)
    return read_settings(_tenant(session, actor), get_settings())


@router.put("/escalation-delivery", response_model=EscalationDeliveryRead)
def put_escalation_delivery(
    body: EscalationDeliveryBody, session: SessionDep, actor: ActorDep
) -> EscalationDeliveryRead:
    """Choose email and WeCom per event (warning, breach, hand-off) and set the WeCom application.

    The secret is stored encrypted; sending the mask or leaving it out keeps the stored one.
    """
    require_administrator(actor)
    tenant = _tenant(session, actor)
    changes = write_settings(tenant, body)
    session.flush()
    if "wecom.corp_secret" in changes:
        forget_tokens()
    record_event(
        session,
        actor,
        "service.escalation_delivery.update",
        object_name="tenants",
        record_id=tenant.id,
        changes=changes,
    )
    return read_settings(tenant, get_settings())


@router.get("/escalation-deliveries", response_model=list[EscalationDeliveryRow])
def get_escalation_deliveries(
    session: SessionDep,
    actor: ActorDep,
    status: Literal["pending", "sent", "failed", "skipped"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[EscalationDeliveryRow]:
    """Escalation messages newest first, with attempts and the last error of each."""
    require(actor, "tickets", "read")
    return list_deliveries(session, actor.tenant_id, status, limit)


@router.post("/escalation-deliveries/{delivery_id}/retry", response_model=EscalationDeliveryRow)
def retry_escalation_delivery(
    delivery_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> EscalationDeliveryRow:
    """Put a failed or skipped message back in line; the queue sends it within a minute."""
    require_administrator(actor)
    row = requeue(session, actor.tenant_id, delivery_id)
    record_event(
        session,
        actor,
        "service.escalation_delivery.retry",
        object_name="tickets",
        record_id=row.ticket_id,
        details={"delivery_id": str(row.id), "channel": row.channel},
    )
    return list_deliveries(session, actor.tenant_id, None, 1, row.id)[0]
