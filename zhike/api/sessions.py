"""Your login sessions, and for administrators everyone's in the tenant."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request, status
from pydantic import BaseModel

from zhike.api.deps import ActorDep, AuthContext, SessionDep, request_clock, request_ip
from zhike.security import sessions

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
                id=row.id,
                user_id=row.user_id,
                created_at=row.created_at,
                last_seen_at=row.last_seen_at,
                expires_at=row.expires_at,
                ip=row.ip,
                user_agent=row.user_agent,
                browser=row.csrf_hash is not None,
                current=row.id == context.session_id,
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
