"""Reading an opportunity report from ``opportunity_rollups`` when that gives the same rows.

The rollup keeps, per tenant x owner x stage x currency x close month, the
number of opportunities, the number with an amount and the sum of the amounts.
A query is answered from it only when all of these hold, and otherwise from the
base tables, with the reason recorded for the query explanation:

- every group-by term and filter is a rollup column (``owner_id``,
  ``stage_id``, ``currency``) or a field of the owner or the stage, joined
  through the rollup's own ``owner_id``/``stage_id``, or ``closed_on`` at month
  precision: month, quarter, year or fiscal-year buckets, emptiness tests, and
  ranges (relative periods, ``between``) that start and end on the first of a
  month, also for the previous period a comparison adds;
- every measure is a count, a count of such a field or of ``amount``, an
  unclipped sum or an average of ``amount``, or a share whose conditions are
  such filters (not min/max, medians, distinct counts, days or conversions);
- no field of the rollup is hidden from or masked for the viewer;
- the viewer's row visibility is a set of owners (own, department,
  department tree) or the whole tenant (company), with no manual shares or
  sharing rules on opportunities, which add rows that no owner set describes.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, Table, and_, case, func, select
from sqlalchemy.orm import Session

from zhike.analytics.compile import (
    CENT,
    RATIO,
    MeasurePlan,
    ReportCompiler,
    ReportContext,
    same,
)
from zhike.analytics.currencies import check_columns
from zhike.analytics.fields import FieldRef, FieldResolver, parse_date
from zhike.analytics.periods import resolve_period
from zhike.analytics.query import ReportFilter, ReportGroup, ReportMeasure, ReportQuery
from zhike.analytics.relations import Source
from zhike.analytics.rollup_models import OpportunityRollup
from zhike.core.errors import InvalidInput
from zhike.sales.models import Opportunity
from zhike.security.access import grant_for, owner_set_scope
from zhike.security.context import Actor
from zhike.security.fields import hidden_fields, masked_fields
from zhike.security.roles import ObjectGrant

OBJECT = "opportunities"
CLOSED_ON = "closed_on"
ROLLUP_FIELDS = frozenset({"owner_id", "stage_id", "currency", CLOSED_ON})
MONTH_BUCKETS = frozenset({"month", "quarter", "year", "fiscal_year"})
# Relations joined through a rollup column: their fields are the same for every
# opportunity a rollup row counts.
ROLLUP_RELATIONS = frozenset({"owner", "stage"})
AMOUNT = "amount"
# Stable codes for why a query read the base tables (see ``ReportExplanation``).
FIELD_HIDDEN = "field_hidden"
FIELD_MASKED = "field_masked"
FIELD_NOT_IN_ROLLUP = "field_not_in_rollup"
MEASURE_NOT_IN_ROLLUP = "measure_not_in_rollup"
DAYS_NEEDED = "closed_on_finer_than_month"
RECORD_SHARES = "record_shares_or_sharing_rules"
SCOPE_NOT_BY_OWNER = "scope_not_by_owner"
# Compiled rollup queries kept per process; a dashboard has a few dozen.
COMPILED_CACHE_SIZE = 256


def rollup_compiler(
    session: Session, actor: Actor, query: ReportQuery, context: ReportContext
) -> tuple[CompiledRollupQuery | None, str | None]:
    """Return the query compiled over the rollup, or None and why the base tables are read.

    The code is None too for objects without a rollup and for viewers who may not
    read opportunities: the base compiler then raises the error they should see.
    The grant, field-security and scope checks run for every call. Only the
    compiling is skipped on a cache hit, because compiling costs about as much as
    running a query on the rollup.
    """
    grant = grant_for(actor, OBJECT)
    if query.object != OBJECT or grant is None or "read" not in grant.actions:
        return None, None
    reason = _unsupported(session, actor, query, context)
    if reason is not None:
        return None, reason
    visible = _visible_owners(actor, grant)
    if isinstance(visible, str):
        return None, visible
    key = RollupQueryKey(actor.tenant_id, visible, context, query.model_dump_json())
    cached = _COMPILED.get(key)
    if cached is not None:
        return cached, None
    compiler = RollupCompiler(session, actor, query, context, visible)
    previous = None
    if compiler.period is not None:
        previous = compiler.previous_period()
        compared = compiler.filters[compiler.period.filter_index][0].field == CLOSED_ON
        if compared and not _month_aligned(*previous):
            return None, DAYS_NEEDED
    compiled = CompiledRollupQuery(
        base=compiler.base,
        groups=tuple(compiler.groups),
        measures=tuple(compiler.measures),
        own_statement=compiler.statement(),
        previous_range=previous,
        previous_statement=None if previous is None else compiler.statement(previous),
    )
    _COMPILED.put(key, compiled)
    return compiled, None


class RollupQueryKey(NamedTuple):
    """Everything a compiled rollup query depends on once the viewer's checks have passed.

    The fields a rollup query can reach are the rollup's own, which the checks have
    cleared as neither hidden nor masked, and fields of owners, stages and teams.
    Those are configuration without field security or record scope. So the
    tenant and the owners the viewer reads are all of the viewer that the
    statement depends on, and two viewers with equal keys get the same SQL.
    """

    tenant_id: uuid.UUID
    # The owners whose opportunities the viewer reads, or None for the whole tenant.
    owner_ids: tuple[uuid.UUID, ...] | None
    # The tenant's time zone and fiscal year start, the day and the SQL dialect.
    context: ReportContext
    query_json: str


@dataclass(frozen=True)
class CompiledRollupQuery:
    """A report query compiled over the rollup for one ``RollupQueryKey``.

    It contains SQLAlchemy Core statements, the result columns and their
    conversions, but no session or actor. So one instance serves every request
    with an equal key, each executing the statements in its own session. It
    implements ``CompiledReport``, as ``ReportCompiler`` does.
    """

    base: Source
    groups: tuple[tuple[ReportGroup, ColumnElement[Any], str], ...]
    measures: tuple[MeasurePlan, ...]
    # Unlimited statements for the query's own period and for the previous period
    # that a comparison adds (None without a comparison).
    own_statement: Select[Any]
    previous_range: tuple[date, date] | None
    previous_statement: Select[Any] | None
    source: str = "rollup"
    fallback_reason: str | None = None
    # Statements with a limit, built once each, because reusing the object lets
    # SQLAlchemy find its compiled form without walking the statement again.
    _limited: dict[tuple[tuple[date, date] | None, int], Select[Any]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def previous_period(self) -> tuple[date, date]:
        if self.previous_range is None:
            raise ValueError("previous_period() needs a query with compare_previous")
        return self.previous_range

    def statement(
        self, period: tuple[date, date] | None = None, limit: int | None = None
    ) -> Select[Any]:
        """Return the grouped statement of the query's own period or, given it, the previous one.

        Only those two periods were compiled, so any other ``period`` raises ValueError.
        """
        if period is None:
            unlimited = self.own_statement
        elif period == self.previous_range and self.previous_statement is not None:
            unlimited = self.previous_statement
        else:
            raise ValueError(
                f"the rollup query was compiled for its own and the previous period, not {period}"
            )
        if limit is None:
            return unlimited
        found = self._limited.get((period, limit))
        if found is None:
            found = unlimited.limit(limit)
            self._limited[(period, limit)] = found
        return found

    def median_statement(self, plan: MeasurePlan, period: tuple[date, date] | None) -> Select[Any]:
        # ``_measure_supported`` sends every median to the base tables.
        raise ValueError("a rollup query has no medians")


class CompiledRollupQueries:
    """The compiled rollup queries of recent keys, least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[RollupQueryKey, CompiledRollupQuery] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: RollupQueryKey) -> CompiledRollupQuery | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: RollupQueryKey, compiled: CompiledRollupQuery) -> None:
        with self._lock:
            self._entries[key] = compiled
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


