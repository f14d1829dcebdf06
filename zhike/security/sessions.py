"""Login sessions: issuing, idle and absolute expiry, listing and revoking.

A session is a random token held by the client; the server keeps its SHA-256.
Browser sessions live in an HTTP-only cookie and also carry a CSRF token,
whose digest is kept so that a header must match both the cookie and the
session (a cookie planted by a sibling domain alone is not enough).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.audit.service import AuditAction, record_event
from zhike.core.errors import Forbidden, NotFound, Unauthorized
from zhike.core.timeutil import ensure_utc
from zhike.security.context import Actor
from zhike.security.models import AuthSession, Tenant, User
from zhike.security.policy import SecurityPolicy, policy_for
from zhike.security.tenancy import bind_tenant

# Writing last_seen_at on every request would turn each read into a write.
TOUCH_INTERVAL = timedelta(seconds=60)
MAX_USER_AGENT = 512


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedSession:
    record: AuthSession
    token: str
    csrf_token: str | None


def issue_session(
    session: Session,
    tenant: Tenant,
    user: User,
    *,
    now: datetime,
    cookie: bool = False,
    ip: str | None = None,
    user_agent: str | None = None,
) -> IssuedSession:
    token = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32) if cookie else None
    record = AuthSession(
        tenant_id=user.tenant_id,
        user_id=user.id,
        token_hash=digest(token),
        created_at=now,
        expires_at=now + timedelta(hours=policy_for(tenant).absolute_hours()),
        last_seen_at=now,
        ip=ip,
        user_agent=(user_agent or "")[:MAX_USER_AGENT] or None,
        csrf_hash=digest(csrf_token) if csrf_token else None,
    )
    session.add(record)
    session.flush()
    return IssuedSession(record, token, csrf_token)


def resolve_session(
    session: Session, token: str, *, now: datetime
) -> tuple[AuthSession, User, Tenant]:
    """Return the live session of ``token`` with its user and tenant, or raise 401."""
    record = session.scalar(select(AuthSession).where(AuthSession.token_hash == digest(token)))
    if record is None:
        raise Unauthorized("invalid_token")
    # Under row-level security the user row is visible only once the tenant is bound.
    bind_tenant(session, record.tenant_id)
    user = session.get(User, record.user_id)
    tenant = session.get(Tenant, record.tenant_id)
    if user is None or tenant is None:
        raise Unauthorized("invalid_token")
    policy = policy_for(tenant)
    if record.revoked_at is not None or session_deadline(record, policy) <= now:
        raise Unauthorized("expired_token")
    idle_limit = timedelta(minutes=policy.idle_minutes())
    last_seen = ensure_utc(record.last_seen_at or record.created_at)
    if now - last_seen >= idle_limit:
        raise Unauthorized("idle_session")
    if not user.is_active or user.deleted_at is not None:
        raise Unauthorized("invalid_token")
    if now - last_seen >= TOUCH_INTERVAL:
        record.last_seen_at = now
        session.flush()
    return record, user, tenant


def session_deadline(record: AuthSession, policy: SecurityPolicy) -> datetime:
    """Return when a session ends: its expiry from login, or sooner under a tightened policy.

    ``expires_at`` is fixed when the session is issued, so a shorter absolute
    lifetime set later also applies, counted from the session's start.
    """
    limit = ensure_utc(record.created_at) + timedelta(hours=policy.absolute_hours())
    return min(ensure_utc(record.expires_at), limit)


def csrf_matches(record: AuthSession, header: str | None, cookie: str | None) -> bool:
    return csrf_hash_matches(record.csrf_hash, header, cookie)


def csrf_hash_matches(csrf_hash: str | None, header: str | None, cookie: str | None) -> bool:
    """True when the header echoes the cookie and both match the session's CSRF digest."""
    if csrf_hash is None or not header or not cookie:
        return False
    return hmac.compare_digest(header, cookie) and hmac.compare_digest(digest(header), csrf_hash)


@dataclass(frozen=True, slots=True)
class LiveSession:
    record: AuthSession
    ends_at: datetime


def list_sessions(
    session: Session, actor: Actor, *, user_id: uuid.UUID | None, everyone: bool, now: datetime
) -> list[LiveSession]:
    """The actor's live sessions; an administrator may ask for one user's or the whole tenant's.

    ``ends_at`` is the session's deadline under the tenant's current policy.
    """
    if (
        everyone or (user_id is not None and user_id != actor.user_id)
    ) and not actor.grants.is_administrator:
        raise Forbidden("forbidden")
    statement = select(AuthSession).where(
        AuthSession.tenant_id == actor.tenant_id,
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > now,
    )
    if not everyone:
        statement = statement.where(AuthSession.user_id == (user_id or actor.user_id))
    tenant = session.get(Tenant, actor.tenant_id)
    policy = policy_for(tenant) if tenant is not None else SecurityPolicy()
    rows = session.scalars(statement.order_by(AuthSession.created_at.desc(), AuthSession.id))
    live = [LiveSession(record, session_deadline(record, policy)) for record in rows]
    return [item for item in live if item.ends_at > now]


def revoke_session(
    session: Session,
    actor: Actor,
    session_id: uuid.UUID,
    *,
    now: datetime,
    ip: str | None = None,
    user_agent: str | None = None,
) -> AuthSession:
    """End one session: the actor's own, or anyone's in the tenant for an administrator.

    Another user's session answers 404 to a non-administrator, as if it did not exist.
    """
    record = session.scalar(
        select(AuthSession).where(
            AuthSession.id == session_id, AuthSession.tenant_id == actor.tenant_id
        )
    )
    if record is None or (record.user_id != actor.user_id and not actor.grants.is_administrator):
        raise NotFound("record_not_found", object="sessions", id=str(session_id))
    if record.revoked_at is None:
        record.revoked_at = now
        session.flush()
        record_event(
            session,
            actor,
            AuditAction.SESSION_REVOKED,
            object_name="user",
            record_id=record.user_id,
            details={"session_id": str(record.id)},
            ip=ip,
            user_agent=user_agent,
        )
    return record


def revoke_all_for_user(
    session: Session, user_id: uuid.UUID, *, now: datetime, keep: uuid.UUID | None = None
) -> int:
    rows = session.scalars(
        select(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    )
    count = 0
    for record in rows:
        if record.id != keep:
            record.revoked_at = now
            count += 1
    session.flush()
    return count


def revoke_user_sessions(
    session: Session,
    actor: Actor,
    user_id: uuid.UUID,
    *,
    now: datetime,
    keep: uuid.UUID | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
) -> int:
    """End every live session of one user except ``keep`` in one transaction and return the count.

    The actor may end their own sessions, but another user's need an administrator.
    One audit event lists the sessions ended.
    """
    if user_id != actor.user_id and not actor.grants.is_administrator:
        raise Forbidden("forbidden")
    statement = select(AuthSession).where(
        AuthSession.tenant_id == actor.tenant_id,
        AuthSession.user_id == user_id,
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > now,
    )
    if keep is not None:
        statement = statement.where(AuthSession.id != keep)
    ended = list(session.scalars(statement.order_by(AuthSession.created_at, AuthSession.id)))
    for record in ended:
        record.revoked_at = now
    session.flush()
    if ended:
        record_event(
            session,
            actor,
            AuditAction.SESSION_REVOKED,
            object_name="user",
            record_id=user_id,
            details={
                "session_ids": [str(record.id) for record in ended],
                "count": len(ended),
                "kept_current": keep is not None,
            },
            ip=ip,
            user_agent=user_agent,
        )
    return len(ended)
