"""Background work of marketing automation on the shared Huey queue.

Each cycle applies noted record changes to segments and entry triggers,
fixes the winners of A/B splits that became significant, advances due
journey contacts, then delivers due sends. The functions take a
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
from zhike.marketing.measurement import ab_tests
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


def choose_ab_winners(database: Database) -> int:
    """Evaluate the open A/B splits of active journeys and return how many got a winner.

    A split's winner is fixed once its test is significant on large enough
    arms (``measurement.ab_tests``), and from then on every contact takes it.
    """
    with database.session() as session:
        journeys = session.execute(
            select(Journey.id, Journey.tenant_id, Journey.graph, Journey.winners).where(
                Journey.status == "active"
            )
        ).all()
    chosen = 0
    for journey_id, tenant_id, graph, winners in journeys:
        splits = {step.get("id") for step in graph.get("steps", []) if step.get("type") == "split"}
        open_splits = splits - set(winners or {})
        if not open_splits:
            continue
        with database.session() as session:
            results = ab_tests(session, system_actor(tenant_id), journey_id)
        chosen += sum(
            1 for result in results if result["step_id"] in open_splits and result["winner"]
        )
    return chosen


def run_cycle(database: Database, now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Run one marketing cycle and return what each stage handled."""
    changes = apply_changes(database)
    winners = choose_ab_winners(database)
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
    return {
        "changes": changes,
        "ab_winners": winners,
        "advanced": advanced,
        "dispatched": delivered,
    }


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