_COMPILED = CompiledRollupQueries(COMPILED_CACHE_SIZE)


def _derivable(path: str) -> bool:
    head, _, rest = path.partition(".")
    if not rest:
        return path in ROLLUP_FIELDS
    return head in ROLLUP_RELATIONS


def _unsupported(
    session: Session, actor: Actor, query: ReportQuery, context: ReportContext
) -> str | None:
    """Return the code of the first part of the query the rollup cannot compute, or None.

    The rollup compiler checks field security only for the fields a query uses,
    and the amount is never resolved on it, so a hidden or masked amount must
    send the query to the base tables, which reject it where the use needs it.
    """
    kept = sorted(ROLLUP_FIELDS | {AMOUNT})
    if hidden_fields(actor, OBJECT) & set(kept):
        return FIELD_HIDDEN
    if masked_fields(session, actor, OBJECT, kept):
        return FIELD_MASKED
    filters = list(query.filters)
    paths = [group.field for group in query.group_by]
    for measure in query.measures:
        if not _measure_supported(measure):
            return MEASURE_NOT_IN_ROLLUP
        filters += measure.where
        if measure.aggregate == "count" and measure.field is not None and measure.field != AMOUNT:
            paths.append(measure.field)
    if not all(_derivable(path) for path in paths + [item.field for item in filters]):
        return FIELD_NOT_IN_ROLLUP
    if any(
        group.field == CLOSED_ON and group.bucket not in MONTH_BUCKETS for group in query.group_by
    ):
        return DAYS_NEEDED
    if not all(_month_precise(context, item) for item in filters if item.field == CLOSED_ON):
        return DAYS_NEEDED
    return None


