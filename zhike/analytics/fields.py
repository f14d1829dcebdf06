"""Resolving a dotted field path of a report to a SQL expression, with field security.

Each relation on the path becomes one LEFT OUTER JOIN to the related table as the
actor may see it (``scope_select``), so a related row the actor may not read
contributes NULLs, never its values.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Date, Integer, Numeric, Select, Subquery, Table, Uuid, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from zhike.analytics.periods import local_midnight_utc
from zhike.analytics.relations import Source, field_allowed, sources
from zhike.core.db import Amount, UTCDateTime
from zhike.core.errors import Forbidden, InvalidInput
from zhike.core.timeutil import ensure_utc
from zhike.security.access import require, scope_select
from zhike.security.context import Actor
from zhike.security.fields import hidden_fields, masked_fields

_CUSTOM_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# What a masked field may be used for: counting its rows or values, and asking
# whether it is filled in. Anything else would show or probe its clear value.
MASKED_USES = frozenset({"count", "filter:is_empty", "filter:is_not_empty"})


@dataclass(frozen=True)
class FieldRef:
    """One resolved field: its SQL expression and what kind of value it holds."""

    path: str
    expression: ColumnElement[Any]
    kind: str  # amount, number, integer, boolean, date, datetime, uuid, string or custom
    custom_key: str | None = None

    def custom_as(self, kind: str) -> ColumnElement[Any]:
        """The custom JSON value read as text, a number or a boolean."""
        element: Any = self.expression
        if kind == "number":
            return element.as_float()  # type: ignore[no-any-return]
        if kind == "boolean":
            return element.as_boolean()  # type: ignore[no-any-return]
        return element.as_string()  # type: ignore[no-any-return]


def column_kind(column_type: Any) -> str:
    if isinstance(column_type, Amount):
        return "amount"
    if isinstance(column_type, UTCDateTime):
        return "datetime"
    if isinstance(column_type, Date):
        return "date"
    if isinstance(column_type, Boolean):
        return "boolean"
    if isinstance(column_type, Integer):
        return "integer"
    if isinstance(column_type, Numeric):
        return "number"
    if isinstance(column_type, Uuid):
        return "uuid"
    return "string"


class FieldResolver:
    """Resolves the paths of one query and collects the joins they need."""

    def __init__(self, session: Session, actor: Actor, base: Source) -> None:
        self.session = session
        self.actor = actor
        self.base = base
        self.table: Table = base.model.__table__  # type: ignore[assignment]
        # Relation path -> (joined subquery, the column of the parent holding its id).
        self.joins: dict[str, tuple[Subquery, ColumnElement[Any]]] = {}

    def _join(self, prefix: str, parent: Any, relation_column: str, target: Source) -> Subquery:
        if prefix not in self.joins:
            if target.crm_object is not None:
                require(self.actor, target.crm_object, "read")
            self.joins[prefix] = (self._scoped(prefix, target), parent.c[relation_column])
        return self.joins[prefix][0]

    def _scoped(self, prefix: str, target: Source) -> Subquery:
        """Return the related rows the actor may read, as a subquery built once per request.

        The rows depend only on the actor, who lives for one request or job, and setting
        up the subquery's columns is about half the cost of compiling a small report.
        """
        alias = "related_" + prefix.replace(".", "_")
        key = f"report_join:{target.name}:{alias}"
        cached = self.actor.cache.get(key)
        if isinstance(cached, Subquery):
            return cached
        scoped = scope_select(self.actor, target.model, select(target.model.__table__))
        subquery = scoped.subquery(alias)
        self.actor.cache[key] = subquery
        return subquery

    def resolve(self, path: str, use: str) -> FieldRef:
        """Resolve ``path`` for ``use`` ("dimension", "value", "count" or "filter:<op>")."""
        parts = path.split(".")
        source, walked = self.base, []
        parent: Any = self.table
        while len(parts) > 1 and parts[0] in source.relations:
            relation = source.relations[parts[0]]
            walked.append(parts.pop(0))
            target = sources()[relation.target]
            parent = self._join(".".join(walked), parent, relation.column, target)
            source = target
        if len(parts) == 2 and parts[0] == "custom" and source.fields is None:
            key = parts[1]
            if not _CUSTOM_KEY.match(key):
                raise InvalidInput("report_unknown_field", field=path, object=source.name)
            self._check_security(source, key, path, use)
            return FieldRef(path, parent.c.custom[key], "custom", key)
        if len(parts) == 1 and parts[0] in source.computed:
            self._check_security(source, parts[0], path, use)
            kind, build = source.computed[parts[0]]
            return FieldRef(path, build(parent), kind)
        if len(parts) != 1 or not field_allowed(source, parts[0]):
            raise InvalidInput("report_unknown_field", field=path, object=source.name)
        self._check_security(source, parts[0], path, use)
        column = parent.c[parts[0]]
        return FieldRef(path, column, column_kind(column.type))

    def _check_security(self, source: Source, name: str, path: str, use: str) -> None:
        if source.crm_object is None:
            return
        if name in hidden_fields(self.actor, source.crm_object):
            raise Forbidden("report_field_hidden", field=path)
        if use not in MASKED_USES and masked_fields(
            self.session, self.actor, source.crm_object, [name]
        ):
            raise Forbidden("report_field_masked", field=path)

    def apply_joins(self, statement: Select[Any]) -> Select[Any]:
        joined: Any = self.table
        for subquery, parent_column in self.joins.values():
            joined = joined.outerjoin(subquery, subquery.c.id == parent_column)
        return statement.select_from(joined)


def parse_date(value: Any) -> date | None:
    """A plain date given as ``YYYY-MM-DD``, or None when the value is anything else."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def coerce(ref: FieldRef, value: Any, timezone: str) -> Any:
    """Convert a filter value from JSON to the field's Python type, or raise 400."""
    try:
        return _coerce(ref, value, timezone)
    except (ValueError, TypeError, InvalidOperation) as error:
        raise InvalidInput(
            "report_invalid_value", field=ref.path, value=str(value)[:100], type=ref.kind
        ) from error


def _coerce(ref: FieldRef, value: Any, timezone: str) -> Any:
    if value is None or isinstance(value, list | dict):
        raise ValueError("a single value is needed")
    kind = ref.kind
    if kind == "custom":
        return value
    if kind in ("amount", "number"):
        if isinstance(value, bool):
            raise ValueError("not a number")
        return Decimal(str(value))
    if kind == "integer":
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError("not an integer")
        return int(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError("not a boolean")
        return lowered == "true"
    if kind == "date":
        parsed = parse_date(value)
        if parsed is None:
            raise ValueError("not a date")
        return parsed
    if kind == "datetime":
        day = parse_date(value)
        if day is not None:
            return local_midnight_utc(day, timezone)
        moment = datetime.fromisoformat(str(value))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(timezone))
        return ensure_utc(moment)
    if kind == "uuid":
        return uuid.UUID(str(value))
    return str(value)
