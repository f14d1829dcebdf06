"""Holiday calendars that administrators maintain, one year at a time.

The official schedule of a year is published by the State Council late in the
year before, so the package cannot ship every year. A tenant imports a year
(CSV ``date,kind,name`` or JSON in the shipped table's shape), edits it on the
service settings screen, and exports it again. A stored year replaces the
shipped one for that tenant. Files are validated completely before anything is
stored, and every problem is reported with the line and the value.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.errors import InvalidInput, NotFound, ValidationFailed
from zhike.core.i18n import translate
from zhike.core.timeutil import utc_now
from zhike.platform.normalize import field_error
from zhike.security.access import require
from zhike.security.admin import require_administrator
from zhike.security.context import Actor
from zhike.service.calendar import china_holidays
from zhike.service.models import HolidayCalendarYear, Ticket
from zhike.service.settings import load_settings

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_NAME_LENGTH = 100
MAX_FILE_BYTES = 200_000
CSV_COLUMNS = ("date", "kind", "name")
# The place of a CSV problem ("line 5"): kept as the error's ``field``, translated in its message.
_CSV_LINE = re.compile(r"line (\d+)")
DayKind = Literal["holiday", "workday"]


class CalendarDay(BaseModel):
    date: date
    kind: DayKind = Field(description="holiday (day off) or workday (adjusted working weekend day)")
    name: str = Field(default="", max_length=MAX_NAME_LENGTH)


class CalendarYearBody(BaseModel):
    days: list[CalendarDay] = Field(max_length=366)


class CalendarYearRead(BaseModel):
    year: int
    source: Literal["company", "shipped", "none"] = Field(
        description="company: maintained here; shipped: the package's official table; none: missing"
    )
    days: list[CalendarDay]
    version: int | None = None
    updated_at: datetime | None = None


class CalendarYearSummary(BaseModel):
    year: int
    source: Literal["company", "shipped"]
    holidays: int
    workdays: int


class CalendarOverview(BaseModel):
    uses_chinese_calendar: bool
    years: list[CalendarYearSummary]
    missing_years: list[int] = Field(
        description="years SLA clocks reach (this year, next year, open tickets' due dates) "
        "with no calendar; working time there counts weekends only"
    )


@dataclass
class ParsedYear:
    year: int
    holidays: dict[date, str]
    workdays: dict[date, str]

    def days(self) -> list[CalendarDay]:
        found = [
            CalendarDay(date=day, kind="holiday", name=name) for day, name in self.holidays.items()
        ]
        found += [
            CalendarDay(date=day, kind="workday", name=name) for day, name in self.workdays.items()
        ]
        return sorted(found, key=lambda item: item.date)


def _check_year(actor: Actor, year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed([field_error(actor, "year", year, "holiday_year_invalid")])


def validate_days(actor: Actor, year: int, rows: Sequence[tuple[str, str, str, str]]) -> ParsedYear:
    """Check (place, date text, kind, name) rows of one year; raise with every problem found."""
    _check_year(actor, year)
    errors: list[dict[str, Any]] = []
    holidays: dict[date, str] = {}
    workdays: dict[date, str] = {}
    seen: set[date] = set()
    for place, text, kind, name in rows:
        line = _CSV_LINE.fullmatch(place)
        line_label = (
            translate("service.holiday_file_line", actor.locale, number=line[1]) if line else None
        )
        problem = partial(field_error, actor, place, field_shown=line_label)
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            errors.append(problem(text, "holiday_date_invalid"))
            continue
        if day.year != year:
            errors.append(problem(text, "holiday_date_outside_year", year=year))
            continue
        if kind not in ("holiday", "workday"):
            errors.append(problem(kind, "holiday_kind_invalid"))
            continue
        if day in seen:
            errors.append(problem(text, "holiday_date_twice"))
            continue
        if kind == "workday" and day.weekday() < 5:
            errors.append(problem(text, "holiday_workday_not_weekend"))
            continue
        if len(name) > MAX_NAME_LENGTH:
            errors.append(problem(text, "holiday_name_too_long", max=MAX_NAME_LENGTH))
            continue
        seen.add(day)
        (holidays if kind == "holiday" else workdays)[day] = name.strip()
    if errors:
        raise ValidationFailed(errors)
    if not seen:
        raise InvalidInput("holiday_file_empty")
    return ParsedYear(year, dict(sorted(holidays.items())), dict(sorted(workdays.items())))


def parse_csv(actor: Actor, year: int, content: str) -> ParsedYear:
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    header = [column.strip().lower() for column in reader.fieldnames or []]
    for column in CSV_COLUMNS[:2]:
        if column not in header:
            raise InvalidInput("holiday_columns_missing", column=column)
    reader.fieldnames = header
    rows = []
    try:
        for number, row in enumerate(reader, start=2):
            rows.append(
                (
                    f"line {number}",
                    str(row.get("date") or ""),
                    str(row.get("kind") or "").strip().lower(),
                    str(row.get("name") or ""),
                )
            )
    except csv.Error as error:
        raise InvalidInput("holiday_import_unreadable", format="CSV", reason=str(error)) from error
    return validate_days(actor, year, rows)


def parse_json(actor: Actor, year: int, content: str) -> ParsedYear:
    """Read ``{"year": 2027, "holidays": {date: name}, "adjusted_workdays": {date: name}}``."""
    try:
        data = json.loads(content)
    except json.JSONDecodeError as error:
        raise InvalidInput("holiday_import_unreadable", format="JSON", reason=str(error)) from error
    if not isinstance(data, dict):
        raise InvalidInput(
            "holiday_import_unreadable", format="JSON", reason="the top level is not an object"
        )
    if "year" in data and data["year"] != year:
        raise ValidationFailed(
            [field_error(actor, "year", data["year"], "holiday_date_outside_year", year=year)]
        )
    rows: list[tuple[str, str, str, str]] = []
    for member, kind in (("holidays", "holiday"), ("adjusted_workdays", "workday")):
        values = data.get(member) or {}
        if not isinstance(values, dict):
            raise InvalidInput(
                "holiday_import_unreadable",
                format="JSON",
                reason=f"{member} is not an object of date to name",
            )
        rows.extend((f"{member}.{day}", str(day), kind, str(name)) for day, name in values.items())
    return validate_days(actor, year, rows)


def parse_file(actor: Actor, year: int, file_format: str, raw: bytes) -> ParsedYear:
    if len(raw) > MAX_FILE_BYTES:
        raise InvalidInput(
            "holiday_import_unreadable",
            format=file_format.upper(),
            reason=f"the file is larger than {MAX_FILE_BYTES} bytes",
        )
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            "holiday_import_unreadable", format=file_format.upper(), reason="it is not UTF-8 text"
        ) from error
    if file_format == "json":
        return parse_json(actor, year, content)
    return parse_csv(actor, year, content)


def render_csv(parsed: ParsedYear) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for day in parsed.days():
        writer.writerow([day.date.isoformat(), day.kind, day.name])
    return buffer.getvalue()


def render_json(parsed: ParsedYear) -> str:
    payload = {
        "year": parsed.year,
        "holidays": {day.isoformat(): name for day, name in parsed.holidays.items()},
        "adjusted_workdays": {day.isoformat(): name for day, name in parsed.workdays.items()},
    }
    return json.dumps(payload, ensure_ascii=False, indent=1) + "\n"


def _stored(session: Session, tenant_id: uuid.UUID, year: int) -> HolidayCalendarYear | None:
    return session.scalar(
        select(HolidayCalendarYear).where(
            HolidayCalendarYear.tenant_id == tenant_id, HolidayCalendarYear.year == year
        )
    )


def _from_row(row: HolidayCalendarYear) -> ParsedYear:
    return ParsedYear(
        row.year,
        {date.fromisoformat(day): str(name) for day, name in sorted(row.holidays.items())},
        {date.fromisoformat(day): str(name) for day, name in sorted(row.adjusted_workdays.items())},
    )


def _shipped(year: int) -> ParsedYear | None:
    table = china_holidays()
    if year not in table.years:
        return None
    return ParsedYear(
        year,
        {day: name for day, name in sorted(table.holidays.items()) if day.year == year},
        {day: name for day, name in sorted(table.adjusted_workdays.items()) if day.year == year},
    )


def read_year(session: Session, actor: Actor, year: int) -> CalendarYearRead:
    require(actor, "tickets", "read")
    _check_year(actor, year)
    row = _stored(session, actor.tenant_id, year)
    if row is not None:
        return CalendarYearRead(
            year=year,
            source="company",
            days=_from_row(row).days(),
            version=row.version,
            updated_at=row.updated_at,
        )
    shipped = _shipped(year)
    if shipped is not None:
        return CalendarYearRead(year=year, source="shipped", days=shipped.days())
    return CalendarYearRead(year=year, source="none", days=[])


def export_year(session: Session, actor: Actor, year: int, file_format: str) -> str:
    found = read_year(session, actor, year)
    if found.source == "none":
        raise NotFound("holiday_year_not_found", year=year)
    parsed = ParsedYear(
        year,
        {day.date: day.name for day in found.days if day.kind == "holiday"},
        {day.date: day.name for day in found.days if day.kind == "workday"},
    )
    return render_json(parsed) if file_format == "json" else render_csv(parsed)


def save_year(session: Session, actor: Actor, parsed: ParsedYear, how: str) -> CalendarYearRead:
    """Store ``parsed`` as the tenant's calendar of its year, replacing any stored before."""
    require_administrator(actor)
    row = _stored(session, actor.tenant_id, parsed.year)
    before = _from_row(row) if row is not None else None
    holidays = {day.isoformat(): name for day, name in parsed.holidays.items()}
    workdays = {day.isoformat(): name for day, name in parsed.workdays.items()}
    if row is None:
        row = HolidayCalendarYear(tenant_id=actor.tenant_id, year=parsed.year)
        session.add(row)
    else:
        row.version += 1
    row.holidays, row.adjusted_workdays = holidays, workdays
    row.updated_by = actor.user_id
    row.updated_at = utc_now()
    session.flush()
    record_event(
        session,
        actor,
        f"service.holiday_calendar.{how}",
        object_name="tenants",
        record_id=actor.tenant_id,
        details={
            "year": parsed.year,
            "holidays": len(holidays),
            "workdays": len(workdays),
            "replaced": before is not None,
        },
    )
    return read_year(session, actor, parsed.year)


