"""Permission checks for the sales tables that the generic record service does not declare.

Quotes, contracts, payments and approval requests have services of their own,
because their writes touch several rows at once (lines, allocations). They use
the same grants and data scopes as every CRM object: ``require`` for the action
and ``record_condition`` for the rows a role's scope and the shares open.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from zhike.audit.service import record_change
from zhike.core.db import Base
from zhike.core.errors import NotFound
from zhike.security.access import record_condition, require
from zhike.security.context import Actor

SelectT = TypeVar("SelectT", bound=Select[Any])


def scoped(
    actor: Actor, object_name: str, model: type[Base], statement: SelectT, action: str = "read"
) -> SelectT:
    """Restrict ``statement`` to the live rows of ``model`` the actor may ``action``; 403 else."""
    grant = require(actor, object_name, action)
    columns: Any = model.__table__.c
    statement = statement.where(columns.tenant_id == actor.tenant_id)
    if "deleted_at" in columns:
        statement = statement.where(columns.deleted_at.is_(None))
    return statement.where(record_condition(actor, object_name, model, grant, action))


def get_scoped(
    session: Session,
    actor: Actor,
    object_name: str,
    model: type[Base],
    record_id: uuid.UUID,
    action: str = "read",
) -> Any:
    """Return one row the actor may ``action``; 404 hides whether it exists otherwise."""
    model_any: Any = model
    statement = scoped(actor, object_name, model, select(model), action).where(
        model_any.id == record_id
    )
    record = session.scalars(statement).first()
    if record is None:
        raise NotFound("record_not_found", object=object_name, id=str(record_id))
    return record


def audit(
    session: Session,
    actor: Actor,
    object_name: str,
    record_id: uuid.UUID,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    record_change(session, actor, object_name, record_id, action, before, after)
