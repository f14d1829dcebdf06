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

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MIN_PASSWORD_LENGTH = 8


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
    if len(admin_password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password_too_short", minimum=MIN_PASSWORD_LENGTH)
    try:
        load_zone(timezone)
        currency = normalize_currency(currency)
    except ValueError as error:
        raise InvalidInput("invalid_tenant_setting", reason=str(error)) from error
    tenant = Tenant(
        slug=slug, name=name.strip() or slug, timezone=timezone, currency=currency, locale=locale
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
