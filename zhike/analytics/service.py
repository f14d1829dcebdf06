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
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.analytics import privacy
from zhike.analytics.compile import CENT, CompiledReport, ReportContext, compile_report, same
from zhike.analytics.periods import local_today
from zhike.analytics.query import ReportColumn, ReportExplanation, ReportQuery, ReportResult
from zhike.analytics.rollup_models import OpportunityRollup
from zhike.core.errors import InvalidInput
from zhike.security.context import Actor
from zhike.security.models import Tenant

logger = logging.getLogger(__name__)

# A report answers a question about groups; more groups than this is a record list.
MAX_GROUPS = 50_000
FISCAL_YEAR_SETTING = "fiscal_year_start_month"
CALENDAR_CACHE_KEY = "report_tenant_calendar"


def report_context(session: Session, actor: Actor, as_of: date | None) -> ReportContext:
    timezone, start_month = _tenant_calendar(session, actor)
    return ReportContext(
        timezone=timezone,
        fiscal_start_month=start_month,
        today=as_of or local_today(timezone),
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
    context = report_context(session, actor, query.as_of)
    compiler = compile_report(session, actor, query, context, use_rollups)
    rows = _grouped_rows(session, compiler, None)
    spent = None
    if query.privacy is not None:
        spent = privacy.charge(session, actor, query)
        rows = privacy.add_noise(query, rows, len(compiler.groups))
    columns = [
        ReportColumn(name=group.name, kind="dimension", type=kind)
        for group, _, kind in compiler.groups
    ] + [
        ReportColumn(name=plan.measure.name, kind="measure", type=plan.type)
        for plan in compiler.measures
    ]
    if query.compare_previous:
        previous = _grouped_rows(session, compiler, compiler.previous_period())
        rows = _with_previous(rows, previous, len(compiler.groups))
        for plan in compiler.measures:
            name = plan.measure.name
            columns.append(ReportColumn(name=f"{name}:previous", kind="measure", type=plan.type))
            columns.append(ReportColumn(name=f"{name}:change", kind="measure", type=plan.type))
    rows = _sorted(rows, columns, query)[: query.limit]
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
    context = report_context(session, actor, query.as_of)
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


def _grouped_rows(
    session: Session, compiler: CompiledReport, period: tuple[date, date] | None
) -> list[list[Any]]:
    statement = compiler.statement(period, MAX_GROUPS + 1)
    result = session.execute(statement)
    keys = list(result.keys())
    found = result.all()
    if len(found) > MAX_GROUPS:
        raise InvalidInput("report_too_many_groups", limit=MAX_GROUPS)
    group_count = len(compiler.groups)
    plans = compiler.measures
    if not group_count and not found:
        return [[_empty(plan.type) for plan in plans]]
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
        direct_rows = [list(values) for values in found]
        for position, convert in converted:
            assert convert is not None
            for direct_row in direct_rows:
                direct_row[position] = convert(direct_row[position])
        return direct_rows
    rows = []
    for values in found:
        row = dict(zip(keys, values, strict=True))
        group = tuple(values[:group_count])
        for index, by_group in medians.items():
            row[f"m{index}"] = by_group.get(group)
        rows.append([*group, *(plan.finish(row) for plan in plans)])
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
    values: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in session.execute(compiler.median_statement(plan, period)):
        values[tuple(row[:group_count])].append(row[group_count])
    medians: dict[tuple[Any, ...], Any] = {}
    for key, numbers in values.items():
        middle = statistics.median(Decimal(str(number)) for number in numbers)
        medians[key] = Decimal(middle).quantize(
            CENT if isinstance(numbers[0], Decimal) else Decimal("0.0001")
        )
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
            change = value - old if value is not None and old is not None else None
            extra.extend((old, change))
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
