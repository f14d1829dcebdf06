"""Binding a database session to one tenant for PostgreSQL row-level security.

The service layer scopes every query by tenant itself; this sets the
transaction setting ``zhike.tenant_id`` that the row-level security policies
read, so a query that forgot its tenant filter still sees one tenant only
when the service connects with a role bound by those policies.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session, SessionTransaction

TENANT_KEY = "zhike.tenant_id"


def bind_tenant(session: Session, tenant_id: uuid.UUID) -> None:
    """Scope this session's current and later transactions to ``tenant_id``.

    Outside a transaction only the session is marked: ``_apply_tenant`` sets the
    value when the next transaction begins, so binding costs no extra round trip.
    Binding again to the tenant already bound is a no-op for the same reason.
    """
    value = str(tenant_id)
    previous = session.info.get(TENANT_KEY)
    session.info[TENANT_KEY] = value
    if previous == value or not session.in_transaction():
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT set_config(:key, :value, true)"),
            {"key": TENANT_KEY, "value": value},
        )


@event.listens_for(Session, "after_begin")
def _apply_tenant(session: Session, transaction: SessionTransaction, connection: Any) -> None:
    tenant = session.info.get(TENANT_KEY)
    if tenant and connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT set_config(:key, :value, true)"), {"key": TENANT_KEY, "value": tenant}
        )
