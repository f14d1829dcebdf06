"""CSV and XLSX files of a report result, safe to open in a spreadsheet and audited.

Text cells that a spreadsheet would run as a formula get a leading quote, as in
the record export (``ingestion.export_cells``); numbers stay numbers. CSV times
carry their UTC offset in the tenant's time zone. XLSX cells cannot hold a zone,
so XLSX times are the tenant's wall-clock times and the column header names
the zone. Headers are the column labels of the report screen, in the language of
the request (see ``column_labels``). Money columns name their currency, one
column per currency where the rows hold several (see ``_per_currency``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from zhike.analytics.column_labels import column_labels
from zhike.analytics.query import ReportQuery, ReportResult
from zhike.analytics.service import report_context
from zhike.audit.service import AuditAction, record_event
from zhike.core.errors import InvalidInput
from zhike.ingestion.export_cells import neutralize_text
from zhike.security.access import require
from zhike.security.context import Actor

FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def check_export(actor: Actor, query: ReportQuery, file_format: str) -> None:
    """Reject an unknown format, or an export of an object the actor may not export."""
    if file_format not in FORMATS:
        raise InvalidInput("export_unknown_format", format=file_format, known=", ".join(FORMATS))
    # A report file leaves the system like a record export, so it needs the same right.
    require(actor, query.object, "export")


def _cell(value: Any, zone: ZoneInfo) -> Any:
    if value is None or isinstance(value, bool | int | Decimal | float):
        return value
    if isinstance(value, datetime):
        return value.astimezone(zone)
    if isinstance(value, date):
        return value
    if isinstance(value, dict | list):
        return neutralize_text(json.dumps(value, ensure_ascii=False, default=str))
    return neutralize_text(str(value))


def write_result(
    result: ReportResult,
    file_format: str,
    timezone: str,
    title: str,
    out: IO[bytes],
    labels: Mapping[str, str] | None = None,
) -> int:
    """Write ``result`` to ``out``; return the number of data rows written.

    ``labels`` maps column names to header labels; a column without one keeps its name.
    """
    zone = ZoneInfo(timezone)
    header, table = _per_currency(result, labels or {})
    rows = ([_cell(value, zone) for value in row] for row in table)
    if file_format == "csv":
        return _write_csv(header, rows, out)
    time_columns = {
        index
        for index in range(len(header))
        if any(isinstance(row[index], datetime) for row in table)
    }
    header = [
        f"{name} ({timezone})" if index in time_columns else name
        for index, name in enumerate(header)
    ]
    return _write_xlsx(title, header, rows, out)


def _per_currency(
    result: ReportResult, labels: Mapping[str, str]
) -> tuple[list[str], list[list[Any]]]:
    """Return the header and rows with the currency of every money column in its label.

    A money column in one currency is labelled ``求和 · 金额 (CNY)``. A column whose
    values are lists per currency becomes one column per currency, so every cell
    stays a number that a spreadsheet can add up. A column grouped by its
    currency keeps its name, because the currency column of the row names it.
    """
    header: list[str] = []
    # Per output column: the position in the result, and the currency to pick from a list.
    sources: list[tuple[int, str | None]] = []
    for position, column in enumerate(result.columns):
        label = labels.get(column.name, column.name)
        if column.currencies:
            for code in column.currencies:
                header.append(f"{label} ({code})")
                sources.append((position, code))
            continue
        header.append(f"{label} ({column.currency})" if column.currency else label)
        sources.append((position, None))
    if all(code is None for _, code in sources):
        return header, result.rows
    rows = [[_pick(row[position], code) for position, code in sources] for row in result.rows]
    return header, rows


def _pick(value: Any, code: str | None) -> Any:
    if code is None or not isinstance(value, list):
        return value
    return next((entry["value"] for entry in value if entry["currency"] == code), None)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date):
        # A datetime is a date too; isoformat keeps its offset, e.g. 2026-03-01T08:00:00+08:00.
        return value.isoformat()
    return value


def _write_csv(header: list[str], rows: Iterable[list[Any]], out: IO[bytes]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow([neutralize_text(name) for name in header])
    count = 0
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
        count += 1
    text.flush()
    text.detach()
    return count


def _write_xlsx(title: str, header: list[str], rows: Iterable[list[Any]], out: IO[bytes]) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    # Sheet titles may not contain these characters and are at most 31 long.
    clean = "".join(" " if char in "[]:*?/\\" else char for char in title).strip() or "report"
    sheet = workbook.create_sheet(clean[:31])
    sheet.append([neutralize_text(name) for name in header])
    count = 0
    for row in rows:
        sheet.append(
            [value.replace(tzinfo=None) if isinstance(value, datetime) else value for value in row]
        )
        count += 1
    workbook.save(out)
    return count


def export_result(
    session: Session,
    actor: Actor,
    query: ReportQuery,
    result: ReportResult,
    file_format: str,
    out: IO[bytes],
    *,
    title: str,
    report_id: str | None = None,
    anonymisation: dict[str, Any] | None = None,
) -> int:
    """Write the file and put the export on the audit record; return the rows written."""
    check_export(actor, query, file_format)
    timezone = report_context(session, actor, query.as_of).timezone
    generalised = anonymisation.get("generalised") if anonymisation is not None else None
    labels = column_labels(session, actor, query, generalised)
    count = write_result(result, file_format, timezone, title, out, labels)
    details: dict[str, Any] = {
        "format": file_format,
        "rows": count,
        "report": title,
        "columns": [column.name for column in result.columns],
    }
    if report_id is not None:
        details["report_id"] = report_id
    if anonymisation is not None:
        details["anonymisation"] = anonymisation
    # Exports carry data out of the system, so each one is on record like a record export.
    record_event(session, actor, AuditAction.EXPORT, object_name=query.object, details=details)
    return count
