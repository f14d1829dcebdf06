"""Anonymised report results: identifiers removed, quasi-identifiers generalised, k-anonymity.

The rules, applied to the group-by terms of the query before it runs:

- Direct identifiers are dropped from the grouping: ids (any UUID column, such as
  ``owner_id``), fields classified sensitive or highly sensitive, and names,
  e-mail addresses, phone numbers and similar fields (``DIRECT_FIELDS``).
  Their rows fold into the remaining groups, so totals stay right.
- Dates and times are generalised to months (day and week buckets, or no bucket).
- A city becomes the province of the same record where the object has a
  ``province`` field; elsewhere the city is dropped like an identifier.
- A date of birth becomes a ten-year age band on the query's ``as_of`` date,
  and a custom ``age`` field a band of its value. A masked field stays refused
  (403) as in any report: generalising it would still read its clear values.
- Amounts and other numbers used as dimensions become ranges (``AMOUNT_EDGES``),
  and minimum, maximum and median measures of amounts become ranges too,
  since each of them is one person's value.

The query then runs with a hidden row count per group. Rows that banding made
equal are merged: counts and sums add, minimums and maximums combine, and other
measures are rejected. Every group with fewer than ``k`` records is suppressed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from zhike.analytics.currencies import merge_per_currency
from zhike.analytics.fields import column_kind
from zhike.analytics.query import (
    ReportColumn,
    ReportGroup,
    ReportMeasure,
    ReportQuery,
    ReportResult,
)
from zhike.analytics.relations import Source, field_allowed, sources
from zhike.analytics.service import report_context, run_report
from zhike.core.errors import InvalidInput
from zhike.platform.classification import HIGHLY_SENSITIVE, SENSITIVE, classify_field
from zhike.platform.classification import load_classifications as load_field_classifications
from zhike.security.context import Actor

# Fields that name or reach one person or record, whatever their classification is.
DIRECT_FIELDS = frozenset(
    {
        "name",
        "display_name",
        "email",
        "mobile",
        "phone",
        "address",
        "id_number",
        "requester_name",
        "requester_email",
        "requester_phone",
        "subject",
        "number",
        "website",
        "unified_social_credit_code",
        "external_id",
    }
)
# Upper edges of the amount ranges; the last range is open.
AMOUNT_EDGES = (
    Decimal(0),
    Decimal(1_000),
    Decimal(10_000),
    Decimal(100_000),
    Decimal(1_000_000),
    Decimal(10_000_000),
)
# Combination of the values of two groups that banding made equal.
MERGEABLE: dict[str, Callable[[list[Any]], Any]] = {
    "count": sum,
    "sum": sum,
    "min": min,
    "max": max,
}
GROUP_SIZE = "__records"
# Custom fields holding an age in years, generalised to ten-year bands.
AGE_FIELDS = frozenset({"age"})
FINE_BUCKETS = (None, "day", "week")


@dataclass
class Plan:
    """The treatment of each group-by term and measure of the original query."""

    groups: list[ReportGroup] = field(default_factory=list)
    # For each kept group: a function applied to its value after the query ran.
    banding: list[Callable[[Any], Any] | None] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    generalised: dict[str, str] = field(default_factory=dict)
    # Measures whose values are replaced by a range.
    ranged_measures: set[str] = field(default_factory=set)


def amount_range(value: Any) -> str | None:
    """Return the range an amount or number falls in, such as ``10000-100000``."""
    if value is None:
        return None
    number = Decimal(str(value))
    if number < 0:
        return "<0"
    lower = AMOUNT_EDGES[0]
    for edge in AMOUNT_EDGES[1:]:
        if number < edge:
            return f"{lower}-{edge}"
        lower = edge
    return f">={lower}"


def years_band(value: Any) -> str | None:
    """Return the ten-year band of an age given as a number, such as ``30-39``."""
    if value is None or value == "":
        return None
    try:
        start = max(int(float(str(value))), 0) // 10 * 10
    except ValueError:
        return None
    return f"{start}-{start + 9}"


def age_band(birth: Any, today: date) -> str | None:
    """Return the ten-year band of the age on ``today``, such as ``30-39``."""
    if birth is None:
        return None
    born = birth if isinstance(birth, date) else date.fromisoformat(str(birth)[:10])
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    start = max(age, 0) // 10 * 10
    return f"{start}-{start + 9}"


def _field_source(base: Source, path: str) -> tuple[Source, str, str]:
    """Return the source a dotted path ends in, its column or custom key, and its kind."""
    known = sources()
    parts = path.split(".")
    source = base
    while len(parts) > 1 and parts[0] in source.relations:
        source = known[source.relations[parts.pop(0)].target]
    if len(parts) == 2 and parts[0] == "custom":
        return source, parts[1], "custom"
    name = parts[-1]
    if not field_allowed(source, name):
        raise InvalidInput("report_unknown_field", field=path, object=source.name)
    return source, name, column_kind(source.model.__table__.c[name].type)


def _prefix(path: str) -> str:
    return path.rsplit(".", 1)[0] + "." if "." in path else ""


def plan_anonymisation(
    base: Source, query: ReportQuery, classifications: dict[tuple[str, str], str], today: date
) -> Plan:
    plan = Plan()
    for group in query.group_by:
        source, name, kind = _field_source(base, group.field)
        object_name = source.crm_object or source.name
        level = classify_field(object_name, name, classifications)
        if kind == "custom" and name in AGE_FIELDS:
            plan.groups.append(group)
            plan.banding.append(years_band)
            plan.generalised[group.name] = "age_band"
            continue
        if name == "birth_date":
            plan.groups.append(group.model_copy(update={"bucket": None}))
            plan.banding.append(partial(age_band, today=today))
            plan.generalised[group.name] = "age_band"
            continue
        if kind == "uuid" or name in DIRECT_FIELDS or level in (SENSITIVE, HIGHLY_SENSITIVE):
            plan.removed.append(group.name)
            continue
        if name == "city":
            if field_allowed(source, "province"):
                province = _prefix(group.field) + "province"
                plan.groups.append(group.model_copy(update={"field": province}))
                plan.banding.append(None)
                plan.generalised[group.name] = "province"
            else:
                plan.removed.append(group.name)
            continue
        if kind in ("date", "datetime") and group.bucket in FINE_BUCKETS:
            plan.groups.append(group.model_copy(update={"bucket": "month"}))
            plan.banding.append(None)
            plan.generalised[group.name] = "month"
            continue
        if kind in ("amount", "number", "integer"):
            plan.groups.append(group)
            plan.banding.append(amount_range)
            plan.generalised[group.name] = "range"
            continue
        plan.groups.append(group)
        plan.banding.append(None)
    for measure in query.measures:
        if measure.aggregate in ("min", "max", "median") and measure.field:
            _, name, kind = _field_source(base, measure.field)
            if kind in ("amount", "number", "integer"):
                plan.ranged_measures.add(measure.name)
            elif kind == "uuid" or name in DIRECT_FIELDS:
                raise InvalidInput("report_anonymise_measure", measure=measure.name)
    return plan


def _ranged(value: Any) -> Any:
    """Replace an amount by its range; a list per currency keeps its currencies."""
    if isinstance(value, list):
        return [{**entry, "value": amount_range(entry["value"])} for entry in value]
    return amount_range(value)


def _merge(
    rows: list[list[Any]], group_count: int, measures: list[ReportMeasure]
) -> list[list[Any]]:
    merged: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        key = tuple(row[:group_count])
        if key not in merged:
            merged[key] = list(row)
            continue
        target = merged[key]
        for index, measure in enumerate(measures, start=group_count):
            if measure.aggregate not in MERGEABLE:
                raise InvalidInput("report_anonymise_merge", measure=measure.name)
            values = [value for value in (target[index], row[index]) if value is not None]
            if any(isinstance(value, list) for value in values):
                target[index] = merge_per_currency(values, MERGEABLE[measure.aggregate])
            elif values:
                target[index] = MERGEABLE[measure.aggregate](values)
    return list(merged.values())


def anonymised_result(
    session: Session, actor: Actor, query: ReportQuery, k: int
) -> tuple[ReportResult, dict[str, Any]]:
    """Run ``query`` anonymised by the rules above; return the result and an audit summary."""
    if query.privacy is not None:
        raise InvalidInput("report_anonymise_private")
    base = sources().get(query.object)
    if base is None or base.crm_object is None:
        raise InvalidInput("report_unknown_field", field=query.object, object=query.object)
    today = report_context(session, actor, query.as_of).today
    plan = plan_anonymisation(
        base, query, load_field_classifications(session, actor.tenant_id), today
    )
    measures = [measure for measure in query.measures if measure.name != GROUP_SIZE] + [
        ReportMeasure(aggregate="count", alias=GROUP_SIZE)
    ]
    names = [group.name for group in plan.groups]
    rewritten = query.model_copy(
        update={
            "group_by": plan.groups,
            "measures": measures,
            "sort": [
                sort
                for sort in query.sort
                if sort.column in names or sort.column in {m.name for m in measures}
            ],
            "compare_previous": False,
        }
    )
    result = run_report(session, actor, rewritten)
    group_count = len(plan.groups)
    rows = []
    for row in result.rows:
        values = list(row)
        for index, band in enumerate(plan.banding):
            if band is not None:
                values[index] = band(values[index])
        rows.append(values)
    if any(band is not None for band in plan.banding):
        rows = _merge(rows, group_count, measures)
    size_index = len(result.columns) - 1
    kept = [row for row in rows if (row[size_index] or 0) >= k]
    suppressed = [row for row in rows if (row[size_index] or 0) < k]
    columns: list[ReportColumn] = []
    for index, column in enumerate(result.columns[:-1]):
        if index < group_count and plan.banding[index] is not None:
            column = column.model_copy(update={"type": "string"})
        if column.name in plan.ranged_measures:
            column = column.model_copy(update={"type": "string"})
        columns.append(column)
    ranged = [index for index, column in enumerate(columns) if column.name in plan.ranged_measures]
    output = []
    for row in kept:
        values = row[:-1]
        for index in ranged:
            values[index] = _ranged(values[index])
        output.append(values)
    summary = {
        "k": k,
        "removed": plan.removed,
        "generalised": plan.generalised,
        "ranged_measures": sorted(plan.ranged_measures),
        "suppressed_groups": len(suppressed),
        "suppressed_records": sum(int(row[size_index] or 0) for row in suppressed),
    }
    return ReportResult(columns=columns, rows=output), summary
