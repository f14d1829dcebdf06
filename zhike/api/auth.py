"""Login and logout."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, status
from pydantic import BaseModel, Field

from zhike.api.deps import ActorDep, SessionDep
from zhike.security import auth

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    tenant: str = Field(min_length=1, max_length=63, description="tenant slug")
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class LoginResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    display_name: str
    role: str


class Me(BaseModel):
    user_id: uuid.UUID | None
    tenant_id: uuid.UUID
    role: str
    locale: str
    timezone: str


@router.post("/login", response_model=LoginResponse)
def login(body: LoginRequest, session: SessionDep) -> LoginResponse:
    token, user = auth.login(session, body.tenant, body.email, body.password)
    return LoginResponse(
        access_token=token, user_id=user.id, tenant_id=user.tenant_id,
        display_name=user.display_name, role=user.role,
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: SessionDep, actor: ActorDep, authorization: Annotated[str, Header()]) -> None:
    auth.logout(session, authorization[7:].strip())


@router.get("/me", response_model=Me)
def me(actor: ActorDep) -> Me:
    return Me(
        user_id=actor.user_id, tenant_id=actor.tenant_id, role=actor.role,
        locale=actor.locale, timezone=actor.timezone,
    )
