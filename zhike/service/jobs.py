"""Background work of the service desk: the SLA check that escalates tickets before they breach.

``run_sla_checks`` takes the time to evaluate at, so tests and replays control
the clock; the Huey task calls it every minute with the current time.
Escalation is idempotent: each level is taken once per ticket.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from huey import crontab
from sqlalchemy import select

from zhike.core.db import Database, get_database
from zhike.core.timeutil import utc_now
from zhike.jobs.queue import get_queue
from zhike.security.context import Actor
from zhike.security.models import Tenant
from zhike.security.tenancy import bind_tenant
from zhike.service.sla import check_tenant

logger = logging.getLogger(__name__)

huey = get_queue()


def run_sla_checks(
    database: Database, now: datetime | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Check every tenant, each in its own transaction so one failure does not stop the rest."""
    moment = now or utc_now()
    with database.session() as session:
        tenants = session.execute(select(Tenant.id, Tenant.slug, Tenant.locale)).all()
    results: dict[str, list[dict[str, Any]]] = {}
    for tenant_id, slug, locale in tenants:
        try:
            with database.session() as session:
                bind_tenant(session, tenant_id)
                actor = Actor(tenant_id=tenant_id, user_id=None, role="system", locale=locale)
                escalations = check_tenant(session, actor, moment)
        except Exception:
            logger.exception("SLA check failed", extra={"tenant": slug})
            continue
        if escalations:
            results[slug] = escalations
            logger.info("SLA escalations", extra={"tenant": slug, "count": len(escalations)})
    return results


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]  # huey ships no type hints
def sla_check_task() -> dict[str, list[dict[str, Any]]]:
    return run_sla_checks(get_database())
