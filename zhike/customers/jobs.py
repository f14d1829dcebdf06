"""Background duplicate scans on the shared queue.

``run_duplicate_scan`` is a plain function (the API, the CLI and tests call it);
the Huey tasks around it run one scan on request and every tenant each night.
A scan is idempotent: pairs already queued are refreshed, decided pairs left alone.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from huey import crontab
from sqlalchemy import select

from zhike.core.db import Database, get_database
from zhike.customers.duplicates import MERGEABLE_OBJECTS, scan_duplicates
from zhike.jobs.queue import get_queue
from zhike.security.context import system_actor
from zhike.security.models import Tenant

logger = logging.getLogger(__name__)

huey = get_queue()

NIGHTLY_MIN_SCORE = 0.8


def run_duplicate_scan(
    database: Database, tenant_id: uuid.UUID, object_name: str, min_score: float
) -> dict[str, Any]:
    """Scan one tenant's records of one object as the system actor, over the whole tenant."""
    with database.session() as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None:
            logger.warning("duplicate scan for a missing tenant", extra={"tenant": str(tenant_id)})
            return {"tenant": str(tenant_id), "skipped": "tenant_missing"}
        actor = system_actor(tenant.id, locale=tenant.locale, timezone=tenant.timezone)
        result = scan_duplicates(session, actor, object_name, min_score)
    return {"tenant": str(tenant_id), **result.model_dump()}


@huey.task()  # type: ignore[untyped-decorator]  # huey ships no type hints
def duplicate_scan_task(tenant_id: str, object_name: str, min_score: float) -> dict[str, Any]:
    return run_duplicate_scan(get_database(), uuid.UUID(tenant_id), object_name, min_score)


def enqueue_duplicate_scan(tenant_id: uuid.UUID, object_name: str, min_score: float) -> None:
    duplicate_scan_task(str(tenant_id), object_name, min_score)


@huey.periodic_task(crontab(minute="23", hour="2"))  # type: ignore[untyped-decorator]  # huey ships no type hints
def nightly_duplicate_scan_task() -> list[dict[str, Any]]:
    database = get_database()
    with database.session() as session:
        tenant_ids = list(session.scalars(select(Tenant.id).order_by(Tenant.id)))
    results = []
    for tenant_id in tenant_ids:
        for object_name in MERGEABLE_OBJECTS:
            try:
                results.append(
                    run_duplicate_scan(database, tenant_id, object_name, NIGHTLY_MIN_SCORE)
                )
            except Exception:
                # One tenant's failure must not stop the others; the next night retries it.
                logger.exception(
                    "duplicate scan failed", extra={"tenant": str(tenant_id), "object": object_name}
                )
    return results


def run_recluster(database: Database, tenant_id: uuid.UUID) -> dict[str, Any]:
    """Re-cluster one tenant's contacts, leads and accounts as the system actor."""
    from zhike.customers.recluster import recluster_tenant
    from zhike.security.tenancy import bind_tenant

    with database.session() as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None:
            logger.warning("re-clustering for a missing tenant", extra={"tenant": str(tenant_id)})
            return {"tenant": str(tenant_id), "skipped": "tenant_missing"}
        bind_tenant(session, tenant.id)
        actor = system_actor(tenant.id, locale=tenant.locale, timezone=tenant.timezone)
        result = recluster_tenant(session, actor)
    return {"tenant": str(tenant_id), **result.model_dump()}


@huey.task()  # type: ignore[untyped-decorator]  # huey ships no type hints
def recluster_task(tenant_id: str) -> dict[str, Any]:
    return run_recluster(get_database(), uuid.UUID(tenant_id))


def enqueue_recluster(tenant_id: uuid.UUID) -> None:
    recluster_task(str(tenant_id))
