"""Sales forecast per period, team and owner: the weighted open pipeline plus expected new business.

For a period [start, end) forecast at a cut-off date, each deal open at the
cut-off contributes its amount × P(won and closed inside the period | still
open at its current age). That probability comes from the win rate and from
the empirical durations of won and lost deals closed before the cut-off, so a
deal already older than most won deals is correctly discounted. Deals that
will be created and won inside the period are not in the pipeline yet; a
seasonal time-series model of that "in-period" part of won amounts adds them.

The back-test compares the result with a seasonal-naive forecast of total won
amounts (same month one season earlier) and reports the WAPE of both.

A deals frame may carry a ``currency`` column. Win rates and cycle lengths do
not depend on the currency, so they come from every deal, but amounts are only
added within one currency: the functions that take ``currency`` count the
amounts of that currency alone. A frame without the column is one currency.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.sales.models import Opportunity, PipelineStage
from zhike.security.access import scope_select
from zhike.security.context import Actor
from zhike.security.models import Team, User

# Quarter-end closing makes three months the natural season of B2B pipelines.
SEASON_MONTHS = 3
SHRINKAGE = 20.0
MIN_TRACK_RECORD = 3


@dataclass
class ForecastLine:
    group: str
    pipeline: float
    new_business: float

    @property
    def total(self) -> float:
        return self.pipeline + self.new_business


DEAL_COLUMNS = [
    "owner",
    "owner_name",
    "team",
    "team_name",
    "engaged",
    "closed",
    "outcome",
    "amount",
    "currency",
]


def _id_text(value: object) -> str:
    return str(value) if isinstance(value, uuid.UUID) else "-"


def deals_from_crm(session: Session, actor: Actor) -> pd.DataFrame:
    """Read one row per opportunity the actor may read, in the columns of ``DEAL_COLUMNS``.

    Owner and team are ids as text ("-" when missing), with their display names
    beside them. Amounts become floats for the statistics, so callers quantize
    what they return to the currency's minor unit.
    """
    statement = (
        select(
            Opportunity.id,
            Opportunity.owner_id,
            Opportunity.amount,
            Opportunity.currency,
            Opportunity.engaged_on,
            Opportunity.closed_on,
            Opportunity.created_at,
            PipelineStage.is_won,
            PipelineStage.is_lost,
            User.display_name.label("owner_name"),
            Team.id.label("team_id"),
            Team.name.label("team_name"),
        )
        .join(PipelineStage, PipelineStage.id == Opportunity.stage_id)
        .outerjoin(User, User.id == Opportunity.owner_id)
        .outerjoin(Team, Team.id == User.team_id)
    )
    # Only deals the user may read count, because per-owner forecasts would
    # otherwise show colleagues' pipelines to a sales rep.
    rows = pd.DataFrame(session.execute(scope_select(actor, Opportunity, statement)).fetchall())
    if rows.empty:
        return pd.DataFrame(columns=DEAL_COLUMNS)
    created = pd.to_datetime(rows["created_at"], utc=True).dt.tz_localize(None).dt.normalize()
    engaged = pd.to_datetime(rows["engaged_on"], errors="coerce").fillna(created)
    outcome = np.where(rows["is_won"], "won", np.where(rows["is_lost"], "lost", "open"))
    return pd.DataFrame(
        {
            "owner": rows["owner_id"].map(_id_text),
            "owner_name": rows["owner_name"],
            "team": rows["team_id"].map(_id_text),
            "team_name": rows["team_name"],
            "engaged": engaged,
            "closed": pd.to_datetime(rows["closed_on"], errors="coerce"),
            "outcome": outcome,
            "amount": pd.to_numeric(
                rows["amount"].map(lambda v: float(v) if v is not None else None)
            ),
            "currency": rows["currency"],
        }
    )


def in_currency(deals: pd.DataFrame, currency: str | None) -> pd.DataFrame:
    """Keep the deals whose amounts count in ``currency``, or all without a filter or column."""
    if currency is None or "currency" not in deals.columns:
        return deals
    return deals[deals["currency"] == currency]


def _survival(durations: np.ndarray, ages: np.ndarray) -> np.ndarray:
    """Share of ``durations`` strictly longer than each age (empirical survival)."""
    if durations.size == 0:
        return np.ones_like(ages, dtype=float)
    ordered = np.sort(durations)
    return 1.0 - np.searchsorted(ordered, ages, side="right") / ordered.size


def pipeline_expectation(
    deals: pd.DataFrame, cutoff: pd.Timestamp, start: pd.Timestamp, end: pd.Timestamp
) -> pd.Series:
    """Compute the expected won amount inside [start, end) of each deal open at ``cutoff``.

    Each value is in the deal's own currency. A deal without an amount counts as
    the median won amount of its currency, or as zero when that currency has no won deal.
    """
    history = deals[deals["closed"].notna() & (deals["closed"] < cutoff)]
    won = history[history["outcome"] == "won"]
    lost = history[history["outcome"] == "lost"]
    won_days = (won["closed"] - won["engaged"]).dt.days.to_numpy(dtype=float)
    lost_days = (lost["closed"] - lost["engaged"]).dt.days.to_numpy(dtype=float)
    overall_rate = len(won) / max(len(won) + len(lost), 1)
    is_open = (deals["engaged"] < cutoff) & (deals["closed"].isna() | (deals["closed"] >= cutoff))
    open_deals = deals[is_open]
    if open_deals.empty:
        return pd.Series(dtype=float)
    # Owner win rates, shrunk towards the overall rate so a new owner is not judged on two deals.
    counts = history.groupby("owner")["outcome"].agg(
        won=lambda values: (values == "won").sum(), decided="size"
    )
    rates = (counts["won"] + SHRINKAGE * overall_rate) / (counts["decided"] + SHRINKAGE)
    rate = open_deals["owner"].map(rates).fillna(overall_rate).to_numpy(dtype=float)
    age = (cutoff - open_deals["engaged"]).dt.days.to_numpy(dtype=float)
    first = (start - open_deals["engaged"]).dt.days.to_numpy(dtype=float) - 1
    last = (end - open_deals["engaged"]).dt.days.to_numpy(dtype=float) - 1
    still_open = rate * _survival(won_days, age) + (1 - rate) * _survival(lost_days, age)
    closes_inside = rate * (_survival(won_days, first) - _survival(won_days, last))
    probability = np.divide(
        closes_inside, still_open, out=np.zeros_like(age), where=still_open > 1e-9
    )
    typical: pd.Series | float
    if "currency" in deals.columns:
        medians = won.groupby("currency")["amount"].median()
        typical = open_deals["currency"].map(medians).fillna(0.0)
    else:
        typical = won["amount"].median() if not won.empty else 0.0
    amount = (
        open_deals["amount"].where(open_deals["amount"] > 0).fillna(typical).to_numpy(dtype=float)
    )
    return pd.Series(probability * amount, index=open_deals.index)


def _month_starts(first: pd.Timestamp, last: pd.Timestamp) -> list[pd.Timestamp]:
    return list(pd.date_range(first, last, freq="MS"))


def in_period_won(deals: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Deals engaged and won inside the same period: the part no pipeline can show in advance."""
    mask = (
        (deals["outcome"] == "won")
        & (deals["engaged"] >= start)
        & (deals["closed"] >= start)
        & (deals["closed"] < end)
    )
    return deals[mask]


