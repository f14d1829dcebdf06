"""The periodic pool job: recycling and hand-over of departed owners' leads, per tenant.

``run_pool_maintenance`` is a plain function (the CLI and tests call it); the
Huey task around it runs every hour on the shared queue. Both steps are
idempotent: a second run at the same time finds nothing left to do.
Deactivating a user through the admin service hands their records over at
once (``sales/handover.py``); the hand-over step here is the safety net for
users deactivated by other means.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from huey import crontab
from sqlalchemy import select

from zhike.core.db import Database, get_database
from zhike.jobs.queue import get_queue
from zhike.sales.assignment import departed_owners
from zhike.sales.handover import hand_over_departed_owner
from zhike.sales.pool_recycling import recycle
from zhike.security.context import system_actor
from zhike.security.models import Tenant
from zhike.security.tenants import get_tenant_by_slug

logger = logging.getLogger(__name__)

huey = get_queue()


def run_pool_maintenance(
    database: Database, tenant_slug: str, now: datetime | None = None
) -> dict[str, Any]:
    """Hand on the open leads of deactivated users, then run every pool's return rules."""
    with database.session() as session:
        tenant = get_tenant_by_slug(session, tenant_slug)
        actor = system_actor(tenant.id, locale=tenant.locale, timezone=tenant.timezone)
        handed_over = {
            str(user_id): hand_over_departed_owner(session, actor, user_id, now)
            for user_id in departed_owners(session, tenant.id)
        }
        report = recycle(session, actor, now)
    return {"tenant": tenant_slug, "departed_owners": handed_over, **report.model_dump()}


def run_all_tenants(database: Database, now: datetime | None = None) -> list[dict[str, Any]]:
    with database.session() as session:
        slugs = list(session.scalars(select(Tenant.slug).order_by(Tenant.slug)))
    results = []
    for slug in slugs:
        try:
            results.append(run_pool_maintenance(database, slug, now))
        except Exception:
            # One tenant's failure must not stop the others; it is retried next hour.
            logger.exception("pool maintenance failed", extra={"tenant": slug})
    return results


@huey.periodic_task(crontab(minute="7"))  # type: ignore[untyped-decorator]  # huey ships no type hints
def pool_maintenance_task() -> list[dict[str, Any]]:
    return run_all_tenants(get_database())
