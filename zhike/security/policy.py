"""A tenant's security policy, kept in ``Tenant.settings["security"]``.

Every value has a default, so a tenant that never touched its policy gets the
process settings; an administrator tightens them through ``PUT /api/v1/auth/policy``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from zhike.audit.service import AuditAction, diff_values, record_event
from zhike.core.errors import Conflict, ValidationFailed
from zhike.core.i18n import translate
from zhike.core.settings import get_settings
from zhike.security.context import Actor
from zhike.security.models import Tenant

SETTINGS_KEY = "security"


class PasswordRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_length: int = Field(default=8, ge=8, le=128)
    min_character_classes: int = Field(
        default=1, ge=1, le=4, description="of lower case, upper case, digits and other characters"
    )
    history: int = Field(
        default=5, ge=0, le=24, description="earlier passwords that may not return"
    )


class LockoutRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: int = Field(default=5, ge=1, le=100, description="failures before a lock")
    base_seconds: int = Field(default=60, ge=1, le=86_400, description="the first lock")
    max_seconds: int = Field(default=86_400, ge=1, le=604_800, description="the longest lock")


class RateLimits(BaseModel):
    """Requests per minute; None keeps the process setting, 0 turns a limit off."""

    model_config = ConfigDict(extra="forbid")

    tenant: int | None = Field(default=None, ge=0)
    user: int | None = Field(default=None, ge=0)
    api_key: int | None = Field(default=None, ge=0)
    ip: int | None = Field(default=None, ge=0)


class SecurityPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: PasswordRules = Field(default_factory=PasswordRules)
    lockout: LockoutRules = Field(default_factory=LockoutRules)
    require_2fa_roles: list[str] = Field(
        default_factory=list, description='roles that must use TOTP; "*" means everyone'
    )
    session_idle_minutes: int | None = Field(default=None, ge=1, le=43_200)
    session_absolute_hours: int | None = Field(default=None, ge=1, le=8_760)
    ip_allowlist_users: list[str] = Field(
        default_factory=list, description="CIDRs people may log in from; empty allows all"
    )
    ip_allowlist_api: list[str] = Field(
        default_factory=list, description="CIDRs API keys and OAuth clients may call from"
    )
    rate_limits: RateLimits = Field(default_factory=RateLimits)

    @field_validator("ip_allowlist_users", "ip_allowlist_api")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        return [str(ipaddress.ip_network(item.strip(), strict=False)) for item in value]

    def requires_2fa(self, role: str) -> bool:
        return "*" in self.require_2fa_roles or role in self.require_2fa_roles

    def idle_minutes(self) -> int:
        return self.session_idle_minutes or get_settings().session_idle_minutes

    def absolute_hours(self) -> int:
        return self.session_absolute_hours or get_settings().session_hours

    def rate_limit(self, name: str) -> int:
        configured: int | None = getattr(self.rate_limits, name)
        if configured is not None:
            return configured
        settings = get_settings()
        defaults = {
            "tenant": settings.rate_limit_tenant_per_minute,
            "user": settings.rate_limit_user_per_minute,
            "api_key": settings.rate_limit_key_per_minute,
            "ip": settings.rate_limit_ip_per_minute,
        }
        return defaults[name]


def policy_for(tenant: Tenant) -> SecurityPolicy:
    """Return the tenant's policy; a stored one that no longer validates gives the defaults."""
    stored = (tenant.settings or {}).get(SETTINGS_KEY) or {}
    try:
        return SecurityPolicy.model_validate(stored)
    except ValidationError:
        return SecurityPolicy()


def update_policy(
    session: Session, actor: Actor, tenant: Tenant, values: dict[str, Any], client_ip: str | None
) -> SecurityPolicy:
    """Validate and store a policy; refuse one that shuts out the administrator's own address."""
    from zhike.security.ipallow import ip_allowed

    try:
        policy = SecurityPolicy.model_validate(values)
    except ValidationError as error:
        raise ValidationFailed(
            [
                {
                    "field": ".".join(str(part) for part in item["loc"]),
                    "value": None,
                    "code": item["type"],
                    "message": translate(
                        "error.invalid_field",
                        actor.locale,
                        field=".".join(str(part) for part in item["loc"]),
                        reason=item["msg"],
                    ),
                }
                for item in error.errors()
            ]
        ) from error
    if client_ip is not None and not ip_allowed(client_ip, policy.ip_allowlist_users):
        raise Conflict("ip_allowlist_excludes_you", ip=client_ip)
    before = policy_for(tenant).model_dump(mode="json")
    after = policy.model_dump(mode="json")
    tenant.settings = {**(tenant.settings or {}), SETTINGS_KEY: after}
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.CONFIG_CHANGE,
        object_name="tenant",
        record_id=tenant.id,
        changes=diff_values({"security": before}, {"security": after}),
    )
    return policy
