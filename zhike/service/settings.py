"""Per-tenant service settings: working hours, holidays, routing keywords and bot thresholds.

Stored under ``Tenant.settings["service"]``; absent keys take the defaults below.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.errors import NotFound
from zhike.core.timeutil import load_zone
from zhike.security.models import Tenant
from zhike.service.calendar import DEFAULT_HOURS, WEEKDAY_NAMES, BusinessCalendar
from zhike.service.models import HolidayCalendarYear

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]

# Categories a new tenant starts with; each tenant replaces them with its own.
DEFAULT_KEYWORD_RULES: list[dict[str, Any]] = [
    {"category": "账户与登录", "keywords": ["登录", "密码", "账号", "账户", "验证码", "注册"]},
    {"category": "账单与支付", "keywords": ["发票", "账单", "扣款", "付款", "支付", "收费"]},
    {"category": "退款与售后", "keywords": ["退款", "退货", "换货", "售后", "维修", "保修"]},
    {"category": "物流配送", "keywords": ["物流", "快递", "发货", "配送", "到货", "签收"]},
    {"category": "故障报修", "keywords": ["故障", "报错", "打不开", "崩溃", "无法", "失败"]},
]


# The reasons below reach people through the translated catalogs, which read a weekday
# by its name in their language from these parameters.
_DAY_NAMES = {
    "mon": ("周一", "Monday"),
    "tue": ("周二", "Tuesday"),
    "wed": ("周三", "Wednesday"),
    "thu": ("周四", "Thursday"),
    "fri": ("周五", "Friday"),
    "sat": ("周六", "Saturday"),
    "sun": ("周日", "Sunday"),
}


def _day_names(day: str) -> dict[str, str]:
    chinese, english = _DAY_NAMES.get(day, (day, day))
    return {"day": day, "day@zh-CN": chinese, "day@en": english}


class KeywordRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    keywords: list[Keyword] = Field(min_length=1, max_length=200)


class ServiceSettings(BaseModel):
    """What an administrator sets for the service desk of a tenant."""

    model_config = ConfigDict(extra="forbid")

    timezone: str | None = Field(default=None, description="IANA zone; the tenant's by default")
    working_hours: dict[str, list[tuple[str, str]]] = Field(
        default_factory=lambda: {name: list(spans) for name, spans in DEFAULT_HOURS.items()},
        description="weekday (mon..sun) to [start, end] local times, e.g. ['09:00', '18:00']",
    )
    holiday_calendar: Literal["CN", "none"] = "CN"
    extra_holidays: list[date] = Field(default_factory=list, max_length=400)
    extra_workdays: list[date] = Field(default_factory=list, max_length=400)
    keyword_rules: list[KeywordRule] = Field(
        default_factory=lambda: [KeywordRule.model_validate(rule) for rule in DEFAULT_KEYWORD_RULES]
    )
    auto_assign: bool = True
    survey_days: int = Field(default=7, ge=1, le=90, description="days a CSAT link stays valid")
    bot_answer_threshold: float = Field(default=0.35, ge=0.0, le=1.0)
    bot_clarify_margin: float = Field(default=0.1, ge=0.0, le=1.0)
    bot_low_confidence_handoffs: int = Field(default=2, ge=1, le=10)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            load_zone(value)
        return value

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
        for name, spans in value.items():
            if name not in WEEKDAY_NAMES:
                raise ValueError(f"unknown weekday {name!r}; use {', '.join(WEEKDAY_NAMES)}")
            for start, end in spans:
                if not _CLOCK.match(start) or not _CLOCK.match(end) or start >= end:
                    raise PydanticCustomError(
                        "working_hours_span",
                        "working hours {start}-{end} on {day} are invalid; "
                        "use HH:MM with the start before the end",
                        {"start": start, "end": end, **_day_names(name)},
                    )
            ordered = sorted(spans)
            for first, second in pairwise(ordered):
                # Overlapping spans would count the shared time twice on the SLA clock.
                if second[0] < first[1]:
                    raise PydanticCustomError(
                        "working_hours_overlap",
                        "working hours {first} and {second} on {day} overlap; "
                        "join them or move one",
                        {
                            "first": "-".join(first),
                            "second": "-".join(second),
                            **_day_names(name),
                        },
                    )
        if not any(value.values()):
            # Without one working minute a week, no due time can ever be computed.
            raise PydanticCustomError(
                "working_hours_empty",
                "working hours are empty; give at least one day a span such as 09:00-18:00",
            )
        return value


def load_settings(session: Session, tenant_id: uuid.UUID) -> tuple[Tenant, ServiceSettings]:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("tenant_not_found", slug=str(tenant_id))
    raw = (tenant.settings or {}).get("service") or {}
    return tenant, ServiceSettings.model_validate(raw)


def tenant_calendar(session: Session, tenant_id: uuid.UUID) -> BusinessCalendar:
    """The tenant's working calendar, with the holiday years its administrators maintain."""
    tenant, settings = load_settings(session, tenant_id)
    years: dict[int, tuple[set[date], set[date]]] = {}
    for row in session.scalars(
        select(HolidayCalendarYear).where(HolidayCalendarYear.tenant_id == tenant_id)
    ):
        years[row.year] = (
            {date.fromisoformat(day) for day in row.holidays},
            {date.fromisoformat(day) for day in row.adjusted_workdays},
        )
    return BusinessCalendar.from_settings(
        tenant.timezone, settings.model_dump(mode="json"), years, label=str(tenant_id)
    )


def save_settings(session: Session, tenant: Tenant, settings: ServiceSettings) -> None:
    stored = dict(tenant.settings or {})
    stored["service"] = settings.model_dump(mode="json")
    tenant.settings = stored
    session.flush()
