"""Running a report for an actor: the one door for the report builder, API, CLI and dashboards.

The base rows and every related row are scoped to what the actor may read, and
field security applies (see ``fields.py``), so a report never shows more than
the same user sees in the record lists.
"""

from __future__ import annotations

import logging
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.analytics import privacy
from zhike.analytics.compile import CENT, CompiledReport, ReportContext, compile_report, same
from zhike.analytics.currencies import (
    CurrencyCheck,
    PerCurrency,
    currency_values,
    difference,
    unsplit_checks,
)
from zhike.analytics.currencies import sort_key as money_sort_key
from zhike.analytics.fields import parse_date
from zhike.analytics.periods import check_supported_day, reference_day
from zhike.analytics.query import (
    ReportColumn,
    ReportExplanation,
    ReportFilter,
    ReportQuery,
    ReportResult,
)
from zhike.analytics.rollup_models import OpportunityRollup
from zhike.core.errors import InvalidInput
from zhike.security.context import Actor
from zhike.security.models import Tenant

logger = logging.getLogger(__name__)

# A report answers a question about groups; more groups than this is a record list.
MAX_GROUPS = 50_000
FISCAL_YEAR_SETTING = "fiscal_year_start_month"
CALENDAR_CACHE_KEY = "report_tenant_calendar"
# The label of the currency a statement is grouped by as well, to split mixed groups.
SPLIT_CURRENCY = "split_currency"


def report_context(
    session: Session, actor: Actor, as_of: date | None, filters: Sequence[ReportFilter] = ()
) -> ReportContext:
    """Return the calendar a report runs in, once ``as_of`` and the filters' dates are checked.

    A date range ends at the midnight after its last day, which 9999-12-31 does not have,
    so every ``between`` of dates must lie within the supported calendar.
    """
    for item in filters:
        if item.op == "between" and isinstance(item.value, list):
            for part in item.value:
                day = parse_date(part)
                if day is not None:
                    check_supported_day(day, item.field)
    timezone, start_month = _tenant_calendar(session, actor)
    return ReportContext(
        timezone=timezone,
        fiscal_start_month=start_month,
        today=reference_day(as_of, timezone),
        dialect=session.get_bind().dialect.name,
    )


def _tenant_calendar(session: Session, actor: Actor) -> tuple[str, int]:
    """Return the tenant's time zone and fiscal year start month, read once per request.

    The actor lives for one request or job, so a dashboard's reports share one read.
    """
    cached = actor.cache.get(CALENDAR_CACHE_KEY)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    found = session.execute(
        select(Tenant.timezone, Tenant.settings).where(Tenant.id == actor.tenant_id)
    ).first()
    timezone = found.timezone if found is not None else actor.timezone
    settings = (found.settings if found is not None else None) or {}
    start_month = settings.get(FISCAL_YEAR_SETTING, 1)
    if not isinstance(start_month, int) or not 1 <= start_month <= 12:
        logger.warning(
            "invalid fiscal year start month; using January", extra={"value": start_month}
        )
        start_month = 1
    calendar = (timezone, start_month)
    actor.cache[CALENDAR_CACHE_KEY] = calendar
    return calendar