def new_business_expectation(
    deals: pd.DataFrame, start: pd.Timestamp, group: str | None
) -> pd.Series:
    """Seasonal naive of the in-period part: the same month one season earlier, per group."""
    season_start = start - pd.DateOffset(months=SEASON_MONTHS)
    season_end = season_start + pd.DateOffset(months=1)
    earlier = in_period_won(deals, season_start, season_end)
    if group is None:
        return pd.Series({"all": float(earlier["amount"].sum())})
    return earlier.groupby(group)["amount"].sum().astype(float)


def forecast(
    deals: pd.DataFrame,
    start: date,
    *,
    cutoff: date | None = None,
    group: str | None = None,
    currency: str | None = None,
) -> list[ForecastLine]:
    """Expected won amount in ``currency`` in the month that begins at ``start``, per group."""
    month_start = pd.Timestamp(start)
    month_end = month_start + pd.DateOffset(months=1)
    cut = pd.Timestamp(cutoff) if cutoff else month_start
    counted = in_currency(deals, currency)
    expected = pipeline_expectation(deals, cut, month_start, month_end)
    expected = expected[expected.index.isin(counted.index)]
    new = new_business_expectation(counted, month_start, group)
    if group is None:
        return [ForecastLine("all", float(expected.sum()), float(new.sum()))]
    pipeline = (
        expected.groupby(deals.loc[expected.index, group]).sum()
        if not expected.empty
        else pd.Series(dtype=float)
    )
    names = sorted(set(pipeline.index) | set(new.index), key=str)
    return [
        ForecastLine(str(name), float(pipeline.get(name, 0.0)), float(new.get(name, 0.0)))
        for name in names
    ]


