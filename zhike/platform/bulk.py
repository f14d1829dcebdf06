"""Batch upserts through SQLAlchemy Core, with the record service's validation.

Per-row ORM writes cost a flush and several queries per record; an import of a
million contacts needs a batch path. ``BulkWriter`` validates a batch with the
same rules as ``RecordService`` (the object's Pydantic schema and its
``ObjectSpec.normalizers``, run per row, with database-backed checks done once
per batch) and then writes it with one executemany INSERT and one UPDATE.
The INSERT goes to the DB-API directly (``bulk_sql.PreparedInsert``), with the
columns' own converters.

Every row of a batch gets the same ``updated_at`` stamp, unique to the writer.
A key that already carries that stamp was written earlier by the same writer,
which is how a duplicate key in one file is found without remembering every
key seen: memory stays flat however long the file is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import Column, ColumnElement, Integer, Numeric, String, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import True_

from zhike.core.db import Base
from zhike.core.errors import ValidationFailed
from zhike.core.i18n import add_messages, translate, validation_reason
from zhike.core.ids import new_id
from zhike.platform.bulk_schema import values_adapter
from zhike.platform.bulk_sql import PreparedInsert, existing_rows
from zhike.platform.field_catalog import field_label
from zhike.platform.normalize import field_error, normalize_batch
from zhike.platform.objects import Normalizer, ObjectSpec
from zhike.platform.query import standardized_value
from zhike.security.access import grant_for, object_name_for, record_condition
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

# created: the inserted rows (with "id"); updated: (new values with "id", stored row before).
AfterBulkWrite = Callable[
    [Session, Actor, list[dict[str, Any]], list[tuple[dict[str, Any], Any]]], None
]
_MANAGED = frozenset({"id", "tenant_id", "created_at", "updated_at", "version", "deleted_at"})
_INT32 = (-(2**31), 2**31 - 1)


@dataclass(frozen=True)
class BulkTarget:
    """What the bulk path needs to know about an object."""

    name: str
    model: type[Base]
    normalizers: tuple[Normalizer, ...] = ()
    schema: type[BaseModel] | None = None
    after_write: tuple[AfterBulkWrite, ...] = ()

    @classmethod
    def from_spec(
        cls, spec: ObjectSpec, after_write: tuple[AfterBulkWrite, ...] = ()
    ) -> BulkTarget:
        # The update schema validates exactly the fields a row provides, as PATCH does;
        # fields required on create are checked against the table below.
        return cls(spec.name, spec.model, spec.normalizers, spec.update_schema, after_write)


@dataclass
class BulkRow:
    number: int
    values: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)
    # The row's key, read once by the writer.
    key: Any = None


@dataclass
class BatchReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: list[BulkRow] = field(default_factory=list)


@dataclass(frozen=True)
class _ColumnRules:
    lengths: dict[str, int]
    numerics: dict[str, tuple[int, int]]
    integers: frozenset[str]
    required: tuple[str, ...]
    scalar_defaults: dict[str, Any]
    callable_defaults: dict[str, Callable[[], Any]]
    columns: frozenset[str]
    not_null: frozenset[str]
    # Required columns whose value no default fills in.
    required_without_default: tuple[str, ...] = ()


def _no_context(function: Callable[[Any], Any]) -> Callable[[], Any]:
    # SQLAlchemy wraps Python-side column defaults to take an execution context.
    return lambda: function(None)


def _column_rules(table: Any) -> _ColumnRules:
    lengths: dict[str, int] = {}
    numerics: dict[str, tuple[int, int]] = {}
    integers: set[str] = set()
    required: list[str] = []
    scalars: dict[str, Any] = {}
    callables: dict[str, Callable[[], Any]] = {}
    column: Column[Any]
    for column in table.columns:
        kind = column.type
        if isinstance(kind, String) and kind.length:
            lengths[column.name] = kind.length
        elif isinstance(kind, Numeric) and kind.precision is not None:
            numerics[column.name] = (kind.precision, kind.scale or 0)
        elif isinstance(kind, Integer):
            integers.add(column.name)
        default = column.default
        if column.name in _MANAGED:
            continue
        if default is not None and getattr(default, "is_scalar", False):
            scalars[column.name] = default.arg  # type: ignore[attr-defined]
        elif default is not None and getattr(default, "is_callable", False):
            callables[column.name] = _no_context(default.arg)  # type: ignore[attr-defined]
        elif not column.nullable and not column.primary_key:
            required.append(column.name)
    return _ColumnRules(
        lengths,
        numerics,
        frozenset(integers),
        tuple(required),
        scalars,
        callables,
        frozenset(column.name for column in table.columns),
        frozenset(column.name for column in table.columns if not column.nullable),
        tuple(name for name in required if name not in scalars),
    )


class BulkWriter:
    """Upsert batches of one object for one actor inside the caller's transaction.

    ``key`` names the column that identifies a record (``external_id``, matched
    within ``source``); rows without a key value are always inserted.
    """

    def __init__(
        self,
        session: Session,
        actor: Actor,
        target: BulkTarget,
        *,
        stamp: datetime,
        key: str | None = "external_id",
        source: str | None = None,
        on_duplicate: str = "error",
    ) -> None:
        self.session = session
        self.actor = actor
        self.target = target
        self.table: Any = target.model.__table__
        self.stamp = stamp
        self.key = key
        self.source = source
        self.on_duplicate = on_duplicate
        self.rules = _column_rules(self.table)
        self.template: dict[str, Any] = dict.fromkeys(self.rules.columns)
        self.template.update(self.rules.scalar_defaults)
        self.template.update(
            tenant_id=actor.tenant_id,
            created_at=stamp,
            updated_at=stamp,
            version=1,
            deleted_at=None,
        )
        self.schema_fields = (
            frozenset(target.schema.model_fields) if target.schema is not None else frozenset()
        )
        # Validates a whole batch in one call; mypy cannot read a type held in a variable.
        self.schema_list: TypeAdapter[list[BaseModel]] | None = (
            TypeAdapter(list[target.schema])  # type: ignore[name-defined]
            if target.schema is not None
            else None
        )
        # The same validation straight to dicts, when the schema allows it (see bulk_schema).
        self.values_list = values_adapter(target.schema) if target.schema is not None else None
        self.prepared_insert: PreparedInsert | None = None
        # Rows written in this run carry its stamp, which is how a key repeated in a
        # later batch is caught; unchanged rows are not written, so their keys are
        # remembered here instead (as hashes: a full re-import of a million rows
        # then holds a few tens of MB rather than the keys themselves).
        self.unchanged_keys: set[int] = set()

    def write(self, rows: list[BulkRow]) -> BatchReport:
        report = BatchReport()
        pending = self._drop_invalid(rows, report)
        pending = self._drop_duplicates_in_batch(pending, report)
        existing = self._load_existing(pending)
        pending = self._drop_written_earlier(pending, existing, report)
        pending = self._drop_not_updatable(pending, existing, report)
        records = [existing.get(row.key) for row in pending] if existing else [None] * len(pending)
        pending, records = self._validate_schema(pending, records, report)
        outcomes = normalize_batch(
            self.target.normalizers,
            self.session,
            self.actor,
            [row.values for row in pending],
            records,
        )
        inserts: list[dict[str, Any]] = []
        updates: list[tuple[dict[str, Any], Any]] = []
        for row, record, outcome in zip(pending, records, outcomes, strict=True):
            if isinstance(outcome, ValidationFailed):
                row.errors.extend(outcome.errors)
                report.rejected.append(row)
                continue
            errors = self._check_columns(outcome, creating=record is None)
            if errors:
                row.errors.extend(errors)
                report.rejected.append(row)
                continue
            if record is None:
                inserts.append(self._insert_values(outcome))
                continue
            values = self._update_values(outcome, record)
            if _unchanged(values, record):
                report.unchanged += 1
                self.unchanged_keys.add(hash(row.key))
            else:
                updates.append((values, record))
        self._execute(inserts, updates)
        report.created += len(inserts)
        report.updated += len(updates)
        for hook in self.target.after_write:
            hook(self.session, self.actor, inserts, updates)
        return report

    def _key_of(self, row: BulkRow) -> Any:
        if self.key is None:
            return None
        value = row.values.get(self.key)
        if not isinstance(value, str):
            return value
        # A natural key (mobile, email) must match what earlier imports stored.
        return standardized_value(self.key, value.strip()) if value.strip() else ""

    def _drop_invalid(self, rows: list[BulkRow], report: BatchReport) -> list[BulkRow]:
        pending = []
        external = self.key == "external_id"
        for row in rows:
            if row.errors:
                report.rejected.append(row)
            else:
                if external and row.values.get("external_id"):
                    row.values["source"] = self.source
                row.key = self._key_of(row)
                pending.append(row)
        return pending

    def _duplicate(self, row: BulkRow, report: BatchReport) -> None:
        if self.on_duplicate == "skip":
            report.skipped += 1
            return
        row.errors.append(field_error(self.actor, self.key or "", row.key, "duplicate_key_in_file"))
        report.rejected.append(row)

    def _drop_duplicates_in_batch(self, rows: list[BulkRow], report: BatchReport) -> list[BulkRow]:
        seen: set[Any] = set()
        kept = []
        for row in rows:
            key = row.key
            if key is not None and key != "":
                if key in seen:
                    self._duplicate(row, report)
                    continue
                seen.add(key)
            kept.append(row)
        return kept

    def _load_existing(self, rows: list[BulkRow]) -> dict[Any, Any]:
        keys = {row.key for row in rows} - {None, ""}
        if not keys or self.key is None:
            return {}
        conditions: list[ColumnElement[bool]] = [self.table.c.tenant_id == self.actor.tenant_id]
        if self.key == "external_id":
            source = self.table.c.source
            conditions.append(source.is_(None) if self.source is None else source == self.source)
        # Soft-deleted rows are matched too: the unique key still holds them, and
        # re-importing a record brings it back.
        found = existing_rows(self.session.connection(), self.table, self.key, keys, conditions)
        return {getattr(row, self.key): row for row in found}

    def _drop_written_earlier(
        self, rows: list[BulkRow], existing: dict[Any, Any], report: BatchReport
    ) -> list[BulkRow]:
        kept = []
        for row in rows:
            record = existing.get(row.key)
            written = record is not None and record.updated_at == self.stamp
            if written or hash(row.key) in self.unchanged_keys:
                self._duplicate(row, report)
                continue
            kept.append(row)
        return kept

    def _drop_not_updatable(
        self, rows: list[BulkRow], existing: dict[Any, Any], report: BatchReport
    ) -> list[BulkRow]:
        """Reject the rows whose key matches a stored record that the actor may not update.

        Such a row is not inserted either, because its key would then name two records.
        The error names only the row's own key, whether or not the actor may read the record.
        """
        matched = {existing[row.key].id for row in rows if row.key in existing}
        if not matched:
            return rows
        updatable = self._updatable_ids(matched)
        if updatable is None:
            return rows
        kept = []
        for row in rows:
            record = existing.get(row.key)
            if record is not None and record.id not in updatable:
                row.errors.append(
                    field_error(self.actor, self.key or "", row.key, "record_not_updatable")
                )
                report.rejected.append(row)
                continue
            kept.append(row)
        return kept

    def _updatable_ids(self, ids: set[Any]) -> set[Any] | None:
        """Return the ids among ``ids`` that the actor may update, or None when it may update all.

        The condition is the one ``scope_select`` applies to a single update, without its
        ``deleted_at`` filter, because an import restores a soft-deleted record. Only an
        actor narrowed by a data scope pays for the query, and company scope adds none.
        """
        model = self.target.model
        object_name = object_name_for(model)
        if object_name is None:
            # Teams and users have no record scope, and only administrators import them.
            return None
        grant = grant_for(self.actor, object_name)
        if grant is None or "update" not in grant.actions:
            return set()
        condition = record_condition(self.actor, object_name, model, grant, "update")
        if isinstance(condition, True_):
            return None
        columns = self.table.c
        statement = select(columns.id).where(
            columns.tenant_id == self.actor.tenant_id, columns.id.in_(ids), condition
        )
        return set(self.session.scalars(statement))

    def _validate_schema(
        self, rows: list[BulkRow], records: list[Any], report: BatchReport
    ) -> tuple[list[BulkRow], list[Any]]:
        schema = self.target.schema
        if schema is None or not rows:
            return rows, records
        fields = self.schema_fields
        # Validation reads its input without changing it, so a row with no other keys goes as is.
        subsets = [
            row.values
            if fields.issuperset(row.values)
            else {name: value for name, value in row.values.items() if name in fields}
            for row in rows
        ]
        assert self.schema_list is not None
        try:
            # One call validates the whole batch; only a batch with an invalid row
            # pays for the row-by-row pass that reports each row's errors.
            if self.values_list is not None:
                checked = self.values_list.validate_python(subsets)
            else:
                # exclude_unset keeps exactly the fields the row gave, as PATCH does.
                validated = self.schema_list.validate_python(subsets)
                checked = self.schema_list.dump_python(validated, exclude_unset=True)
        except ValidationError:
            return self._validate_each(schema, rows, records, report)
        for row, values in zip(rows, checked, strict=True):
            row.values.update(values)
        return rows, records

    def _validate_each(
        self,
        schema: type[BaseModel],
        rows: list[BulkRow],
        records: list[Any],
        report: BatchReport,
    ) -> tuple[list[BulkRow], list[Any]]:
        kept_rows, kept_records = [], []
        for row, record in zip(rows, records, strict=True):
            subset = {
                name: value for name, value in row.values.items() if name in self.schema_fields
            }
            try:
                validated = schema.model_validate(subset)
            except ValidationError as error:
                for item in error.errors():
                    name = ".".join(str(part) for part in item["loc"]) or "body"
                    value = row.values.get(str(item["loc"][0])) if item["loc"] else None
                    row.errors.append(self._invalid_field(name, value, item))
                report.rejected.append(row)
                continue
            row.values.update(validated.model_dump(include=set(subset)))
            kept_rows.append(row)
            kept_records.append(record)
        return kept_rows, kept_records

    def _invalid_field(self, name: str, value: Any, item: Any) -> dict[str, Any]:
        def render(locale: str) -> str:
            return translate(
                "error.invalid_field",
                locale,
                field=field_label(self.target.name, name, locale),
                reason=validation_reason(item, locale),
            )

        error = {
            "field": name,
            "value": value if value is None else str(value)[:200],
            "code": "invalid_field",
            "message": render(self.actor.locale),
        }
        return add_messages(error, render)

    def _check_columns(self, values: dict[str, Any], *, creating: bool) -> list[dict[str, Any]]:
        rules = self.rules
        lengths = rules.lengths
        errors = []
        for name, value in values.items():
            if value is None:
                continue
            limit = lengths.get(name)
            if limit is not None:
                if isinstance(value, str) and len(value) > limit:
                    errors.append(
                        field_error(self.actor, name, value, "value_too_long", maximum=limit)
                    )
            elif name in rules.numerics and isinstance(value, Decimal | int):
                precision, scale = rules.numerics[name]
                if abs(Decimal(value)) >= Decimal(10) ** (precision - scale):
                    errors.append(field_error(self.actor, name, value, "number_too_large"))
            elif (
                name in rules.integers
                and isinstance(value, int)
                and not (_INT32[0] <= value <= _INT32[1])
            ):
                errors.append(field_error(self.actor, name, value, "number_too_large"))
        if creating:
            errors.extend(
                field_error(self.actor, name, None, "required")
                for name in rules.required_without_default
                if values.get(name) is None
            )
        return errors

    def _insert_values(self, values: dict[str, Any]) -> dict[str, Any]:
        rules = self.rules
        row = dict(self.template)
        for name, make in rules.callable_defaults.items():
            row[name] = make()
        columns, not_null = rules.columns, rules.not_null
        # An empty cell of a column that cannot be NULL leaves the column's default.
        for name, value in values.items():
            if name in columns and (value is not None or name not in not_null):
                row[name] = value
        row["id"] = new_id()
        if row.get("custom") is None and "custom" in columns:
            row["custom"] = {}
        if "owner_id" in rules.columns and row["owner_id"] is None:
            row["owner_id"] = self.actor.user_id
        return row

    def _update_values(self, values: dict[str, Any], record: Any) -> dict[str, Any]:
        row = {
            name: value
            for name, value in values.items()
            if name in self.rules.columns
            and name not in _MANAGED
            and (value is not None or name not in self.rules.not_null)
        }
        row["id"] = record.id
        row["updated_at"] = self.stamp
        row["deleted_at"] = None
        return row

    def _execute(
        self, inserts: list[dict[str, Any]], updates: list[tuple[dict[str, Any], Any]]
    ) -> None:
        if inserts:
            connection = self.session.connection()
            if self.prepared_insert is None:
                shared = {**self.template, "owner_id": self.actor.user_id}
                self.prepared_insert = PreparedInsert(connection.dialect, self.table, shared)
            self.prepared_insert.execute(connection, inserts)
        # executemany needs one statement per set of columns; rows of a profile step
        # almost always share one.
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for values, _record in updates:
            bound = {f"p_{name}": value for name, value in values.items()}
            groups.setdefault(tuple(sorted(values)), []).append(bound)
        for names, params in groups.items():
            statement = (
                update(self.table)
                .where(self.table.c.id == bindparam("p_id"))
                .values(
                    {
                        **{name: bindparam(f"p_{name}") for name in names if name != "id"},
                        "version": self.table.c.version + 1,
                    }
                )
            )
            self.session.connection().execute(statement, params)


def _unchanged(values: dict[str, Any], record: Any) -> bool:
    """Whether writing ``values`` would leave the stored row as it is.

    Re-importing an unchanged file must not bump versions or timestamps: each
    bump invalidates every ETag a user holds and shows a change that never happened.
    """
    if record.deleted_at is not None:
        return False
    return all(
        getattr(record, name) == value
        for name, value in values.items()
        if name not in ("id", "updated_at", "deleted_at")
    )
