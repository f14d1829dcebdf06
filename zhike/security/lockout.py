"""Account lockout with exponential back-off, keyed by tenant and email address.

Unknown addresses are counted and locked exactly like real accounts, so the
lock itself never tells an attacker whether an account exists. Failures are
written in a transaction of their own: the login request that observed them
fails and rolls back.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhike.core.errors import ZhikeError
from zhike.core.timeutil import ensure_utc
from zhike.security.models import LoginLockout
from zhike.security.policy import LockoutRules


class LoginLocked(ZhikeError):
    status = 429
    code = "login_locked"

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        super().__init__(seconds=seconds)


def _normalize(email: str) -> str:
    return email.strip().lower()[:254]


def seconds_locked(session: Session, tenant_id: uuid.UUID, email: str, now: datetime) -> int:
    """Return how many seconds the address stays locked, 0 when it is not."""
    locked_until = session.scalar(
        select(LoginLockout.locked_until).where(
            LoginLockout.tenant_id == tenant_id, LoginLockout.email == _normalize(email)
        )
    )
    if locked_until is None or ensure_utc(locked_until) <= now:
        return 0
    return max(1, int((ensure_utc(locked_until) - now).total_seconds() + 0.999))


def lock_duration(rules: LockoutRules, lock_count: int) -> timedelta:
    """The ``lock_count``-th lock in a row lasts twice the one before, up to the maximum."""
    seconds = rules.base_seconds * 2 ** min(lock_count - 1, 30)
    return timedelta(seconds=min(seconds, rules.max_seconds))


def record_failure(
    session: Session, tenant_id: uuid.UUID, email: str, rules: LockoutRules, now: datetime
) -> int:
    """Count one failure in its own transaction; return the seconds of a lock it started, else 0."""
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    for _ in range(2):
        try:
            with Session(engine) as own:
                locked = _count(own, tenant_id, _normalize(email), rules, now)
                own.commit()
                return locked
        except IntegrityError:
            # Another request created the row first; count on it.
            continue
    return 0


def _count(
    session: Session, tenant_id: uuid.UUID, email: str, rules: LockoutRules, now: datetime
) -> int:
    statement = select(LoginLockout).where(
        LoginLockout.tenant_id == tenant_id, LoginLockout.email == email
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    row = session.scalar(statement)
    if row is None:
        row = LoginLockout(tenant_id=tenant_id, email=email, failures=0, lock_count=0)
        session.add(row)
    row.failures += 1
    row.updated_at = now
    if row.failures < rules.threshold:
        return 0
    row.failures = 0
    row.lock_count += 1
    duration = lock_duration(rules, row.lock_count)
    row.locked_until = now + duration
    return int(duration.total_seconds())


def clear(session: Session, tenant_id: uuid.UUID, email: str) -> None:
    """Forget the failures of an address after a successful login."""
    session.execute(
        delete(LoginLockout).where(
            LoginLockout.tenant_id == tenant_id, LoginLockout.email == _normalize(email)
        )
    )
