"""PostgreSQL row-level security: the second wall behind the service layer's tenant filter."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from zhike.core.db import Database
from zhike.customers.models import Account, Contact
from zhike.security.tenancy import TENANT_KEY, bind_tenant


@pytest.fixture
def app_role(database: Database) -> str:
    """A role that is not the tables' owner, so the policies bind it."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("row-level security exists on PostgreSQL only")
    role = f"zhike_app_{secrets.token_hex(3)}"
    with database.engine.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
        connection.execute(
            text(f'GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO "{role}"')
        )
    return role


def _add_contact(database: Database, tenant_id: uuid.UUID, name: str) -> None:
    with database.session() as session:
        account = Account(tenant_id=tenant_id, name=f"{name}的公司")
        session.add(account)
        session.flush()
        session.add(Contact(tenant_id=tenant_id, name=name, account_id=account.id))


def test_query_without_tenant_filter_sees_one_tenant(
    database: Database, tenant: Any, app_role: str
) -> None:
    from zhike.security.tenants import create_tenant

    with database.session() as session:
        other_tenant, _ = create_tenant(
            session,
            f"o-{secrets.token_hex(4)}",
            "另一家公司",
            "admin@other.example.com",
            "Other-2026-pw",
        )
    _add_contact(database, tenant.tenant.id, "张伟")
    _add_contact(database, other_tenant.id, "李娜")

    with database.session() as session:
        session.execute(text(f'SET LOCAL ROLE "{app_role}"'))
        bind_tenant(session, tenant.tenant.id)
        # Deliberately no tenant_id condition: only the policy stands between tenants.
        names = session.execute(text("SELECT name FROM contacts")).scalars().all()
        account_tenants = set(session.execute(text("SELECT tenant_id FROM accounts")).scalars())

    assert names == ["张伟"]
    assert account_tenants == {tenant.tenant.id}


def test_unbound_session_sees_no_rows(database: Database, tenant: Any, app_role: str) -> None:
    _add_contact(database, tenant.tenant.id, "王芳")

    with database.session() as session:
        session.execute(text(f'SET LOCAL ROLE "{app_role}"'))
        count = session.execute(text("SELECT count(*) FROM contacts")).scalar_one()

    assert count == 0


def test_insert_into_other_tenant_is_rejected(
    database: Database, tenant: Any, app_role: str
) -> None:
    from sqlalchemy.exc import ProgrammingError

    from zhike.core.ids import new_id

    with database.session() as session:
        session.execute(text(f'SET LOCAL ROLE "{app_role}"'))
        bind_tenant(session, new_id())
        with pytest.raises(ProgrammingError, match="row-level security"):
            session.execute(
                text(
                    "INSERT INTO accounts (id, tenant_id, name, currency, created_at, updated_at,"
                    " version, custom) VALUES (:id, :tenant, 'x', 'CNY', now(), now(), 1, '{}')"
                ),
                {"id": new_id(), "tenant": tenant.tenant.id},
            )
        session.rollback()


def test_tenant_setting_survives_commit(database: Database, tenant: Any) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("row-level security exists on PostgreSQL only")
    with database.session() as session:
        bind_tenant(session, tenant.tenant.id)
        session.commit()
        value = session.execute(
            text("SELECT current_setting(:key, true)"), {"key": TENANT_KEY}
        ).scalar()

    assert value == str(tenant.tenant.id)
