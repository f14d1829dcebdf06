"""Money in marketing metrics: amounts kept per currency, and ROI only within one currency.

Amounts in different currencies are never added, because Zhike stores no
exchange rates. ROI is (revenue - cost) / cost in the cost's currency and is
null with a reason when it cannot be computed in one currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

RoiUnavailableReason = Literal["no_cost", "mixed_currencies", "currency_mismatch"]
CENT = Decimal("0.01")
_RATIO = Decimal("0.0001")


class MoneyAmount(BaseModel):
    currency: str
    amount: Decimal


def money_list(amounts: Mapping[str, Decimal]) -> list[MoneyAmount]:
    """List the non-zero amounts, one per currency, sorted by currency code."""
    return [
        MoneyAmount(currency=currency, amount=amount.quantize(CENT))
        for currency, amount in sorted(amounts.items())
        if amount != 0
    ]


def return_on_investment(
    revenue: Mapping[str, Decimal], cost: Mapping[str, Decimal]
) -> tuple[Decimal | None, str | None, RoiUnavailableReason | None]:
    """Return (ROI, its currency, None), or (None, None, reason) when one currency cannot hold it.

    The reasons are ``no_cost`` (no positive cost), ``mixed_currencies`` (cost in
    several currencies) and ``currency_mismatch`` (revenue in another currency
    than the cost).
    """
    costs = {currency: amount for currency, amount in cost.items() if amount > 0}
    if not costs:
        return None, None, "no_cost"
    if len(costs) > 1:
        return None, None, "mixed_currencies"
    [(currency, spent)] = costs.items()
    if any(amount != 0 and other != currency for other, amount in revenue.items()):
        return None, None, "currency_mismatch"
    earned = revenue.get(currency, Decimal(0))
    return ((earned - spent) / spent).quantize(_RATIO), currency, None
