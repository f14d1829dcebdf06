"""Per-tenant identity resolution settings: link thresholds and the trained match model.

Both live in ``Tenant.settings["identity"]``. An administrator sets the thresholds.
The batch re-clustering writes the model's m and u probabilities, because it has the
whole tenant to learn from, and the write path reads them.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, model_validator
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from zhike.audit.service import record_event
from zhike.core.errors import NotFound
from zhike.customers.identity_keys import match_spec
from zhike.customers.matching.fellegi_sunter import FellegiSunterModel
from zhike.security.admin import require_administrator
from zhike.security.context import Actor
from zhike.security.models import Tenant

SETTINGS_KEY = "identity"
# Same name and city alone reach about 0.98 under the untrained model, which is not
# enough evidence to join two people without a person looking at it.
DEFAULT_AUTO_LINK_THRESHOLD = 0.99
DEFAULT_REVIEW_THRESHOLD = 0.8


class IdentitySettings(BaseModel):
    """Match probabilities at which a new record links automatically or goes to review."""

    auto_link_threshold: float = Field(
        default=DEFAULT_AUTO_LINK_THRESHOLD,
        gt=0,
        le=1,
        description="match probability from which a record joins an existing global customer",
    )
    review_threshold: float = Field(
        default=DEFAULT_REVIEW_THRESHOLD,
        gt=0,
        le=1,
        description="match probability from which a pair goes to the duplicate review queue",
    )

    @model_validator(mode="after")
    def _ordered(self) -> IdentitySettings:
        if self.review_threshold > self.auto_link_threshold:
            raise ValueError(
                f"review_threshold {self.review_threshold} is above auto_link_threshold "
                f"{self.auto_link_threshold}; set it at or below the auto-link threshold"
            )
        return self


def _tenant(session: Session, tenant_id: uuid.UUID) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("tenant_not_found", slug=str(tenant_id))
    return tenant


def _stored(tenant: Tenant) -> dict[str, Any]:
    stored = (tenant.settings or {}).get(SETTINGS_KEY) or {}
    return dict(stored)


def identity_settings(session: Session, tenant_id: uuid.UUID) -> IdentitySettings:
    stored = _stored(_tenant(session, tenant_id))
    return IdentitySettings.model_validate(
        {name: stored[name] for name in IdentitySettings.model_fields if name in stored}
    )


def read_identity_settings(session: Session, actor: Actor) -> IdentitySettings:
    require_administrator(actor)
    return identity_settings(session, actor.tenant_id)


def update_identity_settings(
    session: Session, actor: Actor, settings: IdentitySettings
) -> IdentitySettings:
    """Store new thresholds; records already linked keep their links until a re-clustering."""
    require_administrator(actor)
    tenant = _tenant(session, actor.tenant_id)
    before = identity_settings(session, actor.tenant_id)
    stored = _stored(tenant)
    stored.update(settings.model_dump())
    tenant.settings = {**(tenant.settings or {}), SETTINGS_KEY: stored}
    flag_modified(tenant, "settings")
    session.flush()
    record_event(
        session,
        actor,
        "customers.identity_settings",
        object_name="tenants",
        record_id=tenant.id,
        changes={"before": before.model_dump(), "after": settings.model_dump()},
    )
    return settings


def match_model(session: Session, tenant_id: uuid.UUID, customer_kind: str) -> FellegiSunterModel:
    """Return the tenant's trained model for one kind of customer, or the untrained one."""
    spec = match_spec(customer_kind)
    level_counts = tuple(len(comparison.levels) for comparison in spec.comparisons)
    stored = _stored(_tenant(session, tenant_id)).get("models", {}).get(customer_kind)
    if not stored or tuple(stored.get("level_counts", ())) != level_counts:
        # No re-clustering has trained one yet, or the comparisons changed since.
        return FellegiSunterModel(level_counts)
    return FellegiSunterModel(
        level_counts,
        m=[np.array(values, dtype=np.float64) for values in stored["m"]],
        u=[np.array(values, dtype=np.float64) for values in stored["u"]],
        match_share=float(stored["match_share"]),
    )


def store_match_model(
    session: Session, tenant_id: uuid.UUID, customer_kind: str, model: FellegiSunterModel
) -> None:
    tenant = _tenant(session, tenant_id)
    stored = _stored(tenant)
    models = dict(stored.get("models") or {})
    models[customer_kind] = {
        "level_counts": list(model.level_counts),
        "m": [values.tolist() for values in model.m],
        "u": [values.tolist() for values in model.u],
        "match_share": model.match_share,
    }
    stored["models"] = models
    tenant.settings = {**(tenant.settings or {}), SETTINGS_KEY: stored}
    flag_modified(tenant, "settings")
    session.flush()
