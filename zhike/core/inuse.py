"""Marks an SQLite database file as in use by a serving process.

A server holds a shared lock on ``<file>.inuse`` for as long as it runs; a
command that wants to delete or replace the file asks for an exclusive lock
first and stops if it cannot get one. SQLite's own locks do not help here:
an idle server holds none, yet deleting its file under it leaves the server
writing to a file that no longer exists while its WAL is paired with the new one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; the guard is then off
    fcntl = None  # type: ignore[assignment]

# Kept open for the life of the process: closing the file would drop the lock.
_held: list[IO[bytes]] = []


def marker_for(database_file: Path) -> Path:
    return database_file.with_name(database_file.name + ".inuse")


def hold_shared(database_file: Path) -> None:
    """Mark ``database_file`` as served by this process until it exits."""
    if fcntl is None:
        return
    marker = marker_for(database_file)
    marker.parent.mkdir(parents=True, exist_ok=True)
    handle = marker.open("ab")
    fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
    _held.append(handle)


def in_use_elsewhere(database_file: Path) -> bool:
    """Whether another process serves ``database_file`` right now."""
    marker = marker_for(database_file)
    if fcntl is None or not marker.exists():
        return False
    with marker.open("ab") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL, or None for other databases and in-memory ones."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    name = url[len(prefix) :].split("?", 1)[0]
    if not name or name == ":memory:":
        return None
    return Path(os.path.abspath(name))
