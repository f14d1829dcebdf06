"""Building an Actor: the user's role, department and the shares that reach them."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhike.security.context import Actor, SharingGrant
from zhike.security.models import RecordShare, Role, SharingRule, Team, Tenant, User
from zhike.security.roles import BUILTIN_ROLES, NO_ACCESS, SYSTEM_ROLE, RoleDefinition

logger = logging.getLogger(__name__)


def resolve_role(session: Session | None, tenant_id: uuid.UUID, key: str) -> RoleDefinition:
    """Return the tenant's custom role of ``key``, else the built-in one, else no access."""
    if key == "system":
        return SYSTEM_ROLE
    if session is not None:
        row = session.scalar(
            select(Role).where(
                Role.tenant_id == tenant_id, Role.key == key, Role.deleted_at.is_(None)
            )
        )
        if row is not None:
            try:
                return RoleDefinition.model_validate(
                    {
                        **row.definition,
                        "key": row.key,
                        "name_zh": row.name_zh,
                        "name_en": row.name_en,
                    }
                )
            except ValidationError:
                logger.error("custom role definition is invalid; denying", extra={"role": key})
                return NO_ACCESS
    return BUILTIN_ROLES.get(key, NO_ACCESS)


def team_tree(
    session: Session, tenant_id: uuid.UUID, team_id: uuid.UUID | None
) -> tuple[tuple[uuid.UUID, ...], tuple[uuid.UUID, ...]]:
    """Return the team with its parents (nearest first) and the team with all teams below it.

    Both are walked in memory over all of the tenant's team rows, which assumes a
    tenant has at most a few thousand teams. A cycle in the parent links stops the walk.
    """
    if team_id is None:
        return (), ()
    rows = session.execute(
        select(Team.id, Team.parent_id).where(
            Team.tenant_id == tenant_id, Team.deleted_at.is_(None)
        )
    )
    parents: dict[uuid.UUID, uuid.UUID | None] = dict(rows.all())
    path: list[uuid.UUID] = []
    current: uuid.UUID | None = team_id
    while current is not None and current not in path:
        path.append(current)
        current = parents.get(current)
    subtree = [team_id]
    for team in subtree:
        subtree.extend(
            child for child, parent in parents.items() if parent == team and child not in subtree
        )
    return tuple(path), tuple(subtree)


MAX_LOADED_SHARES = 5_000


def members_of(
    session: Session, tenant_id: uuid.UUID, teams: tuple[uuid.UUID, ...]
) -> tuple[uuid.UUID, ...]:
    if not teams:
        return ()
    rows = session.scalars(
        select(User.id).where(User.tenant_id == tenant_id, User.team_id.in_(teams))
    )
    return tuple(rows)


def shares_for(
    session: Session,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
    path: tuple[uuid.UUID, ...],
) -> tuple[tuple[tuple[str, uuid.UUID, bool], ...], bool]:
    """Return the manual shares that reach a user, and whether there were too many to load."""
    audience = [RecordShare.user_id == user_id, RecordShare.role_key == role]
    if path:
        audience.append(RecordShare.team_id.in_(path))
    rows = session.execute(
        select(RecordShare.object_name, RecordShare.record_id, RecordShare.can_edit)
        .where(RecordShare.tenant_id == tenant_id, or_(*audience))
        .limit(MAX_LOADED_SHARES + 1)
    ).all()
    if len(rows) > MAX_LOADED_SHARES:
        return (), True
    return tuple((row[0], row[1], bool(row[2])) for row in rows), False


def sharing_for(
    session: Session, tenant_id: uuid.UUID, role: str, path: tuple[uuid.UUID, ...]
) -> tuple[SharingGrant, ...]:
    audience = [SharingRule.role_key == role]
    if path:
        audience.append(SharingRule.team_id.in_(path))
    rules = session.scalars(
        select(SharingRule).where(
            SharingRule.tenant_id == tenant_id, SharingRule.deleted_at.is_(None), or_(*audience)
        )
    )
    return tuple(
        SharingGrant(
            object_name=rule.object_name,
            filters=tuple((str(key), str(value)) for key, value in sorted(rule.filters.items())),
            can_edit=rule.can_edit,
        )
        for rule in rules
    )


def actor_for(tenant: Tenant, user: User | None, session: Session | None = None) -> Actor:
    """Build the actor for ``user`` of ``tenant``, or the system actor when ``user`` is None.

    Without a session only built-in roles resolve, and department scopes and
    sharing rules are not loaded, so the actor sees no more than its own records.
    """
    settings: dict[str, Any] = {
        "locale": user.locale if user and user.locale else tenant.locale,
        "timezone": tenant.timezone,
        "region": tenant.region,
        "currency": tenant.currency,
    }
    if user is None:
        return Actor(tenant_id=tenant.id, user_id=None, role="system", **settings)
    grants = resolve_role(session, tenant.id, user.role)
    if session is None:
        return Actor(
            tenant_id=tenant.id, user_id=user.id, role=user.role, grants=grants, **settings
        )
    path, subtree = team_tree(session, tenant.id, user.team_id)
    scopes = {grant.scope for grant in grants.objects.values()}
    shares, overflow = shares_for(session, tenant.id, user.id, user.role, path)
    return Actor(
        tenant_id=tenant.id,
        user_id=user.id,
        role=user.role,
        team_id=user.team_id,
        team_path=path,
        team_subtree=subtree,
        department_members=members_of(session, tenant.id, path[:1])
        if "department" in scopes
        else (),
        subtree_members=members_of(session, tenant.id, subtree)
        if "department_tree" in scopes
        else (),
        shares=shares,
        shares_overflow=overflow,
        grants=grants,
        sharing=sharing_for(session, tenant.id, user.role, path),
        **settings,
    )
