"""The sales forecast as the API returns it: Decimal money in the tenant's currency.

The model in ``zhike.sales.forecast`` computes in float. This module adds only
amounts of the tenant's currency into the forecast and reports open deals in
any other currency apart, per currency, because no exchange rate is applied.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from zhike.sales.forecast import combined_forecast, deals_from_crm, pipeline_expectation
from zhike.sales.quotes import quantize
from zhike.security.context import Actor

ForecastGroupBy = Literal["owner", "team"]

# Key of the single row of a forecast without a group.
ALL_KEY = "all"


class ForecastGroup(BaseModel):
    key: str = Field(
        description='user or team id, "all" without a group, or "-" for deals without owner or team'
    )
    name: str | None = Field(description="user display name or team name, or null when unknown")
    amount: Decimal = Field(description="expected won amount in the forecast's currency")


class OtherCurrencyPipeline(BaseModel):
    key: str = Field(description="group key, as in the forecast rows")
    name: str | None
    currency: str
    open_deals: int = Field(description="deals in this currency open at the start of the month")
    weighted_amount: Decimal = Field(
        description="expected won amount of those deals inside the month, in this currency"
    )


class SalesForecast(BaseModel):
    month: date
    group: ForecastGroupBy | None
    currency: str = Field(description="the tenant's currency: every forecast amount is in it")
    forecast: list[ForecastGroup]
    other_currencies: list[OtherCurrencyPipeline] = Field(
        description="open deals in other currencies, left out of the forecast and not converted"
    )


def to_money(value: float, currency: str) -> Decimal:
    """Convert a model output to Decimal money rounded half-even to the currency's minor unit."""
    # NOTE: the model adds floats, which carry about 15 significant digits, so a figure
    # above about 10**13 may be off in its last minor unit.
    if not math.isfinite(value):
        raise ValueError(f"forecast amount {value!r} in {currency} is not a finite number")
    return quantize(Decimal(repr(value)), currency)


def _group_names(deals: pd.DataFrame, group: ForecastGroupBy | None) -> dict[str, str | None]:
    if group is None:
        return {}
    named = deals[[group, f"{group}_name"]].drop_duplicates(group)
    return {
        str(key): name if isinstance(name, str) else None
        for key, name in zip(named[group], named[f"{group}_name"], strict=True)
    }


def _other_currencies(
    deals: pd.DataFrame, month: date, group: ForecastGroupBy | None, currency: str
) -> list[OtherCurrencyPipeline]:
    start = pd.Timestamp(month)
    expected = pipeline_expectation(deals, start, start, start + pd.DateOffset(months=1))
    open_deals = deals.loc[expected.index].assign(expected=expected)
    foreign = open_deals[open_deals["currency"] != currency]
    if foreign.empty:
        return []
    names = _group_names(deals, group)
    keys = foreign[group] if group else pd.Series(ALL_KEY, index=foreign.index)
    summary = foreign.groupby([keys, foreign["currency"]])["expected"].agg(["size", "sum"])
    return [
        OtherCurrencyPipeline(
            key=str(key),
            name=names.get(str(key)),
            currency=str(code),
            open_deals=int(row["size"]),
            weighted_amount=to_money(float(row["sum"]), str(code)),
        )
        for (key, code), row in summary.iterrows()
    ]


def sales_forecast(
    session: Session, actor: Actor, month: date, group: ForecastGroupBy | None
) -> SalesForecast:
    """Forecast the won amount of ``month`` in the tenant's currency, per owner or team.

    The caller checks that the actor may see opportunity amounts.
    """
    start = month.replace(day=1)
    deals = deals_from_crm(session, actor)
    values = combined_forecast(deals, start, group, actor.currency) if not deals.empty else {}
    names = _group_names(deals, group)
    rows = [
        ForecastGroup(key=key, name=names.get(key), amount=to_money(value, actor.currency))
        for key, value in values.items()
    ]
    others = _other_currencies(deals, start, group, actor.currency) if not deals.empty else []
    return SalesForecast(
        month=start,
        group=group,
        currency=actor.currency,
        forecast=rows,
        other_currencies=others,
    )
