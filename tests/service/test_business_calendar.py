"""Business time across weekends, Chinese public holidays, adjusted working days and time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from zhike.service.calendar import BusinessCalendar, china_holidays

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600


def shanghai(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc]


def calendar(**settings: object) -> BusinessCalendar:
    return BusinessCalendar.from_settings("Asia/Shanghai", settings)


def test_weekend_is_skipped() -> None:
    # Friday 2026-03-06 17:00: one hour left that day, the next after the weekend.
    due = calendar().add(shanghai(2026, 3, 6, 17, 0), 2 * HOUR)
    assert due == shanghai(2026, 3, 9, 10, 0)


def test_adjusted_working_sunday_counts() -> None:
    # 2025-09-28 is a Sunday worked in exchange for the National Day holiday.
    due = calendar().add(shanghai(2025, 9, 26, 17, 0), 2 * HOUR)
    assert due == shanghai(2025, 9, 28, 10, 0)


def test_national_day_holiday_is_skipped() -> None:
    due = calendar().add(shanghai(2025, 9, 30, 17, 0), 2 * HOUR)
    assert due == shanghai(2025, 10, 9, 10, 0)


def test_adjusted_saturday_after_holiday() -> None:
    # Friday 2025-10-10 ends, Saturday 2025-10-11 is an adjusted working day.
    due = calendar().add(shanghai(2025, 10, 10, 17, 30), 1 * HOUR)
    assert due == shanghai(2025, 10, 11, 9, 30)


def test_spring_festival_2026() -> None:
    cal = calendar()
    # Saturday 2026-02-14 is worked; 2026-02-15 to 2026-02-23 are holidays.
    assert cal.is_working_day(shanghai(2026, 2, 14).date())
    assert not cal.is_working_day(shanghai(2026, 2, 16).date())
    due = cal.add(shanghai(2026, 2, 14, 17, 0), 2 * HOUR)
    assert due == shanghai(2026, 2, 24, 10, 0)


def test_between_counts_only_working_time() -> None:
    worked = calendar().between(shanghai(2025, 9, 30, 9, 0), shanghai(2025, 10, 9, 18, 0))
    assert worked == 18 * HOUR


def test_between_is_negative_backwards() -> None:
    cal = calendar()
    start, end = shanghai(2026, 3, 9, 9, 0), shanghai(2026, 3, 9, 12, 0)
    assert cal.between(end, start) == -3 * HOUR


def test_start_before_opening_waits_for_it() -> None:
    due = calendar().add(shanghai(2026, 3, 9, 7, 0), 30 * 60)
    assert due == shanghai(2026, 3, 9, 9, 30)


def test_utc_input_uses_tenant_zone() -> None:
    # 01:00 UTC is 09:00 in Shanghai.
    due = calendar().add(datetime(2026, 3, 9, 1, 0, tzinfo=UTC), HOUR)
    assert due == datetime(2026, 3, 9, 2, 0, tzinfo=UTC)


def test_other_time_zone_across_daylight_saving() -> None:
    cal = BusinessCalendar.from_settings("Europe/Berlin", {"holiday_calendar": "none"})
    # Friday 2026-03-27 17:00 CET; Berlin moves to CEST on Sunday 2026-03-29.
    due = cal.add(datetime(2026, 3, 27, 17, 0, tzinfo=BERLIN), 2 * HOUR)
    assert due == datetime(2026, 3, 30, 10, 0, tzinfo=BERLIN)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_tenant_holiday_and_workday() -> None:
    cal = calendar(extra_holidays=["2027-01-01"], extra_workdays=["2027-01-02"])
    assert not cal.is_working_day(shanghai(2027, 1, 1).date())
    assert cal.is_working_day(shanghai(2027, 1, 2).date())
    due = cal.add(shanghai(2026, 12, 31, 17, 0), 2 * HOUR)
    assert due == shanghai(2027, 1, 2, 10, 0)


def test_split_working_hours() -> None:
    hours = {name: [("09:00", "12:00"), ("13:30", "18:00")] for name in ("mon", "tue")}
    due = calendar(working_hours=hours).add(shanghai(2026, 3, 9, 11, 30), HOUR)
    assert due == shanghai(2026, 3, 9, 14, 0)


def test_around_the_clock_hours() -> None:
    hours = {
        name: [("00:00", "24:00")] for name in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    cal = calendar(working_hours=hours, holiday_calendar="none")
    start = shanghai(2026, 3, 7, 22, 0)
    assert cal.add(start, 5 * HOUR) == start + timedelta(hours=5)


def test_shipped_table_covers_2024_to_2026() -> None:
    table = china_holidays()
    assert table.years == frozenset({2024, 2025, 2026})
    assert table.holidays[shanghai(2024, 10, 1).date()] == "National Day"
    assert shanghai(2024, 9, 29).date() in table.adjusted_workdays


def test_calendar_without_hours_is_rejected() -> None:
    cal = calendar(working_hours={}, holiday_calendar="none")
    with pytest.raises(ValueError, match="no working hours"):
        cal.add(shanghai(2026, 3, 9, 9, 0), HOUR)