def put_year(session: Session, actor: Actor, year: int, body: CalendarYearBody) -> CalendarYearRead:
    rows = [
        (f"days.{position}", day.date.isoformat(), day.kind, day.name)
        for position, day in enumerate(body.days)
    ]
    return save_year(session, actor, validate_days(actor, year, rows), "edit")


def delete_year(session: Session, actor: Actor, year: int) -> None:
    """Drop the tenant's calendar of ``year``; a shipped table of that year applies again."""
    require_administrator(actor)
    row = _stored(session, actor.tenant_id, year)
    if row is None:
        raise NotFound("holiday_year_not_found", year=year)
    session.delete(row)
    session.flush()
    record_event(
        session,
        actor,
        "service.holiday_calendar.delete",
        object_name="tenants",
        record_id=actor.tenant_id,
        details={"year": year},
    )


def overview(session: Session, actor: Actor, today: date) -> CalendarOverview:
    """Years with a calendar, and the years SLA clocks reach without one."""
    require(actor, "tickets", "read")
    _, settings = load_settings(session, actor.tenant_id)
    table = china_holidays()
    stored = {
        row.year: row
        for row in session.scalars(
            select(HolidayCalendarYear).where(HolidayCalendarYear.tenant_id == actor.tenant_id)
        )
    }
    summaries = []
    for year in sorted(set(table.years) | set(stored)):
        if year in stored:
            row = stored[year]
            summaries.append(
                CalendarYearSummary(
                    year=year,
                    source="company",
                    holidays=len(row.holidays),
                    workdays=len(row.adjusted_workdays),
                )
            )
        else:
            shipped = _shipped(year)
            assert shipped is not None
            summaries.append(
                CalendarYearSummary(
                    year=year,
                    source="shipped",
                    holidays=len(shipped.holidays),
                    workdays=len(shipped.workdays),
                )
            )
    uses_chinese = settings.holiday_calendar == "CN"
    missing: list[int] = []
    if uses_chinese:
        reached = {today.year, today.year + 1}
        due_times = session.execute(
            select(Ticket.first_response_due_at, Ticket.resolution_due_at).where(
                Ticket.tenant_id == actor.tenant_id,
                Ticket.deleted_at.is_(None),
                Ticket.status.in_(("new", "open", "pending", "on_hold")),
            )
        ).all()
        for first, resolution in due_times:
            reached |= {moment.year for moment in (first, resolution) if moment is not None}
        covered = set(table.years) | set(stored)
        missing = sorted(year for year in reached if year not in covered)
    return CalendarOverview(
        uses_chinese_calendar=uses_chinese, years=summaries, missing_years=missing
    )
