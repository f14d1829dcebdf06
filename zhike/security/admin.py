"""The services behind the admin endpoints: users, teams and tenant settings.

Reads are open to every user of the tenant, with other users' e-mail addresses masked
for those who do not administer it; every write needs a role that administers the tenant.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, inspect, or_, select
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.db import Base
from zhike.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from zhike.core.i18n import SUPPORTED_LOCALES
from zhike.core.money import normalize_currency
from zhike.core.timeutil import load_zone, utc_now
from zhike.ingestion.standardize import StandardizationError, normalize_email
from zhike.platform.normalize import field_error
from zhike.platform.query import decode_cursor_for, encode_cursor
from zhike.security.access import scope_select
from zhike.security.actors import team_tree
from zhike.security.context import Actor
from zhike.security.masking import mask_email
from zhike.security.models import Role, Team, Tenant, User, UserTotp
from zhike.security.passwords import set_password
from zhike.security.policy import PasswordRules, policy_for
from zhike.security.roles import BUILTIN_ROLES
from zhike.security.schemas import (
    TeamCreate,
    TeamUpdate,
    TenantUpdate,
    UserCreate,
    UserUpdate,
)
from zhike.security.tenant_settings import SETTING_FIELDS, apply_settings
from zhike.security.tenants import MIN_PASSWORD_LENGTH

logger = logging.getLogger(__name__)

ADMINISTRATOR = "administrator"

# The user list returns every user of a tenant of up to this size in one page, because
# owner pickers and name look-ups read it without following next_cursor.
# NOTE: those web screens show only the first 500 users of a larger tenant.
MAX_USER_PAGE_SIZE = 500
DEFAULT_USER_PAGE_SIZE = MAX_USER_PAGE_SIZE
# The sort field that user list cursors record, so a record list's cursor is rejected.
USER_CURSOR_FIELD = "display_name"


def require_administrator(actor: Actor) -> None:
    """Raise 403 unless the actor's role administers the tenant, or the actor is the system."""
    if not (actor.grants.is_administrator or actor.is_system):
        raise Forbidden("forbidden")


def known_roles(session: Session, actor: Actor) -> list[str]:
    custom = session.scalars(scope_select(actor, Role, select(Role.key)))
    return sorted({*BUILTIN_ROLES, *custom})


def _check_references(
    session: Session, actor: Actor, values: dict[str, Any], targets: dict[str, type[Base]]
) -> None:
    errors = []
    for name, model in targets.items():
        value = values.get(name)
        if value is None:
            continue
        statement = scope_select(actor, model, select(model.id))  # type: ignore[attr-defined]
        if session.scalar(statement.where(model.id == value)) is None:  # type: ignore[attr-defined]
            errors.append(field_error(actor, name, value, "reference_not_found"))
    if errors:
        raise ValidationFailed(errors)


def _check_user_values(session: Session, actor: Actor, values: dict[str, Any]) -> None:
    errors = []
    for name in ("display_name", "role", "is_active"):
        if name in values and values[name] is None:
            errors.append(field_error(actor, name, None, "required"))
    if values.get("role") is not None:
        roles = known_roles(session, actor)
        if values["role"] not in roles:
            errors.append(
                field_error(
                    actor, "role", values["role"], "invalid_choice", allowed=", ".join(roles)
                )
            )
    if values.get("locale") is not None and values["locale"] not in SUPPORTED_LOCALES:
        errors.append(
            field_error(
                actor,
                "locale",
                values["locale"],
                "invalid_choice",
                allowed=", ".join(SUPPORTED_LOCALES),
            )
        )
    password = values.get("password")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors.append(
            field_error(actor, "password", "***", "password_too_short", minimum=MIN_PASSWORD_LENGTH)
        )
    if errors:
        raise ValidationFailed(errors)
    _check_references(session, actor, values, {"team_id": Team, "manager_id": User})


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    next_cursor: str | None


def list_users(
    session: Session,
    actor: Actor,
    *,
    search: str | None = None,
    limit: int = DEFAULT_USER_PAGE_SIZE,
    cursor: str | None = None,
) -> UserPage:
    """List one page of the tenant's users, ordered by display name and then id.

    ``search`` matches part of the display name, ignoring case. It matches part of the
    e-mail only for user administrators, because other callers see colleagues' e-mails
    masked and a match would reveal the hidden part. ``cursor`` is the ``next_cursor``
    of the previous page.
    """
    if not 1 <= limit <= MAX_USER_PAGE_SIZE:
        # Checked here rather than by Query(ge=, le=), whose message names only the bound
        # that failed.
        raise ValidationFailed(
            [
                field_error(
                    actor,
                    "limit",
                    limit,
                    "page_size_out_of_range",
                    minimum=1,
                    maximum=MAX_USER_PAGE_SIZE,
                )
            ]
        )
    statement = scope_select(actor, User, select(User))
    text = (search or "").strip()
    if text:
        matches = [User.display_name.icontains(text, autoescape=True)]
        if can_manage_users(actor):
            matches.append(User.email.icontains(text, autoescape=True))
        statement = statement.where(or_(*matches))
    if cursor:
        name, last_id = _decode_user_cursor(cursor)
        statement = statement.where(
            or_(User.display_name > name, and_(User.display_name == name, User.id > last_id))
        )
    # Reading one row more than the limit shows whether another page follows.
    users = list(session.scalars(statement.order_by(User.display_name, User.id).limit(limit + 1)))
    next_cursor = None
    if len(users) > limit:
        last = users[limit - 1]
        next_cursor = encode_cursor(last.display_name, last.id, USER_CURSOR_FIELD)
    return UserPage(users[:limit], next_cursor)


