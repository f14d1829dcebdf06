"""List queries: filters from query parameters, search, sorting and keyset cursors."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, ColumnElement, Select, String, and_, cast, false, literal, or_

from zhike.core.errors import InvalidInput
from zhike.core.i18n import Localized, catalog_label, translate
from zhike.core.timeutil import ensure_utc
from zhike.ingestion import standardize

OPERATORS = ("eq", "ne", "in", "gt", "gte", "lt", "lte", "contains", "isnull")
MAX_PAGE_SIZE = 1000
# Every object filters by id, so a client can fetch a known set of records in one
# request (`id__in=…`), e.g. the names behind the references on a page.
ALWAYS_FILTERABLE = frozenset({"id"})
DEFAULT_PAGE_SIZE = 50
_BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ListParams:
    filters: dict[str, str]
    search: str | None = None
    sort: str | None = None
    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None


def _python_type(column: Column[Any]) -> type:
    # A TypeDecorator such as UTCDateTime reports ``object``; its underlying type knows better.
    kind = getattr(column.type, "impl_instance", column.type)
    try:
        return kind.python_type
    except NotImplementedError:
        return str


def coerce_value(
    column: Column[Any], raw: str, parameter: str, zone: ZoneInfo | None = None
) -> Any:
    """Convert the text of a query parameter to the column's Python type.

    A time without an offset is read in ``zone`` (the tenant's zone) when one is given.
    """
    python_type = _python_type(column)
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
            moment = datetime.fromisoformat(raw)
            if moment.tzinfo is None and zone is not None:
                moment = moment.replace(tzinfo=zone)
            return ensure_utc(moment)
        if python_type is date:
            return date.fromisoformat(raw)
    except (ValueError, InvalidOperation) as error:
        raise InvalidInput(
            "invalid_filter_value",
            parameter=parameter,
            value=raw,
            type=catalog_label("filter_type", python_type.__name__),
        ) from error
    return raw


def _day(raw: str, zone: ZoneInfo | None) -> tuple[datetime, datetime] | None:
    """Return the UTC bounds of the day ``raw`` names in ``zone``, or None for no bare date."""
    if not _BARE_DATE.fullmatch(raw.strip()):
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        return None
    where = zone or ZoneInfo("UTC")
    start = datetime.combine(day, time(), where)
    # Adding a day to the date, not 24 hours to the time, keeps a day of a clock change whole.
    end = datetime.combine(day + timedelta(days=1), time(), where)
    return ensure_utc(start), ensure_utc(end)


def _day_condition(
    column: Column[Any], operator: str, days: list[tuple[datetime, datetime]]
) -> ColumnElement[bool]:
    start, end = days[0]
    within = [and_(column >= first, column < last) for first, last in days]
    conditions: dict[str, Callable[[], ColumnElement[bool]]] = {
        "eq": lambda: within[0],
        "in": lambda: or_(*within) if within else false(),
        "ne": lambda: or_(~within[0], column.is_(None)),
        "gt": lambda: column >= end,
        "gte": lambda: column >= start,
        "lt": lambda: column < start,
        "lte": lambda: column < end,
    }
    return conditions[operator]()


def _parse_flag(raw: str, parameter: str) -> bool:
    lowered = raw.strip().lower()
    if lowered not in ("true", "false", "1", "0"):
        raise InvalidInput(
            "invalid_filter_value",
            parameter=parameter,
            value=raw,
            type=catalog_label("filter_type", "bool"),
        )
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
    model: Any,
    parameter: str,
    raw: str,
    allowed: tuple[str, ...],
    zone: ZoneInfo | None = None,
    choices: Mapping[str, tuple[str, ...]] | None = None,
) -> ColumnElement[bool]:
    """Turn ``field__op=value`` into a SQL condition on an allowed field.

    On a time field a bare date means that whole day in ``zone`` (UTC without one), so
    ``created_at__lte=2026-12-05`` keeps what was created on the 5th in Shanghai.
    """
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
    known = (choices or {}).get(field)
    if known is not None and operator in ("eq", "ne", "in"):
        # A value outside a fixed list matches nothing, so a typo would look like an empty list.
        for value in raw.split(",") if operator == "in" else [raw]:
            if value and value not in known:
                raise InvalidInput(
                    "invalid_filter_choice",
                    parameter=parameter,
                    value=value,
                    allowed=", ".join(known),
                )
    if operator == "isnull":
        return column.is_(None) if _parse_flag(raw, parameter) else column.is_not(None)
    if operator == "contains":
        return cast(column, String).ilike(f"%{_escape_like(raw)}%", escape="\\")
    if _python_type(column) is datetime:
        days = (
            [_day(part, zone) for part in raw.split(",")] if operator == "in" else [_day(raw, zone)]
        )
        if all(day is not None for day in days):
            return _day_condition(column, operator, days)  # type: ignore[arg-type]
    if operator == "in":
        values = [coerce_value(column, part, parameter, zone) for part in raw.split(",") if part]
        return column.in_(values) if values else false()
    value = coerce_value(column, raw, parameter, zone)
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
        if not isinstance(record_id, str):
            raise TypeError(f"record id {record_id!r} is not text")
        decoders: dict[str, Any] = {
            "datetime": datetime.fromisoformat,
            "date": date.fromisoformat,
            "Decimal": Decimal,
            "UUID": uuid.UUID,
            "raw": lambda value: value,
        }
        return decoders[kind](raw), uuid.UUID(record_id)
    except (
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        binascii.Error,
        InvalidOperation,
    ) as error:
        raise InvalidInput("invalid_cursor", value=cursor[:80]) from error


class CursorValueMismatch(InvalidInput):
    """A cursor whose sort value cannot be compared with the sort field's values.

    Its code is ``invalid_cursor`` like any other bad cursor, and only its message is more precise.
    """

    code = "invalid_cursor"

    def message(self, locale: str) -> str:
        return translate("error.invalid_cursor_value", locale, **self.params)


# The range of a signed 64-bit integer: SQLite cannot bind a Python int outside it.
_MIN_SQL_INTEGER = -(2**63)
_MAX_SQL_INTEGER = 2**63 - 1


def _column_value_kind(column: Column[Any]) -> str:
    """Name the kind of value the column holds, as ``_value_kind`` names a cursor's value."""
    kind = getattr(column.type, "impl_instance", column.type)
    try:
        python_type = kind.python_type
    except NotImplementedError:
        return "text"
    kinds = {
        bool: "boolean",
        int: "integer",
        float: "number",
        Decimal: "decimal",
        datetime: "datetime",
        date: "date",
        uuid.UUID: "uuid",
    }
    return kinds.get(python_type, "text")


def _value_kind(value: Any) -> str:
    # bool before int and datetime before date, because bool subclasses int and datetime date.
    if value is None:
        return "null"
    for python_type, kind in (
        (bool, "boolean"),
        (int, "integer"),
        (float, "number"),
        (Decimal, "decimal"),
        (datetime, "datetime"),
        (date, "date"),
        (uuid.UUID, "uuid"),
        (str, "text"),
    ):
        if isinstance(value, python_type):
            return kind
    return "list_or_object"


def _unbindable_kind(column: Column[Any], value: Any) -> str | None:
    """Name what keeps a value of the column's own kind from being bound, or None when it can be.

    Each case would fail inside the database driver with a server error. PostgreSQL text
    cannot contain a NUL character, UTF-8 cannot encode an unpaired surrogate, SQLite binds
    64-bit integers only, a money column has a fixed precision and scale, and a UTC column
    rejects naive times.
    """
    kind = getattr(column.type, "impl_instance", column.type)
    if isinstance(value, str):
        return _unbindable_kind_of_text(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if _MIN_SQL_INTEGER <= value <= _MAX_SQL_INTEGER else "out_of_range"
    if isinstance(value, float):
        return None if math.isfinite(value) else "not_finite"
    if isinstance(value, Decimal):
        return _decimal_problem(
            value, getattr(kind, "precision", None), getattr(kind, "scale", None)
        )
    if isinstance(value, datetime) and value.tzinfo is None and getattr(kind, "timezone", False):
        return "naive_datetime"
    return None


def _unbindable_kind_of_text(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "unstorable_text"
    return "unstorable_text" if "\x00" in text else None


def _decimal_problem(value: Decimal, precision: int | None, scale: int | None) -> str | None:
    if not value.is_finite():
        return "not_finite"
    exponent = value.as_tuple().exponent
    if scale is not None and isinstance(exponent, int) and exponent < -scale:
        return "out_of_range"
    limit = Decimal(10) ** ((precision or 38) - (scale or 0))
    return None if abs(value) < limit else "out_of_range"


def _value_label(kind: str) -> Localized:
    return Localized(lambda locale: translate(f"cursor_value.{kind}", locale))


def check_cursor_value(column: Column[Any], value: Any, cursor: str) -> Any:
    """Return the cursor's sort value once it fits ``column``, or raise ``invalid_cursor``.

    Cursors that this API issues always fit. A hand-made one could hold a number for a
    text column (or the reverse), which SQLite compares but PostgreSQL rejects with an
    error, so every list checks the value before it reaches the database.
    """
    expected = _column_value_kind(column)
    found = _value_kind(value)
    if found == "null" and column.nullable:
        return value
    problem = found if found != expected else _unbindable_kind(column, value)
    if problem is None:
        return ensure_utc(value) if isinstance(value, datetime) and value.tzinfo else value
    raise CursorValueMismatch(
        value=cursor[:80],
        field=column.key,
        cursor_value=_shown_value(value),
        found=_value_label(problem),
        expected=_value_label(expected),
    )


def _shown_value(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False, default=str)
    try:
        shown.encode("utf-8")
    except UnicodeEncodeError:
        # An unpaired surrogate cannot be sent in a UTF-8 response, so it is shown escaped.
        shown = json.dumps(value, default=str)
    return shown[:80]


def decode_cursor_for(cursor: str, column: Column[Any]) -> tuple[Any, uuid.UUID]:
    """Decode a cursor made for ``column`` and check that its sort value fits the column."""
    value, record_id = decode_cursor(cursor, column.key)
    return check_cursor_value(column, value, cursor), record_id


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
            value, last_id = decode_cursor_for(cursor, column)
            after_id = id_column < last_id if descending else id_column > last_id
            statement = statement.where(
                or_(_beyond(column, value, descending), and_(column == value, after_id))
            )
        return statement.order_by(*ordering)
    is_null = column.is_(None)
    if cursor:
        value, last_id = decode_cursor_for(cursor, column)
        after_id = id_column < last_id if descending else id_column > last_id
        if value is None:
            statement = statement.where(and_(is_null, after_id))
        else:
            beyond = _beyond(column, value, descending)
            statement = statement.where(or_(is_null, beyond, and_(column == value, after_id)))
    return statement.order_by(is_null.asc(), *ordering)


def _beyond(column: Column[Any], value: Any, descending: bool) -> ColumnElement[bool]:
    # A bound literal, because SQLAlchemy refuses ordering operators against a bare True/False.
    bound = literal(value, type_=column.type)
    return column < bound if descending else column > bound
