"""Tenant settings kept in ``Tenant.settings``: the fiscal year start and the working hours.

The fiscal year start month is the key that reports and targets read
(``fiscal_year_start_month``). Working hours are the service desk's
(``settings["service"]["working_hours"]``), so the SLA clock and the
administration screen edit one value.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from zhike.core.errors import ValidationFailed
from zhike.platform.normalize import field_error
from zhike.security.context import Actor
from zhike.security.models import Tenant
from zhike.security.schemas import TenantRead

FISCAL_YEAR_SETTING = "fiscal_year_start_month"
SETTING_FIELDS = (FISCAL_YEAR_SETTING, "working_hours")


def tenant_read(session: Session, tenant: Tenant) -> TenantRead:
    from zhike.service.settings import load_settings

    stored = tenant.settings or {}
    start = stored.get(FISCAL_YEAR_SETTING, 1)
    _, service = load_settings(session, tenant.id)
    return TenantRead.model_validate(
        {
            "id": tenant.id,
            "slug": tenant.slug,
            "name": tenant.name,
            "timezone": tenant.timezone,
            "currency": tenant.currency,
            "locale": tenant.locale,
            "region": tenant.region,
            "fiscal_year_start_month": start if isinstance(start, int) and 1 <= start <= 12 else 1,
            "working_hours": service.working_hours,
        }
    )


def apply_settings(session: Session, actor: Actor, tenant: Tenant, values: dict[str, Any]) -> None:
    """Store the fiscal year start and working hours of ``values``; raise ValidationFailed."""
    from zhike.service.settings import ServiceSettings, load_settings, save_settings

    stored = dict(tenant.settings or {})
    if values.get(FISCAL_YEAR_SETTING) is not None:
        stored[FISCAL_YEAR_SETTING] = values[FISCAL_YEAR_SETTING]
        tenant.settings = stored
    hours = values.get("working_hours")
    if hours is None:
        return
    _, service = load_settings(session, tenant.id)
    try:
        updated = ServiceSettings.model_validate(
            {**service.model_dump(mode="json"), "working_hours": hours}
        )
    except ValidationError as error:
        reason = error.errors()[0]["msg"]
        raise ValidationFailed(
            [
                field_error(
                    actor, "working_hours", str(hours)[:200], "invalid_working_hours", reason=reason
                )
            ]
        ) from None
    save_settings(session, tenant, updated)
