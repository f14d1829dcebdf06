"""Recomputing stored quality scores for a whole tenant on the shared queue.

``run_quality_recompute`` is a plain function that the API and tests call. The Huey
tasks run it on request (after a rule change) and for every tenant each night, and
the nightly run is what ages scores under freshness rules. It is idempotent.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from huey import crontab
from sqlalchemy import select

from zhike.core.db import Database, get_database
from zhike.customers.quality import recompute_scores, scores_outdated
from zhike.customers.quality_rules import QUALITY_OBJECTS
from zhike.jobs.queue import get_queue
from zhike.security.context import system_actor
from zhike.security.models import Tenant

logger = logging.getLogger(__name__)

huey = get_queue()


def run_quality_recompute(
    database: Database, tenant_id: uuid.UUID, object_names: tuple[str, ...] = QUALITY_OBJECTS
) -> dict[str, Any]:
    """Recompute the scores of the objects as the system actor, each object in its own commit."""
    results: dict[str, Any] = {"tenant": str(tenant_id)}
    for object_name in object_names:
        with database.session() as session:
            tenant = session.get(Tenant, tenant_id)
            if tenant is None:
                logger.warning(
                    "quality recomputation for a missing tenant", extra={"tenant": str(tenant_id)}
                )
                return {"tenant": str(tenant_id), "skipped": "tenant_missing"}
            actor = system_actor(tenant.id, locale=tenant.locale, timezone=tenant.timezone)
            done = recompute_scores(session, actor, object_name)
        results[object_name] = {"records": done.records, "changed": done.changed}
    return results


@huey.task()  # type: ignore[untyped-decorator]  # huey ships no type hints
def quality_recompute_task(tenant_id: str, object_names: list[str]) -> dict[str, Any]:
    return run_quality_recompute(get_database(), uuid.UUID(tenant_id), tuple(object_names))


def enqueue_quality_recompute(tenant_id: uuid.UUID, object_names: tuple[str, ...]) -> None:
    quality_recompute_task(str(tenant_id), list(object_names))


@huey.periodic_task(crontab(minute="41", hour="3"))  # type: ignore[untyped-decorator]  # huey ships no type hints
def nightly_quality_recompute_task() -> list[dict[str, Any]]:
    database = get_database()
    with database.session() as session:
        tenant_ids = list(session.scalars(select(Tenant.id).order_by(Tenant.id)))
    results = []
    for tenant_id in tenant_ids:
        try:
            results.append(run_quality_recompute(database, tenant_id))
        except Exception:
            # One tenant's failure must not stop the others, and the next night retries it.
            logger.exception("quality recomputation failed", extra={"tenant": str(tenant_id)})
    return results


def outdated_objects(database: Database, tenant_id: uuid.UUID) -> tuple[str, ...]:
    """The objects whose stored scores predate the rules in force, or were never recomputed."""
    with database.session() as session:
        return tuple(name for name in QUALITY_OBJECTS if scores_outdated(session, tenant_id, name))


@huey.periodic_task(crontab(minute="17"))  # type: ignore[untyped-decorator]  # huey ships no type hints
def outdated_quality_recompute_task() -> list[dict[str, Any]]:
    """Recompute, within the hour, scores left behind by rules changing outside the API.

    A release that changes the built-in rules changes no tenant's data, so nothing else
    would queue their recomputation before the night.
    """
    database = get_database()
    with database.session() as session:
        tenant_ids = list(session.scalars(select(Tenant.id).order_by(Tenant.id)))
    results = []
    for tenant_id in tenant_ids:
        try:
            names = outdated_objects(database, tenant_id)
            if names:
                results.append(run_quality_recompute(database, tenant_id, names))
        except Exception:
            logger.exception("quality recomputation failed", extra={"tenant": str(tenant_id)})
    return results
