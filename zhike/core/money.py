"""Money: a Decimal amount with an ISO 4217 currency code; never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

# Currencies a Chinese company commonly books in. A tenant may use any of these.
CURRENCY_EXPONENTS: dict[str, int] = {
    "CNY": 2,
    "HKD": 2,
    "TWD": 2,
    "MOP": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "JPY": 0,
    "KRW": 0,
    "SGD": 2,
    "AUD": 2,
    "CAD": 2,
    "CHF": 2,
    "BRL": 2,
    "RUB": 2,
    "INR": 2,
    "THB": 2,
    "MYR": 2,
    "VND": 0,
    "IDR": 2,
    "AED": 2,
    "SAR": 2,
}

# Amount columns hold 18 digits with 2 after the point: up to 10**16 yuan.
AMOUNT_PRECISION = 18
AMOUNT_SCALE = 2


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if self.currency not in CURRENCY_EXPONENTS:
            raise ValueError(
                f"unknown currency {self.currency!r}; use an ISO 4217 code such as CNY"
            )

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount + other.amount, self.currency)


def normalize_currency(value: str) -> str:
    code = value.strip().upper()
    if code not in CURRENCY_EXPONENTS:
        known = ", ".join(sorted(CURRENCY_EXPONENTS))
        raise ValueError(f"unknown currency {value!r}; use one of {known}")
    return code


# Thousands separators only between groups of three digits: "1,234.50" but not "12,5",
# which in much of Europe is twelve and a half.
_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(?:[,，]\d{3})+(?:\.\d*)?")


def ungroup_digits(text: str) -> str | None:
    """Return ``text`` without thousands separators, or None when its commas group no thousands."""
    if "," not in text and "，" not in text:
        return text
    if _GROUPED_NUMBER.fullmatch(text.strip()) is None:
        return None
    return text.replace(",", "").replace("，", "")


def parse_amount(value: str | int | Decimal, currency: str = "CNY") -> Decimal:
    """Parse an amount such as ``"1,234.50"`` or ``"¥1234.5"`` and round it to the currency."""
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    else:
        text = value.strip()
        for symbol in ("¥", "￥", "$", "€", "£", "CNY", "RMB", "元"):
            text = text.replace(symbol, "")
        try:
            number = Decimal(ungroup_digits(text.strip()) or "invalid")
        except InvalidOperation as error:
            raise ValueError(f"invalid amount {value!r}; write a number such as 1234.50") from error
    if not number.is_finite():
        raise ValueError(f"invalid amount {value!r}; write a finite number")
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    return number.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_EVEN)
