"""The one place that decides which rows and which changes an actor may reach.

Every path that lists, reads, exports, searches or changes CRM records builds
its query with ``scope_select`` and checks actions with ``require``, so the
rules below hold for the UI, the API, imports, jobs and AI tools alike. Each
check fails closed: an unknown role, a missing grant or an unknown object
yields no rows and a 403.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true

from zhike.core.db import Base
from zhike.core.errors import Forbidden, ZhikeError
from zhike.core.i18n import catalog_label
from zhike.core.timeutil import load_zone
from zhike.security.context import Actor
from zhike.security.roles import OWNED_OBJECTS, ObjectGrant

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


def object_name_for(model: type[Base]) -> str | None:
    """Return the CRM object a model stores, or None for tenant configuration tables."""
    from zhike.platform.objects import all_objects

    for spec in all_objects():
        if spec.model is model:
            return spec.name
    return None


def grant_for(actor: Actor, object_name: str) -> ObjectGrant | None:
    return actor.grants.grant(object_name)


def require(actor: Actor, object_name: str, action: str) -> ObjectGrant:
    """Return the actor's grant on an object, or raise 403 when it lacks ``action``."""
    grant = grant_for(actor, object_name)
    if grant is None or action not in grant.actions:
        raise action_forbidden(action, object_name)
    return grant


def action_forbidden(action: str, object_name: str) -> Forbidden:
    """Build the 403 for a missing grant, naming the action and object in the reader's language."""
    return Forbidden(
        "action_forbidden",
        action=catalog_label("access.action", action),
        object=catalog_label("access.object", object_name),
    )


def scope_select(
    actor: Actor, model: type[Base], statement: SelectT, action: str = "read"
) -> SelectT:
    """Restrict ``statement`` to the rows of ``model`` the actor may ``action``.

    Tenant configuration tables (stages, field definitions, users) are narrowed to
    the tenant only; CRM objects also by the role's data scope and the shares.
    """
    columns: Any = model.__table__.c
    statement = statement.where(columns.tenant_id == actor.tenant_id)
    if "deleted_at" in columns:
        statement = statement.where(columns.deleted_at.is_(None))
    object_name = object_name_for(model)
    if object_name is None:
        return statement
    grant = grant_for(actor, object_name)
    if grant is None or action not in grant.actions:
        return statement.where(false())
    return statement.where(record_condition(actor, object_name, model, grant, action))


def owner_set_scope(
    actor: Actor, model: type[Base], action: str = "read"
) -> tuple[uuid.UUID, ...] | None:
    """The owners whose rows make up everything the actor may ``action``, if that is all.

    None when the scope is wider (company), narrower than an owner list would say
    (no user), or widened by manual shares or sharing rules; then only the full
    condition of ``scope_select`` describes the rows.
    """
    columns: Any = model.__table__.c
    object_name = object_name_for(model)
    if object_name is None or object_name not in OWNED_OBJECTS or "owner_id" not in columns:
        return None
    grant = grant_for(actor, object_name)
    if grant is None or action not in grant.actions or actor.user_id is None:
        return None
    if grant.scope == "department":
        members = actor.department_members
    elif grant.scope == "department_tree":
        members = actor.subtree_members
    elif grant.scope == "own":
        members = ()
    else:
        return None
    if actor.shares_overflow or any(name == object_name for name, _, _ in actor.shares):
        return None
    if any(rule.object_name == object_name for rule in actor.sharing):
        return None
    return tuple(dict.fromkeys((actor.user_id, *members)))


def record_condition(
    actor: Actor, object_name: str, model: type[Base], grant: ObjectGrant, action: str
) -> ColumnElement[bool]:
    """Build the condition for the rows that the data scope and the shares open to the actor."""
    columns: Any = model.__table__.c
    if grant.scope == "company" or object_name not in OWNED_OBJECTS or "owner_id" not in columns:
        return true()
    editing = action != "read" and action != "export"
    conditions = [owner_condition(actor, grant, columns.owner_id)]
    shared = _manual_share_condition(actor, object_name, columns.id, editing)
    if shared is not None:
        conditions.append(shared)
    for rule in actor.sharing:
        if rule.object_name == object_name and (rule.can_edit or not editing):
            conditions.append(_rule_condition(model, rule.filters, actor.timezone))
    return or_(*conditions)


def owner_condition(actor: Actor, grant: ObjectGrant, owner: Any) -> ColumnElement[bool]:
    """Build the condition for the users whose records ``grant``'s data scope opens to the actor.

    ``owner`` is a column of user ids. The condition covers the own, department and
    department_tree scopes only: callers handle the company scope and shares themselves.
    """
    if actor.user_id is None:
        return false()
    owners: tuple[uuid.UUID, ...] = ()
    if grant.scope == "department":
        owners = actor.department_members
    elif grant.scope == "department_tree":
        owners = actor.subtree_members
    if not owners:
        return owner == actor.user_id  # type: ignore[no-any-return]
    return owner.in_({actor.user_id, *owners})  # type: ignore[no-any-return]


def _manual_share_condition(
    actor: Actor, object_name: str, record_id: Any, editing: bool
) -> ColumnElement[bool] | None:
    """Build the condition for records shared with the actor by hand; None when there are none."""
    from zhike.security.models import RecordShare

    if not actor.shares_overflow:
        shared_ids = {
            shared_id
            for name, shared_id, can_edit in actor.shares
            if name == object_name and (can_edit or not editing)
        }
        return record_id.in_(shared_ids) if shared_ids else None
    audience = [RecordShare.role_key == actor.role]
    if actor.user_id is not None:
        audience.append(RecordShare.user_id == actor.user_id)
    if actor.team_path:
        audience.append(RecordShare.team_id.in_(actor.team_path))
    shared = select(RecordShare.record_id).where(
        RecordShare.tenant_id == actor.tenant_id,
        RecordShare.object_name == object_name,
        or_(*audience),
    )
    if editing:
        shared = shared.where(RecordShare.can_edit.is_(True))
    return record_id.in_(shared)  # type: ignore[no-any-return]


def _rule_condition(
    model: type[Base], filters: tuple[tuple[str, str], ...], timezone: str
) -> ColumnElement[bool]:
    from zhike.platform.query import build_condition

    columns: Any = model.__table__.c
    allowed = tuple(column.key for column in columns if column.key != "custom")
    zone = load_zone(timezone)
    try:
        parts = [build_condition(model, key, value, allowed, zone) for key, value in filters]
    except ZhikeError:
        # A rule that no longer compiles (a renamed field) shares nothing.
        return false()
    return and_(*parts) if parts else false()
