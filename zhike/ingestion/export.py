"""Export an object list as CSV or XLSX, streamed, with exactly what the list shows.

The rows come from the same query the list API builds (filters of
``platform.query``, the actor's ``scope_select`` for the export action) and
each row goes through ``security.fields.present``, so an export never reveals
a record or a field value that the list would hide or mask.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.errors import InvalidInput
from zhike.ingestion.export_cells import neutralize_text
from zhike.platform.models import FieldDefinition
from zhike.platform.objects import ObjectSpec
from zhike.platform.query import (
    ListParams,
    apply_sort_and_cursor,
    parse_sort,
)
from zhike.platform.records import apply_list_filters
from zhike.security.access import require, scope_select
from zhike.security.context import Actor
from zhike.security.fields import hidden_fields, present

FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FETCH_ROWS = 1000


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidInput("export_unknown_format", format=fmt, known=", ".join(FORMATS))
    return fmt


def export_columns(session: Session, actor: Actor, spec: ObjectSpec) -> tuple[list[str], list[str]]:
    """The record fields and custom fields an export writes, hidden fields left out."""
    hidden = hidden_fields(actor, spec.name)
    names = list(spec.export_fields) or [
        name for name in spec.read_schema.model_fields if name != "custom"
    ]
    custom = list(
        session.scalars(
            select(FieldDefinition.name)
            .where(
                FieldDefinition.tenant_id == actor.tenant_id,
                FieldDefinition.object_name == spec.name,
                FieldDefinition.deleted_at.is_(None),
            )
            .order_by(FieldDefinition.created_at, FieldDefinition.name)
        )
    )
    return (
        [name for name in names if name not in hidden],
        [name for name in custom if name not in hidden],
    )


def export_rows(
    session: Session, actor: Actor, spec: ObjectSpec, params: ListParams
) -> Iterator[dict[str, Any]]:
    """Yield the presented records of the list query, without a page limit."""
    require(actor, spec.name, "export")
    model: Any = spec.model
    statement = scope_select(actor, model, select(model), "export")
    statement = apply_list_filters(statement, actor, spec, params)
    field, descending = parse_sort(params.sort, spec.sort_fields, spec.default_sort)
    statement = apply_sort_and_cursor(statement, model, field, descending, None)
    result = session.scalars(statement.execution_options(yield_per=_FETCH_ROWS))
    for record in result:
        data = spec.read_schema.model_validate(record).model_dump()
        yield present(session, actor, spec.name, data)


def _cell(value: Any, zone: ZoneInfo) -> Any:
    """A typed cell: numbers stay numbers, text is neutralised against formulas."""
    if value is None:
        return None
    if isinstance(value, bool | int | Decimal | float):
        return value
    if isinstance(value, datetime):
        # The offset stays on the value: a CSV time without one is read in the reader's zone.
        return value.astimezone(zone)
    if isinstance(value, date):
        return value
    if isinstance(value, dict | list):
        import json

        return neutralize_text(json.dumps(value, ensure_ascii=False, default=str))
    return neutralize_text(str(value))


def write_export(
    session: Session, actor: Actor, spec: ObjectSpec, params: ListParams, fmt: str, out: IO[bytes]
) -> int:
    """Write the export to the binary stream ``out``; return the number of records."""
    check_format(fmt)
    fields, custom = export_columns(session, actor, spec)
    header = fields + [f"custom.{name}" for name in custom]
    zone = ZoneInfo(actor.timezone)
    rows = (
        [_cell(data.get(name), zone) for name in fields]
        + [_cell((data.get("custom") or {}).get(name), zone) for name in custom]
        for data in export_rows(session, actor, spec, params)
    )
    count = (
        _write_csv(header, rows, out) if fmt == "csv" else _write_xlsx(spec.name, header, rows, out)
    )
    # Exports carry personal data out of the system, so each one is on record.
    record_event(
        session,
        actor,
        "export",
        object_name=spec.name,
        details={"format": fmt, "rows": count, "filters": params.filters, "search": params.search},
    )
    return count


def _write_csv(header: list[str], rows: Iterator[list[Any]], out: IO[bytes]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(
            [
                ""
                if value is None
                else value.isoformat(sep=" ")
                if isinstance(value, datetime)
                else value
                for value in row
            ]
        )
        count += 1
    text.flush()
    text.detach()
    return count


def _write_xlsx(title: str, header: list[str], rows: Iterator[list[Any]], out: IO[bytes]) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(header)
    count = 0
    for row in rows:
        # Excel cells have no time zone, so XLSX times are the user's wall-clock times.
        sheet.append(
            [value.replace(tzinfo=None) if isinstance(value, datetime) else value for value in row]
        )
        count += 1
    workbook.save(out)
    return count


def export_to_file(
    session: Session, actor: Actor, spec: ObjectSpec, params: ListParams, fmt: str, path: Path
) -> int:
    with path.open("wb") as out:
        return write_export(session, actor, spec, params, fmt, out)
