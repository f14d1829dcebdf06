"""List queries: filters from query parameters, search, sorting and keyset cursors."""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Column, ColumnElement, Select, String, and_, cast, false, or_

from zhike.core.errors import InvalidInput
from zhike.core.timeutil import ensure_utc
from zhike.ingestion import standardize

OPERATORS = ("eq", "ne", "in", "gt", "gte", "lt", "lte", "contains", "isnull")
MAX_PAGE_SIZE = 1000
# Every object filters by id, so a client can fetch a known set of records in one
# request (`id__in=…`), e.g. the names behind the references on a page.
ALWAYS_FILTERABLE = frozenset({"id"})
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class ListParams:
    filters: dict[str, str]
    search: str | None = None
    sort: str | None = None
    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None


def coerce_value(column: Column[Any], raw: str, parameter: str) -> Any:
    """Convert the text of a query parameter to the column's Python type."""
    kind = column.type
    # A TypeDecorator such as UTCDateTime reports ``object``; its underlying type knows better.
    kind = getattr(kind, "impl_instance", kind)
    try:
        python_type = kind.python_type
    except NotImplementedError:
        python_type = str
    if python_type is bool:
        return _parse_flag(raw, parameter)
    try:
        if python_type is int:
            return int(raw)
        if python_type is Decimal:
            return Decimal(raw)
        if python_type is uuid.UUID:
            return uuid.UUID(raw)
        if python_type is datetime:
            return ensure_utc(datetime.fromisoformat(raw))
        if python_type is date:
            return date.fromisoformat(raw)
    except (ValueError, InvalidOperation) as error:
        raise InvalidInput(
            "invalid_filter_value", parameter=parameter, value=raw, type=python_type.__name__
        ) from error
    return raw


def _parse_flag(raw: str, parameter: str) -> bool:
    lowered = raw.strip().lower()
    if lowered not in ("true", "false", "1", "0"):
        raise InvalidInput("invalid_filter_value", parameter=parameter, value=raw, type="bool")
    return lowered in ("true", "1")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Stored values of these fields are standardized on every write, so an equality
# filter must standardize its value the same way or "138 0013 8000" finds nothing.
_STANDARDIZED_FILTERS: dict[str, Callable[[str], str]] = {
    "mobile": standardize.normalize_mobile,
    "phone": standardize.normalize_phone,
    "email": standardize.normalize_email,
    "unified_social_credit_code": standardize.normalize_credit_code,
}


def standardized_value(field: str, raw: str) -> str:
    """``raw`` as the write path stores it for ``field``; unchanged when it is not valid."""
    normalizer = _STANDARDIZED_FILTERS.get(field)
    if normalizer is None:
        return raw
    try:
        return normalizer(raw)
    except standardize.StandardizationError:
        # Not a valid value of the field: it matches nothing, as entered.
        return raw


def build_condition(
    model: Any, parameter: str, raw: str, allowed: tuple[str, ...]
) -> ColumnElement[bool]:
    """Turn ``field__op=value`` into a SQL condition on an allowed field."""
    field, _, operator = parameter.partition("__")
    operator = operator or "eq"
    if operator in ("eq", "ne"):
        raw = standardized_value(field, raw)
    elif operator == "in":
        raw = ",".join(standardized_value(field, part) for part in raw.split(",") if part)
    if field.startswith("custom."):
        return _custom_condition(model, field.removeprefix("custom."), operator, raw, parameter)
    if field not in allowed and field not in ALWAYS_FILTERABLE:
        raise InvalidInput(
            "unknown_filter", parameter=parameter, allowed=", ".join(sorted(allowed))
        )
    if operator not in OPERATORS:
        raise InvalidInput("unknown_operator", parameter=parameter, allowed=", ".join(OPERATORS))
    column: Column[Any] = model.__table__.c[field]
    if operator == "isnull":
        return column.is_(None) if _parse_flag(raw, parameter) else column.is_not(None)
    if operator == "in":
        values = [coerce_value(column, part, parameter) for part in raw.split(",") if part]
        return column.in_(values) if values else false()
    if operator == "contains":
        return cast(column, String).ilike(f"%{_escape_like(raw)}%", escape="\\")
    value = coerce_value(column, raw, parameter)
    # Built lazily: SQLAlchemy refuses ordering operators against True/False, so a
    # boolean column may only build the comparison that was asked for.
    comparisons: dict[str, Callable[[], ColumnElement[bool]]] = {
        "eq": lambda: column == value,
        "ne": lambda: or_(column != value, column.is_(None)),
        "gt": lambda: column > value,
        "gte": lambda: column >= value,
        "lt": lambda: column < value,
        "lte": lambda: column <= value,
    }
    return comparisons[operator]()


