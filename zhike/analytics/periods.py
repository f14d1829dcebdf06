"""Periods in the tenant's calendar: relative date ranges, fiscal years and UTC offsets.

Weeks start on Monday. A fiscal year is named after the calendar year in which
it starts: with a fiscal year starting in April, FY2024 runs from 2024-04-01 to
2025-03-31. The start month is the tenant setting ``fiscal_year_start_month``
(1 to 12, default 1: fiscal and calendar years coincide).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from zhike.core.errors import InvalidInput

PERIOD_UNITS = ("week", "month", "quarter", "year", "fiscal_year")
_ROLLING = re.compile(r"^(last|next)_(\d{1,4})_days$")
NAMED_PERIODS = (
    "today",
    "yesterday",
    "tomorrow",
    *(f"{when}_{unit}" for unit in PERIOD_UNITS for when in ("this", "last", "next")),
    "last_N_days",
    "next_N_days",
)


def local_today(timezone: str, now: datetime | None = None) -> date:
    moment = now or datetime.now(UTC)
    return moment.astimezone(ZoneInfo(timezone)).date()


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def unit_range(unit: str, day: date, fiscal_start_month: int) -> tuple[date, date]:
    """The calendar unit that contains ``day``, as [start, end)."""
    if unit == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if unit == "month":
        start = day.replace(day=1)
        return start, _add_months(start, 1)
    if unit == "quarter":
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return start, _add_months(start, 3)
    if unit == "year":
        return date(day.year, 1, 1), date(day.year + 1, 1, 1)
    year = day.year if day.month >= fiscal_start_month else day.year - 1
    start = date(year, fiscal_start_month, 1)
    return start, _add_months(start, 12)


def resolve_period(name: str, today: date, fiscal_start_month: int) -> tuple[date, date]:
    """Resolve a named relative period to local dates [start, end)."""
    if name == "today":
        return today, today + timedelta(days=1)
    if name == "yesterday":
        return today - timedelta(days=1), today
    if name == "tomorrow":
        return today + timedelta(days=1), today + timedelta(days=2)
    rolling = _ROLLING.match(name)
    if rolling:
        days = int(rolling.group(2))
        if days < 1:
            raise InvalidInput(
                "report_unknown_period", value=name, allowed=", ".join(NAMED_PERIODS)
            )
        # Today counts as one of the N days, looking back or ahead.
        if rolling.group(1) == "next":
            return today, today + timedelta(days=days)
        return today - timedelta(days=days - 1), today + timedelta(days=1)
    when, _, unit = name.partition("_")
    if when in ("this", "last", "next") and unit in PERIOD_UNITS:
        start, end = unit_range(unit, today, fiscal_start_month)
        if when == "last":
            start, end = unit_range(unit, start - timedelta(days=1), fiscal_start_month)
        elif when == "next":
            start, end = unit_range(unit, end, fiscal_start_month)
        return start, end
    raise InvalidInput("report_unknown_period", value=name, allowed=", ".join(NAMED_PERIODS))


def previous_range(
    name: str | None, start: date, end: date, fiscal_start_month: int
) -> tuple[date, date]:
    """The period before [start, end): the previous calendar unit, else the same length back."""
    unit = name.partition("_")[2] if name else ""
    if unit in PERIOD_UNITS:
        return unit_range(unit, start - timedelta(days=1), fiscal_start_month)
    length = end - start
    return start - length, start


def local_midnight_utc(day: date, timezone: str) -> datetime:
    """The UTC instant at which ``day`` begins in ``timezone``."""
    return datetime.combine(day, time(0), ZoneInfo(timezone)).astimezone(UTC)


_FIRST_YEAR = 1970
_LAST_YEAR = 2037


@lru_cache(maxsize=64)
def utc_offset_segments(timezone: str) -> tuple[tuple[datetime, int], ...]:
    """The zone's UTC offsets in minutes, each with the UTC instant it starts at.

    SQLite knows no time zones, so local times are computed there as UTC plus the
    offset of the segment a value falls in. Offsets are those of 1970 to 2037;
    later values use the last one.
    """
    zone = ZoneInfo(timezone)

    def offset(moment: datetime) -> int:
        delta = moment.astimezone(zone).utcoffset()
        return int(delta.total_seconds() // 60) if delta is not None else 0

    moment = datetime(_FIRST_YEAR, 1, 1, tzinfo=UTC)
    current = offset(moment)
    segments = [(moment, current)]
    step = timedelta(days=1)
    last = datetime(_LAST_YEAR, 12, 31, tzinfo=UTC)
    while moment < last:
        following = moment + step
        changed = offset(following)
        if changed != current:
            low, high = moment, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if offset(middle) == current:
                    low = middle
                else:
                    high = middle
            segments.append((high.replace(second=0, microsecond=0), changed))
            current = changed
        moment = following
    return tuple(segments)
