"""Your login sessions, and for administrators everyone's in the tenant."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict

from zhike.api.deps import ActorDep, AuthContext, SessionDep, request_clock, request_ip
from zhike.core.errors import Forbidden
from zhike.security import sessions
from zhike.security.admin import get_user, require_administrator

router = APIRouter(prefix="/auth/sessions", tags=["auth"])


class SessionRead(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    created_at: datetime
    last_seen_at: datetime | None
    expires_at: datetime
    ip: str | None
    user_agent: str | None
    browser: bool
    current: bool


class SessionList(BaseModel):
    items: list[SessionRead]


class UserSessionsRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID


class SessionsRevoked(BaseModel):
    revoked: int


@router.get("", response_model=SessionList)
def list_sessions(
    session: SessionDep,
    actor: ActorDep,
    request: Request,
    user_id: uuid.UUID | None = None,
    all_users: bool = False,
) -> SessionList:
    """Your live sessions; administrators may pass ``user_id`` or ``all_users=true``."""
    context: AuthContext = request.state.auth
    rows = sessions.list_sessions(
        session, actor, user_id=user_id, everyone=all_users, now=request_clock(request)
    )
    return SessionList(
        items=[
            SessionRead(
                id=row.record.id,
                user_id=row.record.user_id,
                created_at=row.record.created_at,
                last_seen_at=row.record.last_seen_at,
                expires_at=row.ends_at,
                ip=row.record.ip,
                user_agent=row.record.user_agent,
                browser=row.record.csrf_hash is not None,
                current=row.record.id == context.session_id,
            )
            for row in rows
        ]
    )


@router.delete("/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_session(
    session_id: uuid.UUID, session: SessionDep, actor: ActorDep, request: Request
) -> None:
    """End a session at once; another user's answers 404 unless you administer the tenant."""
    sessions.revoke_session(
        session,
        actor,
        session_id,
        now=request_clock(request),
        ip=request_ip(request),
        user_agent=request.headers.get("user-agent"),
    )


@router.post("/revoke-others", response_model=SessionsRevoked)
def revoke_other_sessions(
    session: SessionDep, actor: ActorDep, request: Request
) -> SessionsRevoked:
    """End all your sessions except the one making this request, in one audited step."""
    context: AuthContext = request.state.auth
    if actor.user_id is None or context.session_id is None:
        # API keys and OAuth clients have no login session to keep.
        raise Forbidden("forbidden")
    count = sessions.revoke_user_sessions(
        session,
        actor,
        actor.user_id,
        now=request_clock(request),
        keep=context.session_id,
        ip=request_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    return SessionsRevoked(revoked=count)


@router.post("/revoke-user", response_model=SessionsRevoked)
def revoke_user_sessions(
    body: UserSessionsRevoke, session: SessionDep, actor: ActorDep, request: Request
) -> SessionsRevoked:
    """Administrators: end every session of one user, in one audited step.

    For your own user this includes the session making the request.
    """
    require_administrator(actor)
    user = get_user(session, actor, body.user_id)
    count = sessions.revoke_user_sessions(
        session,
        actor,
        user.id,
        now=request_clock(request),
        ip=request_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    return SessionsRevoked(revoked=count)
