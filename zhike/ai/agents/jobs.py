"""Background jobs of the agents: advance a run, and resume runs a lost worker left behind.

The Huey tasks are thin: ``advance_run`` keeps all state in the database, so a
task delivered twice, late or after a crash does nothing wrong. A task that
finds a retry due later schedules itself for that time.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from huey import crontab
from sqlalchemy import or_, select

from zhike.ai.agents.executor import Advanced, advance_run
from zhike.ai.agents.models import AgentRun, AgentStep
from zhike.core.db import Database, get_database
from zhike.core.timeutil import utc_now
from zhike.jobs.queue import get_queue
from zhike.security.models import Tenant
from zhike.security.tenancy import bind_tenant

logger = logging.getLogger(__name__)

huey = get_queue()


def run_advance(database: Database, tenant_id: uuid.UUID, run_id: uuid.UUID) -> Advanced:
    result = advance_run(database, tenant_id, run_id)
    logger.info(
        "agent run advanced",
        extra={"run_id": str(run_id), "status": result.status, "steps": result.steps_run},
    )
    return result


@huey.task()  # type: ignore[untyped-decorator]  # huey ships no type hints
def advance_run_task(tenant_id: str, run_id: str) -> str:
    result = run_advance(get_database(), uuid.UUID(tenant_id), uuid.UUID(run_id))
    if result.wake_at is not None and result.is_claimed:
        advance_run_task.schedule((tenant_id, run_id), eta=result.wake_at)
    return result.status


def enqueue_advance(tenant_id: uuid.UUID, run_id: uuid.UUID) -> None:
    advance_run_task(str(tenant_id), str(run_id))


def runs_to_resume(
    database: Database, now: datetime | None = None, tenant_ids: list[uuid.UUID] | None = None
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Runs with work left whose lease has lapsed: a lost worker, a lost message or a due retry.

    Tenants are searched one at a time with the session bound to each, because
    PostgreSQL row-level security shows an unbound session no agent rows at all.
    """
    moment = now or utc_now()
    if tenant_ids is None:
        with database.session() as session:
            tenant_ids = list(session.scalars(select(Tenant.id).order_by(Tenant.id)))
    found: list[tuple[uuid.UUID, uuid.UUID]] = []
    for tenant_id in tenant_ids:
        found.extend((tenant_id, run_id) for run_id in _tenant_runs(database, tenant_id, moment))
    return found


def _tenant_runs(database: Database, tenant_id: uuid.UUID, moment: datetime) -> list[uuid.UUID]:
    with database.session() as session:
        bind_tenant(session, tenant_id)
        waiting = select(AgentStep.run_id).where(
            AgentStep.tenant_id == tenant_id,
            or_(
                AgentStep.status == "running",
                (AgentStep.status == "pending")
                & or_(AgentStep.next_attempt_at.is_(None), AgentStep.next_attempt_at <= moment),
                AgentStep.status == "waiting_person",
            ),
        )
        return list(
            session.scalars(
                select(AgentRun.id).where(
                    AgentRun.tenant_id == tenant_id,
                    AgentRun.status.in_(("pending", "running", "waiting_person")),
                    or_(AgentRun.lease_until.is_(None), AgentRun.lease_until < moment),
                    or_(AgentRun.status == "pending", AgentRun.id.in_(waiting)),
                )
            )
        )


def resume_runs(
    database: Database, now: datetime | None = None, tenant_ids: list[uuid.UUID] | None = None
) -> int:
    """Advance every run of ``tenant_ids`` (all tenants by default) that needs it.

    A run that raises is logged and the others go on.
    """
    runs = runs_to_resume(database, now, tenant_ids)
    resumed = 0
    for tenant_id, run_id in runs:
        try:
            run_advance(database, tenant_id, run_id)
        except Exception:
            logger.exception(
                "agent run could not be resumed",
                extra={"tenant_id": str(tenant_id), "run_id": str(run_id)},
            )
            continue
        resumed += 1
    return resumed


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]  # no hints
def resume_runs_task() -> None:
    resumed = resume_runs(get_database())
    if resumed:
        logger.info("agent runs resumed", extra={"count": resumed})
