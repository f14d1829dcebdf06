"""The directory of users, teams and roles that records, reports and dashboards can be shared with.

Every signed-in user of a tenant may read it, because anyone who can edit a
record may share it. The user and role administration endpoints are not open
to them, and they return more than a picker needs. So each entry carries only
an id (a role's key), a display name and, for a user, the name of their team.
E-mail addresses, phone numbers and other personal data are never listed, and
neither are deactivated users.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from zhike.core.errors import InvalidInput
from zhike.security.access import scope_select
from zhike.security.context import Actor
from zhike.security.models import Role, Team, User
from zhike.security.roles import BUILTIN_ROLES

ShareTargetKind = Literal["user", "team", "role"]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_IDS = 100


class ShareTarget(BaseModel):
    kind: ShareTargetKind
    id: str = Field(description="user or team id, or the key of a role")
    name: str = Field(description="display name; a role's name is in the caller's language")
    team_name: str | None = Field(
        default=None, description="users only: the name of the user's team (department)"
    )
    parent_id: str | None = Field(
        default=None, description="teams only: sharing with a team also reaches its sub-teams"
    )


class ShareTargetPage(BaseModel):
    items: list[ShareTarget]
    next_offset: int | None = Field(
        description="offset of the next page, or null when this page is the last"
    )


def list_share_targets(
    session: Session,
    actor: Actor,
    kind: ShareTargetKind,
    *,
    search: str | None = None,
    ids: Sequence[str] = (),
    limit: int = DEFAULT_PAGE_SIZE,
    offset: int = 0,
) -> ShareTargetPage:
    """List one kind of share target of the actor's tenant, by name.

    ``search`` matches part of the name (and, for users, of their team's name)
    without regard to case. ``ids`` narrows the list to those users, teams or
    role keys, so that a client can name the targets of existing shares.
    """
    text = (search or "").strip()
    if kind == "role":
        return _page(_roles(session, actor, text, ids), limit, offset)
    statement: Select[uuid.UUID, str, str] | Select[uuid.UUID, str, uuid.UUID | None]
    if kind == "user":
        statement = _users(actor, text, _uuids(ids))
    else:
        statement = _teams(actor, text, _uuids(ids))
    # Reading one row more than the limit shows whether another page follows.
    rows = session.execute(statement.limit(limit + 1).offset(offset)).all()
    targets = [
        ShareTarget(
            kind=kind,
            id=str(row.id),
            name=row.name,
            team_name=row.team_name if kind == "user" else None,
            parent_id=str(row.parent_id) if kind == "team" and row.parent_id else None,
        )
        for row in rows[:limit]
    ]
    return ShareTargetPage(items=targets, next_offset=offset + limit if len(rows) > limit else None)


def _uuids(ids: Sequence[str]) -> list[uuid.UUID]:
    parsed: list[uuid.UUID] = []
    for value in ids:
        try:
            parsed.append(uuid.UUID(value))
        except ValueError:
            raise InvalidInput(
                "invalid_filter_value", parameter="id", value=value, type="UUID"
            ) from None
    return parsed


def _users(actor: Actor, text: str, ids: list[uuid.UUID]) -> Select[uuid.UUID, str, str]:
    team_joined = and_(
        Team.id == User.team_id, Team.tenant_id == actor.tenant_id, Team.deleted_at.is_(None)
    )
    statement = scope_select(
        actor,
        User,
        select(User.id, User.display_name.label("name"), Team.name.label("team_name"))
        .outerjoin(Team, team_joined)
        .where(User.is_active.is_(True)),
    )
    if text:
        statement = statement.where(
            or_(
                User.display_name.icontains(text, autoescape=True),
                Team.name.icontains(text, autoescape=True),
            )
        )
    if ids:
        statement = statement.where(User.id.in_(ids))
    return statement.order_by(User.display_name, User.id)


def _teams(
    actor: Actor, text: str, ids: list[uuid.UUID]
) -> Select[uuid.UUID, str, uuid.UUID | None]:
    statement = scope_select(actor, Team, select(Team.id, Team.name, Team.parent_id))
    if text:
        statement = statement.where(Team.name.icontains(text, autoescape=True))
    if ids:
        statement = statement.where(Team.id.in_(ids))
    return statement.order_by(Team.name, Team.id)


def _roles(session: Session, actor: Actor, text: str, ids: Sequence[str]) -> list[ShareTarget]:
    """List built-in roles in their fixed order, then custom roles by key."""
    names = [(role.key, role.name_zh, role.name_en) for role in BUILTIN_ROLES.values()]
    custom = session.execute(
        scope_select(actor, Role, select(Role.key, Role.name_zh, Role.name_en)).order_by(Role.key)
    )
    names.extend((key, name_zh, name_en) for key, name_zh, name_en in custom)
    requested_ids = set(ids)
    needle = text.casefold()
    targets: list[ShareTarget] = []
    for key, name_zh, name_en in names:
        if requested_ids and key not in requested_ids:
            continue
        if needle and not any(needle in value.casefold() for value in (key, name_zh, name_en)):
            continue
        name = name_zh if actor.locale == "zh-CN" else name_en
        targets.append(ShareTarget(kind="role", id=key, name=name))
    return targets


def _page(targets: list[ShareTarget], limit: int, offset: int) -> ShareTargetPage:
    following = offset + limit
    return ShareTargetPage(
        items=targets[offset:following],
        next_offset=following if following < len(targets) else None,
    )
