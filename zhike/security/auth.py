"""Logins: password check, lockout, throttling, the TOTP second step, and bearer tokens.

``authenticate`` is the first step. When the user has TOTP, or the tenant's
policy requires it for the user's role, it answers with a short-lived
challenge instead of a session, and ``complete_challenge`` finishes the login.
Every error a caller sees is the same for an unknown account and a wrong
password.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from zhike.audit.service import ActorKind, AuditAction, record_event, record_event_autonomously
from zhike.core.errors import InvalidInput, Unauthorized
from zhike.core.settings import get_settings
from zhike.core.timeutil import ensure_utc, utc_now
from zhike.security import lockout, totp
from zhike.security.actors import actor_for
from zhike.security.context import Actor
from zhike.security.ipallow import require_ip_allowed
from zhike.security.masking import MaskKind
from zhike.security.models import AuthSession, LoginChallenge, Tenant, User
from zhike.security.passwords import burn_time, hash_password, set_password, verify_password
from zhike.security.policy import SecurityPolicy, policy_for
from zhike.security.ratelimit import RateLimited, RateLimiter, get_rate_limiter
from zhike.security.sessions import (
    IssuedSession,
    digest,
    issue_session,
    resolve_session,
    revoke_all_for_user,
)

__all__ = [
    "LoginResult",
    "actor_for",
    "authenticate",
    "change_password",
    "complete_challenge",
    "hash_password",
    "login",
    "logout",
    "resolve_token",
    "verify_password",
]

CHALLENGE_LIFETIME = timedelta(minutes=5)
CHALLENGE_ATTEMPTS = 5
THROTTLE_WINDOW_SECONDS = 600


@dataclass
class LoginResult:
    """Either a session (``issued``) or a second step to take (``challenge_token``)."""

    user: User
    tenant: Tenant
    issued: IssuedSession | None = None
    challenge_token: str | None = None
    totp_enrolled: bool = True
    recovery_codes: list[str] = field(default_factory=list)


def _login_throttle_key(ip: str | None) -> str:
    return f"login-ip:{ip or 'unknown'}"


def authenticate(
    session: Session,
    tenant_slug: str,
    email: str,
    password: str,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
    cookie: bool = False,
    limiter: RateLimiter | None = None,
) -> LoginResult:
    """Check the password; both outcomes are audited; failures count to lockout and throttling."""
    now = now or utc_now()
    limiter = limiter or get_rate_limiter()
    throttle = limiter.exceeded(
        _login_throttle_key(ip), get_settings().login_failures_per_ip, now, THROTTLE_WINDOW_SECONDS
    )
    if not throttle.allowed:
        burn_time(password)
        raise RateLimited(throttle, "too_many_login_attempts")
    tenant = session.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
    policy = policy_for(tenant) if tenant is not None else SecurityPolicy()
    if tenant is not None:
        require_ip_allowed(ip, policy.ip_allowlist_users)
        locked = lockout.seconds_locked(session, tenant.id, email, now)
        if locked:
            burn_time(password)
            raise lockout.LoginLocked(locked)
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
        burn_time(password)
        _fail(session, limiter, tenant, policy, user, email, ip, user_agent, now)
    assert user is not None
    assert tenant is not None
    if not verify_password(user.password_hash, password):
        _fail(session, limiter, tenant, policy, user, email, ip, user_agent, now)
    lockout.clear(session, tenant.id, email)
    enrolled = totp.is_enrolled(session, user)
    if enrolled or policy.requires_2fa(user.role):
        token = secrets.token_urlsafe(32)
        session.add(
            LoginChallenge(
                tenant_id=tenant.id,
                user_id=user.id,
                token_hash=digest(token),
                created_at=now,
                expires_at=now + CHALLENGE_LIFETIME,
                remember_cookie=cookie,
            )
        )
        session.flush()
        return LoginResult(user, tenant, challenge_token=token, totp_enrolled=enrolled)
    return LoginResult(
        user,
        tenant,
        issued=_open_session(session, tenant, user, now, cookie, ip, user_agent),
        totp_enrolled=False,
    )


def _open_session(
    session: Session,
    tenant: Tenant,
    user: User,
    now: datetime,
    cookie: bool,
    ip: str | None,
    user_agent: str | None,
) -> IssuedSession:
    issued = issue_session(
        session, tenant, user, now=now, cookie=cookie, ip=ip, user_agent=user_agent
    )
    record_event(
        session,
        Actor(tenant_id=user.tenant_id, user_id=user.id, role=user.role),
        AuditAction.LOGIN,
        object_name="user",
        record_id=user.id,
        ip=ip,
        user_agent=user_agent,
    )
    return issued


def _fail(
    session: Session,
    limiter: RateLimiter,
    tenant: Tenant | None,
    policy: SecurityPolicy,
    user: User | None,
    email: str,
    ip: str | None,
    user_agent: str | None,
    now: datetime,
) -> None:
    limiter.hit(
        _login_throttle_key(ip), get_settings().login_failures_per_ip, now, THROTTLE_WINDOW_SECONDS
    )
    if tenant is not None:
        _audit_login_failed(session, tenant, user, email, ip, user_agent)
        lockout.record_failure(session, tenant.id, email, policy.lockout, now)
    raise Unauthorized("invalid_credentials")


def login(
    session: Session,
    tenant_slug: str,
    email: str,
    password: str,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[str, User]:
    """Check the credentials and return a new bearer token and its user; both outcomes are audited.

    For a user who must pass TOTP, use ``authenticate`` and ``complete_challenge``.
    """
    result = authenticate(session, tenant_slug, email, password, ip=ip, user_agent=user_agent)
    if result.issued is None:
        raise Unauthorized("totp_required")
    return result.issued.token, result.user


def _audit_login_failed(
    session: Session,
    tenant: Tenant | None,
    user: User | None,
    email: str,
    ip: str | None,
    user_agent: str | None,
    reason: str | None = None,
) -> None:
    # The request rolls back on the error that follows, so the attempt is written
    # in a transaction of its own. The password is never part of the event.
    assert tenant is not None
    reason = reason or (
        "unknown_user" if user is None else ("inactive" if not user.is_active else "wrong_password")
    )
    record_event_autonomously(
        session,
        Actor(tenant_id=tenant.id, user_id=user.id if user else None, role="anonymous"),
        AuditAction.LOGIN_FAILED,
        actor_kind=ActorKind.USER,
        object_name="user",
        record_id=user.id if user else None,
        details={"email": email.strip().lower(), "reason": reason},
        sensitive_fields={"email": MaskKind.EMAIL},
        ip=ip,
        user_agent=user_agent,
    )


def _load_challenge(
    session: Session, token: str, now: datetime
) -> tuple[LoginChallenge, User, Tenant]:
    row = session.execute(
        select(LoginChallenge, User, Tenant)
        .join(User, User.id == LoginChallenge.user_id)
        .join(Tenant, Tenant.id == LoginChallenge.tenant_id)
        .where(LoginChallenge.token_hash == digest(token))
    ).first()
    if row is None:
        raise Unauthorized("invalid_challenge")
    challenge, user, tenant = row
    if (
        challenge.used_at is not None
        or ensure_utc(challenge.expires_at) <= now
        or challenge.attempts >= CHALLENGE_ATTEMPTS
        or not user.is_active
        or user.deleted_at is not None
    ):
        raise Unauthorized("invalid_challenge")
    return challenge, user, tenant


def start_challenge_enrolment(
    session: Session, token: str, *, now: datetime | None = None
) -> tuple[str, str]:
    """For a user whose role must use TOTP but has none yet: a secret to confirm in step 2."""
    challenge, user, tenant = _load_challenge(session, token, now or utc_now())
    del challenge
    return totp.begin_enrolment(session, tenant, user)


def complete_challenge(
    session: Session,
    token: str,
    *,
    code: str | None = None,
    recovery_code: str | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> LoginResult:
    """The second step: a TOTP code (which also confirms a pending enrolment) or a recovery code."""
    now = now or utc_now()
    if not code and not recovery_code:
        raise InvalidInput("second_factor_missing")
    challenge, user, tenant = _load_challenge(session, token, now)
    require_ip_allowed(ip, policy_for(tenant).ip_allowlist_users)
    actor = actor_for(tenant, user, session)
    recovery_codes: list[str] = []
    if totp.is_enrolled(session, user):
        method = totp.verify_second_factor(
            session, user, code=code, recovery_code=recovery_code, now=now
        )
    else:
        method = None
        record = totp.totp_for(session, user)
        if record is not None and code:
            step = totp.matching_step(
                totp.unseal(record.secret_sealed, user.id), code, now, record.last_step
            )
            if step is not None:
                recovery_codes = totp.confirm_enrolment(session, actor, user, code, now=now)
                method = "totp"
    if method is None:
        _count_challenge_failure(session, challenge.id)
        _audit_login_failed(
            session, tenant, user, user.email, ip, user_agent, reason="wrong_second_factor"
        )
        lockout.record_failure(session, tenant.id, user.email, policy_for(tenant).lockout, now)
        raise Unauthorized("invalid_second_factor")
    challenge.used_at = now
    issued = _open_session(session, tenant, user, now, challenge.remember_cookie, ip, user_agent)
    return LoginResult(user, tenant, issued=issued, recovery_codes=recovery_codes)


def _count_challenge_failure(session: Session, challenge_id: object) -> None:
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    with Session(engine) as own:
        own.execute(
            update(LoginChallenge)
            .where(LoginChallenge.id == challenge_id)
            .values(attempts=LoginChallenge.attempts + 1)
        )
        own.commit()


def logout(
    session: Session, token: str, *, ip: str | None = None, user_agent: str | None = None
) -> None:
    record = session.scalar(select(AuthSession).where(AuthSession.token_hash == digest(token)))
    if record is not None and record.revoked_at is None:
        record.revoked_at = utc_now()
        record_event(
            session,
            Actor(tenant_id=record.tenant_id, user_id=record.user_id, role="user"),
            AuditAction.LOGOUT,
            object_name="user",
            record_id=record.user_id,
            ip=ip,
            user_agent=user_agent,
        )


def resolve_token(session: Session, token: str, *, now: datetime | None = None) -> Actor:
    """Return the actor behind a session token, or raise Unauthorized."""
    _, user, tenant = resolve_session(session, token, now=now or utc_now())
    return actor_for(tenant, user, session)


def change_password(
    session: Session,
    actor: Actor,
    current: str,
    new: str,
    *,
    now: datetime | None = None,
    keep_session: AuthSession | None = None,
) -> int:
    """Change the actor's own password under the tenant's rules; return how many sessions ended."""
    now = now or utc_now()
    user = session.get(User, actor.user_id) if actor.user_id else None
    tenant = session.get(Tenant, actor.tenant_id)
    if user is None or tenant is None or not verify_password(user.password_hash, current):
        raise InvalidInput("wrong_current_password")
    set_password(session, user, new, policy_for(tenant).password, now=now)
    ended = revoke_all_for_user(
        session, user.id, now=now, keep=keep_session.id if keep_session else None
    )
    record_event(session, actor, "password.change", object_name="user", record_id=user.id)
    return ended
