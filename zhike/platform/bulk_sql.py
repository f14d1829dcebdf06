"""The statements of the bulk writer that must stay fast at a million rows.

``PreparedInsert`` compiles one INSERT of every column for the session's
dialect and hands the DB-API ``executemany`` plain tuples. SQLAlchemy's Core
executemany converts each value through its type on every row, which took
about a quarter of an import's time in a profile. Here each column's converter
is looked up once, values that every row shares (tenant, stamps, defaults)
are converted once, and a ``None`` is never converted at all. The converters
are the columns' own, so the stored form is the one the ORM would write.

``existing_rows`` finds the stored records of a batch of keys. On PostgreSQL
it probes the key's index once per key (a lateral join over the array of
keys). Rows written earlier in the same open transaction have no statistics,
so with a plain ``IN`` list (or a plain join, which the planner turns into a
hash join) every batch read every row imported before it, and an import's
time grew with the square of its rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, String, and_, func, insert, literal, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Dialect

_Converter = Callable[[Any], Any]


class PreparedInsert:
    """An INSERT of all columns of ``table``, run with the DB-API executemany."""

    def __init__(self, dialect: Dialect, table: Any, shared: dict[str, Any]) -> None:
        compiled = insert(table).compile(dialect=dialect)
        self.sql = str(compiled)
        names: list[str] = list(compiled.positiontup or [column.key for column in table.columns])
        self.positional = compiled.positiontup is not None
        self.names = names
        self.converters: list[_Converter | None] = []
        # The converted form of the values every row of a writer shares, keyed by
        # column; a row holding that very object reuses it.
        self.shared: list[tuple[Any, Any] | None] = []
        for name in names:
            column = table.c[name]
            converter = column.type.dialect_impl(dialect).bind_processor(dialect)
            self.converters.append(converter)
            value = shared.get(name)
            if converter is not None and value is not None:
                self.shared.append((value, converter(value)))
            else:
                self.shared.append(None)

    def parameters(self, rows: Iterable[dict[str, Any]]) -> list[Any]:
        names = self.names
        # itemgetter of one name returns the bare value, of several a tuple.
        read = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
        plan = [
            (position, converter, shared)
            for position, (converter, shared) in enumerate(
                zip(self.converters, self.shared, strict=True)
            )
            if converter is not None
        ]
        converted: list[tuple[Any, ...]] = []
        for row in rows:
            values = list(read(row))
            for position, converter, shared in plan:
                value = values[position]
                if value is not None:
                    if shared is not None and value is shared[0]:
                        values[position] = shared[1]
                    else:
                        values[position] = converter(value)
            converted.append(tuple(values))
        if self.positional:
            return converted
        return [dict(zip(self.names, values, strict=True)) for values in converted]

    def execute(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        connection.exec_driver_sql(self.sql, self.parameters(rows))


def existing_rows(
    connection: Connection,
    table: Any,
    key: str,
    keys: set[Any],
    conditions: list[ColumnElement[bool]],
    columns: list[str] | None = None,
) -> list[Any]:
    """Stored rows of ``table`` whose ``key`` column is one of ``keys``, under ``conditions``.

    ``columns`` narrows the result to those columns; by default rows have every column.
    """
    column = table.c[key]
    chosen = [table.c[name] for name in columns] if columns else [table]
    if (
        connection.dialect.name != "postgresql"
        or not isinstance(column.type, String)
        or not _probe_index(table, key)
    ):
        statement = select(*chosen).where(column.in_(keys), *conditions)
        return list(connection.execute(statement))
    wanted = (
        func.unnest(literal(sorted(keys), ARRAY(column.type)))
        .table_valued("key")
        .render_derived(name="wanted")
    )
    # OFFSET 0 keeps the planner from flattening the lateral subquery into a hash
    # join over the whole tenant, so each key stays one probe of the index.
    match = (
        select(*chosen).where(column == wanted.c.key, and_(*conditions)).offset(0).lateral("match")
    )
    statement = select(match).select_from(wanted).join(match, true())
    return list(connection.execute(statement))


def _probe_index(table: Any, key: str) -> bool:
    """Tell whether an index finds ``key`` once tenant and source are fixed."""
    for index in table.indexes:
        names = [column.name for column in index.columns]
        if key in names and set(names[: names.index(key)]) <= {"tenant_id", "source"}:
            return True
    return False
