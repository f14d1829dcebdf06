"""Database engine, sessions and the declarative base shared by every domain."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Engine,
    MetaData,
    Numeric,
    String,
    TypeDecorator,
    Uuid,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from zhike.core.money import AMOUNT_PRECISION, AMOUNT_SCALE
from zhike.core.settings import Settings, get_settings
from zhike.core.timeutil import ensure_utc

logger = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, so the value is normalised to UTC on the way in and
    tagged as UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}; pass a timezone-aware time")
        aware = ensure_utc(value)
        return aware.replace(tzinfo=None) if dialect.name == "sqlite" else aware

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else ensure_utc(value)


class Amount(TypeDecorator[Decimal]):
    """A money amount: NUMERIC(18, 2) on PostgreSQL, whole cents in an integer on SQLite.

    SQLite keeps NUMERIC values as 8-byte floats once they pass 15 significant
    digits; integer cents stay exact up to the full 18 digits, and SUM() over
    them is exact too.
    """

    impl = Numeric(AMOUNT_PRECISION, AMOUNT_SCALE, asdecimal=True)
    cache_ok = True
    _CENT = Decimal(1).scaleb(-AMOUNT_SCALE)
    # How migrations spell this column, since they must not import application code.
    migration_type = (
        f"sa.Numeric(precision={AMOUNT_PRECISION}, scale={AMOUNT_SCALE})"
        ".with_variant(sa.BigInteger(), 'sqlite')"
    )

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(self.impl_instance)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = Decimal(value).quantize(self._CENT, rounding=ROUND_HALF_EVEN)
        if dialect.name == "sqlite":
            return int(amount.scaleb(AMOUNT_SCALE))
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-AMOUNT_SCALE).quantize(self._CENT)
        return Decimal(value).quantize(self._CENT)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        uuid.UUID: Uuid(),
        datetime: UTCDateTime(),
        Decimal: Amount(),
        dict[str, Any]: JSONDocument,
        list[str]: JSONDocument,
        list[dict[str, Any]]: JSONDocument,
        str: String(),
    }


def _configure_sqlite(busy_milliseconds: int) -> Any:
    def configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_milliseconds}")
        cursor.close()

    return configure


def create_db_engine(url: str | None = None, settings: Settings | None = None) -> Engine:
    settings = settings or get_settings()
    url = url or settings.database_url
    lock_milliseconds = int(settings.database_lock_timeout_seconds * 1000)
    if url.startswith("sqlite"):
        _ensure_sqlite_folder(url)
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": settings.database_lock_timeout_seconds,
            },
        )
        event.listen(engine, "connect", _configure_sqlite(lock_milliseconds))
    else:
        # Without lock_timeout PostgreSQL waits for a lock forever; past it the statement
        # fails with lock_not_available, and the API returns 503 database_busy.
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=10,
            connect_args={"options": f"-c lock_timeout={lock_milliseconds}"},
        )
        if settings.database_role:
            event.listen(engine, "connect", _set_role(settings.database_role))
    return engine


def _set_role(role: str) -> Any:
    def set_role(dbapi_connection: Any, _record: Any) -> None:
        from psycopg import sql

        with dbapi_connection.cursor() as cursor:
            cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
        dbapi_connection.commit()

    return set_role


def _ensure_sqlite_folder(url: str) -> None:
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if database and database != ":memory:":
        from pathlib import Path

        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


# SQLite result codes (the low byte of an extended code) of a lock held by another connection.
_SQLITE_BUSY_CODES = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED
_SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked", "database is busy")
# PostgreSQL SQLSTATEs of a lock wait that ran out or of a transaction the server aborted to
# resolve a conflict: lock_not_available, serialization_failure, deadlock_detected.
_POSTGRES_BUSY_STATES = frozenset({"55P03", "40001", "40P01"})


def is_lock_timeout(error: BaseException) -> bool:
    """Tell whether a database error means "another transaction is in the way, retry later"."""
    original = error.orig if isinstance(error, DBAPIError) else error
    if original is None:
        return False
    if getattr(original, "sqlstate", None) in _POSTGRES_BUSY_STATES:
        return True
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _SQLITE_BUSY_CODES:
        return True
    # sqlite3 of Python 3.11+ sets sqlite_errorcode; the message covers other drivers.
    return type(original).__name__ == "OperationalError" and str(original).startswith(
        _SQLITE_BUSY_MESSAGES
    )


class Database:
    """One engine and its session factory; created once per process."""

    def __init__(self, url: str | None = None, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.engine = create_db_engine(url, self.settings)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a session that commits on success and rolls back on any error."""
        session = self.session_factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


_database: Database | None = None


def get_database() -> Database:
    global _database
    if _database is None:
        _database = Database()
    return _database


def set_database(database: Database | None) -> None:
    """Replace the process-wide database, for the CLI and the test suite."""
    global _database
    _database = database
