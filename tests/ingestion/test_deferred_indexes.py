"""Large SQLite imports build the secondary indexes once at the end of a step.

The import tests here run on a new SQLite database of their own, so that the
size of the contacts table (which decides whether indexes are deferred) does
not depend on what other tests wrote before.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from testkit import ADMIN_PASSWORD

from zhike.core.db import Database, set_database
from zhike.core.migrate import upgrade
from zhike.core.settings import Settings
from zhike.customers.models import Contact
from zhike.ingestion.deferred_indexes import DeferredIndexes
from zhike.ingestion.importer import run_import
from zhike.security.tenants import create_tenant

HEADER = ["external_id", "name", "mobile", "email", "city", "company"]
DEFERRED = "import defers indexes"


@dataclass
class Fresh:
    database: Database
    slug: str
    email: str


@pytest.fixture
def fresh(tmp_path: Path, database: Database) -> Iterator[Fresh]:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    settings = Settings(
        database_url=url,
        data_dir=tmp_path / "state",
        import_batch_size=3,
        import_defer_indexes_rows=5,
    )
    own = Database(url, settings)
    upgrade(own.engine, url)
    with own.session() as session:
        create_tenant(session, "fresh", "新库测试公司", "admin@fresh.example.com", ADMIN_PASSWORD)
    set_database(own)
    try:
        yield Fresh(own, "fresh", "admin@fresh.example.com")
    finally:
        set_database(database)
        own.dispose()


def _people(count: int, start: int = 0) -> list[list[str]]:
    # Long rows, so that the first batch is a fair sample of the file: the reader
    # takes the file in chunks of 8 KiB, and the step estimates its rows from them.
    company = "知客科技" * 400
    cities = ["杭州", "上海", "北京", "深圳"]
    return [
        [
            f"p{number}",
            f"客户{number:03d}",
            f"1381234{number:04d}",
            f"p{number}@example.com",
            cities[number % 4],
            company,
        ]
        for number in range(start, start + count)
    ]


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def _indexes(database: Database) -> set[tuple[str, str]]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'index' AND tbl_name = 'contacts' AND sql IS NOT NULL"
            )
        )
        return {(name, sql) for name, sql in rows}


def _contacts(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(Contact)) or 0)


def test_large_import_builds_the_indexes_at_the_end(
    fresh: Fresh, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = _indexes(fresh.database)
    source = _write(tmp_path / "contacts.csv", _people(12))

    with caplog.at_level(logging.INFO, logger="zhike.ingestion.deferred_indexes"):
        result = run_import(
            fresh.database, fresh.slug, "contacts-csv", source, user_email=fresh.email
        )

    assert (result.status, result.rows_created) == ("succeeded", 12)
    assert DEFERRED in caplog.messages
    assert _indexes(fresh.database) == before
    with fresh.database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        # Queries use the rebuilt index again.
        plan = connection.execute(
            text("EXPLAIN QUERY PLAN SELECT id FROM contacts WHERE tenant_id = :t AND city = :c"),
            {"t": "x", "c": "杭州"},
        ).all()
        assert any("ix_contacts_tenant_city" in str(row) for row in plan)
    with fresh.database.session() as session:
        hangzhou = session.scalar(
            select(func.count()).select_from(Contact).where(Contact.city == "杭州")
        )
    assert hangzhou == 3


def test_rolled_back_import_keeps_every_index(
    fresh: Fresh, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = _indexes(fresh.database)
    rows = _people(12)
    # A bad mobile number in the last batch, after the indexes were dropped.
    rows[-1][2] = "12345"
    source = _write(tmp_path / "contacts.csv", rows)

    with caplog.at_level(logging.INFO, logger="zhike.ingestion.deferred_indexes"):
        result = run_import(
            fresh.database, fresh.slug, "contacts-csv", source, user_email=fresh.email
        )

    assert (result.status, result.rows_rejected) == ("rolled_back", 1)
    assert DEFERRED in caplog.messages
    assert _indexes(fresh.database) == before
    assert _contacts(fresh.database) == 0


def test_import_smaller_than_the_table_keeps_the_indexes(
    fresh: Fresh, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = _write(tmp_path / "contacts.csv", _people(30))
    assert run_import(fresh.database, fresh.slug, "contacts-csv", first).status == "succeeded"
    caplog.clear()
    second = _write(tmp_path / "more.csv", _people(12, start=30))

    with caplog.at_level(logging.INFO, logger="zhike.ingestion.deferred_indexes"):
        result = run_import(fresh.database, fresh.slug, "contacts-csv", second)

    assert (result.status, result.rows_created) == ("succeeded", 12)
    # Rebuilding 42 rows' indexes to save work on 12 would cost more than it saves.
    assert DEFERRED not in caplog.messages
    assert _contacts(fresh.database) == 42


def test_indexes_the_step_reads_by_stay(database: Database) -> None:
    table = Contact.__table__
    with database.engine.connect() as connection:
        deferred = DeferredIndexes(connection, table, {"external_id", "mobile"})
        dropped = deferred.defer_if_worth_it(expected_rows=10**12, minimum_rows=1)
        if database.engine.dialect.name == "postgresql":
            # Dropping an index there would lock the table against every reader.
            assert not dropped
            return
        assert dropped
        remaining = {
            name
            for (name,) in connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contacts'"
                )
            )
        }
        connection.rollback()
    assert "ix_contacts_tenant_mobile" in remaining
    assert "ix_contacts_tenant_external" in remaining
    assert "ix_contacts_tenant_city" not in remaining
    assert "ix_contacts_tenant_name" not in remaining
