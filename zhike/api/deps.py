"""Request-scoped dependencies: database session, locale and the acting user or client.

``get_actor`` is the door of every authenticated endpoint. It accepts, in this
order: an ``Authorization: Bearer`` API key (``zk_…``), OAuth access token
(``zko_…``) or login token, else the session cookie of the web UI. Cookie
requests with an unsafe method must echo the CSRF cookie in ``X-CSRF-Token``.
It then applies the tenant's IP allow-list and the rate limits. Login sessions
are resolved through ``zhike.security.session_cache``, which keeps a resolved
actor for two seconds and forgets it on any change to what it was built from.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from zhike.core.db import get_database
from zhike.core.errors import Forbidden, Unauthorized
from zhike.core.i18n import negotiate_locale
from zhike.core.settings import get_settings
from zhike.core.timeutil import ensure_utc, utc_now
from zhike.security.actors import actor_for
from zhike.security.api_keys import API_KEY_PREFIX, resolve_api_key
from zhike.security.context import Actor
from zhike.security.ipallow import client_ip, require_ip_allowed
from zhike.security.models import Tenant
from zhike.security.oauth import ACCESS_TOKEN_PREFIX, resolve_access_token
from zhike.security.policy import SecurityPolicy, policy_for
from zhike.security.ratelimit import RateLimited, RateLimitResult, get_rate_limiter
from zhike.security.session_cache import CachedSession, session_cache
from zhike.security.sessions import (
    csrf_hash_matches,
    digest,
    resolve_session,
    session_deadline,
)
from zhike.security.tenancy import bind_tenant

SESSION_COOKIE = "zhike_session"
CSRF_COOKIE = "zhike_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class AuthContext:
    """How the request authenticated; kept on ``request.state.auth``."""

    kind: str  # "bearer", "cookie", "api_key" or "oauth"
    session_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    token: str | None = None


def get_session() -> Iterator[Session]:
    """Open one session per request; it commits when the handler returns, before the response.

    ``scope="function"`` on the dependency is what puts the commit before the response,
    so a client never sees success for a change that was not stored.
    """
    with get_database().session() as session:
        yield session


def get_locale(request: Request) -> str:
    return negotiate_locale(request.headers.get("accept-language"))


def request_ip(request: Request) -> str | None:
    peer = request.client.host if request.client else None
    return client_ip(peer, request.headers, get_settings().trusted_proxies)


def request_clock(request: Request) -> datetime:
    """The time of the request; tests of expiry and windows set ``app.state.clock``."""
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else utc_now()


def get_actor(
    request: Request,
    session: Annotated[Session, Depends(get_session, scope="function")],
    authorization: Annotated[str | None, Header()] = None,
) -> Actor:
    now = request_clock(request)
    ip = request_ip(request)
    user_agent = request.headers.get("user-agent")
    actor, context, policy = _authenticate(request, session, authorization, now, ip, user_agent)
    bind_tenant(session, actor.tenant_id)
    if context.kind in ("api_key", "oauth"):
        require_ip_allowed(ip, policy.ip_allowlist_api)
    else:
        require_ip_allowed(ip, policy.ip_allowlist_users)
    _apply_rate_limits(request, policy, actor, context, ip, now)
    requested = request.headers.get("accept-language")
    if requested:
        actor = actor.with_locale(negotiate_locale(requested, actor.locale))
    request.state.locale = actor.locale
    request.state.auth = context
    return actor


def _authenticate(
    request: Request,
    session: Session,
    authorization: str | None,
    now: datetime,
    ip: str | None,
    user_agent: str | None,
) -> tuple[Actor, AuthContext, SecurityPolicy]:
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
        if token.startswith(API_KEY_PREFIX):
            actor, client = resolve_api_key(session, token, now=now, ip=ip, user_agent=user_agent)
            if not _client_ip_allowed(ip, client.allowed_ips):
                raise Forbidden("ip_not_allowed", ip=ip or "?")
            context = AuthContext("api_key", client_id=client.id)
            return actor, context, policy_for(_tenant(session, actor))
        if token.startswith(ACCESS_TOKEN_PREFIX):
            actor, client = resolve_access_token(
                session, token, now=now, ip=ip, user_agent=user_agent
            )
            if not _client_ip_allowed(ip, client.allowed_ips):
                raise Forbidden("ip_not_allowed", ip=ip or "?")
            context = AuthContext("oauth", client_id=client.id)
            return actor, context, policy_for(_tenant(session, actor))
        login = _login_session(session, token, now)
        if login.csrf_hash is not None:
            # A cookie session's token must not be replayed as a bearer token to skip CSRF.
            raise Unauthorized("invalid_token")
        context = AuthContext("bearer", session_id=login.session_id, token=token)
        return login.fresh_actor(), context, login.policy
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthorized("missing_token")
    login = _login_session(session, cookie, now)
    if login.csrf_hash is None:
        raise Unauthorized("invalid_token")
    if request.method not in SAFE_METHODS and not csrf_hash_matches(
        login.csrf_hash, request.headers.get(CSRF_HEADER), request.cookies.get(CSRF_COOKIE)
    ):
        raise Forbidden("csrf_failed")
    context = AuthContext("cookie", session_id=login.session_id, token=cookie)
    return login.fresh_actor(), context, login.policy


def _login_session(session: Session, token: str, now: datetime) -> CachedSession:
    """The login session of ``token``, from the short-lived cache or resolved in full."""
    token_hash = digest(token)
    cached = session_cache.get(token_hash, now)
    if cached is not None:
        bind_tenant(session, cached.tenant_id)
        return cached
    record, user, tenant = resolve_session(session, token, now=now)
    policy = policy_for(tenant)
    resolved = CachedSession(
        token_hash=token_hash,
        session_id=record.id,
        tenant_id=tenant.id,
        csrf_hash=record.csrf_hash,
        expires_at=session_deadline(record, policy),
        last_seen_at=ensure_utc(record.last_seen_at or record.created_at),
        idle_limit=timedelta(minutes=policy.idle_minutes()),
        actor=actor_for(tenant, user, session),
        policy=policy,
        resolved_at=ensure_utc(now),
        resolved_monotonic=time.monotonic(),
    )
    session_cache.put(resolved)
    return resolved


def _client_ip_allowed(ip: str | None, cidrs: list[str]) -> bool:
    from zhike.security.ipallow import ip_allowed

    return ip_allowed(ip, cidrs)


def _tenant(session: Session, actor: Actor) -> Tenant:
    tenant = session.get(Tenant, actor.tenant_id)
    if tenant is None:
        raise Unauthorized("invalid_token")
    return tenant


def _apply_rate_limits(
    request: Request,
    policy: SecurityPolicy,
    actor: Actor,
    context: AuthContext,
    ip: str | None,
    now: datetime,
) -> None:
    """Count the request against every limit that applies; the tightest one is reported."""
    limiter = get_rate_limiter()
    checks = [(f"tenant:{actor.tenant_id}", policy.rate_limit("tenant"))]
    if context.client_id is not None:
        checks.append((f"client:{context.client_id}", policy.rate_limit("api_key")))
    elif actor.user_id is not None:
        checks.append((f"user:{actor.user_id}", policy.rate_limit("user")))
    checks.append((f"ip:{actor.tenant_id}:{ip}", policy.rate_limit("ip")))
    tightest: RateLimitResult | None = None
    for key, limit in checks:
        if limit <= 0:
            continue
        result = limiter.hit(key, limit, now)
        if tightest is None or (not result.allowed, -result.remaining) > (
            not tightest.allowed,
            -tightest.remaining,
        ):
            tightest = result
    if tightest is not None:
        request.state.rate_limit = tightest
        if not tightest.allowed:
            raise RateLimited(tightest)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ActorDep = Annotated[Actor, Depends(get_actor)]
