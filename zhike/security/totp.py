"""TOTP two-factor authentication (RFC 6238 over RFC 4226 HOTP) and recovery codes.

Written on the standard library: the algorithm is a few lines of HMAC, and
owning it lets every check take an explicit ``now``. Secrets are sealed with
AES-GCM under a key derived from ZHIKE_SECRET_KEY and bound to the user, so a
database dump alone does not yield working second factors.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import uuid
from datetime import datetime
from urllib.parse import quote, urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.errors import Conflict, InvalidInput, NotFound
from zhike.core.settings import get_settings
from zhike.security.context import Actor
from zhike.security.models import RecoveryCode, Tenant, User, UserTotp

STEP_SECONDS = 30
DIGITS = 6
# One step either side absorbs clock drift between the phone and the server.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
ISSUER = "Zhike"


def generate_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    padded = secret.upper() + "=" * (-len(secret) % 8)
    return base64.b32decode(padded)


def code_at(secret: str, step: int) -> str:
    digest = hmac.new(_key(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def step_of(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def totp_code(secret: str, now: datetime) -> str:
    return code_at(secret, step_of(now))


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """Return the time step ``code`` belongs to, or None; steps up to ``last_step`` are replays."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    current = step_of(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str = ISSUER) -> str:
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def _cipher() -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"zhike totp secret").derive(
        get_settings().secret_key.encode("utf-8")
    )
    return AESGCM(key)


def seal(secret: str, user_id: uuid.UUID) -> str:
    nonce = secrets.token_bytes(12)
    sealed = _cipher().encrypt(nonce, secret.encode("ascii"), user_id.bytes)
    return base64.b64encode(nonce + sealed).decode("ascii")


def unseal(sealed: str, user_id: uuid.UUID) -> str:
    raw = base64.b64decode(sealed)
    return _cipher().decrypt(raw[:12], raw[12:], user_id.bytes).decode("ascii")


def _recovery_hash(code: str) -> str:
    normalized = code.strip().replace("-", "").replace(" ", "").upper()
    key = get_settings().secret_key.encode("utf-8")
    return hmac.new(key, normalized.encode("ascii", "ignore"), hashlib.sha256).hexdigest()


def _new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii")
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}-{raw[12:16]}"


def totp_for(session: Session, user: User) -> UserTotp | None:
    return session.scalar(select(UserTotp).where(UserTotp.user_id == user.id))


def is_enrolled(session: Session, user: User) -> bool:
    record = totp_for(session, user)
    return record is not None and record.confirmed_at is not None


def begin_enrolment(session: Session, tenant: Tenant, user: User) -> tuple[str, str]:
    """Store a fresh unconfirmed secret and return it with its otpauth:// URI."""
    record = totp_for(session, user)
    if record is not None and record.confirmed_at is not None:
        raise Conflict("totp_already_enabled")
    secret = generate_secret()
    if record is None:
        record = UserTotp(
            tenant_id=user.tenant_id, user_id=user.id, secret_sealed=seal(secret, user.id)
        )
        session.add(record)
    else:
        record.secret_sealed = seal(secret, user.id)
        record.last_step = None
    session.flush()
    return secret, provisioning_uri(secret, f"{user.email} ({tenant.slug})")


def confirm_enrolment(
    session: Session, actor: Actor, user: User, code: str, *, now: datetime
) -> list[str]:
    """Turn TOTP on with a first valid code and return the recovery codes, shown this once."""
    record = totp_for(session, user)
    if record is None:
        raise NotFound("totp_not_started")
    if record.confirmed_at is not None:
        raise Conflict("totp_already_enabled")
    step = matching_step(unseal(record.secret_sealed, user.id), code, now, record.last_step)
    if step is None:
        raise InvalidInput("invalid_totp_code")
    record.confirmed_at = now
    record.last_step = step
    codes = replace_recovery_codes(session, user, now=now)
    record_event(session, actor, "totp.enable", object_name="user", record_id=user.id)
    return codes


def replace_recovery_codes(session: Session, user: User, *, now: datetime) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(
        RecoveryCode(
            tenant_id=user.tenant_id,
            user_id=user.id,
            code_hash=_recovery_hash(code),
            created_at=now,
        )
        for code in codes
    )
    session.flush()
    return codes


def verify_second_factor(
    session: Session, user: User, *, code: str | None, recovery_code: str | None, now: datetime
) -> str | None:
    """Check a TOTP or recovery code; return "totp" or "recovery_code", or None when it fails."""
    record = totp_for(session, user)
    if record is None or record.confirmed_at is None:
        return None
    if code:
        # Lock the row so two requests cannot both spend the same step.
        if session.get_bind().dialect.name == "postgresql":
            session.refresh(record, with_for_update=True)
        step = matching_step(unseal(record.secret_sealed, user.id), code, now, record.last_step)
        if step is None:
            return None
        record.last_step = step
        session.flush()
        return "totp"
    if recovery_code:
        stored = session.scalar(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _recovery_hash(recovery_code),
                RecoveryCode.used_at.is_(None),
            )
        )
        if stored is None:
            return None
        stored.used_at = now
        session.flush()
        return "recovery_code"
    return None


def remaining_recovery_codes(session: Session, user: User) -> int:
    return len(
        list(
            session.scalars(
                select(RecoveryCode.id).where(
                    RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
                )
            )
        )
    )


def disable(session: Session, actor: Actor, user: User) -> None:
    """Remove the user's TOTP and recovery codes (the caller checked a code or is an admin)."""
    session.execute(delete(UserTotp).where(UserTotp.user_id == user.id))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record_event(session, actor, "totp.disable", object_name="user", record_id=user.id)
