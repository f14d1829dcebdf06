"""Global customers: the 360° profile, search, identity settings and re-clustering."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import event
from sqlalchemy.orm import Session

from zhike.api.deps import ActorDep, SessionDep
from zhike.audit.service import record_event
from zhike.customers import profile
from zhike.customers.identity_settings import (
    IdentitySettings,
    read_identity_settings,
    update_identity_settings,
)
from zhike.customers.profile_schemas import CustomerProfile, CustomerSearchPage, ReclusterQueued
from zhike.security.admin import require_administrator

router = APIRouter(prefix="/customers", tags=["global customers"])


@router.get("/identity-settings", response_model=IdentitySettings)
def get_settings(session: SessionDep, actor: ActorDep) -> IdentitySettings:
    """Read the tenant's identity resolution thresholds (administrators only)."""
    return read_identity_settings(session, actor)


@router.put("/identity-settings", response_model=IdentitySettings)
def put_settings(body: IdentitySettings, session: SessionDep, actor: ActorDep) -> IdentitySettings:
    """Set the match probabilities for automatic links and for the review queue.

    New writes use them at once; records already linked keep their links until a
    re-clustering. Administrators only.
    """
    return update_identity_settings(session, actor, body)


@router.post(
    "/identity/recluster",
    response_model=ReclusterQueued,
    status_code=status.HTTP_202_ACCEPTED,
)
def recluster(session: SessionDep, actor: ActorDep) -> ReclusterQueued:
    """Queue a re-clustering of all contacts, leads and accounts (administrators only)."""
    require_administrator(actor)
    tenant_id = actor.tenant_id

    def send(_session: Session) -> None:
        from zhike.customers.jobs import enqueue_recluster

        enqueue_recluster(tenant_id)

    event.listen(session, "after_commit", send, once=True)
    # The audit line also makes the request commit, which is what sends the job.
    record_event(session, actor, "customers.recluster_queued", object_name="global_customers")
    return ReclusterQueued()


@router.get("", response_model=CustomerSearchPage)
def search(
    session: SessionDep,
    actor: ActorDep,
    search: Annotated[str, Query(min_length=1, max_length=200, description="name, email or phone")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CustomerSearchPage:
    """Find global customers by name (contains), email or phone, among the records you may read."""
    return profile.search_customers(session, actor, search, limit)


@router.get("/{global_id}", response_model=CustomerProfile)
def get_profile(global_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> CustomerProfile:
    """Return the 360° profile: linked records, identities, merged attributes with provenance,
    timeline, tags, scores, consent and data quality, from the records you may read."""
    return profile.get_profile(session, actor, global_id)
