"""Compiling a report query to SQLAlchemy Core: filters, time buckets and measures.

Nothing here builds SQL text; every value is a bound parameter. Time buckets are
computed in the tenant's time zone on both backends: PostgreSQL converts with
``timezone()``; SQLite, which knows no zones, adds the zone's UTC offset for the
segment of history a value falls in (``periods.utc_offset_segments``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import (
    TIMESTAMP,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    Uuid,
    and_,
    case,
    cast,
    distinct,
    exists,
    extract,
    false,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from zhike.analytics.currencies import CurrencyCheck, check_columns, currency_path
from zhike.analytics.fields import FieldRef, FieldResolver, coerce, parse_date
from zhike.analytics.periods import (
    check_supported_day,
    local_midnight_utc,
    previous_range,
    resolve_period,
    utc_offset_segments,
)
from zhike.analytics.query import ReportFilter, ReportGroup, ReportMeasure, ReportQuery
from zhike.analytics.relations import Source, sources
from zhike.core.errors import Forbidden, InvalidInput, NotFound
from zhike.security.access import require, scope_select
from zhike.security.context import Actor

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
DATE_KINDS = ("date", "datetime")
VALUE_KINDS = ("amount", "number", "integer", "custom")


# How many distinct ids one statement's id converter remembers.
MAX_REMEMBERED_IDS = 10_000


class RepeatedUuid(Uuid[uuid.UUID]):
    """An id type for a grouped column, whose ids repeat in many rows (an owner in every month).

    Where the driver returns ids as text (SQLite), each distinct text is converted
    once per compiled statement instead of once per row. Where it returns UUID
    objects (PostgreSQL) the dialect's own type applies and nothing changes.
    """

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        # SQLAlchemy declares Uuid.result_processor without annotations.
        convert = super().result_processor(dialect, coltype)  # type: ignore[no-untyped-call]
        if convert is None:
            return None
        remembered: dict[Any, Any] = {}

        def process(value: Any) -> Any:
            found = remembered.get(value)
            if found is None:
                found = convert(value)
                if len(remembered) < MAX_REMEMBERED_IDS:
                    remembered[value] = found
            return found

        return process


@dataclass(frozen=True)
class ReportContext:
    timezone: str
    fiscal_start_month: int
    today: date
    dialect: str


@dataclass
class MeasurePlan:
    """The SQL columns of one measure and how to turn a result row into its value."""

    measure: ReportMeasure
    columns: dict[str, ColumnElement[Any]]
    finish: Callable[[dict[str, Any]], Any]
    type: str
    # Set for a median computed in Python (SQLite has no percentile function).
    median_of: ColumnElement[Any] | None = None
    # Set when the measure is its one column's value passed through this function, so
    # result rows can be built from positions without a mapping per row.
    direct: Callable[[Any], Any] | None = None
    # Set for a money measure: the source of the currency of its amounts.
    currency: CurrencyCheck | None = None


def same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Period:
    """The date range of the filter that compare-to-previous-period shifts."""

    filter_index: int
    start: date
    end: date
    name: str | None


class ReportCompiler:
    """Compiles one query for one actor; ``statement`` can be built for any period."""

    def __init__(
        self, session: Session, actor: Actor, query: ReportQuery, context: ReportContext
    ) -> None:
        known = sources()
        base = known.get(query.object)
        if base is None or base.crm_object is None:
            raise NotFound(
                "unknown_object",
                name=query.object,
                known=", ".join(sorted(n for n, s in known.items() if s.crm_object)),
            )
        require(actor, base.crm_object, "read")
        self.session = session
        self.actor = actor
        self.query = query
        self.context = context
        self.base = base
        self.resolver = self._resolver()
        self.groups = [self._group(group) for group in query.group_by]
        self.filters = [
            (item, self.resolver.resolve(item.field, f"filter:{item.op}")) for item in query.filters
        ]
        self.measures = [self._measure(index, item) for index, item in enumerate(query.measures)]
        self.period = self._period() if query.compare_previous else None

    # Where the rows come from; a rollup compiler overrides these.
    source = "base_tables"
    # Why a query that could have read a rollup did not; None when no rollup applies.
    fallback_reason: str | None = None

    def _resolver(self) -> FieldResolver:
        return FieldResolver(self.session, self.actor, self.base)

    # Group-by terms

    def _group(self, group: ReportGroup) -> tuple[ReportGroup, ColumnElement[Any], str]:
        ref = self.resolver.resolve(group.field, "dimension")
        if group.bucket is None:
            expression = ref.custom_as("string") if ref.kind == "custom" else ref.expression
            if ref.kind == "uuid":
                expression = type_coerce(expression, RepeatedUuid())
            kind = "string" if ref.kind == "custom" else ref.kind
            return group, expression, "decimal" if kind == "amount" else kind
        if ref.kind not in DATE_KINDS:
            raise InvalidInput("report_bucket_needs_date", field=group.field, bucket=group.bucket)
        return group, self.bucket(ref, group.bucket), "string"

    def _local(self, ref: FieldRef) -> ColumnElement[Any]:
        """The field's value as a local date-time of the tenant (a date stays a date)."""
        if self.context.dialect == "postgresql":
            if ref.kind == "date":
                return cast(ref.expression, TIMESTAMP)
            return func.timezone(self.context.timezone, ref.expression, type_=DateTime())
        if ref.kind == "date":
            return ref.expression
        segments = utc_offset_segments(self.context.timezone)
        if len(segments) == 1:
            modifier: Any = f"{segments[0][1]:+d} minutes"
        else:
            # Newest first: most rows match the first branch.
            modifier = case(
                *(
                    (ref.expression >= start, f"{offset:+d} minutes")
                    for start, offset in reversed(segments[1:])
                ),
                else_=f"{segments[0][1]:+d} minutes",
            )
        return func.datetime(ref.expression, modifier, type_=String())

    def bucket(self, ref: FieldRef, bucket: str) -> ColumnElement[Any]:
        local = self._local(ref)
        postgres = self.context.dialect == "postgresql"
        if postgres:
            year: ColumnElement[Any] = cast(extract("year", local), Integer)
            month: ColumnElement[Any] = cast(extract("month", local), Integer)
        else:
            year = cast(func.strftime("%Y", local), Integer)
            month = cast(func.strftime("%m", local), Integer)
        if bucket == "day":
            return func.to_char(local, "YYYY-MM-DD") if postgres else func.date(local)
        if bucket == "week":
            if postgres:
                return func.to_char(func.date_trunc("week", local), "YYYY-MM-DD")
            return func.date(local, "weekday 0", "-6 days")
        if bucket == "month":
            return func.to_char(local, "YYYY-MM") if postgres else func.strftime("%Y-%m", local)
        if bucket == "year":
            return cast(year, String)
        if bucket == "quarter":
            return cast(year, String) + literal("-Q") + cast((month + 2) // 3, String)
        start_month = self.context.fiscal_start_month
        fiscal_year = year if start_month == 1 else year - case((month < start_month, 1), else_=0)
        return literal("FY") + cast(fiscal_year, String)

    # Filters

    def _filter(
        self, item: ReportFilter, ref: FieldRef, period: tuple[date, date] | None
    ) -> ColumnElement[bool]:
        op, value = item.op, item.value
        if period is not None:
            return self._date_range(ref, *period)
        if op in ("is_empty", "is_not_empty"):
            expression = ref.custom_as("string") if ref.kind == "custom" else ref.expression
            empty: ColumnElement[bool] = expression.is_(None)
            if ref.kind in ("string", "custom"):
                empty = or_(empty, expression == "")
            return empty if op == "is_empty" else ~empty
        if op == "relative":
            if ref.kind not in DATE_KINDS or not isinstance(value, str):
                raise InvalidInput("report_relative_needs_date", field=item.field)
            start, end = resolve_period(value, self.context.today, self.context.fiscal_start_month)
            return self._date_range(ref, start, end)
        if op == "between":
            if not isinstance(value, list) or len(value) != 2:
                raise InvalidInput(
                    "report_invalid_value",
                    field=item.field,
                    value=str(value)[:100],
                    type="[low, high]",
                )
            low_day, high_day = parse_date(value[0]), parse_date(value[1])
            if ref.kind in DATE_KINDS and low_day is not None and high_day is not None:
                # The range ends at the next midnight, which 9999-12-31 does not have.
                check_supported_day(low_day, item.field)
                check_supported_day(high_day, item.field)
                return self._date_range(ref, low_day, high_day + timedelta(days=1))
            expression = self._comparable(ref, value[0])
            low, high = (self._value(ref, part) for part in value)
            return and_(expression >= low, expression <= high)
        if op in ("in", "not_in"):
            if not isinstance(value, list):
                raise InvalidInput(
                    "report_invalid_value", field=item.field, value=str(value)[:100], type="list"
                )
            if not value:
                return false() if op == "in" else ~false()
            expression = self._comparable(ref, value[0])
            values = [self._value(ref, part) for part in value]
            if op == "in":
                return expression.in_(values)
            return or_(expression.not_in(values), expression.is_(None))
        if op == "contains":
            text = ref.custom_as("string") if ref.kind == "custom" else cast(ref.expression, String)
            pattern = "%" + _escape_like(str(value)) + "%"
            return text.ilike(pattern, escape="\\")
        expression = self._comparable(ref, value)
        bound = self._value(ref, value)
        comparisons: dict[str, Callable[[], ColumnElement[bool]]] = {
            "eq": lambda: expression == bound,
            "ne": lambda: or_(expression != bound, expression.is_(None)),
            "gt": lambda: expression > bound,
            "gte": lambda: expression >= bound,
            "lt": lambda: expression < bound,
            "lte": lambda: expression <= bound,
        }
        return comparisons[op]()

    def _comparable(self, ref: FieldRef, sample: Any) -> ColumnElement[Any]:
        if ref.kind != "custom":
            return ref.expression
        if isinstance(sample, bool):
            return ref.custom_as("boolean")
        if isinstance(sample, int | float):
            return ref.custom_as("number")
        return ref.custom_as("string")

    def _value(self, ref: FieldRef, value: Any) -> Any:
        if ref.kind == "custom" and isinstance(value, list | dict):
            raise InvalidInput(
                "report_invalid_value", field=ref.path, value=str(value)[:100], type="scalar"
            )
        return coerce(ref, value, self.context.timezone)

    def _date_range(self, ref: FieldRef, start: date, end: date) -> ColumnElement[bool]:
        if ref.kind == "date":
            return and_(ref.expression >= start, ref.expression < end)
        return and_(
            ref.expression >= local_midnight_utc(start, self.context.timezone),
            ref.expression < local_midnight_utc(end, self.context.timezone),
        )

    def _period(self) -> Period:
        for index, (item, ref) in enumerate(self.filters):
            if ref.kind not in DATE_KINDS or item.op not in ("relative", "between"):
                continue
            if item.op == "relative" and isinstance(item.value, str):
                start, end = resolve_period(
                    item.value, self.context.today, self.context.fiscal_start_month
                )
                return Period(index, start, end, item.value)
            if isinstance(item.value, list) and len(item.value) == 2:
                low, high = parse_date(item.value[0]), parse_date(item.value[1])
                if low is not None and high is not None:
                    check_supported_day(low, item.field)
                    check_supported_day(high, item.field)
                    return Period(index, low, high + timedelta(days=1), None)
        raise InvalidInput("report_compare_needs_period")

    def previous_period(self) -> tuple[date, date]:
        assert self.period is not None
        return previous_range(
            self.period.name, self.period.start, self.period.end, self.context.fiscal_start_month
        )

    # Measures

    def _measure(self, index: int, measure: ReportMeasure) -> MeasurePlan:
        label = f"m{index}"
        aggregate = measure.aggregate
        if aggregate == "count" and measure.field is None:
            return MeasurePlan(
                measure, {label: func.count()}, lambda row: int(row[label]), "integer", direct=int
            )
        if aggregate == "conversion_rate":
            return self._conversion(label, measure)
        if aggregate == "share":
            return self._share(label, measure)
        if aggregate == "avg_days":
            return self._average_days(label, measure)
        assert measure.field is not None
        use = "count" if aggregate in ("count", "count_distinct") else "value"
        ref = self.resolver.resolve(measure.field, use)
        if aggregate in ("count", "count_distinct"):
            expression = ref.custom_as("string") if ref.kind == "custom" else ref.expression
            counted = func.count(
                distinct(expression) if aggregate == "count_distinct" else expression
            )
            return MeasurePlan(
                measure, {label: counted}, lambda row: int(row[label]), "integer", direct=int
            )
        if aggregate in ("min", "max"):
            expression = ref.custom_as("string") if ref.kind == "custom" else ref.expression
            function = func.min if aggregate == "min" else func.max
            kind = {"amount": "decimal", "custom": "string"}.get(ref.kind, ref.kind)
            return MeasurePlan(
                measure,
                {label: function(expression)},
                lambda row: row[label],
                kind,
                direct=same,
                currency=self.currency_check(ref, measure),
            )
        if ref.kind not in VALUE_KINDS:
            raise InvalidInput(
                "report_measure_needs_number", field=measure.field, aggregate=aggregate
            )
        value = ref.custom_as("number") if ref.kind == "custom" else ref.expression
        quantum = CENT if ref.kind == "amount" else RATIO
        if aggregate == "sum":
            kind = {"amount": "decimal", "integer": "integer"}.get(ref.kind, "number")
            if measure.clip is not None:
                # Typed like the field, so an amount bound is stored the way amounts are.
                bound = literal(measure.clip, type_=value.type)
                floor = literal(-measure.clip, type_=value.type)
                value = case((value > bound, bound), (value < floor, floor), else_=value)
            return MeasurePlan(
                measure,
                {label: func.sum(value)},
                lambda row: row[label],
                kind,
                direct=same,
                currency=self.currency_check(ref, measure),
            )
        if aggregate == "avg":
            # Sum and count, divided here: exact Decimal on both backends, where AVG()
            # would return a float (and, on SQLite, of the stored cents).
            total, value_count = f"{label}_sum", f"{label}_count"

            def average(row: dict[str, Any]) -> Any:
                if not row[value_count]:
                    return None
                return (Decimal(str(row[total])) / row[value_count]).quantize(quantum)

            columns: dict[str, ColumnElement[Any]] = {
                total: func.sum(value),
                value_count: func.count(value),
            }
            return MeasurePlan(
                measure, columns, average, "decimal", currency=self.currency_check(ref, measure)
            )
        # median
        money = self.currency_check(ref, measure)
        if self.context.dialect == "postgresql":
            median = func.percentile_cont(0.5).within_group(value)

            def finish_median(row: dict[str, Any]) -> Any:
                found = row[label]
                return None if found is None else Decimal(str(found)).quantize(quantum)

            return MeasurePlan(measure, {label: median}, finish_median, "decimal", currency=money)
        return MeasurePlan(
            measure, {}, lambda row: row.get(label), "decimal", median_of=value, currency=money
        )

    def currency_check(
        self,
        ref: FieldRef,
        measure: ReportMeasure,
        has_amount: ColumnElement[bool] | None = None,
    ) -> CurrencyCheck | None:
        """Return the source of an amount measure's currency, or None for other fields.

        ``has_amount`` selects the rows that carry an amount (by default those whose
        amount is not NULL). The currency must be readable, because an amount
        without it cannot be told apart from an amount in another currency.
        """
        if ref.kind != "amount":
            return None
        path = currency_path(self.base, ref.path)
        if path is None:
            return None
        try:
            currency = self.resolver.resolve(path, "dimension")
        except Forbidden as error:
            raise Forbidden("report_currency_hidden", field=path, measure=measure.name) from error
        grouped = [
            index
            for index, (group, _, _) in enumerate(self.groups)
            if group.field == path and group.bucket is None
        ]
        return CurrencyCheck(
            path=path,
            currency=currency.expression,
            has_amount=ref.expression.is_not(None) if has_amount is None else has_amount,
            group_index=grouped[0] if grouped else None,
        )

    def _share(self, label: str, measure: ReportMeasure) -> MeasurePlan:
        conditions = [
            self._filter(item, self.resolver.resolve(item.field, f"filter:{item.op}"), None)
            for item in measure.where
        ]
        matched, total = f"{label}_matched", f"{label}_rows"
        columns: dict[str, ColumnElement[Any]] = {
            matched: func.sum(case((and_(*conditions), 1), else_=0)),
            total: func.count(),
        }

        def ratio(row: dict[str, Any]) -> Decimal | None:
            if not row[total]:
                return None
            return (Decimal(int(row[matched] or 0)) / int(row[total])).quantize(RATIO)

        return MeasurePlan(measure, columns, ratio, "decimal")

    def _average_days(self, label: str, measure: ReportMeasure) -> MeasurePlan:
        assert measure.field is not None
        assert measure.end_field is not None
        start = self.resolver.resolve(measure.field, "value")
        end = self.resolver.resolve(measure.end_field, "value")
        for ref in (start, end):
            if ref.kind not in DATE_KINDS:
                raise InvalidInput("report_days_need_dates", field=ref.path)
        if self.context.dialect == "postgresql":
            # Both ends as local wall-clock times, so a date and a time compare on one clock.
            elapsed = func.extract("epoch", self._local(end) - self._local(start)) / 86400
        else:
            elapsed = func.julianday(self._local(end)) - func.julianday(self._local(start))
        both = and_(start.expression.is_not(None), end.expression.is_not(None))
        days = case((both, elapsed), else_=None)
        total, counted = f"{label}_sum", f"{label}_count"
        columns: dict[str, ColumnElement[Any]] = {
            total: func.sum(days),
            counted: func.count(days),
        }

        def average(row: dict[str, Any]) -> Decimal | None:
            if not row[counted]:
                return None
            return (Decimal(str(row[total])) / int(row[counted])).quantize(CENT)

        return MeasurePlan(measure, columns, average, "decimal")

    def _conversion(self, label: str, measure: ReportMeasure) -> MeasurePlan:
        from zhike.sales.models import OpportunityStageChange, PipelineStage

        if self.base.name != "opportunities":
            raise InvalidInput("report_conversion_needs_opportunities", object=self.base.name)
        stages = list(
            self.session.scalars(scope_select(self.actor, PipelineStage, select(PipelineStage)))
        )
        by_key = {stage.key: stage for stage in stages}
        table = self.resolver.table

        def reached(key: str | None) -> ColumnElement[bool]:
            stage = by_key.get(key or "")
            if stage is None:
                raise InvalidInput(
                    "report_unknown_stage", stage=key, known=", ".join(sorted(by_key))
                )
            # An opportunity reached a stage if its history records it, or if it now sits
            # in that stage or a later open or won one (imported deals carry no history).
            later = [s.id for s in stages if s.position >= stage.position and not s.is_lost]
            if stage.is_lost:
                later = [stage.id]
            entered = exists().where(
                OpportunityStageChange.tenant_id == self.actor.tenant_id,
                OpportunityStageChange.opportunity_id == table.c.id,
                OpportunityStageChange.to_stage_id == stage.id,
            )
            return or_(table.c.stage_id.in_(later), entered)

        reached_from = reached(measure.from_stage)
        reached_both = and_(reached_from, reached(measure.to_stage))
        started, converted = f"{label}_from", f"{label}_to"
        columns: dict[str, ColumnElement[Any]] = {
            started: func.sum(case((reached_from, 1), else_=0)),
            converted: func.sum(case((reached_both, 1), else_=0)),
        }

        def rate(row: dict[str, Any]) -> Decimal | None:
            if not row[started]:
                return None
            return (Decimal(int(row[converted])) / int(row[started])).quantize(RATIO)

        return MeasurePlan(measure, columns, rate, "decimal")

    # Statements

    def where(self, period: tuple[date, date] | None) -> list[ColumnElement[bool]]:
        index = self.period.filter_index if self.period is not None else -1
        return [
            self._filter(item, ref, period if position == index else None)
            for position, (item, ref) in enumerate(self.filters)
        ]

    def statement(
        self, period: tuple[date, date] | None = None, limit: int | None = None
    ) -> Select[Any]:
        """The grouped statement; ``period`` replaces the range of the compared filter."""
        group_columns = [
            expression.label(f"g{i}") for i, (_, expression, _) in enumerate(self.groups)
        ]
        measure_columns = [
            expression.label(name)
            for plan in self.measures
            for name, expression in plan.columns.items()
        ]
        columns = group_columns + measure_columns + check_columns(self.measures) or [
            func.count().label("rows")
        ]
        statement = self.resolver.apply_joins(select(*columns)).where(*self.where(period))
        statement = scope_select(self.actor, self.base.model, statement)
        if group_columns:
            statement = statement.group_by(*(expression for _, expression, _ in self.groups))
        return statement if limit is None else statement.limit(limit)

    def median_statement(self, plan: MeasurePlan, period: tuple[date, date] | None) -> Select[Any]:
        assert plan.median_of is not None
        columns = [expression.label(f"g{i}") for i, (_, expression, _) in enumerate(self.groups)]
        statement = self.resolver.apply_joins(select(*columns, plan.median_of.label("value")))
        statement = statement.where(*self.where(period), plan.median_of.is_not(None))
        return scope_select(self.actor, self.base.model, statement)


class CompiledReport(Protocol):
    """A compiled report query: its columns and the statements that compute them.

    A ``ReportCompiler`` is one, built for one request. A rollup query's
    ``rollup_query.CompiledRollupQuery`` is shared by the requests with an equal
    key, so it keeps no session or actor.
    """

    @property
    def source(self) -> str: ...

    @property
    def fallback_reason(self) -> str | None: ...

    @property
    def base(self) -> Source: ...

    @property
    def groups(self) -> Sequence[tuple[ReportGroup, ColumnElement[Any], str]]: ...

    @property
    def measures(self) -> Sequence[MeasurePlan]: ...

    def statement(
        self, period: tuple[date, date] | None = None, limit: int | None = None
    ) -> Select[Any]: ...

    def previous_period(self) -> tuple[date, date]: ...

    def median_statement(
        self, plan: MeasurePlan, period: tuple[date, date] | None
    ) -> Select[Any]: ...


def compile_report(
    session: Session,
    actor: Actor,
    query: ReportQuery,
    context: ReportContext,
    use_rollups: bool = True,
) -> CompiledReport:
    """Compile ``query``, reading a rollup table when it gives exactly the base tables' rows."""
    reason = None
    if use_rollups:
        # Imported here because the rollup compiler builds on ReportCompiler.
        from zhike.analytics.rollup_query import rollup_compiler

        rollup, reason = rollup_compiler(session, actor, query, context)
        if rollup is not None:
            return rollup
    compiler = ReportCompiler(session, actor, query, context)
    compiler.fallback_reason = reason
    return compiler


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
