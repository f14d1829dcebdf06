"""The one place that decides which rows and which changes an actor may reach.

Today every actor of a tenant reaches all of that tenant's live records;
record-level and field-level rules plug in here, so every path that lists,
reads, exports or searches inherits them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from zhike.core.db import Base
from zhike.security.context import Actor


def scope_select(actor: Actor, model: type[Base], statement: Select[Any]) -> Select[Any]:
    """Restrict ``statement`` to the actor's tenant and to records not soft-deleted."""
    columns = model.__table__.c  # type: ignore[attr-defined]
    statement = statement.where(columns.tenant_id == actor.tenant_id)
    if "deleted_at" in columns:
        statement = statement.where(columns.deleted_at.is_(None))
    return statement
