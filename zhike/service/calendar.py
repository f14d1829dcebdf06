"""Business time: per-tenant working hours, Chinese public holidays and adjusted working days.

SLA targets count only working time. A day is a working day when it is a
weekday that is not a public holiday, or a weekend day declared an adjusted
working day (调休). The public-holiday table ships with the package in
``data/cn_public_holidays.json`` for the years listed there. Administrators
maintain calendars of further years (or replace a shipped year) per tenant,
see ``holiday_calendars``; single extra holidays and working days also come
from the service settings. A clock that runs into a year no calendar covers
counts weekends only and logs a warning once per tenant and year.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from zhike.core.timeutil import ensure_utc, load_zone

logger = logging.getLogger(__name__)

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS = {name: [("09:00", "18:00")] for name in WEEKDAY_NAMES[:5]}
# Maximum number of days searched for working time, so that a calendar with no working
# hours at all raises instead of looping forever.
MAX_SEARCH_DAYS = 3 * 366

# (tenant label, year) pairs already warned about, so each is logged once per process.
_warned_years: set[tuple[str, int]] = set()
_warned_lock = threading.Lock()


@dataclass(frozen=True)
class HolidayTable:
    holidays: dict[date, str]
    adjusted_workdays: dict[date, str]
    years: frozenset[int]


@cache
def china_holidays() -> HolidayTable:
    """Load the shipped Chinese public holidays and adjusted working days."""
    raw = (
        resources.files("zhike.service").joinpath("data/cn_public_holidays.json").read_text("utf-8")
    )
    data = json.loads(raw)
    holidays: dict[date, str] = {}
    workdays: dict[date, str] = {}
    for year in data["years"].values():
        holidays.update({date.fromisoformat(day): name for day, name in year["holidays"].items()})
        workdays.update(
            {date.fromisoformat(day): name for day, name in year["adjusted_workdays"].items()}
        )
    return HolidayTable(holidays, workdays, frozenset(int(year) for year in data["years"]))


def _clock(value: str) -> time:
    hours, _, minutes = value.partition(":")
    if hours == "24" and minutes in ("", "00"):
        return time.max
    return time(int(hours), int(minutes or 0))


@dataclass
class BusinessCalendar:
    """Working intervals of one tenant, in its own time zone."""

    zone: ZoneInfo
    hours: dict[int, list[tuple[time, time]]]
    holidays: set[date] = field(default_factory=set)
    workdays: set[date] = field(default_factory=set)
    # Hours worked on an adjusted working weekend; by default those of Monday.
    adjusted_day_hours: list[tuple[time, time]] = field(default_factory=list)
    covered_years: frozenset[int] = frozenset()
    # Names the tenant in the warning about a year without a calendar.
    label: str = ""

    @classmethod
    def from_settings(
        cls,
        timezone: str,
        settings: dict[str, object],
        tenant_years: Mapping[int, tuple[set[date], set[date]]] | None = None,
        label: str = "",
    ) -> BusinessCalendar:
        """Build a calendar from the tenant's service settings (see ``ServiceSettings``).

        ``tenant_years`` maps a year to the tenant's (holidays, adjusted working days).
        With the Chinese calendar chosen, such a year replaces the shipped table's
        entries for that year.
        """
        zone = load_zone(str(settings.get("timezone") or timezone))
        raw_hours = settings.get("working_hours")
        hours_map = raw_hours if isinstance(raw_hours, dict) else DEFAULT_HOURS
        hours: dict[int, list[tuple[time, time]]] = {}
        for position, name in enumerate(WEEKDAY_NAMES):
            spans = hours_map.get(name) or []
            hours[position] = sorted((_clock(start), _clock(end)) for start, end in spans)
        holidays: set[date] = set()
        workdays: set[date] = set()
        covered: frozenset[int] = frozenset()
        if settings.get("holiday_calendar", "CN") == "CN":
            table = china_holidays()
            holidays |= set(table.holidays)
            workdays |= set(table.adjusted_workdays)
            covered = table.years
            for year, (year_holidays, year_workdays) in (tenant_years or {}).items():
                holidays = {day for day in holidays if day.year != year} | set(year_holidays)
                workdays = {day for day in workdays if day.year != year} | set(year_workdays)
                covered = covered | {year}
        extra_holidays = settings.get("extra_holidays") or []
        extra_workdays = settings.get("extra_workdays") or []
        assert isinstance(extra_holidays, list)
        assert isinstance(extra_workdays, list)
        holidays |= {date.fromisoformat(str(day)) for day in extra_holidays}
        workdays |= {date.fromisoformat(str(day)) for day in extra_workdays}
        workdays -= {date.fromisoformat(str(day)) for day in extra_holidays}
        holidays -= {date.fromisoformat(str(day)) for day in extra_workdays}
        adjusted = hours[0] or next((spans for spans in hours.values() if spans), [])
        return cls(zone, hours, holidays, workdays, adjusted, covered, label)

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return bool(self.hours[day.weekday()])

    def spans(self, day: date) -> list[tuple[time, time]]:
        if self.covered_years and day.year not in self.covered_years:
            self._warn_uncovered(day.year)
        if day in self.holidays:
            return []
        if day in self.workdays and not self.hours[day.weekday()]:
            return self.adjusted_day_hours
        return self.hours[day.weekday()]

    def _warn_uncovered(self, year: int) -> None:
        key = (self.label, year)
        with _warned_lock:
            if key in _warned_years:
                return
            _warned_years.add(key)
        logger.warning(
            "no holiday calendar for this year; counting weekends only until one is imported",
            extra={"tenant_id": self.label, "year": year},
        )

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """Working intervals of a local day, as UTC instants."""
        found = []
        for start, end in self.spans(day):
            opened = datetime.combine(day, start, tzinfo=self.zone)
            closed = (
                datetime.combine(day + timedelta(days=1), time.min, tzinfo=self.zone)
                if end == time.max
                else datetime.combine(day, end, tzinfo=self.zone)
            )
            if closed > opened:
                found.append((opened.astimezone(UTC), closed.astimezone(UTC)))
        return found

    def add(self, start: datetime, seconds: float) -> datetime:
        """Return the instant at which ``seconds`` of working time after ``start`` have passed."""
        start = ensure_utc(start)
        remaining = max(0.0, seconds)
        day = start.astimezone(self.zone).date()
        for _ in range(MAX_SEARCH_DAYS):
            for opened, closed in self.intervals(day):
                begin = max(opened, start)
                if begin >= closed:
                    continue
                available = (closed - begin).total_seconds()
                if remaining <= available:
                    return begin + timedelta(seconds=remaining)
                remaining -= available
            day += timedelta(days=1)
        raise ValueError("the working calendar has no working hours within three years")

    def between(self, start: datetime, end: datetime) -> float:
        """Working seconds from ``start`` to ``end`` (negative when ``end`` comes first)."""
        start, end = ensure_utc(start), ensure_utc(end)
        if end < start:
            return -self.between(end, start)
        total = 0.0
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            for opened, closed in self.intervals(day):
                begin, finish = max(opened, start), min(closed, end)
                if finish > begin:
                    total += (finish - begin).total_seconds()
            day += timedelta(days=1)
        return total


@dataclass(frozen=True)
class WallClock:
    """Elapsed time without working hours, for SLA policies that run around the clock."""

    def add(self, start: datetime, seconds: float) -> datetime:
        return ensure_utc(start) + timedelta(seconds=max(0.0, seconds))

    def between(self, start: datetime, end: datetime) -> float:
        return (ensure_utc(end) - ensure_utc(start)).total_seconds()
