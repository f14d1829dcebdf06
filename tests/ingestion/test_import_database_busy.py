"""A lock held by another connection: imports return 503 database_busy and lose nothing.

The lock is real: a second connection holds SQLite's write lock (BEGIN IMMEDIATE)
or a PostgreSQL table lock on contacts, while the API works on a database object
with a half-second lock timeout.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from ingestion_helpers import count
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from testkit import TenantInfo

from zhike.core.db import Database, is_lock_timeout, set_database
from zhike.customers.models import Contact
from zhike.ingestion.models import ImportRun

FIRST = (
    "external_id,name,mobile,email,city,company\n"
    "b1,周杰,13812340001,zhou.jie@example.com,北京,云帆\n"
    "b2,吴倩,13812340002,wu.qian@example.com,上海,云帆\n"
)
# b2 again with a new city, and one new person.
SECOND = (
    "external_id,name,mobile,email,city,company\n"
    "b2,吴倩,13812340002,wu.qian@example.com,杭州,云帆\n"
    "b3,郑爽,13812340003,zheng.shuang@example.com,深圳,星河\n"
)
BUSY_ZH = "数据库正忙，本次请求未保存任何内容。请在 5 秒后重试。"
BUSY_EN = (
    "The database is busy with other work, so nothing of this request was saved. "
    "Retry in 5 seconds."
)


@pytest.fixture
def impatient_database(database: Database) -> Iterator[Database]:
    """The session's database opened again with a short lock timeout, serving the API."""
    url = database.engine.url.render_as_string(hide_password=False)
    settings = database.settings.model_copy(update={"database_lock_timeout_seconds": 0.5})
    impatient = Database(url, settings)
    set_database(impatient)
    try:
        yield impatient
    finally:
        set_database(database)
        impatient.dispose()


@contextmanager
def _locked(database: Database) -> Iterator[None]:
    """Hold a write lock from a second connection: all of SQLite, or PostgreSQL's contacts."""
    url = database.engine.url
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        holder: Any = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        holder = psycopg.connect(conninfo)
        holder.execute("LOCK TABLE contacts IN SHARE ROW EXCLUSIVE MODE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def _post(client: TestClient, body: str, language: str = "zh-CN") -> Any:
    return client.post(
        "/api/v1/imports",
        data={"profile": "contacts-csv", "mode": "all-or-nothing"},
        files={"files": ("contacts.csv", body.encode("utf-8"), "text/csv")},
        headers={"Accept-Language": language},
    )


def _contacts(database: Database, tenant: TenantInfo) -> dict[str, str | None]:
    with database.session() as session:
        rows = session.execute(
            select(Contact.external_id, Contact.city).where(Contact.tenant_id == tenant.tenant.id)
        ).all()
    return {str(external_id): city for external_id, city in rows}


def _runs(database: Database, tenant: TenantInfo) -> list[tuple[str, str | None]]:
    with database.session() as session:
        rows = session.execute(
            select(ImportRun.status, ImportRun.error)
            .where(ImportRun.tenant_id == tenant.tenant.id)
            .order_by(ImportRun.started_at)
        ).all()
    return [(status, error) for status, error in rows]


def test_import_under_lock_answers_503_and_resumes(
    client: TestClient, database: Database, tenant: TenantInfo, impatient_database: Database
) -> None:
    first = _post(client, FIRST)
    assert first.status_code == 201, first.text
    stored = _contacts(database, tenant)

    with _locked(database):
        busy = _post(client, SECOND)
        busy_en = _post(client, SECOND, language="en")

    after_busy = _contacts(database, tenant)
    runs_after_busy = _runs(database, tenant)
    retried = _post(client, SECOND)

    assert stored == {"b1": "北京", "b2": "上海"}
    assert busy.status_code == 503, busy.text
    assert busy.headers["content-type"] == "application/problem+json"
    assert busy.headers["retry-after"] == "5"
    assert busy.json()["code"] == "database_busy"
    assert busy.json()["detail"] == BUSY_ZH
    assert busy_en.status_code == 503
    assert busy_en.json()["detail"] == BUSY_EN
    # Nothing of the rejected runs is stored, and the earlier import is intact.
    assert after_busy == stored
    if database.engine.dialect.name == "sqlite":
        # The whole file is locked, so not even the run could be recorded.
        assert runs_after_busy == [("succeeded", None)]
    else:
        # Only contacts are locked: the runs are on record as failed, in the caller's language.
        assert runs_after_busy == [
            ("succeeded", None),
            ("failed", BUSY_ZH),
            ("failed", BUSY_EN),
        ]
    assert retried.status_code == 201, retried.text
    assert retried.json()["status"] == "succeeded"
    assert (retried.json()["rows_created"], retried.json()["rows_updated"]) == (1, 1)
    assert _contacts(database, tenant) == {"b1": "北京", "b2": "杭州", "b3": "深圳"}
    assert count(database, Contact, tenant.tenant.id) == 3


def test_lock_timeout_errors_are_recognised(
    database: Database, impatient_database: Database
) -> None:
    with (
        _locked(database),
        pytest.raises(DBAPIError) as raised,
        impatient_database.engine.begin() as connection,
    ):
        connection.exec_driver_sql("DELETE FROM contacts WHERE 1 = 0")

    assert is_lock_timeout(raised.value)
    assert not is_lock_timeout(ValueError("database is locked"))
    with pytest.raises(DBAPIError) as syntax, impatient_database.engine.begin() as connection:
        connection.exec_driver_sql("SELEC 1")
    assert not is_lock_timeout(syntax.value)
