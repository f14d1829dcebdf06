"""Helpers of the analytics tests: build users and opportunities directly in the database."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from testkit import TenantInfo

from zhike.analytics.query import ReportQuery, ReportResult
from zhike.analytics.service import run_report
from zhike.core.db import Database
from zhike.sales.models import Opportunity, PipelineStage
from zhike.security.actors import actor_for
from zhike.security.models import Tenant, User


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
