"""Background work of the service desk: the SLA check and the delivery of escalation messages.

``run_sla_checks`` takes the time to evaluate at, so tests and replays control
the clock; the Huey task calls it every minute with the current time.
Escalation is idempotent: each level is taken once per ticket. Escalation
messages by email and WeCom are sent after the escalating transaction commits,
one task per message, and retried with a growing delay. A sweep each minute also
sends any due message whose task was lost.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from huey import crontab
from huey.exceptions import RetryTask
from sqlalchemy import select

from zhike.core.db import Database, get_database
from zhike.core.settings import get_settings
from zhike.core.timeutil import utc_now
from zhike.jobs.queue import get_queue
from zhike.security.context import Actor
from zhike.security.models import Tenant
from zhike.security.tenancy import bind_tenant
from zhike.service.escalation_delivery import (
    MAX_ATTEMPTS,
    deliver,
    deliver_due,
    due_deliveries,
    retry_delay,
)
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
    database = get_database()
    moment = utc_now()
    results = run_sla_checks(database, moment)
    # The escalations have committed, so their messages can go out now.
    for delivery_id in due_deliveries(database, moment):
        deliver_escalation_task(str(delivery_id))
    return results


@huey.task(retries=0)  # type: ignore[untyped-decorator]  # huey ships no type hints
def deliver_escalation_task(delivery_id: str) -> str | None:
    """Send one escalation message; a failed attempt is recorded and retried after a delay."""
    outcome = deliver(get_database(), uuid.UUID(delivery_id), get_settings())
    if outcome is None:
        return None
    if outcome.status == "pending" and outcome.attempts < MAX_ATTEMPTS:
        raise RetryTask(delay=retry_delay(outcome.attempts))
    return outcome.status


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]  # huey ships no type hints
def escalation_delivery_sweep_task() -> dict[str, int]:
    """Send due messages whose own task was lost, e.g. with a queue that was cleared."""
    return deliver_due(get_database(), get_settings())