def won_by_month(deals: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
    """Won amounts per month (rows) and group (columns; a single "all" column without a group)."""
    won = deals[deals["outcome"] == "won"]
    keys = won[group] if group else pd.Series("all", index=won.index)
    table = (
        won.groupby([won["closed"].dt.to_period("M"), keys])["amount"].sum().unstack(fill_value=0.0)
    )
    return table.astype(float)


def seasonal_forecast(history: pd.DataFrame, period: pd.Period) -> pd.Series:
    """Mean of the same position in the last two seasons: steadier than one season alone."""
    earlier = [period - SEASON_MONTHS * step for step in (1, 2)]
    rows = [history.loc[month] for month in earlier if month in history.index]
    if not rows:
        return pd.Series(0.0, index=history.columns)
    return pd.concat(rows, axis=1).mean(axis=1)


def _pipeline_total(
    deals: pd.DataFrame, month: pd.Period, group: str | None, currency: str | None
) -> pd.Series:
    lines = forecast(deals, month.to_timestamp().date(), group=group, currency=currency)
    return pd.Series({line.group: line.total for line in lines}, dtype=float)


def combination_weight(
    deals: pd.DataFrame, history: pd.DataFrame, period: pd.Period, currency: str | None = None
) -> float:
    """Weight of the pipeline forecast against the seasonal one, from their past errors only.

    Each component's WAPE over up to six earlier months (never the month being
    forecast) gives an inverse-squared-error weight; the pipeline gets none until it has a
    track record of ``MIN_TRACK_RECORD`` months. ``history`` contains the won amounts of
    ``currency`` only, and the pipeline is scored on the same currency.
    """
    actual: list[float] = []
    pipeline: list[float] = []
    seasonal: list[float] = []
    for step in range(1, 7):
        past = period - step
        if past not in history.index or past - SEASON_MONTHS not in history.index:
            continue
        actual.append(float(history.loc[past].sum()))
        pipeline.append(float(_pipeline_total(deals, past, None, currency).sum()))
        seasonal.append(float(seasonal_forecast(history, past).sum()))
    if len(actual) < MIN_TRACK_RECORD:
        return 0.0
    truth = np.asarray(actual)
    pipeline_error = max(wape(truth, np.asarray(pipeline)), 1e-6)
    seasonal_error = max(wape(truth, np.asarray(seasonal)), 1e-6)
    return float((1 / pipeline_error**2) / (1 / pipeline_error**2 + 1 / seasonal_error**2))


def combined_forecast(
    deals: pd.DataFrame, start: date, group: str | None = None, currency: str | None = None
) -> dict[str, float]:
    """Combine the pipeline and seasonal forecasts of one month, weighted by how each did before.

    Only amounts in ``currency`` are added. Deals in other currencies still count in the
    win rates and cycle lengths.
    """
    period = pd.Period(start, freq="M")
    cutoff = pd.Timestamp(start)
    counted = in_currency(deals, currency)
    closed_before = counted[counted["closed"] < cutoff]
    history = won_by_month(closed_before, group)
    weight = combination_weight(deals, won_by_month(closed_before), period, currency)
    pipeline = _pipeline_total(deals, period, group, currency)
    seasonal = seasonal_forecast(history, period)
    names = sorted(set(pipeline.index) | set(seasonal.index), key=str)
    return {
        str(name): weight * float(pipeline.get(name, 0.0))
        + (1 - weight) * float(seasonal.get(name, 0.0))
        for name in names
    }


def wape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Weighted absolute percentage error: total absolute error over total actual."""
    return float(np.abs(actual - predicted).sum() / max(np.abs(actual).sum(), 1e-9))


def backtest(deals: pd.DataFrame, months: list[date]) -> dict[str, object]:
    """One-month-ahead forecasts made at each month's first day, against seasonal naive."""
    actual_by_month = won_by_month(deals)["all"] if not deals.empty else pd.Series(dtype=float)
    rows = []
    for month in months:
        period = pd.Period(month, freq="M")
        actual = float(actual_by_month.get(period, 0.0))
        ours = sum(combined_forecast(deals, month).values())
        naive = float(actual_by_month.get(period - SEASON_MONTHS, 0.0))
        rows.append(
            {
                "month": str(period),
                "actual": actual,
                "forecast": round(ours, 2),
                "seasonal_naive": naive,
            }
        )
    truth = np.asarray([row["actual"] for row in rows])
    return {
        "months": rows,
        "wape": round(wape(truth, np.asarray([row["forecast"] for row in rows])), 4),
        "seasonal_naive_wape": round(
            wape(truth, np.asarray([row["seasonal_naive"] for row in rows])), 4
        ),
    }
