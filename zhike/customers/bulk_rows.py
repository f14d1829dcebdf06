"""Many-row inserts and updates sent to the DB-API as plain tuples, for batch jobs.

The batch re-clustering writes about eight rows per record. These helpers compile
each statement once and convert the values a column at a time, instead of through
SQLAlchemy's parameter handling for every row.
"""

from __future__ import annotations

from itertools import repeat
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy.orm import Session

from zhike.core.ids import new_id, new_id_hex
from zhike.customers.identity_models import CustomerLink

# Rows per executemany call, and records per batch in the jobs that use these helpers.
WRITE_BATCH = 5_000


def model_table(model: Any) -> Any:
    # Mapped classes type __table__ as a FromClause, but every model here maps one Table.
    return model.__table__


class BulkStatement:
    """One insert or update run through the DB-API with plain tuples, many rows at once.

    SQLAlchemy's own executemany builds every row's parameters through the compiler,
    which cost more than the database work in a million-row run. Here each column is
    converted with its type's bind processor in one pass, and a value that every row
    shares (tenant, kind, time) is converted once.
    """

    def __init__(self, session: Session, statement: Any, fixed: dict[str, Any] | None = None):
        connection = session.connection()
        dialect = connection.dialect
        compiled = statement.compile(dialect=dialect)
        self._connection = connection
        self._sql = str(compiled)
        self._positional = compiled.positiontup is not None
        # Parameters go by the names rendered into the SQL, which anonymous binds only get here.
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        self._names = list(compiled.positiontup) if self._positional else list(by_name)
        self._converters = {
            name: by_name[name].type._cached_bind_processor(dialect) for name in self._names
        }
        shared = {**compiled.params, **(fixed or {})}
        self._shared = {
            name: self._convert(name, [shared.get(name)])[0]
            for name in self._names
            if name in shared
        }

    def _convert(self, name: str, values: list[Any]) -> list[Any]:
        converter = self._converters[name]
        if converter is None:
            return values
        return [None if value is None else converter(value) for value in values]

    def run(self, columns: dict[str, list[Any]], ready: tuple[str, ...] = ()) -> None:
        """Run the statement once per row. Columns named in ``ready`` are already in driver form."""
        count = len(next(iter(columns.values())))
        for start in range(0, count, WRITE_BATCH):
            stop = min(start + WRITE_BATCH, count)
            lists: list[Any] = []
            for name in self._names:
                if name in columns:
                    values = columns[name][start:stop]
                    lists.append(values if name in ready else self._convert(name, values))
                else:
                    lists.append(repeat(self._shared[name], stop - start))
            rows = zip(*lists, strict=False)
            parameters: list[Any] = (
                list(rows)
                if self._positional
                else [dict(zip(self._names, row, strict=True)) for row in rows]
            )
            self._connection.exec_driver_sql(self._sql, parameters)


def id_maker(session: Session) -> Any:
    """Make new ids in the driver's form: hex text, unless the database has a UUID type."""
    dialect = session.connection().dialect
    converter = model_table(CustomerLink).c.id.type._cached_bind_processor(dialect)
    if converter is None:
        return new_id
    if not dialect.supports_native_uuid:
        return new_id_hex
    return lambda: converter(new_id())


def driver_id(session: Session) -> Any:
    """Return a function that converts an id to the form the driver takes."""
    dialect = session.connection().dialect
    converter = model_table(CustomerLink).c.id.type._cached_bind_processor(dialect)
    if converter is None:
        return lambda value: value
    return lambda value: None if value is None else converter(value)


def insert_statement(
    session: Session, model: Any, fixed: dict[str, Any] | None = None
) -> BulkStatement:
    """Build an insert that names every column of the table. ``fixed`` values apply to every row."""
    table = model_table(model)
    values: dict[str, Any] = {column.key: bindparam(column.key) for column in table.columns}
    return BulkStatement(session, insert(table).values(values), fixed)


class RowColumns:
    """Rows to write, collected as tuples and handed over one list per column."""

    def __init__(self, *names: str) -> None:
        self._names = names
        self._rows: list[tuple[Any, ...]] = []

    def add(self, *values: Any) -> None:
        self._rows.append(values)

    @property
    def columns(self) -> dict[str, list[Any]]:
        if not self._rows:
            return {name: [] for name in self._names}
        transposed = zip(*self._rows, strict=True)
        return {name: list(values) for name, values in zip(self._names, transposed, strict=True)}

    def __len__(self) -> int:
        return len(self._rows)