def _month_aligned(start: date, end: date) -> bool:
    return start.day == 1 and end.day == 1


def _month_precise(context: ReportContext, item: ReportFilter) -> bool:
    """Tell whether a filter on ``closed_on`` selects whole months only."""
    if item.op in ("is_empty", "is_not_empty"):
        return True
    if item.op == "relative" and isinstance(item.value, str):
        try:
            start, end = resolve_period(item.value, context.today, context.fiscal_start_month)
        except InvalidInput:
            return False  # the base tables raise the error the caller should see
        return _month_aligned(start, end)
    if item.op == "between" and isinstance(item.value, list) and len(item.value) == 2:
        low, high = parse_date(item.value[0]), parse_date(item.value[1])
        return low is not None and high is not None and _month_aligned(low, high + timedelta(1))
    return False


def _measure_supported(measure: ReportMeasure) -> bool:
    if measure.aggregate == "count":
        return True
    if measure.aggregate == "share":
        return True
    if measure.aggregate in ("sum", "avg"):
        # A clip bounds each row's value, which a sum of many rows no longer shows.
        return measure.field == AMOUNT and measure.clip is None
    return False


def _visible_owners(actor: Actor, grant: ObjectGrant) -> tuple[uuid.UUID, ...] | str | None:
    """Return the owners whose opportunities the viewer reads.

    None means every owner of the tenant. A reason code is returned when no owner
    set describes the rows.
    """
    if grant.scope == "company":
        return None
    owners = owner_set_scope(actor, Opportunity)
    if owners is not None:
        return owners
    shared = (
        actor.shares_overflow
        or any(name == OBJECT for name, _, _ in actor.shares)
        or any(rule.object_name == OBJECT for rule in actor.sharing)
    )
    return RECORD_SHARES if shared else SCOPE_NOT_BY_OWNER


class RollupFieldResolver(FieldResolver):
    """Resolves paths as on opportunities (names, kinds, field security) to rollup columns.

    ``closed_on`` becomes the rollup's ``closed_month``, the first day of the
    same month. That is exact for the month-precise uses ``_unsupported`` lets
    through: month-or-coarser buckets and ranges between firsts of months.
    """

    def __init__(self, session: Session, actor: Actor, base: Source, rollup: Table) -> None:
        super().__init__(session, actor, base)
        self.table = rollup

    def resolve(self, path: str, use: str) -> FieldRef:
        if path != CLOSED_ON:
            return super().resolve(path, use)
        self._check_security(self.base, path, path, use)
        return FieldRef(path, self.table.c.closed_month, "date")