def _decode_user_cursor(cursor: str) -> tuple[str, uuid.UUID]:
    name, last_id = decode_cursor_for(cursor, inspect(User).columns[USER_CURSOR_FIELD])
    return str(name), last_id


def can_manage_users(actor: Actor) -> bool:
    return actor.grants.is_administrator or actor.is_system


def visible_email(actor: Actor, user_id: uuid.UUID, email: str) -> str:
    """Return a user's e-mail to user administrators and to the user, else masked.

    Every user reads the directory to name owners and pick colleagues, but only user
    administration needs the others' contact details: ``z***@example.com``.
    """
    if can_manage_users(actor) or user_id == actor.user_id:
        return email
    return mask_email(email)


def get_user(session: Session, actor: Actor, user_id: uuid.UUID) -> User:
    user = session.scalar(scope_select(actor, User, select(User)).where(User.id == user_id))
    if user is None:
        raise NotFound("record_not_found", object="users", id=str(user_id))
    return user


def create_user(session: Session, actor: Actor, data: UserCreate) -> User:
    require_administrator(actor)
    values = data.model_dump()
    try:
        values["email"] = normalize_email(values["email"])
    except StandardizationError as error:
        raise ValidationFailed(
            [field_error(actor, "email", values["email"], error.code)]
        ) from error
    _check_user_values(session, actor, values)
    taken = session.scalar(
        select(User.id).where(User.tenant_id == actor.tenant_id, User.email == values["email"])
    )
    if taken is not None:
        raise Conflict("user_exists", email=values["email"])
    password = values.pop("password")
    user = User(tenant_id=actor.tenant_id, **values)
    session.add(user)
    session.flush()
    set_password(session, user, password, _password_rules(session, actor), now=utc_now())
    record_event(
        session,
        actor,
        "permission.change",
        object_name="users",
        record_id=user.id,
        changes={"role": [None, user.role], "team_id": [None, _text(user.team_id)]},
        details={"created": True, "email": user.email},
        sensitive_fields={"email"},
    )
    logger.info("user created", extra={"user_id": str(user.id), "role": user.role})
    return user


def _password_rules(session: Session, actor: Actor) -> PasswordRules:
    tenant = session.get(Tenant, actor.tenant_id)
    if tenant is None:
        raise NotFound("tenant_not_found", slug=str(actor.tenant_id))
    return policy_for(tenant).password


