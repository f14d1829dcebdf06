"""Pandas set-up shared by the question sets ``nl_unseen3.py`` to ``nl_unseen9.py``.

Each set computes its expected rows from the same frames of the MavenTech CSV files,
independently of the importer and the report engine. ``pipeline_frames`` builds them
once per set, and ``CaseList`` collects the set's cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from nl_questions import Case, between, load_accounts, load_frame
from nl_unseen2 import (
    ascending,
    by,
    count,
    descending,
    group,
    month_label,
    periods,
    quarter_label,
    ranked,
)

# A measure of a ranking question: the query's measure and the pandas function that computes it.
Measure = tuple[dict[str, Any], Callable[[pd.DataFrame], Any]]


def last_days(as_of: date, days: int) -> tuple[date, date]:
    """Return the inclusive range of ``last_N_days``: the N days ending on ``as_of``."""
    return as_of - timedelta(days=days - 1), as_of


def year_label(day: date | None) -> str | None:
    return None if day is None else str(day.year)


@dataclass(frozen=True)
class PipelineFrames:
    """Accounts, deals and products of the pipeline, and the filters the sets apply to them."""

    accounts: pd.DataFrame
    # One row per deal, with its account's country, employees and founding year, and the
    # period labels of its close and engage dates.
    frame: pd.DataFrame
    products: pd.DataFrame
    won: pd.DataFrame
    lost: pd.DataFrame
    open_deals: pd.DataFrame
    # Deals with a close date, won or lost.
    closed: pd.DataFrame
    # Inclusive date ranges of the relative periods, keyed by their query names.
    ranges: dict[str, tuple[date, date]]

    def closed_during(self, part: pd.DataFrame, period: str) -> pd.DataFrame:
        return between(part, "closed", *self.ranges[period])

    def closed_from(self, part: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
        return between(part, "closed", start, end)

    def engaged_from(self, start: date, end: date) -> pd.DataFrame:
        return between(self.frame, "engaged", start, end)

    @staticmethod
    def where(part: pd.DataFrame, column: str, value: Any) -> pd.DataFrame:
        return part[part[column] == value]

    @staticmethod
    def within(part: pd.DataFrame, column: str, values: list[str]) -> pd.DataFrame:
        return part[part[column].isin(values)]

    @staticmethod
    def outside(part: pd.DataFrame, column: str, values: list[str]) -> pd.DataFrame:
        return part[~part[column].isin(values)]


def pipeline_frames(folder: Path, as_of: date) -> PipelineFrames:
    """Load the CSV files in ``folder`` and derive the frames the question sets read."""
    accounts = load_accounts(folder)
    # The importer stores revenue, given in millions, as a plain amount.
    accounts["annual_revenue"] = accounts["revenue"].map(lambda v: Decimal(v) * 1_000_000)
    accounts["founded"] = accounts["year_established"].astype(int)
    # Deals without an account get NaN in the account columns.
    frame = load_frame(folder).merge(
        accounts[["account", "office_location", "employees", "founded"]], on="account", how="left"
    )
    frame = frame.rename(columns={"office_location": "country"})
    frame["closed_month"] = frame["closed"].map(month_label)
    frame["closed_quarter"] = frame["closed"].map(quarter_label)
    frame["engaged_month"] = frame["engaged"].map(month_label)
    frame["engaged_quarter"] = frame["engaged"].map(quarter_label)
    frame["engaged_year"] = frame["engaged"].map(year_label)
    products = pd.read_csv(folder / "products.csv", dtype=str)
    products["list_price"] = products["sales_price"].map(Decimal)

    ranges = periods(as_of)
    for days in (7, 30, 60):
        ranges[f"last_{days}_days"] = last_days(as_of, days)

    return PipelineFrames(
        accounts=accounts,
        frame=frame,
        products=products,
        won=frame[frame["stage"] == "won"],
        lost=frame[frame["stage"] == "lost"],
        open_deals=frame[~frame["stage"].isin(["won", "lost"])],
        closed=frame[frame["closed"].notna()],
        ranges=ranges,
    )


@dataclass
class CaseList:
    """The cases of one question set, in the order they are added."""

    cases: list[Case] = field(default_factory=list)

    def add(
        self,
        family: str,
        question: str,
        query: dict[str, Any],
        rows: list[list[Any]],
        ordered: bool = False,
    ) -> None:
        """Add a question on opportunities, unless ``query`` names another object."""
        self.cases.append(
            Case(question, {"object": "opportunities", **query}, rows, ordered, family)
        )

    def add_object(
        self,
        family: str,
        question: str,
        query: dict[str, Any],
        rows: list[list[Any]],
        ordered: bool = False,
    ) -> None:
        """Add a question whose query names its object."""
        self.cases.append(Case(question, query, rows, ordered, family))

    def top(
        self,
        family: str,
        question: str,
        filters: list[dict[str, Any]],
        dimension: tuple[str, str],
        limit: int,
        measure: Measure | None,
        part: pd.DataFrame,
        lowest_first: bool = False,
    ) -> None:
        """Add a ranking question, by the count of deals when ``measure`` is None.

        ``dimension`` pairs the query's group field with the frame column it reads.
        """
        field_name, column = dimension
        query: dict[str, Any] = {
            "filters": filters,
            "group_by": [group(field_name)],
            "limit": limit,
        }
        compute: Callable[[pd.DataFrame], Any]
        if measure is None:
            name, compute = "count", count
        else:
            name = f"{measure[0]['aggregate']}:{measure[0]['field']}"
            query["measures"] = [measure[0]]
            compute = measure[1]
        query["sort"] = ascending(name) if lowest_first else descending(name)
        rows = ranked(by(part, column, compute), limit, lowest_first=lowest_first)
        self.add(family, question, query, rows, ordered=True)
