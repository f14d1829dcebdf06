"""The generic record service: create, read, update, soft delete and list.

Every path that touches a CRM record (API, import, demo, jobs) calls this
service, so tenant scoping, validation and optimistic concurrency hold the
same way everywhere.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import Column, Executable, Select, func, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from zhike.core.errors import Conflict, NotFound, PreconditionFailed, RecordMerged
from zhike.core.timeutil import load_zone, utc_now
from zhike.platform.objects import ObjectSpec
from zhike.platform.query import (
    MAX_PAGE_SIZE,
    ListParams,
    apply_sort_and_cursor,
    build_condition,
    encode_cursor,
    parse_sort,
    search_condition,
)
from zhike.security.access import (
    SelectT,
    owner_set_scope,
    record_condition,
    require,
    scope_select,
)
from zhike.security.context import Actor
from zhike.security.fields import check_writable, present, present_many, sensitive_field_kinds

logger = logging.getLogger(__name__)


_PLAIN_COLUMNS: dict[tuple[str, type[BaseModel]], tuple[Column[Any], ...] | None] = {}
_PAGE_ADAPTERS: dict[type[BaseModel], TypeAdapter[list[Any]]] = {}


# Beyond this many owners a branch per owner costs more than the plain scan saves.
MAX_OWNER_BRANCHES = 32


def _plain_columns(spec: ObjectSpec) -> tuple[Column[Any], ...] | None:
    """The table columns a list page needs, or None when the read schema is not only columns."""
    key = (spec.name, spec.read_schema)
    if key not in _PLAIN_COLUMNS:
        table_columns: Any = spec.model.__table__.c
        fields = set(spec.read_schema.model_fields)
        plain = fields <= set(table_columns.keys())
        needed = fields | set(spec.sort_fields) | {"id"}
        _PLAIN_COLUMNS[key] = (
            tuple(column for column in table_columns if column.key in needed) if plain else None
        )
    return _PLAIN_COLUMNS[key]


def _page_adapter(schema: type[BaseModel]) -> TypeAdapter[list[Any]]:
    adapter = _PAGE_ADAPTERS.get(schema)
    if adapter is None:
        adapter = _PAGE_ADAPTERS[schema] = TypeAdapter(list[schema])  # type: ignore[valid-type]
    return adapter


def _page(records: list[Any], requested: int, field: str) -> Page:
    """Cut the one row read past the page; its presence means there is a next page."""
    limit = max(1, min(requested, MAX_PAGE_SIZE))
    next_cursor = None
    if len(records) > limit:
        records = records[:limit]
        last = records[-1]
        next_cursor = encode_cursor(getattr(last, field), last.id, field)
    return Page(records, next_cursor)


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def apply_list_filters(
    statement: SelectT, actor: Actor, spec: ObjectSpec, params: ListParams
) -> SelectT:
    """Add a list request's filters and search to ``statement``, read in the actor's time zone."""
    zone = load_zone(actor.timezone)
    model: Any = spec.model
    for parameter, raw in params.filters.items():
        statement = statement.where(
            build_condition(model, parameter, raw, spec.filter_fields, zone, spec.closed_choices)
        )
    if params.search and params.search.strip():
        statement = statement.where(search_condition(model, spec.search_fields, params.search))
    return statement


class RecordService:
    """Operations on one object type, for one actor."""

    def __init__(self, session: Session, actor: Actor, spec: ObjectSpec) -> None:
        self.session = session
        self.actor = actor
        self.spec = spec
        self.model: Any = spec.model

    def _normalize(self, values: dict[str, Any], record: Any) -> dict[str, Any]:
        for normalizer in self.spec.normalizers:
            values = normalizer(self.session, self.actor, values, record)
        return values

    def _check_external_id(self, values: dict[str, Any], record: Any) -> None:
        external_id = values.get("external_id")
        if not external_id:
            return
        source = values.get("source") or (record.source if record is not None else None)
        existing = self.find_by_external_id(source, external_id)
        if existing is not None and (record is None or existing.id != record.id):
            raise Conflict("duplicate_external_id", external_id=external_id, id=str(existing.id))

    def _snapshot(self, record: Any) -> dict[str, Any]:
        data: dict[str, Any] = self.spec.read_schema.model_validate(record).model_dump(mode="json")
        return data

    def _audit(
        self, action: str, record: Any, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> None:
        from zhike.audit.service import record_change

        names = set(before or {}) | set(after or {})
        names |= {f"custom.{key}" for key in (after or before or {}).get("custom") or {}}
        record_change(
            self.session,
            self.actor,
            self.spec.name,
            record.id,
            action,
            before,
            after,
            sensitive_fields=sensitive_field_kinds(self.session, self.actor, self.spec.name, names),
        )

    def present(self, record: Any) -> dict[str, Any]:
        """Return the record as JSON data, hidden fields removed and sensitive ones masked."""
        data = self.spec.read_schema.model_validate(record).model_dump(mode="json")
        return present(self.session, self.actor, self.spec.name, data)

    def create(self, data: BaseModel | dict[str, Any]) -> Any:
        require(self.actor, self.spec.name, "create")
        values = data.model_dump(exclude_unset=True) if isinstance(data, BaseModel) else dict(data)
        check_writable(self.actor, self.spec.name, values)
        values.setdefault("source", "manual" if values.get("external_id") else None)
        values = self._normalize(values, None)
        self._check_external_id(values, None)
        record = self.model(tenant_id=self.actor.tenant_id, **values)
        if hasattr(record, "owner_id") and record.owner_id is None and self.actor.user_id:
            record.owner_id = self.actor.user_id
        self.session.add(record)
        self.session.flush()
        for hook in self.spec.after_write:
            hook(self.session, self.actor, record, values, None)
        self._audit("record.create", record, None, self._snapshot(record))
        logger.info("record created", extra={"object": self.spec.name, "record_id": str(record.id)})
        return record

    def get(self, record_id: uuid.UUID, action: str = "read") -> Any:
        """Return a record the actor may ``action``; 404 hides whether it exists otherwise."""
        require(self.actor, self.spec.name, action)
        statement = scope_select(self.actor, self.model, select(self.model), action).where(
            self.model.id == record_id
        )
        record = self.session.scalars(statement).first()
        if record is None:
            survivor_id = self._survivor_of(record_id, action)
            if survivor_id is not None:
                raise RecordMerged(
                    "record_merged",
                    object=self.spec.name,
                    id=str(record_id),
                    survivor_id=str(survivor_id),
                )
            raise NotFound("record_not_found", object=self.spec.name, id=str(record_id))
        return record

    def _survivor_of(self, record_id: uuid.UUID, action: str) -> uuid.UUID | None:
        """The live record a merged-away record now lives on in, if the actor could reach it."""
        columns: Any = self.model.__table__.c
        if "merged_into_id" not in columns:
            return None
        grant = require(self.actor, self.spec.name, action)
        current: uuid.UUID | None = record_id
        # A survivor may itself have been merged later; follow a short chain.
        for _ in range(5):
            pointer = self.session.scalar(
                select(columns.merged_into_id).where(
                    columns.tenant_id == self.actor.tenant_id,
                    columns.id == current,
                    columns.deleted_at.is_not(None),
                    record_condition(self.actor, self.spec.name, self.model, grant, action),
                )
            )
            if pointer is None:
                return current if current != record_id else None
            current = pointer
        return current

    def find_by_external_id(self, source: str | None, external_id: str) -> Any:
        statement = scope_select(self.actor, self.model, select(self.model)).where(
            self.model.external_id == external_id
        )
        statement = statement.where(
            self.model.source.is_(None) if source is None else self.model.source == source
        )
        return self.session.scalars(statement).first()

    def update(
        self,
        record_id: uuid.UUID,
        data: BaseModel | dict[str, Any],
        expected_version: int | None,
    ) -> Any:
        record = self.get(record_id, "update")
        if expected_version is not None and record.version != expected_version:
            raise PreconditionFailed(
                "version_mismatch", expected=expected_version, current=record.version
            )
        values = data.model_dump(exclude_unset=True) if isinstance(data, BaseModel) else dict(data)
        check_writable(self.actor, self.spec.name, values)
        values = self._normalize(values, record)
        self._check_external_id(values, record)
        previous = {name: getattr(record, name) for name in values}
        before = self._snapshot(record)
        for name, value in values.items():
            setattr(record, name, value)
        try:
            self.session.flush()
        except StaleDataError as error:
            raise PreconditionFailed(
                "version_mismatch", expected=expected_version, current="newer"
            ) from error
        for hook in self.spec.after_write:
            hook(self.session, self.actor, record, values, previous)
        self._audit("record.update", record, before, self._snapshot(record))
        return record

    def delete(self, record_id: uuid.UUID, expected_version: int | None) -> Any:
        record = self.get(record_id, "delete")
        if expected_version is not None and record.version != expected_version:
            raise PreconditionFailed(
                "version_mismatch", expected=expected_version, current=record.version
            )
        before = self._snapshot(record)
        record.deleted_at = utc_now()
        self.session.flush()
        self._audit("record.delete", record, before, None)
        logger.info("record deleted", extra={"object": self.spec.name, "record_id": str(record.id)})
        return record

    def _filtered(self, params: ListParams, statement: Select[Any]) -> Select[Any]:
        return apply_list_filters(statement, self.actor, self.spec, params)

    def _list_statement(
        self, params: ListParams, columns: tuple[Column[Any], ...] | None = None
    ) -> tuple[Executable, str]:
        """Scope, filter, search, sort and page a select of the model (or of ``columns``).

        Also returns the sort field, which the page's cursor is made from.
        """
        require(self.actor, self.spec.name, "read")
        limit = max(1, min(params.limit, MAX_PAGE_SIZE))
        field, descending = parse_sort(params.sort, self.spec.sort_fields, self.spec.default_sort)
        owners = self._owner_branches(field)
        if owners is not None:
            return self._branched_statement(
                params, columns, owners, field, descending, limit
            ), field
        base = select(*columns) if columns is not None else select(self.model)
        statement = self._filtered(params, scope_select(self.actor, self.model, base))
        statement = apply_sort_and_cursor(statement, self.model, field, descending, params.cursor)
        return statement.limit(limit + 1), field

    def _owner_branches(self, field: str) -> tuple[uuid.UUID, ...] | None:
        """The owners to page one by one, when that is how SQLite reads the rows fastest.

        SQLite cannot merge the ordered index ranges of several owners, so for
        "owner in (a, b, c) order by created_at" it walks the tenant's whole
        created_at index and filters. A page per owner read from the
        (tenant, owner, field) index and merged reads at most owners × page rows.
        PostgreSQL plans the plain condition well, and one owner needs no merge.
        """
        if self.session.get_bind().dialect.name != "sqlite":
            return None
        if self.model.__table__.c[field].nullable:
            return None
        owners = owner_set_scope(self.actor, self.model)
        if owners is None or not 2 <= len(owners) <= MAX_OWNER_BRANCHES:
            return None
        return owners

    def _branched_statement(
        self,
        params: ListParams,
        columns: tuple[Column[Any], ...] | None,
        owners: tuple[uuid.UUID, ...],
        field: str,
        descending: bool,
        limit: int,
    ) -> Executable:
        table = self.model.__table__
        arms = []
        for owner in owners:
            arm = select(*(columns if columns is not None else table.c)).where(
                table.c.tenant_id == self.actor.tenant_id,
                table.c.deleted_at.is_(None),
                table.c.owner_id == owner,
            )
            arm = self._filtered(params, arm)
            # Only the cursor's condition: an arm of a compound select has no ORDER BY of its own.
            arm = apply_sort_and_cursor(arm, self.model, field, descending, params.cursor)
            arms.append(arm.order_by(None))
        # With the ORDER BY on the compound itself, SQLite merges the owners' index ranges as
        # they are read and stops at the LIMIT, so no arm is sorted again.
        merged = union_all(*arms)
        ordering = [
            column.desc() if descending else column.asc()
            for column in (merged.selected_columns[field], merged.selected_columns.id)
        ]
        statement = merged.order_by(*ordering).limit(limit + 1)
        if columns is None:
            return select(self.model).from_statement(statement)
        return statement

    def list(self, params: ListParams) -> Page:
        statement, field = self._list_statement(params)
        return _page(list(self.session.scalars(statement)), params.limit, field)

    def list_presented(self, params: ListParams) -> Page:
        """A page as the actor may see it: hidden fields dropped, sensitive ones masked.

        Same rows and cursor as ``list``. When the read schema holds only columns, rows
        are read as plain tuples and validated as one list, which skips building an ORM
        object per row; the page is then masked with one decision per field.
        """
        columns = _plain_columns(self.spec)
        if columns is None:
            page = self.list(params)
            return Page([self.present(record) for record in page.items], page.next_cursor)
        statement, field = self._list_statement(params, columns)
        page = _page(list(self.session.execute(statement)), params.limit, field)
        adapter = _page_adapter(self.spec.read_schema)
        data = adapter.dump_python(
            adapter.validate_python([row._asdict() for row in page.items]), mode="json"
        )
        return Page(present_many(self.session, self.actor, self.spec.name, data), page.next_cursor)

    def count(self, params: ListParams) -> int:
        require(self.actor, self.spec.name, "read")
        statement = scope_select(
            self.actor, self.model, select(func.count()).select_from(self.model)
        )
        statement = self._filtered(params, statement)
        return int(self.session.scalar(statement) or 0)
