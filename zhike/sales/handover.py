"""Hand-over of a departing owner's open records, run when an administrator deactivates them.

The tenant chooses the mode in ``Tenant.settings["sales_departure_handover"]``:

* ``rules`` (the default): open leads go back through the assignment rules,
  which end in their fallback pool. Accounts, contacts and open opportunities
  go to the user's manager, or stay and are counted when there is none.
* ``pool``: leads and accounts that the user has claimed from a public pool go back to
  that pool at once, each with the reason ``owner_left``; everything else is
  handed on as in ``rules`` mode.

The hourly pool job repeats the hand-over for users deactivated some other way
(a database edit, an identity provider), so nothing stays with a departed owner.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.errors import NotFound
from zhike.core.timeutil import utc_now
from zhike.sales.assignment import reassign_owner
from zhike.sales.pool_models import PoolEntry, SalesPool
from zhike.sales.pool_recycling import return_entries
from zhike.security.admin import require_administrator
from zhike.security.context import Actor
from zhike.security.models import Tenant

logger = logging.getLogger(__name__)

HANDOVER_SETTING = "sales_departure_handover"
HandoverMode = Literal["rules", "pool"]
HANDOVER_MODES: tuple[HandoverMode, ...] = ("rules", "pool")
DEFAULT_MODE: HandoverMode = "rules"


def _tenant(session: Session, tenant_id: uuid.UUID) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("tenant_not_found", slug=str(tenant_id))
    return tenant


def handover_mode(session: Session, tenant_id: uuid.UUID) -> HandoverMode:
    """Return the tenant's configured mode; an unknown stored value counts as the default."""
    stored = (_tenant(session, tenant_id).settings or {}).get(HANDOVER_SETTING)
    for mode in HANDOVER_MODES:
        if stored == mode:
            return mode
    return DEFAULT_MODE


def set_handover_mode(session: Session, actor: Actor, mode: HandoverMode) -> HandoverMode:
    """Store the mode (administrators only) and audit the change."""
    require_administrator(actor)
    tenant = _tenant(session, actor.tenant_id)
    before = handover_mode(session, actor.tenant_id)
    tenant.settings = {**(tenant.settings or {}), HANDOVER_SETTING: mode}
    session.flush()
    if before != mode:
        record_event(
            session,
            actor,
            "settings.change",
            object_name="tenants",
            record_id=tenant.id,
            changes={HANDOVER_SETTING: [before, mode]},
        )
    return mode


def _return_pooled(session: Session, actor: Actor, user_id: uuid.UUID, now: datetime) -> int:
    """Return every record the user has claimed in any pool of the tenant, one event each."""
    pool_ids = set(
        session.scalars(
            select(PoolEntry.pool_id).where(
                PoolEntry.tenant_id == actor.tenant_id,
                PoolEntry.owner_id == user_id,
                PoolEntry.state == "claimed",
            )
        )
    )
    returned = 0
    for pool in session.scalars(select(SalesPool).where(SalesPool.id.in_(pool_ids))):
        returned += return_entries(
            session, actor, pool, now, PoolEntry.owner_id == user_id, "owner_left"
        )
    return returned


def hand_over_departed_owner(
    session: Session, actor: Actor, user_id: uuid.UUID, now: datetime | None = None
) -> dict[str, int]:
    """Hand on the open records of a deactivated user by the tenant's mode; audited."""
    now = now or utc_now()
    mode = handover_mode(session, actor.tenant_id)
    result: dict[str, int] = {}
    if mode == "pool":
        result["returned_to_pool"] = _return_pooled(session, actor, user_id, now)
    result.update(reassign_owner(session, actor, user_id, None, now))
    record_event(
        session,
        actor,
        "owner.handover",
        object_name="users",
        record_id=user_id,
        details={"mode": mode, **result},
    )
    logger.info(
        "departed owner handed over",
        extra={"user_id": str(user_id), "mode": mode, **result},
    )
    return result
