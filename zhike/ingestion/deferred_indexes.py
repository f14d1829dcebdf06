"""Secondary indexes built once at the end of a large SQLite import step.

A row inserted into a table with a dozen indexes is inserted into each of them,
and for a column such as a name or a mobile number each insert lands on a
random page. Sorting all keys once and building the index from them costs less
than half of that when the import brings at least as many rows as the table
already contains (measured in docs/benchmarks.md). Below that, the rebuild of the
rows already stored outweighs what is saved, so the indexes stay.

The indexes are dropped and created again inside the import's own transaction.
SQLite's schema changes are transactional, so a failed or rolled-back import
gets every index back with the rest, and other connections keep reading with
the indexes of their snapshot. PostgreSQL is left alone: dropping an index there
locks the whole table against readers for the length of the import.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import Connection, Index, func, literal_column, select

logger = logging.getLogger(__name__)

SORT_CACHE_KIB = 16 * 1024


class DeferredIndexes:
    """Drop a table's secondary indexes for a large import step and build them again.

    ``needed`` names the columns that the step itself finds rows by: its key and
    its lookups into the same table. An index that starts with one of them, after
    the tenant, is kept. Unique indexes are always kept, because they reject a
    duplicate key while the rows arrive.
    """

    def __init__(self, connection: Connection, table: Any, needed: set[str]) -> None:
        self.connection = connection
        self.table = table
        self.needed = needed
        self.dropped: list[tuple[str, str]] = []

    def defer_if_worth_it(self, expected_rows: int, minimum_rows: int) -> bool:
        if minimum_rows <= 0 or expected_rows < minimum_rows or self.dropped:
            return False
        if self.connection.dialect.name != "sqlite":
            return False
        name = self.table.name
        # max(rowid) is read from the end of the table's tree, where count(*) would walk it.
        stored = self.connection.scalar(
            select(func.max(literal_column("rowid"))).select_from(self.table)
        )
        if expected_rows < (stored or 0):
            return False
        droppable = self._droppable()
        if not droppable:
            return False
        self._ensure_transaction()
        for index, sql in droppable:
            index.drop(self.connection)
            self.dropped.append((str(index.name), sql))
        logger.info(
            "import defers indexes",
            extra={"table": name, "indexes": len(self.dropped), "expected_rows": expected_rows},
        )
        return True

    def restore(self) -> None:
        if not self.dropped:
            return
        started = time.perf_counter()
        # SQLite's sorter takes as much memory as the page cache may hold before it
        # spills to temporary files. With the import's large cache that came on top of the
        # cache itself: 575 MiB at 1,000,000 contacts instead of 437. A small cache keeps
        # the sort to sorted runs on disk, which merged no slower in our measurements.
        cache = self.connection.exec_driver_sql("PRAGMA cache_size").scalar()
        self.connection.exec_driver_sql(f"PRAGMA cache_size=-{SORT_CACHE_KIB}")
        try:
            for _index_name, sql in self.dropped:
                self.connection.exec_driver_sql(sql)
        finally:
            self.connection.exec_driver_sql(f"PRAGMA cache_size={int(cache or -2000)}")
        logger.info(
            "import rebuilt indexes",
            extra={
                "table": self.table.name,
                "indexes": len(self.dropped),
                "seconds": round(time.perf_counter() - started, 3),
            },
        )
        self.dropped = []

    def _droppable(self) -> list[tuple[Index, str]]:
        declared = {index.name: index for index in self.table.indexes}
        stored = self.connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (self.table.name,),
        ).all()
        droppable = []
        for index_name, sql in stored:
            index = declared.get(index_name)
            # An index the model does not declare is someone's own tuning: left as it is.
            if index is None or index.unique:
                continue
            columns = [column.name for column in index.columns]
            leading = columns[1] if columns[:1] == ["tenant_id"] and len(columns) > 1 else None
            if columns[0] in self.needed or leading in self.needed:
                continue
            droppable.append((index, sql))
        return droppable

    def _ensure_transaction(self) -> None:
        # pysqlite opens a transaction only before a data change, and runs DDL outside one
        # in autocommit. The drop must be part of the import's transaction to be undone
        # with it.
        raw = self.connection.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            self.connection.exec_driver_sql("BEGIN")
