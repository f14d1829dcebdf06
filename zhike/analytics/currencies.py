"""Money measures kept per currency: amounts in different currencies are never added together.

A money measure is ``sum``, ``avg``, ``min``, ``max`` or ``median`` of an amount
field (``amount``, ``account.annual_revenue``). Each reportable table with an
amount (opportunities, accounts, campaigns, products) stores its currency in a
``currency`` column next to it, and Zhike stores no exchange rates, so nothing
is converted. An amount of a table without that column is treated as a number.

- A report that groups by that currency is safe already: each row holds one
  currency, which its currency column shows.
- Otherwise the grouped statement also reads the lowest and highest currency of
  each group's amounts. A group whose two differ mixes currencies, and its
  values are computed again per currency by the same statement grouped by the
  currency as well.
- When the rows in scope hold one currency, the values stay plain decimals and
  the column names that currency. When they hold several, every value of the
  column is a list of ``{currency, value}``, one entry per currency, sorted by
  the currency code (one entry for a group in one currency).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, case, func

from zhike.analytics.relations import Source, sources

if TYPE_CHECKING:
    from zhike.analytics.compile import MeasurePlan

# The aggregates whose value is in the unit, so the currency, of their field.
MONEY_AGGREGATES = frozenset({"sum", "avg", "min", "max", "median"})
CURRENCY_FIELD = "currency"

# A cell of a money measure while a report is assembled: one value per currency code.
PerCurrency = dict[str, Any]


@dataclass(frozen=True)
class CurrencyCheck:
    """The source of the currency of a money measure's amounts.

    ``path`` is the currency field (``currency``, ``account.currency``) and
    ``currency`` its SQL expression. ``has_amount`` is true for the rows whose
    amount the measure reads, so rows without an amount never make a group
    mixed. ``group_index`` is the position of the group-by term that is this
    currency, or None when the report does not group by it.
    """

    path: str
    currency: ColumnElement[Any]
    has_amount: ColumnElement[bool]
    group_index: int | None


def currency_path(base: Source, amount_path: str) -> str | None:
    """Return the currency field of an amount field, or None when its table has no currency."""
    known = sources()
    parts = amount_path.split(".")
    source = base
    while len(parts) > 1 and parts[0] in source.relations:
        source = known[source.relations[parts.pop(0)].target]
    if CURRENCY_FIELD not in source.model.__table__.c:
        return None
    prefix = amount_path.rsplit(".", 1)[0] + "." if "." in amount_path else ""
    return prefix + CURRENCY_FIELD


def unsplit_checks(plans: Sequence[MeasurePlan]) -> list[CurrencyCheck]:
    """Return the distinct currency checks of measures whose report does not group by currency."""
    found: dict[str, CurrencyCheck] = {}
    for plan in plans:
        check = plan.currency
        if check is not None and check.group_index is None:
            found.setdefault(check.path, check)
    return list(found.values())


def check_columns(plans: Sequence[MeasurePlan]) -> list[ColumnElement[Any]]:
    """Return two columns per check: the lowest and the highest currency of a group's amounts.

    They follow the measure columns of a grouped statement. Min and max cost far
    less than a distinct count and tell the same: the group mixes currencies
    exactly when the two differ.
    """
    columns: list[ColumnElement[Any]] = []
    for index, check in enumerate(unsplit_checks(plans)):
        priced = case((check.has_amount, check.currency), else_=None)
        columns.append(func.min(priced).label(f"currency{index}_low"))
        columns.append(func.max(priced).label(f"currency{index}_high"))
    return columns


def currency_values(cell: PerCurrency) -> list[dict[str, Any]]:
    """Turn one value per currency into the ``{currency, value}`` list a result row contains."""
    return [{"currency": code, "value": cell[code]} for code in sorted(cell)]


def difference(value: Any, old: Any) -> Any:
    """Return ``value - old``, per currency for money cells; None where either is missing.

    A money cell's change contains only the currencies present in both periods.
    """
    if value is None or old is None:
        return None
    if isinstance(value, dict) and isinstance(old, dict):
        changed = {code: value[code] - old[code] for code in value if code in old}
        return changed or None
    return value - old


def sort_key(position: int, descending: bool = False) -> Callable[[list[Any]], Any]:
    """Order money cells by currency code, then value, so no two currencies are compared.

    Currency codes stay in ascending order either way: ``descending`` reverses only the
    values within each currency, so the list is sorted without ``reverse=True``.
    """

    def key(row: list[Any]) -> list[tuple[str, bool, Any]]:
        entries: list[tuple[str, bool, Any]] = []
        for code, value in sorted(row[position].items()):
            if value is None:
                # An empty value sorts after the others of its currency, whichever the direction.
                entries.append((code, True, 0))
            else:
                entries.append((code, False, -value if descending else value))
        return entries

    return key


def merge_per_currency(
    values: Sequence[PerCurrency | list[dict[str, Any]]],
    combine: Callable[[list[Any]], Any],
) -> list[dict[str, Any]]:
    """Combine the money cells of several rows per currency, such as adding sums."""
    by_code: dict[str, list[Any]] = {}
    for cell in values:
        entries = cell if isinstance(cell, list) else currency_values(cell)
        for entry in entries:
            if entry["value"] is not None:
                by_code.setdefault(entry["currency"], []).append(entry["value"])
    return currency_values({code: combine(found) for code, found in by_code.items()})


def currency_text(entries: list[dict[str, Any]]) -> str:
    """Write a list per currency as plain text, such as ``CNY 1000.00; USD 200.00``."""
    return "; ".join(f"{entry['currency']} {entry['value']}" for entry in entries)
