"""Schema migrations through Alembic, with a backup of SQLite files first.

``upgrade`` refuses a database whose revision this version does not know,
because that database was written by a newer Zhike and downgrading it in
place could lose data.
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from zhike.core.timeutil import utc_now

logger = logging.getLogger(__name__)


class NewerDatabaseError(RuntimeError):
    """The database carries a migration revision this version of Zhike does not have."""


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("zhike") / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def backup_sqlite(url: str) -> Path | None:
    """Copy an SQLite database file next to itself before it is migrated, if it holds tables."""
    database = make_url(url).database
    if not database or database == ":memory:" or not Path(database).exists():
        return None
    source = Path(database)
    if not _sqlite_has_tables(source):
        return None  # a file that connecting just created holds nothing worth keeping
    stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
    target = source.with_name(f"{source.name}.{stamp}.bak")
    # The backup API copies a consistent snapshot even while the WAL holds changes.
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    logger.info("sqlite database backed up", extra={"backup": str(target)})
    return target


def _sqlite_has_tables(path: Path) -> bool:
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
        query = "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
        row = connection.execute(query).fetchone()
    return bool(row and row[0])


def upgrade(engine: Engine, url: str) -> tuple[str | None, str | None, Path | None]:
    """Migrate to the newest revision; return (from, to, backup path)."""
    script = ScriptDirectory.from_config(alembic_config(url))
    before = current_revision(engine)
    if before is not None and not _known(script, before):
        raise NewerDatabaseError(before)
    head = script.get_current_head()
    backup = None
    if before != head and url.startswith("sqlite"):
        backup = backup_sqlite(url)
    config = alembic_config(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    logger.info("database upgraded", extra={"from_revision": before, "to_revision": head})
    return before, head, backup


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except (RevisionError, CommandError):
        return False