def _text(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


def update_user(session: Session, actor: Actor, user_id: uuid.UUID, data: UserUpdate) -> User:
    require_administrator(actor)
    user = get_user(session, actor, user_id)
    values = data.model_dump(exclude_unset=True)
    _check_user_values(session, actor, values)
    if user.id == actor.user_id and (
        values.get("role", ADMINISTRATOR) != ADMINISTRATOR or values.get("is_active") is False
    ):
        # Otherwise a tenant can lock out its only administrator by mistake.
        raise Conflict("cannot_demote_self")
    password = values.pop("password", None)
    if password is not None:
        set_password(session, user, password, _password_rules(session, actor), now=utc_now())
    before = {
        name: _text(getattr(user, name))
        if isinstance(getattr(user, name), uuid.UUID)
        else getattr(user, name)
        for name in values
    }
    was_active = user.is_active
    for name, value in values.items():
        setattr(user, name, value)
    session.flush()
    if was_active and not user.is_active:
        # Imported here because the sales domain builds on security, not the reverse.
        from zhike.sales.handover import hand_over_departed_owner

        hand_over_departed_owner(session, actor, user.id)
    after = {
        name: _text(value) if isinstance(value, uuid.UUID) else value
        for name, value in values.items()
    }
    changes = {name: [before[name], after[name]] for name in values if before[name] != after[name]}
    if changes or password is not None:
        record_event(
            session,
            actor,
            "permission.change",
            object_name="users",
            record_id=user.id,
            changes=changes,
            details={"password_reset": password is not None},
        )
    return user


def list_teams(session: Session, actor: Actor) -> list[Team]:
    statement = scope_select(actor, Team, select(Team)).order_by(Team.name, Team.id)
    return list(session.scalars(statement))


def create_team(session: Session, actor: Actor, data: TeamCreate) -> Team:
    require_administrator(actor)
    values = data.model_dump()
    _check_references(session, actor, values, {"parent_id": Team, "manager_id": User})
    taken = session.scalar(
        select(Team.id).where(Team.tenant_id == actor.tenant_id, Team.name == values["name"])
    )
    if taken is not None:
        raise Conflict("team_exists", name=values["name"])
    team = Team(tenant_id=actor.tenant_id, **values)
    session.add(team)
    session.flush()
    return team


def update_team(session: Session, actor: Actor, team_id: uuid.UUID, data: TeamUpdate) -> Team:
    """Change a team; a parent that is the team itself or one of its descendants is rejected."""
    require_administrator(actor)
    team = session.scalar(scope_select(actor, Team, select(Team)).where(Team.id == team_id))
    if team is None:
        raise NotFound("record_not_found", object="teams", id=str(team_id))
    values = data.model_dump(exclude_unset=True)
    if "name" in values and values["name"] is None:
        raise ValidationFailed([field_error(actor, "name", None, "required")])
    _check_references(session, actor, values, {"parent_id": Team, "manager_id": User})
    parent = values.get("parent_id")
    if parent is not None:
        _, subtree = team_tree(session, actor.tenant_id, team.id)
        if parent in subtree:
            raise ValidationFailed([field_error(actor, "parent_id", str(parent), "team_cycle")])
    if values.get("name") and values["name"] != team.name:
        taken = session.scalar(
            select(Team.id).where(
                Team.tenant_id == actor.tenant_id, Team.name == values["name"], Team.id != team.id
            )
        )
        if taken is not None:
            raise Conflict("team_exists", name=values["name"])
    before = {
        name: _text(getattr(team, name)) if name.endswith("_id") else getattr(team, name)
        for name in values
    }
    for name, value in values.items():
        setattr(team, name, value)
    session.flush()
    after = {
        name: _text(value) if name.endswith("_id") else value for name, value in values.items()
    }
    changes = {name: [before[name], after[name]] for name in values if before[name] != after[name]}
    if changes:
        # Moving a team changes whose records its managers see.
        record_event(
            session,
            actor,
            "permission.change",
            object_name="teams",
            record_id=team.id,
            changes=changes,
        )
    return team


def users_with_totp(session: Session, actor: Actor) -> set[uuid.UUID]:
    """Return the ids of users with a confirmed TOTP authenticator; empty for non-administrators."""
    if not can_manage_users(actor):
        return set()
    rows = session.scalars(
        select(UserTotp.user_id).where(
            UserTotp.tenant_id == actor.tenant_id, UserTotp.confirmed_at.is_not(None)
        )
    )
    return set(rows)


def get_tenant(session: Session, actor: Actor) -> Tenant:
    tenant = session.get(Tenant, actor.tenant_id)
    if tenant is None:
        raise NotFound("record_not_found", object="tenant", id=str(actor.tenant_id))
    return tenant


def update_tenant(session: Session, actor: Actor, data: TenantUpdate) -> Tenant:
    require_administrator(actor)
    tenant = get_tenant(session, actor)
    values = data.model_dump(exclude_unset=True)
    errors = [
        field_error(actor, name, None, "required")
        for name, value in values.items()
        if value is None
    ]
    if values.get("timezone") is not None:
        try:
            load_zone(values["timezone"])
        except ValueError:
            errors.append(field_error(actor, "timezone", values["timezone"], "invalid_timezone"))
    if values.get("currency") is not None:
        try:
            values["currency"] = normalize_currency(values["currency"])
        except ValueError:
            errors.append(field_error(actor, "currency", values["currency"], "invalid_currency"))
    if values.get("locale") is not None and values["locale"] not in SUPPORTED_LOCALES:
        errors.append(
            field_error(
                actor,
                "locale",
                values["locale"],
                "invalid_choice",
                allowed=", ".join(SUPPORTED_LOCALES),
            )
        )
    if errors:
        raise ValidationFailed(errors)
    settings = {name: values.pop(name) for name in SETTING_FIELDS if name in values}
    before = {name: getattr(tenant, name) for name in values}
    for name, value in values.items():
        setattr(tenant, name, value)
    apply_settings(session, actor, tenant, settings)
    session.flush()
    record_event(
        session,
        actor,
        "config.change",
        object_name="tenants",
        record_id=tenant.id,
        changes={
            name: [before[name], values[name]] for name in values if before[name] != values[name]
        },
        details={"settings": sorted(settings)},
    )
    return tenant
