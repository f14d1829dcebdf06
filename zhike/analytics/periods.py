"""Periods in the tenant's calendar: relative date ranges, fiscal years and UTC offsets.

Weeks start on Monday. A fiscal year is named after the calendar year in which
it starts: with a fiscal year starting in April, FY2024 runs from 2024-04-01 to
2025-03-31. The start month is the tenant setting ``fiscal_year_start_month``
(1 to 12, default 1: fiscal and calendar years coincide).

Supported dates run from ``EARLIEST_DAY`` to ``LATEST_DAY``. A reference day
outside them, or a relative period that would reach past them, is a 400
``InvalidInput`` rather than an overflow of Python's ``date``.
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


# Wide enough for any business record, and far enough inside Python's years 1 to 9999
# that a period counted from a supported day (up to 9999 days or a year away) still fits.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


def local_today(timezone: str, now: datetime | None = None) -> date:
    moment = now or datetime.now(UTC)
    return moment.astimezone(ZoneInfo(timezone)).date()


def check_supported_day(day: date, field: str) -> date:
    """Return ``day``, or raise 400 ``date_out_of_range`` naming ``field`` and the bounds."""
    if EARLIEST_DAY <= day <= LATEST_DAY:
        return day
    raise InvalidInput(
        "date_out_of_range",
        field=field,
        value=day.isoformat(),
        minimum=EARLIEST_DAY.isoformat(),
        maximum=LATEST_DAY.isoformat(),
    )


def reference_day(as_of: date | None, timezone: str) -> date:
    """Return the day relative periods count from: ``as_of`` once checked, else today."""
    if as_of is None:
        return local_today(timezone)
    return check_supported_day(as_of, "as_of")


def _check_period(period: str, day: date, start: date, end: date) -> tuple[date, date]:
    """Return [start, end) when it lies within the supported dates, else raise 400."""
    if start >= EARLIEST_DAY and end <= LATEST_DAY + timedelta(days=1):
        return start, end
    raise _period_out_of_range(period, day)


def _period_out_of_range(period: str, day: date) -> InvalidInput:
    return InvalidInput(
        "period_out_of_range",
        period=period,
        day=day.isoformat(),
        minimum=EARLIEST_DAY.isoformat(),
        maximum=LATEST_DAY.isoformat(),
    )


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def unit_range(unit: str, day: date, fiscal_start_month: int) -> tuple[date, date]:
    """Return the calendar unit that contains ``day``, as [start, end).

    Raises 400 ``period_out_of_range`` when the unit reaches past the supported dates.
    """
    try:
        start, end = _unit_range(unit, day, fiscal_start_month)
    except (ValueError, OverflowError) as error:
        # ``date`` raises these only for a year before 1 or after 9999.
        raise _period_out_of_range(unit, day) from error
    return _check_period(unit, day, start, end)


def _unit_range(unit: str, day: date, fiscal_start_month: int) -> tuple[date, date]:
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
    """Resolve a named relative period to local dates [start, end).

    Raises 400 ``report_unknown_period`` for a name it does not know and
    ``period_out_of_range`` when the period reaches past the supported dates.
    """
    try:
        start, end = _resolve_period(name, today, fiscal_start_month)
    except (ValueError, OverflowError) as error:
        # ``date`` raises these only for a year before 1 or after 9999.
        raise _period_out_of_range(name, today) from error
    return _check_period(name, today, start, end)


def _resolve_period(name: str, today: date, fiscal_start_month: int) -> tuple[date, date]:
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
        start, end = _unit_range(unit, today, fiscal_start_month)
        if when == "last":
            start, end = _unit_range(unit, start - timedelta(days=1), fiscal_start_month)
        elif when == "next":
            start, end = _unit_range(unit, end, fiscal_start_month)
        return start, end
    raise InvalidInput("report_unknown_period", value=name, allowed=", ".join(NAMED_PERIODS))


def previous_range(
    name: str | None, start: date, end: date, fiscal_start_month: int
) -> tuple[date, date]:
    """Return the period before [start, end): the previous calendar unit, else the same length back.

    Raises 400 ``period_out_of_range`` when that period begins before the supported dates.
    """
    unit = name.partition("_")[2] if name else ""
    label = name or f"{start.isoformat()}..{end.isoformat()}"
    try:
        if unit in PERIOD_UNITS:
            previous = _unit_range(unit, start - timedelta(days=1), fiscal_start_month)
        else:
            previous = (start - (end - start), start)
    except (ValueError, OverflowError) as error:
        raise _period_out_of_range(label, start) from error
    return _check_period(label, start, *previous)


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
