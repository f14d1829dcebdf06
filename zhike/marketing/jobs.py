"""Background work of marketing automation on the shared Huey queue.

Each cycle applies noted record changes to segments and entry triggers,
advances due journey contacts, then delivers due sends. The functions take a
database and are callable directly (tests, benchmarks); the Huey tasks are
thin wrappers. All state is in the CRM database, so a lost or repeated task
does no harm.
"""

from __future__ import annotations

import logging
from datetime import datetime

from huey import crontab
from sqlalchemy import select

from zhike.core.db import Database, get_database
from zhike.core.timeutil import utc_now
from zhike.jobs.queue import get_queue
from zhike.marketing.automation_models import Journey, MarketingChange
from zhike.marketing.journey_engine import run_due
from zhike.marketing.journeys import enroll_by_dates, tenant_today
from zhike.marketing.segments import process_changes
from zhike.marketing.sending import dispatch_due
from zhike.security.context import system_actor

logger = logging.getLogger(__name__)

huey = get_queue()
# Batches one cycle takes at most per stage, so a cycle ends and the next one can start.
MAX_BATCHES = 200


def apply_changes(database: Database) -> int:
    handled = 0
    with database.session() as session:
        tenants = list(session.scalars(select(MarketingChange.tenant_id).distinct()))
    for tenant_id in tenants:
        for _ in range(MAX_BATCHES):
            with database.session() as session:
                count = process_changes(session, system_actor(tenant_id))
            handled += count
            if count == 0:
                break
    return handled


def run_cycle(database: Database, now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Run one marketing cycle and return what each stage handled."""
    changes = apply_changes(database)
    advanced = 0
    for _ in range(MAX_BATCHES):
        count = run_due(database, now or utc_now(), batch)
        advanced += count
        if count == 0:
            break
    delivered = 0
    for _ in range(MAX_BATCHES):
        count = dispatch_due(database, batch, now or utc_now())
        delivered += count
        if count == 0:
            break
    return {"changes": changes, "advanced": advanced, "dispatched": delivered}


def run_date_triggers(database: Database) -> int:
    with database.session() as session:
        tenants = list(
            session.scalars(select(Journey.tenant_id).where(Journey.status == "active").distinct())
        )
    total = 0
    for tenant_id in tenants:
        with database.session() as session:
            total += enroll_by_dates(session, tenant_id, tenant_today(session, tenant_id))
    return total


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]  # huey ships no type hints
def marketing_cycle_task() -> dict[str, int]:
    return run_cycle(get_database())


@huey.task()  # type: ignore[untyped-decorator]  # huey ships no type hints
def marketing_now_task() -> dict[str, int]:
    return run_cycle(get_database())


@huey.periodic_task(crontab(hour="0", minute="10"))  # type: ignore[untyped-decorator]  # no hints
def marketing_date_triggers_task() -> int:
    return run_date_triggers(get_database())
