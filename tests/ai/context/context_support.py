"""Helpers of the context tests: a customer with a history, written as a given user."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.platform.objects import get_object
from zhike.platform.records import RecordService
from zhike.sales.models import Activity
from zhike.security.actors import actor_for
from zhike.security.context import Actor
from zhike.security.models import Tenant, User
from zhike.service.models import Ticket

MOBILE = "13812345678"
EMAIL = "wang.fang@example.com"


@dataclass
class Customer:
    account_id: uuid.UUID
    contact_id: uuid.UUID


def actor_of(database: Database, tenant: TenantInfo, user_id: uuid.UUID | None = None) -> Actor:
    with database.session() as session:
        found = session.get(Tenant, tenant.tenant.id)
        user = session.get(User, user_id or tenant.admin.id)
        assert found is not None
        assert user is not None
        return actor_for(found, user, session)


def add_user(database: Database, tenant: TenantInfo, name: str, role: str) -> uuid.UUID:
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


def add_customer(
    database: Database, tenant: TenantInfo, owner_id: uuid.UUID | None = None
) -> Customer:
    """An account with one contact, created through the record service as the administrator."""
    with database.session() as session:
        actor = actor_of(database, tenant)
        account = RecordService(session, actor, get_object("accounts")).create(
            {"name": "杭州云帆贸易有限公司", "owner_id": owner_id or tenant.admin.id}
        )
        contact = RecordService(session, actor, get_object("contacts")).create(
            {
                "name": "王芳",
                "account_id": account.id,
                "mobile": MOBILE,
                "email": EMAIL,
                "owner_id": owner_id or tenant.admin.id,
            }
        )
        return Customer(account.id, contact.id)


def add_ticket(
    database: Database,
    tenant: TenantInfo,
    customer: Customer,
    subject: str,
    opened: datetime,
    **values: Any,
) -> uuid.UUID:
    with database.session() as session:
        ticket = Ticket(
            tenant_id=tenant.tenant.id,
            subject=subject,
            account_id=customer.account_id,
            contact_id=customer.contact_id,
            opened_at=opened,
            owner_id=values.pop("owner_id", tenant.admin.id),
            **values,
        )
        ticket.created_at = opened
        session.add(ticket)
        session.flush()
        return ticket.id


def add_activity(
    database: Database,
    tenant: TenantInfo,
    customer: Customer,
    subject: str,
    occurred: datetime,
    **values: Any,
) -> uuid.UUID:
    with database.session() as session:
        activity = Activity(
            tenant_id=tenant.tenant.id,
            kind=values.pop("kind", "note"),
            subject=subject,
            account_id=customer.account_id,
            contact_id=customer.contact_id,
            occurred_at=occurred,
            owner_id=values.pop("owner_id", tenant.admin.id),
            **values,
        )
        session.add(activity)
        session.flush()
        return activity.id


def this_morning() -> datetime:
    return utc_now() - timedelta(hours=6)
