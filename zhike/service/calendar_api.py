"""Endpoints under /service/holiday-calendars: list, read, edit, import and export a year."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile, status

from zhike.api.deps import ActorDep, SessionDep, request_clock
from zhike.core.timeutil import load_zone
from zhike.security.models import Tenant
from zhike.service import holiday_calendars as calendars
from zhike.service.holiday_calendars import (
    FIRST_YEAR,
    LAST_YEAR,
    CalendarOverview,
    CalendarYearBody,
    CalendarYearRead,
)

router = APIRouter(prefix="/service/holiday-calendars", tags=["service"])

Year = Annotated[int, Path(ge=FIRST_YEAR, le=LAST_YEAR, description="calendar year, e.g. 2027")]
FileFormat = Literal["csv", "json"]


@router.get("", response_model=CalendarOverview)
def list_calendars(request: Request, session: SessionDep, actor: ActorDep) -> CalendarOverview:
    """Years with a calendar, and the years SLA clocks reach without one (weekends only there)."""
    tenant = session.get(Tenant, actor.tenant_id)
    zone = load_zone(tenant.timezone if tenant else "Asia/Shanghai")
    today = request_clock(request).astimezone(zone).date()
    return calendars.overview(session, actor, today)


@router.get("/{year}", response_model=CalendarYearRead)
def read_calendar(year: Year, session: SessionDep, actor: ActorDep) -> CalendarYearRead:
    """Return the company's calendar of ``year``, else the shipped one, else an empty year."""
    return calendars.read_year(session, actor, year)


@router.put("/{year}", response_model=CalendarYearRead)
def put_calendar(
    year: Year, body: CalendarYearBody, session: SessionDep, actor: ActorDep
) -> CalendarYearRead:
    """Replace the company's calendar of ``year`` with these holidays and adjusted working days."""
    return calendars.put_year(session, actor, year, body)


@router.delete("/{year}", status_code=status.HTTP_204_NO_CONTENT)
def delete_calendar(year: Year, session: SessionDep, actor: ActorDep) -> Response:
    """Drop the company's calendar of ``year``; the shipped one applies again where it exists."""
    calendars.delete_year(session, actor, year)
    return Response(status_code=204)


@router.post("/{year}/import", response_model=CalendarYearRead)
def import_calendar(
    year: Year,
    file: Annotated[UploadFile, File(description="CSV (date,kind,name) or JSON, UTF-8")],
    session: SessionDep,
    actor: ActorDep,
    format: Annotated[
        FileFormat | None, Query(description="csv or json; by default from the file name")
    ] = None,
) -> CalendarYearRead:
    """Validate the whole file, then replace the company's calendar of ``year`` with it."""
    chosen = format or ("json" if (file.filename or "").lower().endswith(".json") else "csv")
    raw = file.file.read(calendars.MAX_FILE_BYTES + 1)
    parsed = calendars.parse_file(actor, year, chosen, raw)
    return calendars.save_year(session, actor, parsed, "import")


@router.get("/{year}/export")
def export_calendar(
    year: Year,
    session: SessionDep,
    actor: ActorDep,
    format: FileFormat = "csv",
) -> Response:
    """Download the calendar of ``year`` as CSV or JSON, in the layout import reads."""
    content = calendars.export_year(session, actor, year, format)
    media = "application/json" if format == "json" else "text/csv"
    return Response(
        content=content.encode("utf-8"),
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="holidays-{year}.{format}"'},
    )
