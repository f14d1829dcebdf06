"""The resume job under PostgreSQL row-level security: each tenant's runs are found and advanced."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from agents_support import actor_of, new_lead, run_row, start_run
from sqlalchemy import func, select, text
from testkit import ADMIN_PASSWORD

from zhike.ai.agents.jobs import resume_runs, runs_to_resume
from zhike.ai.agents.models import AgentRun, AgentStep
from zhike.core.db import Database
from zhike.core.settings import Settings
from zhike.core.timeutil import utc_now
from zhike.security.tenants import create_tenant


@pytest.fixture
def bound_database(database: Database) -> Iterator[Database]:
    """The same database reached through a role that the row-level security policies bind."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("row-level security exists on PostgreSQL only")
    role = f"zhike_jobs_{secrets.token_hex(3)}"
    with database.engine.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
        connection.execute(
            text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"')
        )
        connection.execute(text(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
    url = database.engine.url.render_as_string(hide_password=False)
    bound = Database(url, Settings(database_url=url, database_role=role))
    yield bound
    bound.dispose()


def _second_tenant(database: Database) -> tuple[uuid.UUID, str]:
    slug = f"r-{secrets.token_hex(4)}"
    email = f"admin@{slug}.example.com"
    with database.session() as session:
        created, _ = create_tenant(session, slug, f"恢复 {slug}", email, ADMIN_PASSWORD)
    return created.id, email


def _pending_run(database: Database, tenant_id: uuid.UUID, email: str, name: str) -> uuid.UUID:
    actor = actor_of(database, tenant_id, email)
    lead_id = new_lead(database, actor, name=name, email=f"{secrets.token_hex(4)}@example.com")
    return start_run(database, actor, "lead_conversion", lead_id)


def test_unbound_session_sees_no_runs(
    database: Database, bound_database: Database, tenant: Any
) -> None:
    _pending_run(database, tenant.tenant.id, tenant.admin_email, "赵强")

    with bound_database.session() as session:
        visible = session.scalar(select(func.count()).select_from(AgentRun))

    assert visible == 0


def test_resume_finds_runs_of_every_tenant(
    database: Database, bound_database: Database, tenant: Any
) -> None:
    other_id, other_email = _second_tenant(database)
    first = _pending_run(database, tenant.tenant.id, tenant.admin_email, "周婷")
    second = _pending_run(database, other_id, other_email, "吴刚")
    tenants = [tenant.tenant.id, other_id]

    found = runs_to_resume(bound_database, utc_now(), tenants)

    assert sorted(found) == sorted([(tenant.tenant.id, first), (other_id, second)])


def test_resume_advances_runs_under_row_level_security(
    database: Database, bound_database: Database, tenant: Any
) -> None:
    other_id, other_email = _second_tenant(database)
    first = _pending_run(database, tenant.tenant.id, tenant.admin_email, "郑洁")
    second = _pending_run(database, other_id, other_email, "冯军")

    resumed = resume_runs(bound_database, utc_now(), [tenant.tenant.id, other_id])

    assert resumed == 2
    for tenant_id, run_id in ((tenant.tenant.id, first), (other_id, second)):
        run = run_row(database, run_id)
        assert run.tenant_id == tenant_id
        # Without a mail server the email goes to the owner as a task, so the run waits on them.
        assert run.status in ("waiting_approval", "waiting_person")
        assert run.plan["chosen"]
        with database.session() as session:
            done = session.scalar(
                select(func.count())
                .select_from(AgentStep)
                .where(AgentStep.run_id == run_id, AgentStep.status == "done")
            )
        assert done is not None
        assert done > 0
