"""Background delivery of sales reminders on the shared queue.

``deliver_reminders`` scans every tenant for due reminders, overdue payments and
nudges, then mails the notifications that asked for e-mail. It is idempotent
(notifications are keyed, mail is marked when sent), so the periodic task may
run late, twice or in several workers without duplicating anything.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from huey import crontab
from sqlalchemy import select

from zhike.core.db import Database, get_database
from zhike.core.settings import Settings
from zhike.core.timeutil import utc_now
from zhike.jobs.queue import get_queue
from zhike.sales.reminders import scan_reminders, send_pending_emails
from zhike.security.models import Tenant
from zhike.security.tenancy import bind_tenant

logger = logging.getLogger(__name__)

huey = get_queue()


def deliver_reminders(
    database: Database,
    now: datetime | None = None,
    settings: Settings | None = None,
    tenant_ids: list[uuid.UUID] | None = None,
) -> dict[str, int]:
    """Run one delivery pass over ``tenant_ids`` (all tenants by default), one commit per tenant."""
    moment = now or utc_now()
    mail_settings = settings or database.settings
    totals: dict[str, int] = {"tenants": 0, "emails": 0}
    if tenant_ids is None:
        with database.session() as session:
            tenant_ids = list(session.scalars(select(Tenant.id)))
    for tenant_id in tenant_ids:
        with database.session() as session:
            bind_tenant(session, tenant_id)
            counts = scan_reminders(session, tenant_id, moment)
        with database.session() as session:
            bind_tenant(session, tenant_id)
            totals["emails"] += send_pending_emails(session, tenant_id, mail_settings)
        for name, value in counts.items():
            totals[name] = totals.get(name, 0) + value
        totals["tenants"] += 1
    logger.info("reminders delivered", extra=totals)
    return totals


@huey.periodic_task(crontab(minute="*/5"))  # type: ignore[untyped-decorator]
def deliver_reminders_task() -> dict[str, Any]:
    return deliver_reminders(get_database())
