"""Batched writes for the demo, through the same normalisers as the record service.

``RecordService.create`` flushes one ORM object at a time, which would make a
demo of twenty thousand records slow. The writer runs each batch through the
object's registered normalisers with ``normalize_batch`` (so phone numbers,
credit codes, choices and references are checked exactly as for an API call,
with one query per batch for the database checks) and then inserts it with
one executemany INSERT. A row the rules reject is a bug in the generator, so it
stops the demo. Tables without a declaration (users, teams, stage history) are
written as given.

After-write hooks do not run: the demo writes the stage history itself, with
the historical times that a hook stamping "now" could not know.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm import Session

from zhike.core.db import Base
from zhike.core.errors import ValidationFailed
from zhike.platform.normalize import normalize_batch
from zhike.platform.objects import ObjectSpec, all_objects
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
_MANAGED = ("id", "created_at", "updated_at")


def _table(model: type[Base]) -> Table:
    table: Table = model.__table__  # type: ignore[assignment]
    return table


def _static_defaults(table: Table) -> dict[str, Any]:
    """Column defaults that are plain values; every row of a batch carries every column."""
    defaults: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        arg = getattr(default, "arg", None)
        defaults[column.name] = None if default is None or callable(arg) else arg
    return defaults


class DemoWriter:
    """Normalise and insert rows of one tenant, a batch at a time."""

    def __init__(
        self,
        session: Session,
        actor: Actor,
        on_write: Callable[[type[Base], int], None] | None = None,
    ) -> None:
        self.session = session
        self.actor = actor
        self.on_write = on_write
        self._specs: dict[type[Base], ObjectSpec] = {spec.model: spec for spec in all_objects()}
        self._pending: dict[type[Base], list[dict[str, Any]]] = defaultdict(list)
        self._defaults: dict[type[Base], dict[str, Any]] = {}
        self.counts: dict[str, int] = defaultdict(int)

    def add(self, model: type[Base], values: dict[str, Any], created_at: datetime) -> uuid.UUID:
        """Queue one record; ``values`` must hold its ``id``."""
        identifier: uuid.UUID = values["id"]
        values.setdefault("created_at", created_at)
        pending = self._pending[model]
        pending.append(values)
        if len(pending) >= BATCH_SIZE:
            # Everything queued goes out, parents first, so references always resolve.
            self.flush()
        return identifier

    def flush(self) -> None:
        """Insert everything queued, so later rows may reference it."""
        order = {table.name: index for index, table in enumerate(Base.metadata.sorted_tables)}
        for model in sorted(self._pending, key=lambda queued: order[_table(queued).name]):
            self._flush_model(model)

    def _flush_model(self, model: type[Base]) -> None:
        queued = self._pending.pop(model, [])
        if not queued:
            return
        table = _table(model)
        spec = self._specs.get(model)
        if spec is not None:
            # Managed columns are not the normalisers' business; set them aside.
            managed = [
                {name: values.pop(name) for name in _MANAGED if name in values} for values in queued
            ]
            outcomes = normalize_batch(
                spec.normalizers, self.session, self.actor, queued, [None] * len(queued)
            )
            for outcome in outcomes:
                if isinstance(outcome, ValidationFailed):
                    raise outcome
            queued = [
                {**outcome, **kept}  # type: ignore[dict-item]
                for outcome, kept in zip(outcomes, managed, strict=True)
            ]
        defaults = self._defaults.get(model)
        if defaults is None:
            defaults = self._defaults[model] = _static_defaults(table)
        rows = [self._complete(defaults, values) for values in queued]
        self.session.execute(insert(table), rows)
        self.counts[table.name] += len(rows)
        if self.on_write is not None:
            self.on_write(model, len(rows))

    def _complete(self, defaults: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        row = dict(defaults)
        row.update(values)
        row["tenant_id"] = self.actor.tenant_id
        if "updated_at" in row and row["updated_at"] is None:
            row["updated_at"] = row["created_at"]
        if "version" in row:
            row["version"] = row["version"] or 1
        if "custom" in row and row["custom"] is None:
            row["custom"] = {}
        return row

    def link(self, model: type[Base], column: str, links: dict[uuid.UUID, uuid.UUID]) -> None:
        """Set ``column`` on existing rows: for references that point both ways."""
        if not links:
            return
        self.flush()
        table = _table(model)
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"), table.c.tenant_id == self.actor.tenant_id)
            .values({column: bindparam("target_id")})
        )
        self.session.connection().execute(
            statement, [{"row_id": row, "target_id": target} for row, target in links.items()]
        )
