"""Creating tenants and their first administrator."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.errors import Conflict, InvalidInput
from zhike.core.money import normalize_currency
from zhike.core.timeutil import load_zone
from zhike.ingestion.standardize import StandardizationError, normalize_email
from zhike.sales.stages import seed_default_stages
from zhike.security.auth import hash_password
from zhike.security.models import Tenant, User
from zhike.security.passwords import check_password_rules
from zhike.security.policy import PasswordRules

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MIN_PASSWORD_LENGTH = 8
# The first administrator holds every right in the tenant, so their password
# must be stronger than the tenant's default rules ask of everyone else.
ADMIN_PASSWORD_RULES = PasswordRules(min_length=10, min_character_classes=3, history=0)
# Words at the top of every leaked-password list; a password built around one
# of them, even with digits or look-alike symbols, falls to the first guesses.
COMMON_WORDS = ("password", "qwerty", "asdf", "iloveyou", "letmein", "welcome")
# These are weak only on their own (plus digits), as in "Admin@2026".
COMMON_ALONE = frozenset({"admin", "administrator", "zhike", "root", "test", "abc"})
_LOOK_ALIKES = str.maketrans({"@": "a", "0": "o", "1": "l", "3": "e", "$": "s", "5": "s"})


def check_admin_password(password: str, email: str) -> None:
    check_password_rules(password, ADMIN_PASSWORD_RULES)
    lowered = password.lower()
    letters = re.sub(r"[^a-z]", "", lowered.translate(_LOOK_ALIKES))
    local_part = email.split("@")[0].lower()
    guessable = (
        (len(local_part) >= 3 and local_part in lowered)
        or any(word in letters for word in COMMON_WORDS)
        or re.sub(r"[^a-z]", "", lowered) in COMMON_ALONE
    )
    if guessable:
        raise InvalidInput("password_guessable")


def create_tenant(
    session: Session,
    slug: str,
    name: str,
    admin_email: str,
    admin_password: str,
    *,
    timezone: str = "Asia/Shanghai",
    currency: str = "CNY",
    locale: str = "zh-CN",
    admin_name: str | None = None,
) -> tuple[Tenant, User]:
    if not SLUG_PATTERN.match(slug):
        raise InvalidInput("invalid_slug", value=slug)
    if session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise Conflict("tenant_exists", slug=slug)
    try:
        email = normalize_email(admin_email)
    except StandardizationError as error:
        raise InvalidInput("invalid_admin_email", value=admin_email) from error
    if not name.strip():
        raise InvalidInput("tenant_name_required")
    check_admin_password(admin_password, email)
    try:
        load_zone(timezone)
        currency = normalize_currency(currency)
    except ValueError as error:
        raise InvalidInput("invalid_tenant_setting", reason=str(error)) from error
    tenant = Tenant(
        slug=slug, name=name.strip(), timezone=timezone, currency=currency, locale=locale
    )
    session.add(tenant)
    session.flush()
    admin = User(
        tenant_id=tenant.id,
        email=email,
        display_name=admin_name or email.split("@")[0],
        password_hash=hash_password(admin_password),
        role="administrator",
    )
    session.add(admin)
    seed_default_stages(session, tenant.id)
    session.flush()
    return tenant, admin


def get_tenant_by_slug(session: Session, slug: str) -> Tenant:
    from zhike.core.errors import NotFound

    tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise NotFound("tenant_not_found", slug=slug)
    return tenant
