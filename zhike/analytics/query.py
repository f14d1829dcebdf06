"""The typed report query: one model for the report builder, dashboards, the API and the CLI.

A query names a base object, filters, group-by terms and measures. Field paths
are dotted: ``amount`` is a field of the base object, ``account.industry`` a
field of a related object reached through a declared relation (see
``relations.py``), and ``custom.region`` (or ``account.custom.region``) a
custom field kept in the JSON column.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_serializer, model_validator

FilterOperator = Literal[
    "eq",
    "ne",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "not_in",
    "between",
    "contains",
    "is_empty",
    "is_not_empty",
    "relative",
]
TimeBucket = Literal["day", "week", "month", "quarter", "year", "fiscal_year"]
Aggregate = Literal[
    "count",
    "count_distinct",
    "sum",
    "avg",
    "min",
    "max",
    "median",
    "conversion_rate",
    "share",
    "avg_days",
]

MAX_LIMIT = 10_000


class ReportFilter(BaseModel):
    """One condition; every filter of a query must hold (AND).

    ``value`` is a scalar for comparisons and ``contains``, a list for ``in`` and
    ``not_in``, a two-item list (inclusive) for ``between``, nothing for
    ``is_empty``/``is_not_empty``, and a period name for ``relative``
    (``today``, ``yesterday``, ``tomorrow``, ``this_``, ``last_`` or ``next_``
    followed by ``week``, ``month``, ``quarter``, ``year`` or ``fiscal_year``,
    ``last_N_days`` ending today and ``next_N_days`` starting today).
    """

    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=200)
    op: FilterOperator = "eq"
    value: Any = None


class ReportGroup(BaseModel):
    """A group-by term: a field, or a time bucket of a date or time field."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=200)
    bucket: TimeBucket | None = None
    alias: str | None = Field(default=None, max_length=100)

    @property
    def name(self) -> str:
        if self.alias:
            return self.alias
        return f"{self.field}:{self.bucket}" if self.bucket else self.field


class ReportMeasure(BaseModel):
    """An aggregate over the rows of each group.

    ``conversion_rate`` needs ``from_stage`` and ``to_stage`` (pipeline stage keys)
    and only applies to opportunities: the share of the group's opportunities
    that reached ``from_stage`` and also reached ``to_stage``.

    ``share`` is the fraction of the group's rows that meet every filter of
    ``where`` (a win rate is the share of closed deals with ``stage.is_won``).
    ``avg_days`` is the mean number of days from ``field`` to ``end_field``,
    both dates or times read in the tenant's time zone; rows missing either
    are left out (a sales cycle is ``created_at`` to ``closed_on``).
    """

    model_config = ConfigDict(extra="forbid")

    aggregate: Aggregate = "count"
    field: str | None = Field(default=None, max_length=200)
    from_stage: str | None = Field(default=None, max_length=50)
    to_stage: str | None = Field(default=None, max_length=50)
    alias: str | None = Field(default=None, max_length=100)
    where: list[ReportFilter] = Field(default_factory=list, max_length=10)
    end_field: str | None = Field(default=None, max_length=200)
    clip: Decimal | None = Field(
        default=None,
        gt=0,
        description="largest absolute value a row may add to a sum; needed for private sums",
    )

    @model_validator(mode="after")
    def _arguments(self) -> ReportMeasure:
        if self.aggregate == "conversion_rate":
            if not self.from_stage or not self.to_stage:
                raise ValueError("conversion_rate needs from_stage and to_stage")
        elif self.aggregate == "share":
            if not self.where:
                raise ValueError("share needs at least one filter in where")
        elif self.aggregate == "avg_days":
            if not self.field or not self.end_field:
                raise ValueError("avg_days needs field (the start) and end_field")
        elif self.aggregate != "count" and not self.field:
            raise ValueError(f"{self.aggregate} needs a field")
        return self

    @property
    def name(self) -> str:
        if self.alias:
            return self.alias
        if self.aggregate == "conversion_rate":
            return f"conversion_rate:{self.from_stage}->{self.to_stage}"
        if self.aggregate == "share":
            return "share:" + ",".join(f"{item.field}:{item.op}" for item in self.where)
        if self.aggregate == "avg_days":
            return f"avg_days:{self.field}->{self.end_field}"
        return f"{self.aggregate}:{self.field}" if self.field else self.aggregate


