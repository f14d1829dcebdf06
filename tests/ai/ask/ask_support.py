"""Helpers of the question tests: the imported pipeline tenant and running questions as a user."""

from __future__ import annotations

import secrets
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import select
from testkit import ADMIN_PASSWORD, TenantInfo

from zhike.ai.ask.schemas import AskAnswer
from zhike.ai.ask.service import ask
from zhike.ai.llm.gateway import LLMGateway
from zhike.core.db import Database
from zhike.ingestion.importer import run_import
from zhike.security.actors import actor_for
from zhike.security.models import Tenant, User
from zhike.security.tenants import create_tenant

# The day relative periods count from in every question test: "last quarter" is
# the third quarter of 2017, inside the data set's close dates.
AS_OF = date(2017, 11, 15)

_IMPORTED: dict[str, TenantInfo] = {}


def pipeline_tenant(database: Database, data_dir: Path) -> TenantInfo:
    """One tenant per backend holding the imported MavenTech pipeline, shared by read-only tests."""
    backend = database.engine.url.render_as_string(hide_password=True)
    if backend not in _IMPORTED:
        slug = f"t-{secrets.token_hex(5)}"
        email = f"admin@{slug}.example.com"
        with database.session() as session:
            created, admin = create_tenant(session, slug, f"问答 {slug}", email, ADMIN_PASSWORD)
        result = run_import(
            database,
            slug,
            "crm-pipeline",
            data_dir / "crm_sales_opportunities",
            mode="all-or-nothing",
        )
        assert result.status == "succeeded", result.error
        _IMPORTED[backend] = TenantInfo(created, admin, slug, email, ADMIN_PASSWORD)
    return _IMPORTED[backend]


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
