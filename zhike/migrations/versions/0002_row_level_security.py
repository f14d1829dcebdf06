"""row-level security per tenant on PostgreSQL

Revision ID: 0002
Revises: 0001

Every table with a tenant_id column gets a policy that shows and accepts only
rows of the tenant named by the transaction setting ``zhike.tenant_id``. The
policies bind roles that are not the tables' owner (the owner runs
migrations and administration): point ZHIKE_DATABASE_ROLE at such a role to
put the service behind this second wall. SQLite has no row-level security.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POLICY = "tenant_isolation"
# Login and API clients look these up before the tenant is known, by an unguessable
# token digest or key prefix; the tenant table is what the setting points into.
EXEMPT_TABLES = frozenset(
    {"auth_sessions", "api_clients", "oauth_access_tokens", "login_challenges", "alembic_version"}
)


def _tenant_tables() -> list[str]:
    inspector = sa.inspect(op.get_bind())
    return sorted(
        name
        for name in inspector.get_table_names()
        if name not in EXEMPT_TABLES
        and any(column["name"] == "tenant_id" for column in inspector.get_columns(name))
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _tenant_tables():
        op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        op.execute(
            f'CREATE POLICY {POLICY} ON "{table}" '
            "USING (tenant_id = NULLIF(current_setting('zhike.tenant_id', true), '')::uuid) "
            "WITH CHECK (tenant_id = NULLIF(current_setting('zhike.tenant_id', true), '')::uuid)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _tenant_tables():
        op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
