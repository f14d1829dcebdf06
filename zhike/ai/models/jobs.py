"""Background work of the model lifecycle: batch scoring, monitoring and scheduled retraining.

Each job is a plain function taking a database and a tenant slug, callable
synchronously (CLI, tests), with a thin Huey task around it. Jobs are
idempotent: scoring replaces a template's scores, and retraining promotes only
a version that beats production on the same held-out rows.
"""

from __future__ import annotations

import logging
from typing import Any

from huey import crontab
from sqlalchemy import select

from zhike.ai.models.models import ModelVersion
from zhike.ai.models.monitoring import monitor
from zhike.ai.models.scoring import score_tenant
from zhike.ai.models.training import train_template
from zhike.core.db import Database, get_database
from zhike.core.errors import Conflict
from zhike.jobs.queue import get_queue
from zhike.security.context import Actor
from zhike.security.models import Tenant
from zhike.security.tenants import get_tenant_by_slug

logger = logging.getLogger(__name__)


huey = get_queue()


def system_actor(tenant: Tenant) -> Actor:
    return Actor(tenant_id=tenant.id, user_id=None, role="system", locale=tenant.locale)


def run_batch_scoring(database: Database, tenant_slug: str) -> dict[str, int]:
    with database.session() as session:
        tenant = get_tenant_by_slug(session, tenant_slug)
        return score_tenant(session, system_actor(tenant))


def run_retraining(database: Database, tenant_slug: str, template: str) -> dict[str, Any]:
    """Retrain one template; the new version replaces production only if it is better."""
    with database.session() as session:
        tenant = get_tenant_by_slug(session, tenant_slug)
        actor = system_actor(tenant)
        try:
            version = train_template(session, actor, template, promote_if_better=True)
        except Conflict as error:
            logger.info("retraining skipped", extra={"template": template, "reason": error.code})
            return {"template": template, "trained": False, "reason": error.code}
        result = monitor(session, actor, template)
        return {
            "template": template,
            "trained": True,
            "version_id": str(version.id),
            "promoted": version.status == "production",
            "alerts": len(result.alerts),
        }


def run_scheduled_retraining(database: Database) -> list[dict[str, Any]]:
    """Retrain every template that has a production version, for every tenant."""
    with database.session() as session:
        pairs = session.execute(
            select(Tenant.slug, ModelVersion.template)
            .join(ModelVersion, ModelVersion.tenant_id == Tenant.id)
            .where(ModelVersion.status == "production")
            .distinct()
        ).all()
    return [run_retraining(database, slug, template) for slug, template in pairs]


@huey.task()  # type: ignore[untyped-decorator]  # huey ships no type hints
def batch_scoring_task(tenant_slug: str) -> dict[str, int]:
    return run_batch_scoring(get_database(), tenant_slug)


@huey.task()  # type: ignore[untyped-decorator]  # huey ships no type hints
def retraining_task(tenant_slug: str, template: str) -> dict[str, Any]:
    return run_retraining(get_database(), tenant_slug, template)


@huey.periodic_task(crontab(hour="3", minute="17"))  # type: ignore[untyped-decorator]  # no hints
def nightly_retraining_task() -> None:
    run_scheduled_retraining(get_database())
