"""Request-scoped dependencies: database session, locale and the acting user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from zhike.core.db import get_database
from zhike.core.errors import Unauthorized
from zhike.core.i18n import negotiate_locale
from zhike.security.auth import resolve_token
from zhike.security.context import Actor


def get_session() -> Iterator[Session]:
    """Open one session per request and commit at the edge, after the handler succeeded."""
    with get_database().session() as session:
        yield session


def get_locale(request: Request) -> str:
    return negotiate_locale(request.headers.get("accept-language"))


def get_actor(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    authorization: Annotated[str | None, Header()] = None,
) -> Actor:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("missing_token")
    requested = request.headers.get("accept-language")
    actor = resolve_token(session, authorization[7:].strip())
    if requested:
        actor = Actor(
            tenant_id=actor.tenant_id, user_id=actor.user_id, role=actor.role,
            locale=negotiate_locale(requested, actor.locale), timezone=actor.timezone,
            region=actor.region, currency=actor.currency,
        )
    request.state.locale = actor.locale
    return actor


SessionDep = Annotated[Session, Depends(get_session)]
ActorDep = Annotated[Actor, Depends(get_actor)]
