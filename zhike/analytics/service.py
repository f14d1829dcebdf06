"""Running a report for an actor: the one door for the report builder, API, CLI and dashboards.

The base rows and every related row are scoped to what the actor may read, and
field security applies (see ``fields.py``), so a report never shows more than
the same user sees in the record lists.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from zhike.analytics import privacy
from zhike.analytics.compile import CENT, ReportCompiler, ReportContext, compile_report
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


def report_context(session: Session, actor: Actor, as_of: date | None) -> ReportContext:
    tenant = session.get(Tenant, actor.tenant_id)
    timezone = tenant.timezone if tenant is not None else actor.timezone
    settings = tenant.settings if tenant is not None else {}
    start_month = settings.get(FISCAL_YEAR_SETTING, 1)
    if not isinstance(start_month, int) or not 1 <= start_month <= 12:
        logger.warning(
            "invalid fiscal year start month; using January", extra={"value": start_month}
        )
        start_month = 1
    return ReportContext(
        timezone=timezone,
        fiscal_start_month=start_month,
        today=as_of or local_today(timezone),
        dialect=session.get_bind().dialect.name,
    )


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
    statement = compiler.statement(None).limit(MAX_GROUPS + 1)
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
    session: Session, compiler: ReportCompiler, period: tuple[date, date] | None
) -> list[list[Any]]:
    statement = compiler.statement(period).limit(MAX_GROUPS + 1)
    found = [dict(row._mapping) for row in session.execute(statement)]
    if len(found) > MAX_GROUPS:
        raise InvalidInput("report_too_many_groups", limit=MAX_GROUPS)
    group_count = len(compiler.groups)
    for index, plan in enumerate(compiler.measures):
        if plan.median_of is None:
            continue
        medians = _python_medians(session, compiler, plan, period, group_count)
        for row in found:
            row[f"m{index}"] = medians.get(tuple(row[f"g{i}"] for i in range(group_count)))
    if not group_count and not found:
        found = [{}]
    return [
        [row.get(f"g{i}") for i in range(group_count)]
        + [plan.finish(row) if row else _empty(plan.type) for plan in compiler.measures]
        for row in found
    ]


def _empty(kind: str) -> Any:
    return 0 if kind == "integer" else None


def _python_medians(
    session: Session,
    compiler: ReportCompiler,
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
        present.sort(key=lambda row: row[position], reverse=descending)
        # Empty values last, whichever the direction.
        rows = present + missing
    return rows