class ReportSort(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column: str = Field(min_length=1, max_length=200)
    descending: bool = False


class ReportPrivacy(BaseModel):
    """Differential privacy for the measures of a report.

    Each count and (clipped) sum gets Laplace noise scaled to ``epsilon``, split
    evenly over the measures; the query spends ``epsilon`` from the tenant's
    monthly budget and is refused once the budget is used up.
    """

    model_config = ConfigDict(extra="forbid")

    mode: Literal["differential"] = "differential"
    epsilon: float = Field(gt=0, le=10, description="privacy loss this query may spend")


class ReportQuery(BaseModel):
    """A report: ``object`` filtered, grouped and measured.

    ``compare_previous`` adds, for each measure, its value over the previous
    period and the change; the period is the query's ``relative`` or ``between``
    filter on a date or time field. ``as_of`` fixes "today" for relative periods
    (default: the current date in the tenant's time zone).
    """

    model_config = ConfigDict(extra="forbid")

    object: str = Field(min_length=1, max_length=50)
    filters: list[ReportFilter] = Field(default_factory=list, max_length=50)
    group_by: list[ReportGroup] = Field(default_factory=list, max_length=5)
    measures: list[ReportMeasure] = Field(
        default_factory=lambda: [ReportMeasure()], min_length=1, max_length=20
    )
    sort: list[ReportSort] = Field(default_factory=list, max_length=5)
    limit: int = Field(default=1000, ge=1, le=MAX_LIMIT)
    compare_previous: bool = False
    as_of: date | None = None
    privacy: ReportPrivacy | None = None

    @model_validator(mode="after")
    def _unique_columns(self) -> ReportQuery:
        names = [group.name for group in self.group_by] + [m.name for m in self.measures]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate column names {duplicates}; give each an alias")
        return self


ColumnKind = Literal["dimension", "measure"]


class ReportColumn(BaseModel):
    name: str
    kind: ColumnKind
    type: str
    currencies: list[str] | None = Field(
        default=None,
        description=(
            "set only for a money measure (sum, avg, min, max or median of an amount) whose "
            "rows in scope hold more than one currency, without grouping by that currency: "
            "the ISO 4217 codes, sorted. Each value of the column is then a list of "
            "{currency, value} (value a decimal string), one entry per currency. Absent "
            "otherwise, so a report in one currency reads as plain decimals"
        ),
    )
    # The one currency of a money column whose values are plain decimals. Files and
    # the command line name it; the API does not send it, so one-currency results
    # keep the shape they always had.
    _currency: str | None = PrivateAttr(default=None)

    @property
    def currency(self) -> str | None:
        return self._currency

    def name_currency(self, code: str | None) -> None:
        self._currency = code

    # Unannotated on purpose: with a return annotation, pydantic would describe the
    # column in OpenAPI by that type instead of by its fields.
    @model_serializer(mode="wrap")
    def _leave_out_empty_currencies(self, handler):  # type: ignore[no-untyped-def]
        data = handler(self)
        if isinstance(data, dict) and data.get("currencies") is None:
            data.pop("currencies", None)
        return data


class PrivacySpent(BaseModel):
    epsilon: float
    budget_remaining: float = Field(description="what the tenant may still spend this month")


class ReportResult(BaseModel):
    """Columns and rows; row values line up with ``columns``. Amounts are decimal strings.

    Amounts in different currencies are never added together: where the rows of
    a money measure hold several currencies, its values are lists of
    ``{currency, value}`` (see ``ReportColumn.currencies``).
    """

    columns: list[ReportColumn]
    rows: list[list[Any]] = Field(
        description=(
            "one list per row, in column order; a money measure in several currencies "
            "holds a list of {currency, value}"
        )
    )
    privacy: PrivacySpent | None = Field(
        default=None, description="set when the measures carry differential-privacy noise"
    )


class ReportExplanation(BaseModel):
    """The plan of a report query: where its rows come from and the SQL it runs."""

    source: Literal["base_tables", "rollup"] = Field(
        description="rollup: read from a table of pre-aggregated counts and sums"
    )
    table: str = Field(description="the table the rows come from")
    fallback_reason: str | None = Field(
        default=None,
        description=(
            "why a rollup of this object was not used: field_hidden, field_masked, "
            "field_not_in_rollup, measure_not_in_rollup, closed_on_finer_than_month, "
            "record_shares_or_sharing_rules or scope_not_by_owner"
        ),
    )
    statement: str = Field(description="the SQL of the grouped query, values as placeholders")
