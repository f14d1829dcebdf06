"""Helpers of the question tests: the imported pipeline tenant and running questions as a user."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import select
from testkit import TenantInfo, crm_pipeline_tenant

from zhike.ai.ask.schemas import AskAnswer
from zhike.ai.ask.service import ask
from zhike.ai.llm.gateway import LLMGateway
from zhike.core.db import Database
from zhike.security.actors import actor_for
from zhike.security.models import Tenant, User

# The day relative periods count from in every question test: "last quarter" is
# the third quarter of 2017, inside the data set's close dates.
AS_OF = date(2017, 11, 15)


def pipeline_tenant(database: Database, data_dir: Path) -> TenantInfo:
    """One tenant per backend holding the imported MavenTech pipeline, shared by read-only tests.

    The tests of tests/analytics share the same tenant, so the data set is imported once
    per database in each test process.
    """
    return crm_pipeline_tenant(database, data_dir)


def user_id_named(database: Database, tenant: TenantInfo, name: str) -> uuid.UUID:
    with database.session() as session:
        found = session.scalar(
            select(User.id).where(User.tenant_id == tenant.tenant.id, User.display_name == name)
        )
    assert found is not None, name
    return found


def ask_as(
    database: Database,
    tenant: TenantInfo,
    question: str,
    user_id: uuid.UUID | None = None,
    gateway: LLMGateway | None = None,
    as_of: date | None = AS_OF,
) -> AskAnswer:
    """Ask ``question`` as a user of ``tenant`` (the administrator when ``user_id`` is None)."""
    with database.session() as session:
        found = session.get(Tenant, tenant.tenant.id)
        user = session.get(User, user_id or tenant.admin.id)
        assert found is not None
        assert user is not None
        return ask(session, actor_for(found, user, session), question, as_of=as_of, gateway=gateway)
