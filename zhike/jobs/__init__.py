"""Background jobs: the shared queue and the modules that define tasks on it."""

from __future__ import annotations

import importlib

# Each domain that defines Huey tasks lists its module here, so a worker
# process registers every task before it starts consuming.
TASK_MODULES: tuple[str, ...] = (
    "zhike.ai.models.jobs",
    "zhike.ai.agents.jobs",
    "zhike.ingestion.jobs",
    "zhike.service.jobs",
    "zhike.marketing.jobs",
    "zhike.sales.reminder_jobs",
    "zhike.sales.pool_jobs",
    "zhike.customers.jobs",
    "zhike.customers.quality_jobs",
    "zhike.analytics.jobs",
)


def load_task_modules() -> None:
    for name in TASK_MODULES:
        importlib.import_module(name)
