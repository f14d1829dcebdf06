"""Cell conversions of mapping profiles: text to int, decimal, date, datetime and bool.

Each converter takes the cell as read (text from CSV, or a native value from
XLSX) and raises ``ConversionError`` with the code of a catalog message.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from zhike.core.money import ungroup_digits
from zhike.core.timeutil import ensure_utc, load_zone

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "是", "对", "有", "真"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "否", "错", "无", "假"})

# 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日 and 20240305, optionally followed by a time
# such as 14:30, 14:30:15, 14:30:15.123 or 14时30分.
_DATE = re.compile(
    r"^(?P<year>\d{4})(?:[-/.年](?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})日?"
    r"|(?P<month8>\d{2})(?P<day8>\d{2}))"
    r"(?:[ T]+(?P<hour>\d{1,2})[:时](?P<minute>\d{1,2})分?"
    r"(?::(?P<second>\d{1,2})(?:\.(?P<fraction>\d{1,6}))?秒?)?)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)


class ConversionError(ValueError):
    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code)


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ConversionError("invalid_integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = ungroup_digits(str(value).strip()) or "invalid"
    if text.endswith(".0"):
        text = text[:-2]
    try:
        return int(text)
    except ValueError:
        raise ConversionError("invalid_integer") from None


def to_decimal(value: Any, multiply: Decimal | None = None) -> Decimal:
    if isinstance(value, bool):
        raise ConversionError("invalid_decimal")
    if isinstance(value, float):
        value = repr(value)
    text = str(value).strip()
    for symbol in ("¥", "￥", "$", "€", "£", "元"):
        text = text.replace(symbol, "")
    try:
        number = Decimal(ungroup_digits(text.strip()) or "invalid")
    except InvalidOperation:
        raise ConversionError("invalid_decimal") from None
    if not number.is_finite():
        raise ConversionError("invalid_decimal")
    return number * multiply if multiply is not None else number


def to_bool(
    value: Any, true_words: frozenset[str] = TRUE_WORDS, false_words: frozenset[str] = FALSE_WORDS
) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in true_words:
        return True
    if text in false_words:
        return False
    raise ConversionError("invalid_boolean")


def _parse(value: Any, fmt: str | None) -> tuple[date, time | None, str | None]:
    if isinstance(value, datetime):
        return value.date(), value.timetz(), "aware" if value.tzinfo else None
    if isinstance(value, date):
        return value, None, None
    text = str(value).strip()
    if fmt:
        try:
            parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - the zone is applied below
        except ValueError:
            raise ConversionError("invalid_date_format", format=fmt) from None
        return parsed.date(), parsed.time(), None
    match = _DATE.match(text)
    if match is None:
        raise ConversionError("invalid_date")
    parts = match.groupdict()
    try:
        day = date(
            int(parts["year"]),
            int(parts["month"] or parts["month8"]),
            int(parts["day"] or parts["day8"]),
        )
        moment = None
        if parts["hour"] is not None:
            fraction = (parts["fraction"] or "0").ljust(6, "0")
            moment = time(
                int(parts["hour"]), int(parts["minute"]), int(parts["second"] or 0), int(fraction)
            )
    except ValueError:
        raise ConversionError("invalid_date") from None
    return day, moment, parts["zone"]


def to_date(value: Any, fmt: str | None = None) -> date:
    day, _moment, _zone = _parse(value, fmt)
    return day


def to_datetime(value: Any, timezone: str, fmt: str | None = None) -> datetime:
    """Return an aware UTC time; a time without zone is taken in the tenant's zone."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return ensure_utc(value)
    day, moment, zone = _parse(value, fmt)
    if zone is not None and not isinstance(value, datetime):
        text = str(value).strip().replace(" ", "T", 1).replace("Z", "+00:00")
        try:
            return ensure_utc(datetime.fromisoformat(text))
        except ValueError:
            raise ConversionError("invalid_date") from None
    local = datetime.combine(day, moment or time.min, tzinfo=load_zone(timezone))
    return ensure_utc(local)


def convert(
    kind: str,
    value: Any,
    *,
    timezone: str,
    fmt: str | None = None,
    multiply: Decimal | None = None,
    true_words: frozenset[str] = TRUE_WORDS,
    false_words: frozenset[str] = FALSE_WORDS,
) -> Any:
    """Convert a non-empty cell to the profile type ``kind``."""
    if kind == "text":
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return value if isinstance(value, str) else str(value)
    if kind == "int":
        return to_int(value)
    if kind == "decimal":
        return to_decimal(value, multiply)
    if kind == "date":
        return to_date(value, fmt)
    if kind == "datetime":
        return to_datetime(value, timezone, fmt)
    if kind == "bool":
        return to_bool(value, true_words, false_words)
    raise ConversionError("invalid_type", type=kind)
