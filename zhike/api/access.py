"""Access administration: custom roles, sharing rules, manual shares and reveals."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from zhike.api.deps import ActorDep, SessionDep
from zhike.security import share_targets, sharing
from zhike.security.roles import ObjectGrant, RoleDefinition
from zhike.security.share_targets import ShareTargetKind, ShareTargetPage

router = APIRouter(tags=["access"])


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    objects: dict[str, ObjectGrant] = Field(default_factory=dict)
    is_administrator: bool = False
    can_read_audit: bool = False


class SharingRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    object_name: str
    name: str = Field(min_length=1, max_length=200)
    filters: dict[str, str] = Field(description='list filters, e.g. {"city": "杭州"}')
    role_key: str | None = None
    team_id: uuid.UUID | None = None
    can_edit: bool = False


class SharingRuleOut(SharingRuleIn):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    role_key: str | None = None
    can_edit: bool = False


class ShareOut(ShareIn):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    object_name: str
    record_id: uuid.UUID


class RevealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fields: list[str] = Field(min_length=1, max_length=50)
    reason: str | None = Field(default=None, max_length=500)


@router.get("/roles", response_model=list[RoleDefinition])
def list_roles(session: SessionDep, actor: ActorDep) -> Any:
    """Built-in and custom roles with their object, scope and field grants."""
    return sharing.list_roles(session, actor)


@router.put("/roles/{key}", response_model=RoleDefinition)
def save_role(
    key: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{1,49}$")],
    body: RoleIn,
    session: SessionDep,
    actor: ActorDep,
) -> Any:
    """Create or replace a custom role (administrators only)."""
    definition = RoleDefinition(**{**body.model_dump(), "key": key})
    return sharing.save_role(session, actor, definition)


@router.delete("/roles/{key}", status_code=status.HTTP_204_NO_CONTENT)
def delete_role(key: str, session: SessionDep, actor: ActorDep) -> None:
    sharing.delete_role(session, actor, key)


@router.get("/sharing/targets", response_model=ShareTargetPage)
def list_share_targets(
    session: SessionDep,
    actor: ActorDep,
    kind: Annotated[ShareTargetKind, Query(description="user, team or role")],
    q: Annotated[
        str | None,
        Query(max_length=100, description="part of the name; for users also of their team"),
    ] = None,
    target_id: Annotated[
        list[str] | None,
        Query(
            alias="id",
            max_length=share_targets.MAX_IDS,
            description="only these user or team ids or role keys; repeat the parameter",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=share_targets.MAX_PAGE_SIZE)] = (
        share_targets.DEFAULT_PAGE_SIZE
    ),
    offset: Annotated[int, Query(ge=0, description="next_offset of the previous page")] = 0,
) -> ShareTargetPage:
    """List the users, teams or roles that records, reports and dashboards can be shared with.

    Open to every signed-in user of the tenant. Each entry has only its id (a role's key), display
    name and kind, and for a user the team name. Deactivated users are left out.
    """
    return share_targets.list_share_targets(
        session, actor, kind, search=q, ids=target_id or (), limit=limit, offset=offset
    )


@router.get("/sharing-rules", response_model=list[SharingRuleOut])
def list_sharing_rules(session: SessionDep, actor: ActorDep) -> Any:
    return sharing.list_sharing_rules(session, actor)


@router.post("/sharing-rules", response_model=SharingRuleOut, status_code=status.HTTP_201_CREATED)
def create_sharing_rule(body: SharingRuleIn, session: SessionDep, actor: ActorDep) -> Any:
    return sharing.create_sharing_rule(session, actor, body.model_dump())


@router.delete("/sharing-rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_sharing_rule(rule_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> None:
    sharing.delete_sharing_rule(session, actor, rule_id)


@router.get("/{object_name}/{record_id}/shares", response_model=list[ShareOut])
def list_shares(
    object_name: str, record_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> Any:
    return sharing.list_shares(session, actor, object_name, record_id)


@router.post(
    "/{object_name}/{record_id}/shares",
    response_model=ShareOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": ShareOut, "description": "Existing share updated"}},
)
def share_record(
    object_name: str,
    record_id: uuid.UUID,
    body: ShareIn,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
) -> Any:
    """Share one record with a user, a department or a role; needs edit access to it.

    Sharing again with the same target updates its access level and returns 200.
    """
    share, created = sharing.share_record(session, actor, object_name, record_id, body.model_dump())
    if not created:
        response.status_code = status.HTTP_200_OK
    return share


@router.delete(
    "/{object_name}/{record_id}/shares/{share_id}", status_code=status.HTTP_204_NO_CONTENT
)
def unshare_record(
    object_name: str,
    record_id: uuid.UUID,
    share_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
) -> None:
    sharing.unshare_record(session, actor, object_name, record_id, share_id)


@router.post("/{object_name}/{record_id}/reveal")
def reveal(
    object_name: str, record_id: uuid.UUID, body: RevealIn, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Return clear values of masked fields; each reveal is written to the audit log."""
    return sharing.reveal(session, actor, object_name, record_id, body.fields, body.reason)
