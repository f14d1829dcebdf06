"""Password hashing and bearer-token logins.

A minimal login: the full security model (TOTP, lockout, cookies with CSRF,
API keys) extends this module.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.errors import Unauthorized
from zhike.core.settings import get_settings
from zhike.core.timeutil import utc_now
from zhike.security.context import Actor
from zhike.security.models import AuthSession, Tenant, User

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(session: Session, tenant_slug: str, email: str, password: str) -> tuple[str, User]:
    """Check the credentials and return a new bearer token and its user."""
    tenant = session.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
    user = None
    if tenant is not None:
        user = session.scalar(
            select(User).where(
                User.tenant_id == tenant.id,
                User.email == email.strip().lower(),
                User.deleted_at.is_(None),
            )
        )
    # Verify against a dummy hash when the user is unknown, so timing does not reveal it.
    if user is None or not user.is_active:
        verify_password(_DUMMY_HASH, password)
        raise Unauthorized("invalid_credentials")
    if not verify_password(user.password_hash, password):
        raise Unauthorized("invalid_credentials")
    token = secrets.token_urlsafe(32)
    lifetime = timedelta(hours=get_settings().session_hours)
    session.add(
        AuthSession(
            tenant_id=user.tenant_id, user_id=user.id, token_hash=_digest(token),
            expires_at=utc_now() + lifetime,
        )
    )
    session.flush()
    return token, user


def logout(session: Session, token: str) -> None:
    record = session.scalar(select(AuthSession).where(AuthSession.token_hash == _digest(token)))
    if record is not None and record.revoked_at is None:
        record.revoked_at = utc_now()


def resolve_token(session: Session, token: str) -> Actor:
    """Return the actor behind a bearer token, or raise Unauthorized."""
    row = session.execute(
        select(AuthSession, User, Tenant)
        .join(User, User.id == AuthSession.user_id)
        .join(Tenant, Tenant.id == AuthSession.tenant_id)
        .where(AuthSession.token_hash == _digest(token))
    ).first()
    if row is None:
        raise Unauthorized("invalid_token")
    auth_session, user, tenant = row
    if auth_session.revoked_at is not None or auth_session.expires_at <= utc_now():
        raise Unauthorized("expired_token")
    if not user.is_active or user.deleted_at is not None:
        raise Unauthorized("invalid_token")
    return actor_for(tenant, user)


def actor_for(tenant: Tenant, user: User | None) -> Actor:
    return Actor(
        tenant_id=tenant.id,
        user_id=user.id if user else None,
        role=user.role if user else "system",
        locale=(user.locale if user and user.locale else tenant.locale),
        timezone=tenant.timezone,
        region=tenant.region,
        currency=tenant.currency,
    )


_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))
