"""Argon2id password hashes, the tenant's password rules and the history that stops reuse."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from zhike.core.errors import InvalidInput
from zhike.core.settings import get_settings
from zhike.security.models import PasswordHistory, User
from zhike.security.policy import PasswordRules


@cache
def _hasher() -> PasswordHasher:
    """Argon2id with the cost from settings; the defaults are RFC 9106's low-memory choice."""
    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.password_hash_time_cost,
        memory_cost=settings.password_hash_memory_kib,
        parallelism=settings.password_hash_parallelism,
    )


@cache
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_hex(8))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; a hash made with other cost parameters still verifies."""
    if not password_hash:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_time(password: str) -> None:
    """Spend as long as a real verification, so timing does not tell whether an account exists."""
    verify_password(_dummy_hash(), password)


def character_classes(password: str) -> int:
    classes = (
        any(char.islower() and char.isascii() for char in password),
        any(char.isupper() and char.isascii() for char in password),
        any(char.isdigit() for char in password),
        any(not (char.isascii() and char.isalnum()) for char in password),
    )
    return sum(classes)


def check_password_rules(password: str, rules: PasswordRules) -> None:
    if len(password) < rules.min_length:
        raise InvalidInput("password_too_short", minimum=rules.min_length)
    if character_classes(password) < rules.min_character_classes:
        raise InvalidInput("password_too_simple", classes=rules.min_character_classes)


def set_password(
    session: Session, user: User, password: str, rules: PasswordRules, *, now: datetime
) -> None:
    """Check ``password`` against the rules and the last ``rules.history`` passwords; store it."""
    check_password_rules(password, rules)
    if rules.history:
        earlier = session.scalars(
            select(PasswordHistory.password_hash)
            .where(PasswordHistory.user_id == user.id)
            .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc())
            .limit(rules.history - 1 if user.password_hash else rules.history)
        )
        candidates = [user.password_hash, *earlier] if user.password_hash else list(earlier)
        if any(verify_password(stored, password) for stored in candidates[: rules.history]):
            raise InvalidInput("password_reused", count=rules.history)
    if user.password_hash:
        session.add(
            PasswordHistory(
                tenant_id=user.tenant_id,
                user_id=user.id,
                password_hash=user.password_hash,
                created_at=now,
            )
        )
    user.password_hash = hash_password(password)
    session.flush()
    _trim_history(session, user, keep=max(rules.history, 1))


def _trim_history(session: Session, user: User, keep: int) -> None:
    kept = (
        select(PasswordHistory.id)
        .where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc())
        .limit(keep)
    )
    session.execute(
        delete(PasswordHistory).where(
            PasswordHistory.user_id == user.id, PasswordHistory.id.not_in(kept.scalar_subquery())
        )
    )