def _custom_condition(
    model: Any, name: str, operator: str, raw: str, parameter: str
) -> ColumnElement[bool]:
    if not name.replace("_", "").isalnum():
        raise InvalidInput("unknown_filter", parameter=parameter, allowed="custom.<field name>")
    text: ColumnElement[str] = model.__table__.c.custom[name].as_string()
    if operator == "eq":
        return text == raw
    if operator == "contains":
        return text.ilike(f"%{_escape_like(raw)}%", escape="\\")
    if operator == "isnull":
        return text.is_(None) if _parse_flag(raw, parameter) else text.is_not(None)
    raise InvalidInput("unknown_operator", parameter=parameter, allowed="eq, contains, isnull")


PHONE_FIELDS = frozenset({"mobile", "phone"})
EMAIL_FIELDS = frozenset({"email"})
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-()]*\d[\d\s\-()]*$")


def search_targets(fields: tuple[str, ...], text: str) -> tuple[tuple[str, ...], str]:
    """Choose the searched fields by the shape of the text, and the text to look for.

    A number is looked for in phone fields only (spaces and dashes dropped, as stored
    numbers carry none), an address with ``@`` in e-mail fields only, anything else in
    the other fields. Each LIKE '%…%' scans every row, so fewer columns is less work.
    An object without fields of the matching kind searches all its fields.
    """
    text = text.strip()
    if _PHONE_LIKE.match(text):
        phones = tuple(name for name in fields if name in PHONE_FIELDS)
        if phones:
            return phones, re.sub(r"\D", "", text)
    if "@" in text:
        emails = tuple(name for name in fields if name in EMAIL_FIELDS)
        if emails:
            return emails, text
    others = tuple(name for name in fields if name not in PHONE_FIELDS | EMAIL_FIELDS)
    return (others or fields), text


def search_condition(model: Any, fields: tuple[str, ...], text: str) -> ColumnElement[bool]:
    targets, needle = search_targets(fields, text)
    pattern = f"%{_escape_like(needle)}%"
    columns = model.__table__.c
    return or_(*(columns[name].ilike(pattern, escape="\\") for name in targets))


def parse_sort(sort: str | None, allowed: tuple[str, ...], default: str) -> tuple[str, bool]:
    """Return (field, descending) for a sort parameter such as ``-created_at``."""
    text = (sort or default).strip()
    descending = text.startswith("-")
    field = text.lstrip("-+")
    if field not in allowed:
        raise InvalidInput("unknown_sort", value=text, allowed=", ".join(sorted(allowed)))
    return field, descending


def encode_cursor(value: Any, record_id: uuid.UUID, field: str | None = None) -> str:
    """Encode the sort value and id of a page's last row, and the field it was sorted by."""
    if isinstance(value, datetime | date | Decimal | uuid.UUID):
        encoded: Any = [type(value).__name__, str(value)]
    else:
        encoded = ["raw", value]
    payload = json.dumps([encoded, str(record_id), field], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_cursor(cursor: str, field: str | None = None) -> tuple[Any, uuid.UUID]:
    """Decode a cursor; one made for another sort field is rejected as invalid."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        (kind, raw), record_id, *rest = json.loads(base64.urlsafe_b64decode(padded))
        if field is not None and rest and rest[0] != field:
            raise ValueError(f"cursor sorted by {rest[0]!r}, request sorts by {field!r}")
        decoders: dict[str, Any] = {
            "datetime": datetime.fromisoformat,
            "date": date.fromisoformat,
            "Decimal": Decimal,
            "UUID": uuid.UUID,
            "raw": lambda value: value,
        }
        return decoders[kind](raw), uuid.UUID(record_id)
    except (ValueError, KeyError, TypeError, binascii.Error, InvalidOperation) as error:
        raise InvalidInput("invalid_cursor", value=cursor[:80]) from error


def apply_sort_and_cursor(
    statement: Select[Any], model: Any, field: str, descending: bool, cursor: str | None
) -> Select[Any]:
    """Order by the field with NULLs last, then by id, and continue after ``cursor``."""
    column = model.__table__.c[field]
    id_column = model.__table__.c.id
    ordering = [
        column.desc() if descending else column.asc(),
        id_column.desc() if descending else id_column.asc(),
    ]
    if not column.nullable:
        # Without the NULLs-last term an index on (tenant_id, field, id) yields rows already
        # in order, so a page reads about `limit` rows instead of sorting the whole tenant.
        if cursor:
            value, last_id = decode_cursor(cursor, field)
            after_id = id_column < last_id if descending else id_column > last_id
            beyond = column < value if descending else column > value
            statement = statement.where(or_(beyond, and_(column == value, after_id)))
        return statement.order_by(*ordering)
    is_null = column.is_(None)
    if cursor:
        value, last_id = decode_cursor(cursor, field)
        after_id = id_column < last_id if descending else id_column > last_id
        if value is None:
            statement = statement.where(and_(is_null, after_id))
        else:
            beyond = column < value if descending else column > value
            statement = statement.where(or_(is_null, beyond, and_(column == value, after_id)))
    return statement.order_by(is_null.asc(), *ordering)
