"""Drill-down: the record-list filters behind one cell of a report.

A cell is the query's filters plus the values of its group-by columns in that
row. Each becomes a filter of the list API (``field__op=value``). Fields of the
base object map directly, and time buckets become a ``gte``/``lt`` range in the
tenant's time zone. A field of a related object (``stage.key``) becomes ``in``
over the ids of the related rows the viewer can see with that value. What cannot
be expressed (a custom field, ``contains`` on a related field) is listed in
``unmatched`` with ``complete`` false, because the list then shows more records
than the cell counted.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.analytics.compile import ReportCompiler
from zhike.analytics.fields import column_kind, parse_date
from zhike.analytics.periods import local_midnight_utc, resolve_period, unit_range
from zhike.analytics.query import ReportFilter, ReportGroup, ReportQuery
from zhike.analytics.relations import sources
from zhike.analytics.saved_schemas import DrillRequest
from zhike.analytics.service import report_context
from zhike.core.errors import InvalidInput
from zhike.home.schemas import Drill
from zhike.platform.objects import get_object
from zhike.security.access import scope_select
from zhike.security.context import Actor

# Most related ids one drill puts into an ``in`` filter; a URL must stay short.
MAX_RELATED_IDS = 200
_LIST_OPERATORS = {"eq", "ne", "gt", "gte", "lt", "lte", "in"}


class DrillTarget(BaseModel):
    drill: Drill
    complete: bool = Field(description="false when some conditions could not become list filters")
    unmatched: list[str] = Field(description="the conditions left out, as field:operator")


def _bucket_range(label: str, bucket: str, fiscal_start_month: int) -> tuple[date, date]:
    """Return the [start, end) dates of a bucket label produced by the report engine."""
    try:
        if bucket == "day":
            day = date.fromisoformat(label)
            return day, day + timedelta(days=1)
        if bucket == "week":
            return unit_range("week", date.fromisoformat(label), 1)
        if bucket == "month":
            year, month = label.split("-")
            return unit_range("month", date(int(year), int(month), 1), 1)
        if bucket == "quarter":
            year, quarter = label.split("-Q")
            return unit_range("quarter", date(int(year), (int(quarter) - 1) * 3 + 1, 1), 1)
        if bucket == "year":
            return unit_range("year", date(int(label), 1, 1), 1)
        start = date(int(label.removeprefix("FY")), fiscal_start_month, 1)
        return unit_range("fiscal_year", start, fiscal_start_month)
    except ValueError as error:
        raise InvalidInput("report_drill_value", value=label, bucket=bucket) from error


class _Translator:
    def __init__(self, session: Session, actor: Actor, query: ReportQuery) -> None:
        self.session = session
        self.actor = actor
        self.query = query
        self.context = report_context(session, actor, query.as_of, query.filters)
        self.base = sources()[query.object]
        self.allowed = set(get_object(query.object).filter_fields) | {"id"}
        self.columns = self.base.model.__table__.c
        self.filters: dict[str, str] = {}
        self.unmatched: list[str] = []

    def _set(self, parameter: str, value: str) -> None:
        # Two conditions on the same parameter cannot both be sent; keep the first, note the other.
        if parameter in self.filters and self.filters[parameter] != value:
            self.unmatched.append(parameter)
            return
        self.filters[parameter] = value

    def _range(self, field: str, start: date, end: date) -> None:
        if column_kind(self.columns[field].type) == "date":
            self._set(f"{field}__gte", start.isoformat())
            self._set(f"{field}__lt", end.isoformat())
        else:
            timezone = self.context.timezone
            self._set(f"{field}__gte", local_midnight_utc(start, timezone).isoformat())
            self._set(f"{field}__lt", local_midnight_utc(end, timezone).isoformat())

    def _related_ids(self, path: str, op: str, value: Any) -> list[str] | None:
        """Ids of the related rows matching ``path op value``; None when that cannot be listed."""
        relation_name, _, column = path.partition(".")
        relation = self.base.relations.get(relation_name)
        if relation is None or "." in column:
            return None
        target = sources()[relation.target]
        if column not in target.model.__table__.c or (
            target.fields is not None and column not in target.fields
        ):
            return None
        table: Any = target.model.__table__
        if value is None:
            condition = table.c[column].is_(None)
        elif op == "in":
            condition = table.c[column].in_(value if isinstance(value, list) else [value])
        else:
            condition = table.c[column] == value
        statement = scope_select(self.actor, target.model, select(table.c.id).where(condition))
        ids = [str(found) for found in self.session.scalars(statement.limit(MAX_RELATED_IDS + 1))]
        if len(ids) > MAX_RELATED_IDS:
            return None
        if relation.column not in self.allowed:
            return None
        return ids

    def condition(self, path: str, op: str, value: Any) -> None:
        label = f"{path}:{op}"
        if path.startswith("custom.") or ".custom." in path:
            self.unmatched.append(label)
            return
        if "." in path:
            if op not in ("eq", "in"):
                self.unmatched.append(label)
                return
            ids = self._related_ids(path, op, value)
            relation = self.base.relations.get(path.split(".")[0])
            if ids is None or relation is None:
                self.unmatched.append(label)
                return
            # No matching related row: an id no record has, so the list is empty like the cell.
            self._set(f"{relation.column}__in", ",".join(ids) or str(uuid.UUID(int=0)))
            return
        if path not in self.allowed:
            self.unmatched.append(label)
            return
        if value is None and op == "eq":
            self._set(f"{path}__isnull", "true")
            return
        if op not in _LIST_OPERATORS:
            self.unmatched.append(label)
            return
        text = ",".join(str(item) for item in value) if isinstance(value, list) else str(value)
        if isinstance(value, bool):
            text = "true" if value else "false"
        self._set(path if op == "eq" else f"{path}__{op}", text)

    def add_filter(self, item: ReportFilter) -> None:
        if (
            item.op in ("relative", "between")
            and "." not in item.field
            and item.field in self.allowed
        ):
            if item.op == "relative" and isinstance(item.value, str):
                start, end = resolve_period(
                    item.value, self.context.today, self.context.fiscal_start_month
                )
                self._range(item.field, start, end)
                return
            if isinstance(item.value, list) and len(item.value) == 2:
                low, high = parse_date(item.value[0]), parse_date(item.value[1])
                if low is not None and high is not None:
                    self._range(item.field, low, high + timedelta(days=1))
                    return
        if item.op in ("is_empty", "is_not_empty") and item.field in self.allowed:
            self._set(f"{item.field}__isnull", "true" if item.op == "is_empty" else "false")
            return
        self.condition(item.field, item.op, item.value)

    def add_group(self, group: ReportGroup, value: Any) -> None:
        if group.bucket is None:
            self.condition(group.field, "eq", value)
            return
        if group.field not in self.allowed or value is None:
            self.unmatched.append(f"{group.field}:{group.bucket}")
            return
        start, end = _bucket_range(str(value), group.bucket, self.context.fiscal_start_month)
        self._range(group.field, start, end)


def drill_target(session: Session, actor: Actor, request: DrillRequest) -> DrillTarget:
    """Translate a clicked cell into the filters of the record list behind it."""
    query = request.query
    if len(request.values) != len(query.group_by):
        raise InvalidInput(
            "report_drill_values", expected=len(query.group_by), given=len(request.values)
        )
    # Compiling checks the viewer may read the object and every field named.
    ReportCompiler(session, actor, query, report_context(session, actor, query.as_of))
    translator = _Translator(session, actor, query)
    for item in [*query.filters, *request.extra_filters]:
        translator.add_filter(item)
    for group, value in zip(query.group_by, request.values, strict=True):
        translator.add_group(group, value)
    return DrillTarget(
        drill=Drill(object=query.object, filters=translator.filters),
        complete=not translator.unmatched,
        unmatched=translator.unmatched,
    )