class RollupCompiler(ReportCompiler):
    """A report compiler whose rows are the rollup's, scoped by tenant and owner.

    It lives for one request, and ``rollup_compiler`` keeps only the session-free
    ``CompiledRollupQuery`` built from it.
    """

    source = "rollup"

    def __init__(
        self,
        session: Session,
        actor: Actor,
        query: ReportQuery,
        context: ReportContext,
        owners: tuple[uuid.UUID, ...] | None,
    ) -> None:
        self.owners = owners
        # The ORM declares __table__ as a FromClause; a mapped class's is a Table.
        self.rollup: Table = OpportunityRollup.__table__  # type: ignore[assignment]
        super().__init__(session, actor, query, context)

    def _resolver(self) -> FieldResolver:
        return RollupFieldResolver(self.session, self.actor, self.base, self.rollup)

    def _measure(self, index: int, measure: ReportMeasure) -> MeasurePlan:
        label = f"m{index}"
        rollup = self.rollup.c
        if measure.aggregate == "count":
            if measure.field is None:
                counted: ColumnElement[Any] = func.sum(rollup.record_count)
            elif measure.field == AMOUNT:
                # The rollup has no amount column to resolve; the base compiler
                # has already checked the viewer may count amounts.
                counted = func.sum(rollup.amount_count)
            else:
                ref = self.resolver.resolve(measure.field, "count")
                counted = func.sum(
                    case((ref.expression.is_not(None), rollup.record_count), else_=0)
                )
            return MeasurePlan(
                measure,
                {label: func.coalesce(counted, 0)},
                lambda row: int(row[label]),
                "integer",
                direct=int,
            )
        if measure.aggregate == "share":
            return self._rollup_share(label, measure)
        # The rollup has no amount column to resolve, so the check reads its currency
        # for the rows that count an amount.
        amount = FieldRef(AMOUNT, rollup.amount_sum, "amount")
        currency = self.currency_check(amount, measure, has_amount=rollup.amount_count > 0)
        if measure.aggregate == "sum":
            # NULL when no row of the group has an amount, as SUM() over the rows gives.
            total = case(
                (func.sum(rollup.amount_count) > 0, func.sum(rollup.amount_sum)), else_=None
            )
            return MeasurePlan(
                measure,
                {label: total},
                lambda row: row[label],
                "decimal",
                direct=same,
                currency=currency,
            )
        total_label, count_label = f"{label}_sum", f"{label}_count"

        def average(row: dict[str, Any]) -> Any:
            if not row[count_label]:
                return None
            return (Decimal(str(row[total_label])) / int(row[count_label])).quantize(CENT)

        columns: dict[str, ColumnElement[Any]] = {
            total_label: func.sum(rollup.amount_sum),
            count_label: func.sum(rollup.amount_count),
        }
        return MeasurePlan(measure, columns, average, "decimal", currency=currency)

    def _rollup_share(self, label: str, measure: ReportMeasure) -> MeasurePlan:
        conditions = [
            self._filter(item, self.resolver.resolve(item.field, f"filter:{item.op}"), None)
            for item in measure.where
        ]
        rows = self.rollup.c.record_count
        matched, total = f"{label}_matched", f"{label}_rows"
        columns: dict[str, ColumnElement[Any]] = {
            matched: func.sum(case((and_(*conditions), rows), else_=0)),
            total: func.sum(rows),
        }

        def ratio(row: dict[str, Any]) -> Any:
            if not row[total]:
                return None
            return (Decimal(int(row[matched] or 0)) / int(row[total])).quantize(RATIO)

        return MeasurePlan(measure, columns, ratio, "decimal")

    def statement(
        self, period: tuple[date, date] | None = None, limit: int | None = None
    ) -> Select[Any]:
        """Build the grouped statement over the rollup. ``period`` replaces the compared range."""
        group_columns = [
            expression.label(f"g{i}") for i, (_, expression, _) in enumerate(self.groups)
        ]
        measure_columns = [
            expression.label(name)
            for plan in self.measures
            for name, expression in plan.columns.items()
        ]
        checks = check_columns(self.measures)
        statement = self.resolver.apply_joins(select(*group_columns, *measure_columns, *checks))
        statement = statement.where(*self.where(period))
        statement = statement.where(self.rollup.c.tenant_id == self.actor.tenant_id)
        if self.owners is not None:
            statement = statement.where(self.rollup.c.owner_id.in_(self.owners))
        if group_columns:
            statement = statement.group_by(*(expression for _, expression, _ in self.groups))
        return statement if limit is None else statement.limit(limit)
