"""Administration: users, teams, custom field definitions and tenant settings.

Reads are open to every user of the tenant; writes need the administrator role.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from zhike.api.deps import ActorDep, SessionDep
from zhike.platform import fields
from zhike.platform.fields import FieldDefinitionCreate, FieldDefinitionRead, FieldDefinitionUpdate
from zhike.security import admin
from zhike.security.schemas import (
    TeamCreate,
    TeamRead,
    TeamUpdate,
    TenantRead,
    TenantUpdate,
    UserCreate,
    UserRead,
    UserUpdate,
)
from zhike.security.tenant_settings import tenant_read

router = APIRouter(tags=["admin"])


class UserList(BaseModel):
    items: list[UserRead]
    next_cursor: str | None = Field(
        default=None, description="pass as cursor to read the next page; null on the last page"
    )


class TeamList(BaseModel):
    items: list[TeamRead]


class FieldList(BaseModel):
    items: list[FieldDefinitionRead]


@router.get("/users", response_model=UserList)
def list_users(
    session: SessionDep,
    actor: ActorDep,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="part of the display name, or for user administrators of the e-mail; "
            "case is ignored",
        ),
    ] = None,
    limit: Annotated[
        int,
        Query(
            description=f"page size, a whole number from 1 to {admin.MAX_USER_PAGE_SIZE}",
            json_schema_extra={"minimum": 1, "maximum": admin.MAX_USER_PAGE_SIZE},
        ),
    ] = admin.DEFAULT_USER_PAGE_SIZE,
    cursor: Annotated[
        str | None, Query(max_length=500, description="next_cursor of the previous page")
    ] = None,
) -> UserList:
    """List the tenant's users by display name, then id, one page at a time.

    ``has_totp`` is true for a user with a confirmed authenticator. Callers without
    user administration get other users' e-mails masked (``z***@example.com``) and
    ``has_totp`` false, so the list serves owner names and pickers only, and ``q`` matches
    only display names for them. Callers see their own e-mail in full. A page holds at
    most ``limit`` users; pass its ``next_cursor`` as ``cursor`` to read the next one.
    """
    page = admin.list_users(session, actor, search=q, limit=limit, cursor=cursor)
    users = page.users
    enrolled = admin.users_with_totp(session, actor)
    return UserList(
        items=[
            UserRead.model_validate(user).model_copy(
                update={
                    "email": admin.visible_email(actor, user.id, user.email),
                    "has_totp": user.id in enrolled,
                }
            )
            for user in users
        ],
        next_cursor=page.next_cursor,
    )


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, session: SessionDep, actor: ActorDep) -> UserRead:
    """Create a user. The password is stored only as an Argon2 hash and is never returned."""
    return UserRead.model_validate(admin.create_user(session, actor, body))


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(
    user_id: uuid.UUID, body: UserUpdate, session: SessionDep, actor: ActorDep
) -> UserRead:
    return UserRead.model_validate(admin.update_user(session, actor, user_id, body))


@router.get("/teams", response_model=TeamList)
def list_teams(session: SessionDep, actor: ActorDep) -> TeamList:
    return TeamList(
        items=[TeamRead.model_validate(team) for team in admin.list_teams(session, actor)]
    )


@router.post("/teams", response_model=TeamRead, status_code=status.HTTP_201_CREATED)
def create_team(body: TeamCreate, session: SessionDep, actor: ActorDep) -> TeamRead:
    return TeamRead.model_validate(admin.create_team(session, actor, body))


@router.patch("/teams/{team_id}", response_model=TeamRead)
def update_team(
    team_id: uuid.UUID, body: TeamUpdate, session: SessionDep, actor: ActorDep
) -> TeamRead:
    """Rename a team, move it in the department tree or change its manager (administrators)."""
    return TeamRead.model_validate(admin.update_team(session, actor, team_id, body))


@router.get("/fields", response_model=FieldList)
def list_fields(
    session: SessionDep,
    actor: ActorDep,
    object: Annotated[str | None, Query(description="object name, such as contacts")] = None,
) -> FieldList:
    definitions = fields.list_fields(session, actor, object)
    return FieldList(items=[FieldDefinitionRead.model_validate(item) for item in definitions])


@router.post("/fields", response_model=FieldDefinitionRead, status_code=status.HTTP_201_CREATED)
def create_field(
    body: FieldDefinitionCreate, session: SessionDep, actor: ActorDep
) -> FieldDefinitionRead:
    return FieldDefinitionRead.model_validate(fields.create_field(session, actor, body))


@router.patch("/fields/{field_id}", response_model=FieldDefinitionRead)
def update_field(
    field_id: uuid.UUID, body: FieldDefinitionUpdate, session: SessionDep, actor: ActorDep
) -> FieldDefinitionRead:
    """Change labels, classification or choices. Name and type cannot change."""
    return FieldDefinitionRead.model_validate(fields.update_field(session, actor, field_id, body))


@router.get("/tenant", response_model=TenantRead)
def get_tenant(session: SessionDep, actor: ActorDep) -> TenantRead:
    return tenant_read(session, admin.get_tenant(session, actor))


@router.patch("/tenant", response_model=TenantRead)
def update_tenant(body: TenantUpdate, session: SessionDep, actor: ActorDep) -> TenantRead:
    """Change the name, time zone, currency, locale, fiscal year start or working hours.

    Administrators only; the change is audited.
    """
    return tenant_read(session, admin.update_tenant(session, actor, body))
