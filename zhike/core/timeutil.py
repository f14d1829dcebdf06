"""Time helpers: every stored time is timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utc_now() -> datetime:
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """Convert an aware time to UTC; a naive time is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def load_zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name`` or raise ValueError that names it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as Asia/Shanghai"
        ) from error


def local_midnight_utc(day: date, zone: str) -> datetime:
    """Return the UTC instant at which ``day`` starts in ``zone``."""
    return datetime.combine(day, time.min, tzinfo=load_zone(zone)).astimezone(UTC)
