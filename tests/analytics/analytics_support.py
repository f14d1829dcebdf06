"""Helpers of the analytics tests: build users and opportunities directly in the database."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from testkit import TenantInfo

from zhike.analytics.query import ReportQuery, ReportResult
from zhike.analytics.service import run_report
from zhike.core.db import Database
from zhike.sales.models import Opportunity, PipelineStage
from zhike.security.actors import actor_for
from zhike.security.auth import hash_password
from zhike.security.models import Team, Tenant, User


def add_user(
    database: Database, tenant: TenantInfo, name: str, role: str = "sales_rep"
) -> uuid.UUID:
    with database.session() as session:
        user = User(
            tenant_id=tenant.tenant.id,
            email=f"{name}@{tenant.slug}.example.com",
            display_name=name,
            role=role,
        )
        session.add(user)
        session.flush()
        return user.id


def stage_ids(database: Database, tenant: TenantInfo) -> dict[str, uuid.UUID]:
    with database.session() as session:
        rows = session.execute(
            select(PipelineStage.key, PipelineStage.id).where(
                PipelineStage.tenant_id == tenant.tenant.id
            )
        )
        return {row[0]: row[1] for row in rows}


def add_opportunity(
    database: Database,
    tenant: TenantInfo,
    owner_id: uuid.UUID,
    stage_id: uuid.UUID,
    amount: str | None,
    closed_on: date | None = None,
    created_at: datetime | None = None,
    **fields: Any,
) -> uuid.UUID:
    with database.session() as session:
        record = Opportunity(
            tenant_id=tenant.tenant.id,
            name=fields.pop("name", "商机"),
            owner_id=owner_id,
            stage_id=stage_id,
            amount=None if amount is None else Decimal(amount),
            closed_on=closed_on,
            **fields,
        )
        if created_at is not None:
            record.created_at = created_at
        session.add(record)
        session.flush()
        return record.id


def run_as(
    database: Database, tenant: TenantInfo, user_id: uuid.UUID | None, query: dict[str, Any]
) -> ReportResult:
    """Run ``query`` as a user (the administrator when ``user_id`` is None)."""
    with database.session() as session:
        found = session.get(Tenant, tenant.tenant.id)
        user = session.get(User, user_id or tenant.admin.id)
        assert found is not None
        assert user is not None
        actor = actor_for(found, user, session)
        return run_report(session, actor, ReportQuery.model_validate(query))


def as_dicts(result: ReportResult) -> list[dict[str, Any]]:
    names = [column.name for column in result.columns]
    return [dict(zip(names, row, strict=True)) for row in result.rows]


PASSWORD = "Report-viewer-2026"


def log_in_user(
    client: TestClient,
    database: Database,
    tenant: TenantInfo,
    name: str,
    role: str,
    team_id: uuid.UUID | None = None,
) -> tuple[uuid.UUID, dict[str, str]]:
    """Create a user with a password and return their id and Authorization header."""
    email = f"{name}@{tenant.slug}.example.com"
    with database.session() as session:
        user = User(
            tenant_id=tenant.tenant.id,
            email=email,
            display_name=name,
            password_hash=hash_password(PASSWORD),
            role=role,
            team_id=team_id,
        )
        session.add(user)
        session.flush()
        user_id = user.id
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant": tenant.slug, "email": email, "password": PASSWORD},
        headers={"Authorization": ""},
    )
    assert response.status_code == 200, response.text
    return user_id, {"Authorization": f"Bearer {response.json()['access_token']}"}


def add_team(
    database: Database, tenant: TenantInfo, name: str, parent_id: uuid.UUID | None = None
) -> uuid.UUID:
    with database.session() as session:
        team = Team(tenant_id=tenant.tenant.id, name=name, parent_id=parent_id)
        session.add(team)
        session.flush()
        return team.id
