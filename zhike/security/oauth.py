"""OAuth 2.0 client credentials (RFC 6749 §4.4): a client secret buys a short-lived token.

The token's scopes are the client's, or the subset the request names in
``scope`` as space-separated ``object:action`` pairs (``accounts:read``).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.errors import Unauthorized, ZhikeError
from zhike.core.timeutil import ensure_utc
from zhike.security.api_keys import client_actor, find_client, narrow_scopes, note_use
from zhike.security.context import Actor
from zhike.security.models import ApiClient, OAuthAccessToken, Tenant
from zhike.security.sessions import digest

ACCESS_TOKEN_PREFIX = "zko_"  # noqa: S105 - a marker, not a secret
ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)


class OAuthError(ZhikeError):
    """An RFC 6749 §5.2 error; the handler renders ``error`` as the body's ``code``."""

    status = 400


class InvalidClient(OAuthError):
    status = 401
    code = "invalid_client"


def _parse_scope(scope: str) -> dict[str, list[str]]:
    requested: dict[str, list[str]] = {}
    for item in scope.split():
        object_name, _, action = item.partition(":")
        if not object_name or not action:
            raise OAuthError("invalid_scope", scope=item)
        requested.setdefault(object_name, []).append(action)
    return requested


def issue_token(
    session: Session, client_id: str, client_secret: str, scope: str | None, *, now: datetime
) -> tuple[str, ApiClient, dict[str, Any]]:
    """Exchange client credentials for an access token; return it, its client and its scopes."""
    try:
        client = find_client(session, client_secret, "oauth_client", now=now)
    except Unauthorized as error:
        raise InvalidClient() from error
    if not hmac.compare_digest(client.prefix, client_id):
        raise InvalidClient()
    scopes = client.scopes
    if scope:
        scopes = narrow_scopes(client.scopes, _parse_scope(scope))
        if not scopes:
            raise OAuthError("invalid_scope", scope=scope)
    token = ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        OAuthAccessToken(
            tenant_id=client.tenant_id,
            client_id=client.id,
            token_hash=digest(token),
            scopes=scopes,
            created_at=now,
            expires_at=now + ACCESS_TOKEN_LIFETIME,
        )
    )
    session.flush()
    return token, client, scopes


def scope_string(scopes: dict[str, Any]) -> str:
    return " ".join(
        f"{object_name}:{action}"
        for object_name, scope in sorted(scopes.items())
        for action in scope["actions"]
    )


def resolve_access_token(
    session: Session,
    token: str,
    *,
    now: datetime,
    ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[Actor, ApiClient]:
    row = session.execute(
        select(OAuthAccessToken, ApiClient, Tenant)
        .join(ApiClient, ApiClient.id == OAuthAccessToken.client_id)
        .join(Tenant, Tenant.id == OAuthAccessToken.tenant_id)
        .where(OAuthAccessToken.token_hash == digest(token))
    ).first()
    if row is None:
        raise Unauthorized("invalid_token")
    access, client, tenant = row
    if (
        ensure_utc(access.expires_at) <= now
        or client.revoked_at is not None
        or (client.expires_at is not None and ensure_utc(client.expires_at) <= now)
    ):
        raise Unauthorized("expired_token")
    actor = client_actor(session, tenant, client, access.scopes)
    note_use(session, actor, client, now=now, ip=ip, user_agent=user_agent)
    return actor, client
