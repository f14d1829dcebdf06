"""A tenant's security policy, kept in ``Tenant.settings["security"]``.

Every value has a default, so a tenant that never touched its policy gets the
process settings; an administrator tightens them through ``PUT /api/v1/auth/policy``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from annotated_types import Ge, Le
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from sqlalchemy.orm import Session

from zhike.audit.service import AuditAction, diff_values, record_event
from zhike.core.errors import Conflict, ValidationFailed
from zhike.core.i18n import load_catalog, translate, validation_reason
from zhike.core.settings import get_settings
from zhike.security.context import Actor
from zhike.security.models import Tenant

SETTINGS_KEY = "security"
# A per-minute limit above this is taken as a typing error. A limit of 0 turns it off.
MAX_REQUESTS_PER_MINUTE = 1_000_000
EVERYONE = "*"


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

    tenant: int | None = Field(default=None, ge=0, le=MAX_REQUESTS_PER_MINUTE)
    user: int | None = Field(default=None, ge=0, le=MAX_REQUESTS_PER_MINUTE)
    api_key: int | None = Field(default=None, ge=0, le=MAX_REQUESTS_PER_MINUTE)
    ip: int | None = Field(default=None, ge=0, le=MAX_REQUESTS_PER_MINUTE)


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
        networks = []
        for item in value:
            try:
                networks.append(str(ipaddress.ip_network(item.strip(), strict=False)))
            except ValueError:
                # A custom type and context let the error name the entry that failed.
                raise PydanticCustomError(
                    "invalid_network", "{entry} is not an IP address or CIDR", {"entry": item}
                ) from None
        return networks

    def requires_2fa(self, role: str) -> bool:
        return EVERYONE in self.require_2fa_roles or role in self.require_2fa_roles

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


class RateLimitDefaults(BaseModel):
    tenant: int
    user: int
    api_key: int
    ip: int


class PolicyDefaults(BaseModel):
    """The process settings that apply where a policy value is empty (None)."""

    session_idle_minutes: int
    session_absolute_hours: int
    rate_limits: RateLimitDefaults


def policy_defaults() -> PolicyDefaults:
    settings = get_settings()
    return PolicyDefaults(
        session_idle_minutes=settings.session_idle_minutes,
        session_absolute_hours=settings.session_hours,
        rate_limits=RateLimitDefaults(
            tenant=settings.rate_limit_tenant_per_minute,
            user=settings.rate_limit_user_per_minute,
            api_key=settings.rate_limit_key_per_minute,
            ip=settings.rate_limit_ip_per_minute,
        ),
    )


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
    """Validate and store a policy, rejecting one that shuts out the administrator's own address.

    Every invalid field is reported at once, with a message in the actor's
    language that names the field and the values it accepts.
    """
    from zhike.security.ipallow import ip_allowed

    try:
        policy = SecurityPolicy.model_validate(values)
    except ValidationError as error:
        raise ValidationFailed(
            [_pydantic_problem(item, actor.locale) for item in error.errors()]
        ) from error
    problems = _consistency_problems(session, actor, policy)
    if problems:
        raise ValidationFailed(problems)
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


def _consistency_problems(
    session: Session, actor: Actor, policy: SecurityPolicy
) -> list[dict[str, Any]]:
    """Check what a single field cannot: the lock ceiling and the roles of the tenant."""
    from zhike.security.admin import known_roles

    problems = []
    if policy.lockout.max_seconds < policy.lockout.base_seconds:
        problems.append(
            _problem(
                "lockout.max_seconds",
                policy.lockout.max_seconds,
                "lockout_max_below_base",
                actor.locale,
                base=policy.lockout.base_seconds,
            )
        )
    roles = known_roles(session, actor)
    for index, role in enumerate(policy.require_2fa_roles):
        if role != EVERYONE and role not in roles:
            problems.append(
                _problem(
                    f"require_2fa_roles.{index}",
                    role,
                    "policy_unknown_role",
                    actor.locale,
                    known=", ".join([EVERYONE, *roles]),
                )
            )
    return problems


def _problem(field: str, value: Any, code: str, locale: str, **params: Any) -> dict[str, Any]:
    display_value = (
        value if value is None or isinstance(value, int | float | bool) else str(value)[:200]
    )
    message = translate(
        f"error.{code}", locale, field=_field_label(field, locale), value=display_value, **params
    )
    return {"field": field, "value": display_value, "code": code, "message": message}


def _pydantic_problem(item: Any, locale: str) -> dict[str, Any]:
    location = [str(part) for part in item["loc"]]
    field = ".".join(location)
    value = item.get("input")
    if item["type"] == "invalid_network":
        return _problem(field, item["ctx"]["entry"], "policy_invalid_network", locale)
    bounds = _bounds(_field_info(item["loc"]))
    if bounds is not None and item["type"] not in ("extra_forbidden", "missing"):
        return _problem(
            field, value, "policy_out_of_range", locale, minimum=bounds[0], maximum=bounds[1]
        )
    problem = _problem(field, value, item["type"], locale)
    problem["message"] = translate(
        "error.invalid_field",
        locale,
        field=_field_label(field, locale),
        reason=validation_reason(item, locale),
    )
    return problem


def _field_label(field: str, locale: str) -> str:
    """Name a policy field as the policy screen does; list positions keep the list's label."""
    path = ".".join(part for part in field.split(".") if not part.isdigit())
    return load_catalog(locale).get(f"field_label.security_policy.{path}") or field


def _field_info(location: Sequence[int | str]) -> FieldInfo | None:
    model: type[BaseModel] | None = SecurityPolicy
    info: FieldInfo | None = None
    for part in location:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return None
        info = model.model_fields[part]
        annotation = info.annotation
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    return info


def _bounds(info: FieldInfo | None) -> tuple[int, int] | None:
    """Return the inclusive (minimum, maximum) of a bounded whole-number field."""
    if info is None:
        return None
    minimum = next((rule.ge for rule in info.metadata if isinstance(rule, Ge)), None)
    maximum = next((rule.le for rule in info.metadata if isinstance(rule, Le)), None)
    if not isinstance(minimum, int) or not isinstance(maximum, int):
        return None
    return minimum, maximum
