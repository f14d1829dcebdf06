"""Background work of analytics: delivering scheduled reports and checking the rollups.

``deliver_due_reports`` takes the time to evaluate at, so tests control the
clock; the periodic task calls it with the current time. Schedules are set in
whole local hours, and a run every ten minutes delivers each within ten minutes
of its hour.
"""

from __future__ import annotations

from huey import crontab

from zhike.analytics.rollups import repair_rollups
from zhike.analytics.schedules import deliver_due_reports
from zhike.core.db import get_database
from zhike.jobs.queue import get_queue

huey = get_queue()


@huey.periodic_task(crontab(minute="*/10"))  # type: ignore[untyped-decorator]  # huey ships no type hints
def deliver_reports_task() -> dict[str, int]:
    return deliver_due_reports(get_database())


# The triggers keep the rollup exact. This nightly pass catches what bypassed them
# (a restore or a bulk load with triggers disabled) and rebuilds those tenants.
@huey.periodic_task(crontab(minute="23", hour="4"))  # type: ignore[untyped-decorator]  # huey ships no type hints
def repair_rollups_task() -> dict[str, int]:
    return repair_rollups(get_database())
