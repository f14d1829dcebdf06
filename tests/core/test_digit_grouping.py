"""Thousands separators in numbers from files and forms: accepted only between groups of three."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zhike.core.money import parse_amount
from zhike.ingestion.convert import ConversionError, to_decimal, to_int


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.50", Decimal("1234.50")),
        ("-1,234,567.8", Decimal("-1234567.8")),
        ("1，234", Decimal("1234")),
        ("¥12,000", Decimal("12000")),
        ("12.5", Decimal("12.5")),
    ],
)
def test_grouped_decimal_is_read(text: str, expected: Decimal) -> None:
    assert to_decimal(text) == expected


@pytest.mark.parametrize("text", ["12,5", "12,50", "1,2345", "1,,234", ",123"])
def test_decimal_comma_is_rejected(text: str) -> None:
    with pytest.raises(ConversionError) as raised:
        to_decimal(text)

    assert raised.value.code == "invalid_decimal"


def test_grouped_integer_is_read() -> None:
    assert to_int("12,345") == 12345


def test_integer_with_decimal_comma_is_rejected() -> None:
    with pytest.raises(ConversionError):
        to_int("12,5")


def test_amount_with_decimal_comma_is_rejected() -> None:
    assert parse_amount("¥1,234.5") == Decimal("1234.50")
    with pytest.raises(ValueError, match="12,5"):
        parse_amount("12,5")
