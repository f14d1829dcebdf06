"""Helpers for the browser tests: users with roles, TOTP enrolment and logging in through the UI."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.platform.objects import get_object
from zhike.platform.records import RecordService
from zhike.security import totp
from zhike.security.admin import create_user
from zhike.security.models import Tenant, User
from zhike.security.schemas import UserCreate

if TYPE_CHECKING:
    from testkit import TenantInfo

USER_PASSWORD = "Browser-pass-2026"


def add_user(
    database: Database, tenant: TenantInfo, name: str, role: str, display_name: str | None = None
) -> User:
    """Create a user whose e-mail starts with ``name``, shown as ``display_name`` or ``name``."""
    email = f"{name}@{tenant.slug}.example.com"
    shown = display_name or name
    with database.session() as session:
        user = create_user(
            session,
            tenant.actor,
            UserCreate(email=email, display_name=shown, password=USER_PASSWORD, role=role),
        )
        session.expunge(user)
    return user


def enable_totp(database: Database, tenant: TenantInfo, user: User) -> str:
    """Enrol ``user`` in TOTP with a code from ten minutes ago, so any current code is unused."""
    earlier = utc_now() - timedelta(minutes=10)
    with database.session() as session:
        row = session.get(User, user.id)
        tenant_row = session.get(Tenant, tenant.tenant.id)
        assert row is not None
        assert tenant_row is not None
        secret, _uri = totp.begin_enrolment(session, tenant_row, row)
        totp.confirm_enrolment(
            session, tenant.actor, row, totp.totp_code(secret, earlier), now=earlier
        )
    return secret


def log_in(
    page: Any, tenant: str, email: str, password: str, totp_secret: str | None = None
) -> None:
    """Fill the login form (and the TOTP step when ``totp_secret`` is given) on the current page."""
    page.get_by_label("企业代码").fill(tenant)
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_test_id("login-submit").click()
    if totp_secret is not None:
        code_field = page.get_by_label("验证器中的 6 位验证码")
        code_field.fill(totp.totp_code(totp_secret, utc_now()))
        page.get_by_test_id("totp-submit").click()


def create_record(
    database: Database, tenant: TenantInfo, object_name: str, **values: object
) -> dict[str, Any]:
    """Create a record as the tenant's administrator, through the record service."""
    with database.session() as session:
        spec = get_object(object_name)
        service = RecordService(session, tenant.actor, spec)
        record = service.create(spec.create_schema.model_validate(values))
        return {"id": str(record.id), "version": record.version}


def update_record(
    database: Database, tenant: TenantInfo, object_name: str, record_id: str, **values: object
) -> None:
    with database.session() as session:
        spec = get_object(object_name)
        service = RecordService(session, tenant.actor, spec)
        service.update(uuid.UUID(record_id), spec.update_schema.model_validate(values), None)


def choose_option(page: Any, select: Any, option: str) -> None:
    """Pick ``option`` in an Element Plus select; its options open in a popper outside the form."""
    # The placeholder layer covers the input and takes the click, which opens the list too.
    # A click that lands while the previous list is still closing is swallowed, so try again.
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    target = page.get_by_role("option", name=option, exact=True).locator("visible=true")
    # On a loaded machine the list can take seconds to open, so each try waits longer.
    for wait in (3_000, 5_000, 8_000, 12_000):
        select.click(force=True)
        try:
            target.wait_for(state="visible", timeout=wait)
            break
        except PlaywrightTimeoutError:
            continue
    target.click()