def run_report(
    session: Session, actor: Actor, query: ReportQuery, use_rollups: bool = True
) -> ReportResult:
    """Run ``query`` with the actor's permissions and return its columns and rows.

    ``use_rollups=False`` reads the base tables even where a rollup would give the
    same rows, to compare the two.
    """
    started = time.perf_counter()
    if query.privacy is not None:
        privacy.check_private_query(query)
    context = report_context(session, actor, query.as_of, query.filters)
    compiler = compile_report(session, actor, query, context, use_rollups)
    current = _grouped_rows(session, compiler, None)
    previous = (
        _grouped_rows(session, compiler, compiler.previous_period())
        if query.compare_previous
        else None
    )
    money = _money_columns(compiler, current, previous)
    rows = current.rows
    spent = None
    if query.privacy is not None:
        spent = privacy.charge(session, actor, query)
        rows = privacy.add_noise(query, rows, len(compiler.groups))
    columns = [
        ReportColumn(name=group.name, kind="dimension", type=kind)
        for group, _, kind in compiler.groups
    ] + [
        _measure_column(plan.measure.name, plan.type, money.get(index))
        for index, plan in enumerate(compiler.measures)
    ]
    if previous is not None:
        rows = _with_previous(rows, previous.rows, len(compiler.groups))
        for index, plan in enumerate(compiler.measures):
            name = plan.measure.name
            for suffix in ("previous", "change"):
                columns.append(_measure_column(f"{name}:{suffix}", plan.type, money.get(index)))
    rows = _sorted(rows, columns, query)[: query.limit]
    rows = _listed_per_currency(rows)
    logger.info(
        "report run",
        extra={
            "object": query.object,
            "source": compiler.source,
            "rows": len(rows),
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return ReportResult(columns=columns, rows=rows, privacy=spent)


def explain_report(
    session: Session, actor: Actor, query: ReportQuery, use_rollups: bool = True
) -> ReportExplanation:
    """Describe how ``query`` would run for the actor, without running it."""
    context = report_context(session, actor, query.as_of, query.filters)
    compiler = compile_report(session, actor, query, context, use_rollups)
    statement = compiler.statement(None, MAX_GROUPS + 1)
    dialect = session.get_bind().dialect
    return ReportExplanation(
        source="rollup" if compiler.source == "rollup" else "base_tables",
        table=OpportunityRollup.__tablename__
        if compiler.source == "rollup"
        else compiler.base.model.__tablename__,
        fallback_reason=compiler.fallback_reason,
        statement=str(statement.compile(dialect=dialect)),
    )


@dataclass
class GroupedRows:
    """The rows of one period, and the currency of each row's money values.

    ``currencies`` maps the index of each money measure (see ``currencies.py``)
    to one entry per row: the currency of the row's value, or None for a value
    that is empty or already a ``PerCurrency`` mapping because its group mixes
    currencies.
    """

    rows: list[list[Any]]
    currencies: dict[int, list[str | None]] = field(default_factory=dict)


def _grouped_rows(
    session: Session, compiler: CompiledReport, period: tuple[date, date] | None
) -> GroupedRows:
    statement = compiler.statement(period, MAX_GROUPS + 1)
    result = session.execute(statement)
    keys = list(result.keys())
    found = result.all()
    if len(found) > MAX_GROUPS:
        raise InvalidInput("report_too_many_groups", limit=MAX_GROUPS)
    group_count = len(compiler.groups)
    plans = compiler.measures
    if not group_count and not found:
        return GroupedRows([[_empty(plan.type) for plan in plans]])
    checks = unsplit_checks(plans)
    # The currency columns of the checks follow the measure columns.
    measures_end = len(keys) - 2 * len(checks)
    medians = {
        index: _python_medians(session, compiler, plan, period, group_count)
        for index, plan in enumerate(plans)
        if plan.median_of is not None
    }
    if not medians and all(plan.direct is not None for plan in plans):
        # The statement's columns are the groups, then one column per measure.
        converted = [
            (group_count + index, plan.direct)
            for index, plan in enumerate(plans)
            if plan.direct is not same
        ]
        rows = [list(values[:measures_end]) for values in found]
        for position, convert in converted:
            assert convert is not None
            for direct_row in rows:
                direct_row[position] = convert(direct_row[position])
    else:
        rows = []
        for values in found:
            row = dict(zip(keys, values, strict=True))
            group = tuple(values[:group_count])
            for index, by_group in medians.items():
                row[f"m{index}"] = by_group.get(group)
            rows.append([*group, *(plan.finish(row) for plan in plans)])
    grouped = GroupedRows(rows)
    for number, check in enumerate(checks):
        low = [values[measures_end + 2 * number] for values in found]
        high = [values[measures_end + 2 * number + 1] for values in found]
        mixed = {index for index, code in enumerate(low) if code != high[index]}
        split = _split_by_currency(session, compiler, check, period, medians) if mixed else {}
        for index, plan in enumerate(plans):
            if plan.currency is None or plan.currency.path != check.path:
                continue
            position = group_count + index
            codes: list[str | None] = []
            for row_index, cells in enumerate(rows):
                if row_index in mixed:
                    cells[position] = split.get(tuple(cells[:group_count]), {}).get(index) or None
                    codes.append(None)
                else:
                    codes.append(low[row_index] if cells[position] is not None else None)
            grouped.currencies[index] = codes
    return grouped


def _split_by_currency(
    session: Session,
    compiler: CompiledReport,
    check: CurrencyCheck,
    period: tuple[date, date] | None,
    medians: dict[int, dict[tuple[Any, ...], Any]],
) -> dict[tuple[Any, ...], dict[int, PerCurrency]]:
    """Compute the money measures of ``check`` per group and currency.

    It runs the report's own statement grouped by the currency as well, and
    returns, per group, each money measure's values by currency code. Medians
    that SQL cannot compute come from ``medians``, which contains them per group
    and currency for these measures.
    """
    group_count = len(compiler.groups)
    statement = (
        compiler.statement(period)
        .add_columns(check.currency.label(SPLIT_CURRENCY))
        .group_by(check.currency)
        .limit(MAX_GROUPS + 1)
    )
    result = session.execute(statement)
    keys = list(result.keys())
    found = result.all()
    if len(found) > MAX_GROUPS:
        raise InvalidInput("report_too_many_groups", limit=MAX_GROUPS)
    plans = [
        (index, plan)
        for index, plan in enumerate(compiler.measures)
        if plan.currency is not None and plan.currency.path == check.path
    ]
    split: dict[tuple[Any, ...], dict[int, PerCurrency]] = defaultdict(lambda: defaultdict(dict))
    for values in found:
        row = dict(zip(keys, values, strict=True))
        code = row[SPLIT_CURRENCY]
        group = tuple(values[:group_count])
        for index, plan in plans:
            if plan.median_of is not None:
                value = medians[index].get((*group, code))
            else:
                value = plan.finish(row)
            if code is not None and value is not None:
                split[group][index][code] = value
    return split


@dataclass(frozen=True)
class MoneyColumn:
    """The currencies of a money measure's values, and whether each value lists them."""

    codes: list[str]
    listed: bool


def _measure_column(name: str, kind: str, money: MoneyColumn | None) -> ReportColumn:
    listed = money is not None and money.listed
    column = ReportColumn(
        name=name,
        kind="measure",
        type=kind,
        currencies=money.codes if money is not None and listed else None,
    )
    if money is not None and not listed and len(money.codes) == 1:
        column.name_currency(money.codes[0])
    return column


def _money_columns(
    compiler: CompiledReport, current: GroupedRows, previous: GroupedRows | None
) -> dict[int, MoneyColumn]:
    """Return the currencies of each money measure, and list the values of those in several.

    A measure whose rows, in both compared periods, hold one currency keeps plain
    values, and so does one grouped by its currency. Otherwise each of its values
    becomes a ``PerCurrency`` mapping, so no later step (noise, change, sort) can
    combine two currencies.
    """
    periods = [current] if previous is None else [current, previous]
    group_count = len(compiler.groups)
    money: dict[int, MoneyColumn] = {}
    for index, plan in enumerate(compiler.measures):
        if plan.currency is None:
            continue
        position = group_count + index
        grouped_by = plan.currency.group_index
        codes: set[str] = set()
        for grouped in periods:
            for row_index, row in enumerate(grouped.rows):
                value = row[position]
                if value is None:
                    continue
                if grouped_by is not None:
                    code = row[grouped_by]
                elif isinstance(value, dict):
                    codes.update(value)
                    continue
                else:
                    code = grouped.currencies.get(index, [None] * len(grouped.rows))[row_index]
                if code is not None:
                    codes.add(code)
        listed = grouped_by is None and len(codes) > 1
        money[index] = MoneyColumn(sorted(codes), listed)
        if not listed:
            continue
        for grouped in periods:
            row_codes = grouped.currencies.get(index, [])
            for row, code in zip(grouped.rows, row_codes, strict=False):
                if code is not None and row[position] is not None:
                    row[position] = {code: row[position]}
    return money


def _listed_per_currency(rows: list[list[Any]]) -> list[list[Any]]:
    """Replace each ``PerCurrency`` mapping by the ``{currency, value}`` list of the result."""
    for row in rows:
        for position, value in enumerate(row):
            if isinstance(value, dict):
                row[position] = currency_values(value)
    return rows


def _empty(kind: str) -> Any:
    return 0 if kind == "integer" else None


def _python_medians(
    session: Session,
    compiler: CompiledReport,
    plan: Any,
    period: tuple[date, date] | None,
    group_count: int,
) -> dict[tuple[Any, ...], Any]:
    """Medians per group, for SQLite: its SQL has no percentile function.

    Reads each group's non-null values once (ordered by SQLite's own sort would not
    help: Python's median sorts anyway) and keeps Decimal amounts exact.
    """
    statement = compiler.median_statement(plan, period)
    check = plan.currency
    split = check is not None and check.group_index is None
    if split:
        assert check is not None
        # Keyed by the group and the currency as well; see the end of this function.
        statement = statement.add_columns(check.currency.label(SPLIT_CURRENCY))
    values: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in session.execute(statement):
        key = tuple(row[:group_count])
        values[(*key, row[group_count + 1]) if split else key].append(row[group_count])
    medians: dict[tuple[Any, ...], Any] = {}
    for key, numbers in values.items():
        middle = statistics.median(Decimal(str(number)) for number in numbers)
        medians[key] = Decimal(middle).quantize(
            CENT if isinstance(numbers[0], Decimal) else Decimal("0.0001")
        )
    if split:
        # A group in one currency gets its median under its own key as well; the
        # groups that mix currencies read theirs per currency in ``_split_by_currency``.
        by_group: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
        for key, median in medians.items():
            by_group[key[:-1]].append(median)
        for key, found in by_group.items():
            if len(found) == 1:
                medians[key] = found[0]
    return medians


def _with_previous(
    rows: list[list[Any]], previous: list[list[Any]], group_count: int
) -> list[list[Any]]:
    earlier = {tuple(row[:group_count]): row[group_count:] for row in previous}
    combined = []
    for row in rows:
        before = earlier.get(tuple(row[:group_count]))
        extra: list[Any] = []
        for index, value in enumerate(row[group_count:]):
            old = before[index] if before is not None else None
            extra.extend((old, difference(value, old)))
        combined.append(row + extra)
    return combined


def _sorted(
    rows: list[list[Any]], columns: list[ReportColumn], query: ReportQuery
) -> list[list[Any]]:
    names = [column.name for column in columns]
    sorts = [(sort.column, sort.descending) for sort in query.sort] or [
        (group.name, False) for group in query.group_by
    ]
    for name, descending in reversed(sorts):
        if name not in names:
            raise InvalidInput("report_unknown_sort_column", column=name, allowed=", ".join(names))
        position = names.index(name)
        present = [row for row in rows if row[position] is not None]
        missing = [row for row in rows if row[position] is None]
        if present and isinstance(present[0][position], dict):
            # Money per currency: currencies stay in code order, values reverse within each.
            present.sort(key=money_sort_key(position, descending))
        else:
            present.sort(key=_sort_key(present, position), reverse=descending)
        # Empty values last, whichever the direction.
        rows = present + missing
    return rows


def _sort_key(rows: list[list[Any]], position: int) -> Callable[[list[Any]], Any]:
    """Return the sort key of a column; ids compare by their number, as UUID order does.

    Comparing UUID objects runs Python code per comparison; their integers compare in C.
    """
    if rows and isinstance(rows[0][position], uuid.UUID):
        return lambda row: row[position].int
    return itemgetter(position)
