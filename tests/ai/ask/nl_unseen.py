"""A question set over the MavenTech pipeline, written without reading the grammar.

The questions are worded the way sales managers and reps type them: polite openers,
colloquial Chinese, abbreviations (opps, 2k, 10k), contractions and varied word
order. Expected rows are computed with pandas from the CSV files, independently of
the importer and the report engine. The set was first used to estimate how the
grammar handles new wordings; its failures have since guided the grammar, so it is
now a development set.

Where two typed queries would be equally correct, a comment says which one the
set expects.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from nl_questions import LOST, WON, Case, average, between, load_accounts, load_frame, median, total

FOUR_PLACES = Decimal("0.0001")
OPEN = [
    {"field": "stage.is_lost", "op": "eq", "value": False},
    {"field": "stage.is_won", "op": "eq", "value": False},
]
CLOSED = {"field": "closed_on", "op": "is_not_empty"}
# The win rate is named ``win_rate``, as on the standard win-rate dashboard, so the answer's
# column carries the rate's label rather than the condition's.
WIN_SHARE = {
    "aggregate": "share",
    "alias": "win_rate",
    "where": [{"field": "stage.is_won", "op": "eq", "value": True}],
}

SUM = {"aggregate": "sum", "field": "amount"}
AVG = {"aggregate": "avg", "field": "amount"}
MEDIAN = {"aggregate": "median", "field": "amount"}
MAX = {"aggregate": "max", "field": "amount"}
MIN = {"aggregate": "min", "field": "amount"}

REP = "owner.display_name"
REGION = "owner.team.region"
MANAGER = "owner.manager.display_name"
PRODUCT = "product.name"
SERIES = "product.series"
INDUSTRY = "account.industry"
ACCOUNT = "account.name"


def equals(field: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": "eq", "value": value}


def closed_in(start: str, end: str) -> dict[str, Any]:
    return {"field": "closed_on", "op": "between", "value": [start, end]}


def closed_relative(period: str) -> dict[str, Any]:
    return {"field": "closed_on", "op": "relative", "value": period}


def engaged_in(start: str, end: str) -> dict[str, Any]:
    return {"field": "engaged_on", "op": "between", "value": [start, end]}


def engaged_relative(period: str) -> dict[str, Any]:
    return {"field": "engaged_on", "op": "relative", "value": period}


def group(field: str, bucket: str | None = None) -> dict[str, Any]:
    return {"field": field, "bucket": bucket} if bucket else {"field": field}


def descending(column: str) -> list[dict[str, Any]]:
    return [{"column": column, "descending": True}]


def ascending(column: str) -> list[dict[str, Any]]:
    return [{"column": column, "descending": False}]


def labelled(rows: list[list[Any]]) -> list[list[Any]]:
    """Replace pandas' missing group key with None, as the report returns it."""
    return [[None if pd.isna(row[0]) else row[0], *row[1:]] for row in rows]


def by(frame: pd.DataFrame, key: str, measure: Callable[[pd.DataFrame], Any]) -> list[list[Any]]:
    return labelled([[name, measure(part)] for name, part in frame.groupby(key, dropna=False)])


def ranked(rows: list[list[Any]], count: int, lowest_first: bool = False) -> list[list[Any]]:
    """Select the first ``count`` rows by their last value, raising ValueError on a tie.

    A tie at the cut-off or inside the kept rows leaves the expected order undefined.
    """
    present = sorted(
        (row for row in rows if row[0] is not None and row[-1] is not None),
        key=lambda row: row[-1],
        reverse=not lowest_first,
    )
    values = [row[-1] for row in present[: count + 1]]
    if len(set(values)) != len(values):
        raise ValueError(
            f"tie within the first {count + 1} rows {present[: count + 1]}; choose another limit"
        )
    return present[:count]


def count(frame: pd.DataFrame) -> int:
    return len(frame)


def amounts(frame: pd.DataFrame, check: Callable[[Decimal], bool]) -> pd.DataFrame:
    return frame[frame["amount"].map(lambda value: value is not None and check(value))]


def largest(values: pd.Series) -> Decimal:
    return Decimal(max(value for value in values if value is not None)).quantize(Decimal("0.01"))


def smallest(values: pd.Series) -> Decimal:
    return Decimal(min(value for value in values if value is not None)).quantize(Decimal("0.01"))


def win_share(frame: pd.DataFrame) -> Decimal:
    closed = frame[frame["stage"].isin(["won", "lost"])]
    return (Decimal(int((closed["stage"] == "won").sum())) / len(closed)).quantize(FOUR_PLACES)


def number_average(values: pd.Series) -> Decimal:
    return (Decimal(int(values.sum())) / len(values)).quantize(Decimal("0.01"))


def month_label(day: date | None) -> str | None:
    return None if day is None else f"{day.year}-{day.month:02d}"


def quarter_label(day: date | None) -> str | None:
    return None if day is None else f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def build_unseen_cases(folder: Path, as_of: date) -> list[Case]:
    frame = load_frame(folder)
    frame["closed_month"] = frame["closed"].map(month_label)
    frame["closed_quarter"] = frame["closed"].map(quarter_label)
    frame["engaged_month"] = frame["engaged"].map(month_label)
    frame["engaged_quarter"] = frame["engaged"].map(quarter_label)
    accounts = load_accounts(folder)
    accounts["annual_revenue"] = accounts["revenue"].map(lambda v: Decimal(v) * 1_000_000)
    accounts["founded"] = accounts["year_established"].astype(int)
    products = pd.read_csv(folder / "products.csv", dtype=str)
    products["list_price"] = products["sales_price"].map(Decimal)

    won = frame[frame["stage"] == "won"]
    lost = frame[frame["stage"] == "lost"]
    open_deals = frame[~frame["stage"].isin(["won", "lost"])]
    month_start = as_of.replace(day=1)
    last_month = (month_start - timedelta(days=1)).replace(day=1), month_start - timedelta(days=1)
    quarter_start = date(as_of.year, (as_of.month - 1) // 3 * 3 + 1, 1)
    last_quarter_end = quarter_start - timedelta(days=1)
    last_quarter = (
        date(last_quarter_end.year, (last_quarter_end.month - 1) // 3 * 3 + 1, 1),
        last_quarter_end,
    )
    this_year = date(as_of.year, 1, 1), date(as_of.year, 12, 31)

    def last_days(days: int) -> tuple[date, date]:
        return as_of - timedelta(days=days - 1), as_of

    def rep(name: str) -> pd.DataFrame:
        return won[won["sales_agent"] == name]

    cases: list[Case] = []

    def add(
        family: str,
        question: str,
        query: dict[str, Any],
        rows: list[list[Any]],
        ordered: bool = False,
    ) -> None:
        cases.append(Case(question, {"object": "opportunities", **query}, rows, ordered, family))

    def add_object(
        family: str, question: str, query: dict[str, Any], rows: list[list[Any]]
    ) -> None:
        cases.append(Case(question, query, rows, False, family))

    # Counts of deals, plain or by stage.
    add("stage_count", "咱们现在一共有多少个商机？", {}, [[len(frame)]])
    add("stage_count", "how many opportunities do we have in total?", {}, [[len(frame)]])
    add("stage_count", "麻烦查一下一共丢了多少单", {"filters": [LOST]}, [[len(lost)]])
    add("stage_count", "how many deals did we lose overall?", {"filters": [LOST]}, [[len(lost)]])
    prospecting = [[int((frame["stage"] == "prospecting").sum())]]
    engaging = [[int((frame["stage"] == "engaging").sum())]]
    add(
        "stage_count",
        "还在初步接洽阶段的商机有几个",
        {"filters": [equals("stage.key", "prospecting")]},
        prospecting,
    )
    add(
        "stage_count",
        "how many opps are in the engaging stage?",
        {"filters": [equals("stage.key", "engaging")]},
        engaging,
    )
    add(
        "stage_count",
        "现在有多少单在方案沟通阶段",
        {"filters": [equals("stage.key", "engaging")]},
        engaging,
    )
    add("stage_count", "目前在跟进中的商机有多少", {"filters": OPEN}, [[len(open_deals)]])
    add("stage_count", "how many open opps do we have?", {"filters": OPEN}, [[len(open_deals)]])
    add("stage_count", "total number of won opps", {"filters": [WON]}, [[len(won)]])

    # Sums of won amounts under one filter.
    def won_sum(part: pd.DataFrame) -> list[list[Any]]:
        return [[total(part["amount"])]]

    add(
        "won_sum",
        "GTX Pro总共赢了多少钱",
        {"filters": [equals(PRODUCT, "GTX Pro"), WON], "measures": [SUM]},
        won_sum(won[won["product"] == "GTX Pro"]),
    )
    add(
        "won_sum",
        "What's the total won revenue for MG Special?",
        {"filters": [equals(PRODUCT, "MG Special"), WON], "measures": [SUM]},
        won_sum(won[won["product"] == "MG Special"]),
    )
    add(
        "won_sum",
        "Central区今年签了多少金额",
        {
            "filters": [equals(REGION, "Central"), closed_relative("this_year"), WON],
            "measures": [SUM],
        },
        won_sum(between(won[won["regional_office"] == "Central"], "closed", *this_year)),
    )
    add(
        "won_sum",
        "total bookings for the East office",
        {"filters": [equals(REGION, "East"), WON], "measures": [SUM]},
        won_sum(won[won["regional_office"] == "East"]),
    )
    add(
        "won_sum",
        "Darcel Schlecht 的总业绩是多少",
        {"filters": [equals(REP, "Darcel Schlecht"), WON], "measures": [SUM]},
        won_sum(rep("Darcel Schlecht")),
    )
    add(
        "won_sum",
        "how much has Vicki Laflamme closed in total?",
        {"filters": [equals(REP, "Vicki Laflamme"), WON], "measures": [SUM]},
        won_sum(rep("Vicki Laflamme")),
    )
    add(
        "won_sum",
        "金融行业客户的赢单总额",
        {"filters": [equals(INDUSTRY, "finance"), WON], "measures": [SUM]},
        won_sum(won[won["industry"] == "finance"]),
    )
    add(
        "won_sum",
        "sum of won amounts from retail accounts",
        {"filters": [equals(INDUSTRY, "retail"), WON], "measures": [SUM]},
        won_sum(won[won["industry"] == "retail"]),
    )
    add(
        "won_sum",
        "Kan-code这个客户一共给我们贡献了多少成交额",
        {"filters": [equals(ACCOUNT, "Kan-code"), WON], "measures": [SUM]},
        won_sum(won[won["account"] == "Kan-code"]),
    )
    add(
        "won_sum",
        "how much revenue have we won from Hottechi?",
        {"filters": [equals(ACCOUNT, "Hottechi"), WON], "measures": [SUM]},
        won_sum(won[won["account"] == "Hottechi"]),
    )
    add(
        "won_sum",
        "Melvin Marxen手下的销售一共赢了多少钱",
        {"filters": [equals(MANAGER, "Melvin Marxen"), WON], "measures": [SUM]},
        won_sum(won[won["manager"] == "Melvin Marxen"]),
    )
    add(
        "won_sum",
        "GTK series won revenue",
        {"filters": [equals(SERIES, "GTK"), WON], "measures": [SUM]},
        won_sum(won[won["series"] == "GTK"]),
    )
    add(
        "won_sum",
        "Cara Losch手下今年的成交总额",
        {
            "filters": [equals(MANAGER, "Cara Losch"), closed_relative("this_year"), WON],
            "measures": [SUM],
        },
        won_sum(between(won[won["manager"] == "Cara Losch"], "closed", *this_year)),
    )
    add(
        "won_sum",
        "How much did the GTX series bring in last quarter?",
        {
            "filters": [equals(SERIES, "GTX"), closed_relative("last_quarter"), WON],
            "measures": [SUM],
        },
        won_sum(between(won[won["series"] == "GTX"], "closed", *last_quarter)),
    )

    # Averages.
    add(
        "average",
        "赢单的平均金额是多少",
        {"filters": [WON], "measures": [AVG]},
        [[average(won["amount"])]],
    )
    add(
        "average",
        "what's our average deal size on won deals?",
        {"filters": [WON], "measures": [AVG]},
        [[average(won["amount"])]],
    )
    add(
        "average",
        "MG Advanced平均每单成交金额是多少",
        {"filters": [equals(PRODUCT, "MG Advanced"), WON], "measures": [AVG]},
        [[average(won[won["product"] == "MG Advanced"]["amount"])]],
    )
    add(
        "average",
        "avg won amount for Cassey Cress",
        {"filters": [equals(REP, "Cassey Cress"), WON], "measures": [AVG]},
        [[average(rep("Cassey Cress")["amount"])]],
    )
    add(
        "average",
        "West区的平均赢单金额",
        {"filters": [equals(REGION, "West"), WON], "measures": [AVG]},
        [[average(won[won["regional_office"] == "West"]["amount"])]],
    )
    add(
        "average",
        "average won deal value in the software sector",
        {"filters": [equals(INDUSTRY, "software"), WON], "measures": [AVG]},
        [[average(won[won["industry"] == "software"]["amount"])]],
    )
    add(
        "average",
        "GTX系列的平均成交额",
        {"filters": [equals(SERIES, "GTX"), WON], "measures": [AVG]},
        [[average(won[won["series"] == "GTX"]["amount"])]],
    )
    add(
        "average",
        "mean amount of deals won in Q3 2017",
        {"filters": [closed_in("2017-07-01", "2017-09-30"), WON], "measures": [AVG]},
        [[average(between(won, "closed", date(2017, 7, 1), date(2017, 9, 30))["amount"])]],
    )
    add_object(
        "average",
        "客户的平均员工人数是多少",
        {"object": "accounts", "measures": [{"aggregate": "avg", "field": "employee_count"}]},
        [[number_average(accounts["employees"])]],
    )
    add_object(
        "average",
        "what's the average annual revenue of our accounts?",
        {"object": "accounts", "measures": [{"aggregate": "avg", "field": "annual_revenue"}]},
        [[average(accounts["annual_revenue"])]],
    )
    add(
        "average",
        "this year's average won deal size",
        {"filters": [closed_relative("this_year"), WON], "measures": [AVG]},
        [[average(between(won, "closed", *this_year)["amount"])]],
    )
    add(
        "average",
        "上个季度平均每单赢多少钱",
        {"filters": [closed_relative("last_quarter"), WON], "measures": [AVG]},
        [[average(between(won, "closed", *last_quarter)["amount"])]],
    )

    # Medians.
    add(
        "median",
        "赢单金额的中位数是多少",
        {"filters": [WON], "measures": [MEDIAN]},
        [[median(won["amount"])]],
    )
    add(
        "median",
        "median won deal for GTX Plus Pro",
        {"filters": [equals(PRODUCT, "GTX Plus Pro"), WON], "measures": [MEDIAN]},
        [[median(won[won["product"] == "GTX Plus Pro"]["amount"])]],
    )
    add(
        "median",
        "Rosie Papadopoulos成交金额的中位数",
        {"filters": [equals(REP, "Rosie Papadopoulos"), WON], "measures": [MEDIAN]},
        [[median(rep("Rosie Papadopoulos")["amount"])]],
    )
    add(
        "median",
        "what's the median close value for won deals in the medical industry?",
        {"filters": [equals(INDUSTRY, "medical"), WON], "measures": [MEDIAN]},
        [[median(won[won["industry"] == "medical"]["amount"])]],
    )
    add(
        "median",
        "按区域看一下赢单金额的中位数",
        {"filters": [WON], "group_by": [group(REGION)], "measures": [MEDIAN]},
        by(won, "regional_office", lambda part: median(part["amount"])),
    )
    add(
        "median",
        "median won amount per product series",
        {"filters": [WON], "group_by": [group(SERIES)], "measures": [MEDIAN]},
        by(won, "series", lambda part: median(part["amount"])),
    )
    add_object(
        "median",
        "客户员工数的中位数",
        {"object": "accounts", "measures": [{"aggregate": "median", "field": "employee_count"}]},
        [[Decimal(str(statistics.median(accounts["employees"]))).quantize(Decimal("0.01"))]],
    )
    add(
        "median",
        "median won amount last quarter",
        {"filters": [closed_relative("last_quarter"), WON], "measures": [MEDIAN]},
        [[median(between(won, "closed", *last_quarter)["amount"])]],
    )

    # Largest and smallest values.
    add(
        "min_max",
        "今年最大的一笔赢单是多少钱",
        {"filters": [closed_relative("this_year"), WON], "measures": [MAX]},
        [[largest(between(won, "closed", *this_year)["amount"])]],
    )
    add(
        "min_max",
        "what's the biggest deal Kary Hendrixson has won?",
        {"filters": [equals(REP, "Kary Hendrixson"), WON], "measures": [MAX]},
        [[largest(rep("Kary Hendrixson")["amount"])]],
    )
    add(
        "min_max",
        "GTX Basic成交金额最低的一单是多少",
        {"filters": [equals(PRODUCT, "GTX Basic"), WON], "measures": [MIN]},
        [[smallest(won[won["product"] == "GTX Basic"]["amount"])]],
    )
    add(
        "min_max",
        "smallest won deal in the Central region",
        {"filters": [equals(REGION, "Central"), WON], "measures": [MIN]},
        [[smallest(won[won["regional_office"] == "Central"]["amount"])]],
    )
    add(
        "min_max",
        "每个产品的最高赢单金额",
        {"filters": [WON], "group_by": [group(PRODUCT)], "measures": [MAX]},
        by(won, "product", lambda part: largest(part["amount"])),
    )
    add(
        "min_max",
        "max won amount by manager",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [MAX]},
        by(won, "manager", lambda part: largest(part["amount"])),
    )
    add(
        "min_max",
        "各销售经理手下最小的一笔赢单是多少",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [MIN]},
        by(won, "manager", lambda part: smallest(part["amount"])),
    )
    add(
        "min_max",
        "min won deal value per industry",
        {"filters": [WON], "group_by": [group(INDUSTRY)], "measures": [MIN]},
        by(won, "industry", lambda part: smallest(part["amount"])),
    )
    add_object(
        "min_max",
        "单个客户最多有多少员工",
        {"object": "accounts", "measures": [{"aggregate": "max", "field": "employee_count"}]},
        [[int(accounts["employees"].max())]],
    )
    add_object(
        "min_max",
        "what's the highest list price among our products?",
        {"object": "products", "measures": [{"aggregate": "max", "field": "list_price"}]},
        [[max(products["list_price"]).quantize(Decimal("0.01"))]],
    )
    add(
        "min_max",
        "上个月最大的一笔赢单",
        {"filters": [closed_relative("last_month"), WON], "measures": [MAX]},
        [[largest(between(won, "closed", *last_month)["amount"])]],
    )
    add(
        "min_max",
        "lowest won amount in Q3 2017",
        {"filters": [closed_in("2017-07-01", "2017-09-30"), WON], "measures": [MIN]},
        [[smallest(between(won, "closed", date(2017, 7, 1), date(2017, 9, 30))["amount"])]],
    )

    # Distinct counts. The set expects the foreign key (account_id, owner_id or
    # product_id). Counting the related name gives the same rows, because names are
    # unique here, but it is a different query.
    def distinct(column: str) -> Callable[[pd.DataFrame], int]:
        return lambda part: int(part[column].nunique())

    accounts_won = {"aggregate": "count_distinct", "field": "account_id"}
    add(
        "distinct",
        "有多少个客户跟我们成交过",
        {"filters": [WON], "measures": [accounts_won]},
        [[distinct("account")(won)]],
    )
    add(
        "distinct",
        "how many distinct accounts have we won business from?",
        {"filters": [WON], "measures": [accounts_won]},
        [[distinct("account")(won)]],
    )
    add(
        "distinct",
        "Markita Hansen 跟多少家不同的客户签过单",
        {"filters": [equals(REP, "Markita Hansen"), WON], "measures": [accounts_won]},
        [[distinct("account")(rep("Markita Hansen"))]],
    )
    add(
        "distinct",
        "number of unique customers who bought GTX Pro",
        {"filters": [equals(PRODUCT, "GTX Pro"), WON], "measures": [accounts_won]},
        [[distinct("account")(won[won["product"] == "GTX Pro"])]],
    )
    add(
        "distinct",
        "今年有多少个销售赢过单",
        {
            "filters": [closed_relative("this_year"), WON],
            "measures": [{"aggregate": "count_distinct", "field": "owner_id"}],
        },
        [[distinct("sales_agent")(between(won, "closed", *this_year))]],
    )
    add(
        "distinct",
        "how many different products did Zane Levy sell?",
        {
            "filters": [equals(REP, "Zane Levy"), WON],
            "measures": [{"aggregate": "count_distinct", "field": "product_id"}],
        },
        [[distinct("product")(rep("Zane Levy"))]],
    )
    add(
        "distinct",
        "每个区域有多少个不同的客户成交过",
        {"filters": [WON], "group_by": [group(REGION)], "measures": [accounts_won]},
        by(won, "regional_office", distinct("account")),
    )
    add(
        "distinct",
        "count of distinct reps with won deals per manager",
        {
            "filters": [WON],
            "group_by": [group(MANAGER)],
            "measures": [{"aggregate": "count_distinct", "field": "owner_id"}],
        },
        by(won, "manager", distinct("sales_agent")),
    )

    # Breakdowns by one dimension.
    add(
        "breakdown",
        "各阶段的商机数量",
        {"group_by": [group("stage.key")]},
        by(frame, "stage", count),
    )
    add(
        "breakdown",
        "deal count by stage",
        {"group_by": [group("stage.key")]},
        by(frame, "stage", count),
    )
    add(
        "breakdown",
        "每个销售手上有多少商机",
        {"group_by": [group(REP)]},
        by(frame, "sales_agent", count),
    )
    add(
        "breakdown",
        "won deals by rep",
        {"filters": [WON], "group_by": [group(REP)]},
        by(won, "sales_agent", count),
    )
    add(
        "breakdown",
        "按客户统计一下赢单金额",
        {"filters": [WON], "group_by": [group(ACCOUNT)], "measures": [SUM]},
        by(won, "account", lambda part: total(part["amount"])),
    )
    add(
        "breakdown",
        "how many deals per account?",
        {"group_by": [group(ACCOUNT)]},
        by(frame, "account", count),
    )
    add(
        "breakdown",
        "各行业输了多少单",
        {"filters": [LOST], "group_by": [group(INDUSTRY)]},
        by(lost, "industry", count),
    )
    add(
        "breakdown",
        "lost deals broken down by region",
        {"filters": [LOST], "group_by": [group(REGION)]},
        by(lost, "regional_office", count),
    )
    add(
        "breakdown",
        "不同产品系列的商机数",
        {"group_by": [group(SERIES)]},
        by(frame, "series", count),
    )
    add(
        "breakdown",
        "number of opps per product",
        {"group_by": [group(PRODUCT)]},
        by(frame, "product", count),
    )
    add(
        "breakdown",
        "每个经理名下的赢单数",
        {"filters": [WON], "group_by": [group(MANAGER)]},
        by(won, "manager", count),
    )
    add(
        "breakdown",
        "won revenue by sales manager",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [SUM]},
        by(won, "manager", lambda part: total(part["amount"])),
    )
    add(
        "breakdown",
        "how are our won deals distributed across regions?",
        {"filters": [WON], "group_by": [group(REGION)]},
        by(won, "regional_office", count),
    )
    add(
        "breakdown",
        "how many deals does each rep have open?",
        {"filters": OPEN, "group_by": [group(REP)]},
        by(open_deals, "sales_agent", count),
    )
    add(
        "breakdown",
        "各客户的丢单数",
        {"filters": [LOST], "group_by": [group(ACCOUNT)]},
        by(lost, "account", count),
    )

    # Time buckets.
    add(
        "time_bucket",
        "按月看一下赢单数",
        {"filters": [WON], "group_by": [group("closed_on", "month")]},
        by(won, "closed_month", count),
    )
    add(
        "time_bucket",
        "monthly won revenue",
        {"filters": [WON], "group_by": [group("closed_on", "month")], "measures": [SUM]},
        by(won, "closed_month", lambda part: total(part["amount"])),
    )
    add(
        "time_bucket",
        "每个季度丢了多少单",
        {"filters": [LOST], "group_by": [group("closed_on", "quarter")]},
        by(lost, "closed_quarter", count),
    )
    add(
        "time_bucket",
        "quarterly count of new opportunities",
        {"group_by": [group("engaged_on", "quarter")]},
        by(frame, "engaged_quarter", count),
    )
    add(
        "time_bucket",
        "每月新增商机数",
        {"group_by": [group("engaged_on", "month")]},
        by(frame, "engaged_month", count),
    )
    add(
        "time_bucket",
        "上季度每个月的赢单金额",
        {
            "filters": [closed_relative("last_quarter"), WON],
            "group_by": [group("closed_on", "month")],
            "measures": [SUM],
        },
        by(between(won, "closed", *last_quarter), "closed_month", lambda p: total(p["amount"])),
    )
    add(
        "time_bucket",
        "won revenue by month for GTX Pro in 2017",
        {
            "filters": [closed_in("2017-01-01", "2017-12-31"), equals(PRODUCT, "GTX Pro"), WON],
            "group_by": [group("closed_on", "month")],
            "measures": [SUM],
        },
        by(
            between(
                won[won["product"] == "GTX Pro"], "closed", date(2017, 1, 1), date(2017, 12, 31)
            ),
            "closed_month",
            lambda part: total(part["amount"]),
        ),
    )

    # Two dimensions.
    def two_keys(
        part: pd.DataFrame, first: str, second: str, measure: Callable[[pd.DataFrame], Any]
    ) -> list[list[Any]]:
        return [[*keys, measure(rows)] for keys, rows in part.groupby([first, second])]

    add(
        "two_dimensions",
        "每个区域每个季度的赢单金额",
        {
            "filters": [WON],
            "group_by": [group(REGION), group("closed_on", "quarter")],
            "measures": [SUM],
        },
        two_keys(won, "regional_office", "closed_quarter", lambda part: total(part["amount"])),
    )
    add(
        "two_dimensions",
        "won deals by product and region",
        {"filters": [WON], "group_by": [group(PRODUCT), group(REGION)]},
        two_keys(won, "product", "regional_office", count),
    )
    add(
        "two_dimensions",
        "各经理各产品系列的赢单数量",
        {"filters": [WON], "group_by": [group(MANAGER), group(SERIES)]},
        two_keys(won, "manager", "series", count),
    )
    add(
        "two_dimensions",
        "won amount per series per month",
        {
            "filters": [WON],
            "group_by": [group(SERIES), group("closed_on", "month")],
            "measures": [SUM],
        },
        two_keys(won, "series", "closed_month", lambda part: total(part["amount"])),
    )

    # Top N.
    def won_total(part: pd.DataFrame) -> Decimal:
        return total(part["amount"])

    add(
        "top_n",
        "赢单金额前三的销售",
        {
            "filters": [WON],
            "group_by": [group(REP)],
            "measures": [SUM],
            "sort": descending("sum:amount"),
            "limit": 3,
        },
        ranked(by(won, "sales_agent", won_total), 3),
        ordered=True,
    )
    add(
        "top_n",
        "top 5 accounts by won revenue",
        {
            "filters": [WON],
            "group_by": [group(ACCOUNT)],
            "measures": [SUM],
            "sort": descending("sum:amount"),
            "limit": 5,
        },
        ranked(by(won, "account", won_total), 5),
        ordered=True,
    )
    add(
        "top_n",
        "成交单数最多的两个区域",
        {"filters": [WON], "group_by": [group(REGION)], "sort": descending("count"), "limit": 2},
        ranked(by(won, "regional_office", count), 2),
        ordered=True,
    )
    add(
        "top_n",
        "which 3 products brought in the most won revenue?",
        {
            "filters": [WON],
            "group_by": [group(PRODUCT)],
            "measures": [SUM],
            "sort": descending("sum:amount"),
            "limit": 3,
        },
        ranked(by(won, "product", won_total), 3),
        ordered=True,
    )
    add(
        "top_n",
        "今年签单最多的五个销售",
        {
            "filters": [closed_relative("this_year"), WON],
            "group_by": [group(REP)],
            "sort": descending("count"),
            "limit": 5,
        },
        ranked(by(between(won, "closed", *this_year), "sales_agent", count), 5),
        ordered=True,
    )
    add(
        "top_n",
        "top 3 managers by number of won deals",
        {"filters": [WON], "group_by": [group(MANAGER)], "sort": descending("count"), "limit": 3},
        ranked(by(won, "manager", count), 3),
        ordered=True,
    )
    add(
        "top_n",
        "哪个行业的赢单金额最高",
        {
            "filters": [WON],
            "group_by": [group(INDUSTRY)],
            "measures": [SUM],
            "sort": descending("sum:amount"),
            "limit": 1,
        },
        ranked(by(won, "industry", won_total), 1),
        ordered=True,
    )
    add(
        "top_n",
        "who's the top rep by won revenue in the West region?",
        {
            "filters": [equals(REGION, "West"), WON],
            "group_by": [group(REP)],
            "measures": [SUM],
            "sort": descending("sum:amount"),
            "limit": 1,
        },
        ranked(by(won[won["regional_office"] == "West"], "sales_agent", won_total), 1),
        ordered=True,
    )
    add(
        "top_n",
        "上个月赢单金额排名前三的客户",
        {
            "filters": [closed_relative("last_month"), WON],
            "group_by": [group(ACCOUNT)],
            "measures": [SUM],
            "sort": descending("sum:amount"),
            "limit": 3,
        },
        ranked(by(between(won, "closed", *last_month), "account", won_total), 3),
        ordered=True,
    )
    add(
        "top_n",
        "top 4 reps by average won deal size",
        {
            "filters": [WON],
            "group_by": [group(REP)],
            "measures": [AVG],
            "sort": descending("avg:amount"),
            "limit": 4,
        },
        ranked(by(won, "sales_agent", lambda part: average(part["amount"])), 4),
        ordered=True,
    )
    add(
        "top_n",
        "赢单数最多的前四个客户",
        {"filters": [WON], "group_by": [group(ACCOUNT)], "sort": descending("count"), "limit": 4},
        ranked(by(won, "account", count), 4),
        ordered=True,
    )
    add(
        "top_n",
        "best-selling product by won deals in Q2 2017",
        {
            "filters": [closed_in("2017-04-01", "2017-06-30"), WON],
            "group_by": [group(PRODUCT)],
            "sort": descending("count"),
            "limit": 1,
        },
        ranked(
            by(between(won, "closed", date(2017, 4, 1), date(2017, 6, 30)), "product", count), 1
        ),
        ordered=True,
    )
    add(
        "top_n",
        "Central区赢单金额最高的产品是哪个",
        {
            "filters": [equals(REGION, "Central"), WON],
            "group_by": [group(PRODUCT)],
            "measures": [SUM],
            "sort": descending("sum:amount"),
            "limit": 1,
        },
        ranked(by(won[won["regional_office"] == "Central"], "product", won_total), 1),
        ordered=True,
    )
    add(
        "top_n",
        "top 2 series by won deal count",
        {"filters": [WON], "group_by": [group(SERIES)], "sort": descending("count"), "limit": 2},
        ranked(by(won, "series", count), 2),
        ordered=True,
    )

    # Bottom N.
    add(
        "bottom_n",
        "赢单金额最低的三个销售",
        {
            "filters": [WON],
            "group_by": [group(REP)],
            "measures": [SUM],
            "sort": ascending("sum:amount"),
            "limit": 3,
        },
        ranked(by(won, "sales_agent", won_total), 3, lowest_first=True),
        ordered=True,
    )
    add(
        "bottom_n",
        "bottom 5 reps by number of won deals",
        {"filters": [WON], "group_by": [group(REP)], "sort": ascending("count"), "limit": 5},
        ranked(by(won, "sales_agent", count), 5, lowest_first=True),
        ordered=True,
    )
    add(
        "bottom_n",
        "成交最少的产品是哪个",
        {"filters": [WON], "group_by": [group(PRODUCT)], "sort": ascending("count"), "limit": 1},
        ranked(by(won, "product", count), 1, lowest_first=True),
        ordered=True,
    )
    add(
        "bottom_n",
        "which 2 industries have the lowest won revenue?",
        {
            "filters": [WON],
            "group_by": [group(INDUSTRY)],
            "measures": [SUM],
            "sort": ascending("sum:amount"),
            "limit": 2,
        },
        ranked(by(won, "industry", won_total), 2, lowest_first=True),
        ordered=True,
    )
    add(
        "bottom_n",
        "平均赢单金额最低的两个销售经理",
        {
            "filters": [WON],
            "group_by": [group(MANAGER)],
            "measures": [AVG],
            "sort": ascending("avg:amount"),
            "limit": 2,
        },
        ranked(by(won, "manager", lambda part: average(part["amount"])), 2, lowest_first=True),
        ordered=True,
    )
    add(
        "bottom_n",
        "worst performing region by won amount",
        {
            "filters": [WON],
            "group_by": [group(REGION)],
            "measures": [SUM],
            "sort": ascending("sum:amount"),
            "limit": 1,
        },
        ranked(by(won, "regional_office", won_total), 1, lowest_first=True),
        ordered=True,
    )
    add(
        "bottom_n",
        "2017年第三季度业绩垫底的三个销售",
        {
            "filters": [closed_in("2017-07-01", "2017-09-30"), WON],
            "group_by": [group(REP)],
            "measures": [SUM],
            "sort": ascending("sum:amount"),
            "limit": 3,
        },
        ranked(
            by(
                between(won, "closed", date(2017, 7, 1), date(2017, 9, 30)),
                "sales_agent",
                won_total,
            ),
            3,
            lowest_first=True,
        ),
        ordered=True,
    )
    add(
        "bottom_n",
        "which 3 accounts did we win the least revenue from?",
        {
            "filters": [WON],
            "group_by": [group(ACCOUNT)],
            "measures": [SUM],
            "sort": ascending("sum:amount"),
            "limit": 3,
        },
        ranked(by(won, "account", won_total), 3, lowest_first=True),
        ordered=True,
    )

    # Amount ranges.
    add(
        "amount_range",
        "金额在1000到5000之间的赢单有几个",
        {"filters": [{"field": "amount", "op": "between", "value": [1000, 5000]}, WON]},
        [[len(amounts(won, lambda v: 1000 <= v <= 5000))]],
    )
    add(
        "amount_range",
        "how many won deals between 500 and 2k?",
        {"filters": [{"field": "amount", "op": "between", "value": [500, 2000]}, WON]},
        [[len(amounts(won, lambda v: 500 <= v <= 2000))]],
    )
    add(
        "amount_range",
        "不到500块的赢单有多少",
        {"filters": [{"field": "amount", "op": "lt", "value": 500}, WON]},
        [[len(amounts(won, lambda v: v < 500))]],
    )
    add(
        "amount_range",
        "number of won deals of at least 5,000",
        {"filters": [{"field": "amount", "op": "gte", "value": 5000}, WON]},
        [[len(amounts(won, lambda v: v >= 5000))]],
    )
    add(
        "amount_range",
        "单笔超过5千的赢单一共多少钱",
        {"filters": [{"field": "amount", "op": "gt", "value": 5000}, WON], "measures": [SUM]},
        [[total(amounts(won, lambda v: v > 5000)["amount"])]],
    )
    add(
        "amount_range",
        "total won revenue from deals over $10k",
        {"filters": [{"field": "amount", "op": "gt", "value": 10000}, WON], "measures": [SUM]},
        [[total(amounts(won, lambda v: v > 10000)["amount"])]],
    )
    add(
        "amount_range",
        "金额小于等于1000的赢单平均多少",
        {"filters": [{"field": "amount", "op": "lte", "value": 1000}, WON], "measures": [AVG]},
        [[average(amounts(won, lambda v: v <= 1000)["amount"])]],
    )
    add(
        "amount_range",
        "average won amount for deals above 3000 in the East",
        {
            "filters": [
                {"field": "amount", "op": "gt", "value": 3000},
                equals(REGION, "East"),
                WON,
            ],
            "measures": [AVG],
        },
        [[average(amounts(won[won["regional_office"] == "East"], lambda v: v > 3000)["amount"])]],
    )
    add(
        "amount_range",
        "Zane Levy金额超过五千的赢单有几个",
        {
            "filters": [
                {"field": "amount", "op": "gt", "value": 5000},
                equals(REP, "Zane Levy"),
                WON,
            ]
        },
        [[len(amounts(rep("Zane Levy"), lambda v: v > 5000))]],
    )
    add(
        "amount_range",
        "how many GTK 500 wins were under 20k?",
        {
            "filters": [
                {"field": "amount", "op": "lt", "value": 20000},
                equals(PRODUCT, "GTK 500"),
                WON,
            ]
        },
        [[len(amounts(won[won["product"] == "GTK 500"], lambda v: v < 20000))]],
    )

    # Explicit dates.
    def won_between(start: date, end: date) -> pd.DataFrame:
        return between(won, "closed", start, end)

    add(
        "date_range",
        "2017年3月赢了多少单",
        {"filters": [closed_in("2017-03-01", "2017-03-31"), WON]},
        [[len(won_between(date(2017, 3, 1), date(2017, 3, 31)))]],
    )
    add(
        "date_range",
        "won revenue in August 2017",
        {"filters": [closed_in("2017-08-01", "2017-08-31"), WON], "measures": [SUM]},
        [[total(won_between(date(2017, 8, 1), date(2017, 8, 31))["amount"])]],
    )
    add(
        "date_range",
        "2017年下半年的赢单金额",
        {"filters": [closed_in("2017-07-01", "2017-12-31"), WON], "measures": [SUM]},
        [[total(won_between(date(2017, 7, 1), date(2017, 12, 31))["amount"])]],
    )
    add(
        "date_range",
        "how many deals did we win in the first half of 2017?",
        {"filters": [closed_in("2017-01-01", "2017-06-30"), WON]},
        [[len(won_between(date(2017, 1, 1), date(2017, 6, 30)))]],
    )
    add(
        "date_range",
        "2017年第四季度各区域的赢单金额",
        {
            "filters": [closed_in("2017-10-01", "2017-12-31"), WON],
            "group_by": [group(REGION)],
            "measures": [SUM],
        },
        by(won_between(date(2017, 10, 1), date(2017, 12, 31)), "regional_office", won_total),
    )
    add(
        "date_range",
        "deals lost in Q1 2017",
        {"filters": [closed_in("2017-01-01", "2017-03-31"), LOST]},
        [[len(between(lost, "closed", date(2017, 1, 1), date(2017, 3, 31)))]],
    )
    add(
        "date_range",
        "2017年5月到8月之间的赢单数量",
        {"filters": [closed_in("2017-05-01", "2017-08-31"), WON]},
        [[len(won_between(date(2017, 5, 1), date(2017, 8, 31)))]],
    )
    add(
        "date_range",
        "won amount from 1 June to 15 July 2017",
        {"filters": [closed_in("2017-06-01", "2017-07-15"), WON], "measures": [SUM]},
        [[total(won_between(date(2017, 6, 1), date(2017, 7, 15))["amount"])]],
    )
    add(
        "date_range",
        "2017年2月新接触了多少个商机",
        {"filters": [engaged_in("2017-02-01", "2017-02-28")]},
        [[len(between(frame, "engaged", date(2017, 2, 1), date(2017, 2, 28)))]],
    )
    add(
        "date_range",
        "how many opps did we engage in Q4 2016?",
        {"filters": [engaged_in("2016-10-01", "2016-12-31")]},
        [[len(between(frame, "engaged", date(2016, 10, 1), date(2016, 12, 31)))]],
    )
    add(
        "date_range",
        "2017年7月各销售经理的赢单数",
        {"filters": [closed_in("2017-07-01", "2017-07-31"), WON], "group_by": [group(MANAGER)]},
        by(won_between(date(2017, 7, 1), date(2017, 7, 31)), "manager", count),
    )

    # Relative periods, counted from as_of.
    add(
        "relative_period",
        "上月签了几单",
        {"filters": [closed_relative("last_month"), WON]},
        [[len(won_between(*last_month))]],
    )
    add(
        "relative_period",
        "how much revenue did we close last month?",
        {"filters": [closed_relative("last_month"), WON], "measures": [SUM]},
        [[total(won_between(*last_month)["amount"])]],
    )
    add(
        "relative_period",
        "上季度各产品的赢单金额",
        {
            "filters": [closed_relative("last_quarter"), WON],
            "group_by": [group(PRODUCT)],
            "measures": [SUM],
        },
        by(won_between(*last_quarter), "product", won_total),
    )
    add(
        "relative_period",
        "last quarter's win count by region",
        {"filters": [closed_relative("last_quarter"), WON], "group_by": [group(REGION)]},
        by(won_between(*last_quarter), "regional_office", count),
    )
    add(
        "relative_period",
        "最近30天赢了多少钱",
        {"filters": [closed_relative("last_30_days"), WON], "measures": [SUM]},
        [[total(won_between(*last_days(30))["amount"])]],
    )
    add(
        "relative_period",
        "how many deals did we lose in the last 90 days?",
        {"filters": [closed_relative("last_90_days"), LOST]},
        [[len(between(lost, "closed", *last_days(90)))]],
    )
    add(
        "relative_period",
        "今年一共丢了多少单",
        {"filters": [closed_relative("this_year"), LOST]},
        [[len(between(lost, "closed", *this_year))]],
    )
    add(
        "relative_period",
        "last month's top 2 reps by number of deals won",
        {
            "filters": [closed_relative("last_month"), WON],
            "group_by": [group(REP)],
            "sort": descending("count"),
            "limit": 2,
        },
        ranked(by(won_between(*last_month), "sales_agent", count), 2),
        ordered=True,
    )
    add(
        "relative_period",
        "上个月新增的商机有多少",
        {"filters": [engaged_relative("last_month")]},
        [[len(between(frame, "engaged", *last_month))]],
    )
    add(
        "relative_period",
        "how many new opportunities this year?",
        {"filters": [engaged_relative("this_year")]},
        [[len(between(frame, "engaged", *this_year))]],
    )
    add(
        "relative_period",
        "最近七天成交了几单",
        {"filters": [closed_relative("last_7_days"), WON]},
        [[len(won_between(*last_days(7)))]],
    )
    add(
        "relative_period",
        "won deals in the past 60 days by product",
        {"filters": [closed_relative("last_60_days"), WON], "group_by": [group(PRODUCT)]},
        by(won_between(*last_days(60)), "product", count),
    )

    # Exclusions.
    add(
        "exclusion",
        "除了GTK 500，其他产品一共赢了多少钱",
        {"filters": [{"field": PRODUCT, "op": "ne", "value": "GTK 500"}, WON], "measures": [SUM]},
        [[total(won[won["product"] != "GTK 500"]["amount"])]],
    )
    add(
        "exclusion",
        "won revenue excluding the East region",
        {"filters": [{"field": REGION, "op": "ne", "value": "East"}, WON], "measures": [SUM]},
        [[total(won[won["regional_office"] != "East"]["amount"])]],
    )
    add(
        "exclusion",
        "不算零售行业的话，赢单有多少个",
        {"filters": [{"field": INDUSTRY, "op": "ne", "value": "retail"}, WON]},
        [[int((won["industry"] != "retail").sum())]],
    )
    add(
        "exclusion",
        "how many won deals outside the MG series?",
        {"filters": [{"field": SERIES, "op": "ne", "value": "MG"}, WON]},
        [[int((won["series"] != "MG").sum())]],
    )
    add(
        "exclusion",
        "除了Darcel Schlecht以外，其他销售的赢单总额",
        {
            "filters": [{"field": REP, "op": "ne", "value": "Darcel Schlecht"}, WON],
            "measures": [SUM],
        },
        [[total(won[won["sales_agent"] != "Darcel Schlecht"]["amount"])]],
    )
    add(
        "exclusion",
        "won amount excluding GTX Basic and GTX Pro",
        {
            "filters": [{"field": PRODUCT, "op": "not_in", "value": ["GTX Basic", "GTX Pro"]}, WON],
            "measures": [SUM],
        },
        [[total(won[~won["product"].isin(["GTX Basic", "GTX Pro"])]["amount"])]],
    )
    add(
        "exclusion",
        "除了West和Central之外的赢单数",
        {"filters": [{"field": REGION, "op": "not_in", "value": ["West", "Central"]}, WON]},
        [[int((~won["regional_office"].isin(["West", "Central"])).sum())]],
    )
    add(
        "exclusion",
        "lost deals excluding the software and finance industries",
        {"filters": [{"field": INDUSTRY, "op": "not_in", "value": ["software", "finance"]}, LOST]},
        [[int((~lost["industry"].isin(["software", "finance"])).sum())]],
    )

    # Several values of one field.
    add(
        "several_values",
        "GTX Basic和GTX Pro一共赢了多少单",
        {"filters": [{"field": PRODUCT, "op": "in", "value": ["GTX Basic", "GTX Pro"]}, WON]},
        [[int(won["product"].isin(["GTX Basic", "GTX Pro"]).sum())]],
    )
    add(
        "several_values",
        "won revenue for Kan-code and Konex combined",
        {
            "filters": [{"field": ACCOUNT, "op": "in", "value": ["Kan-code", "Konex"]}, WON],
            "measures": [SUM],
        },
        [[total(won[won["account"].isin(["Kan-code", "Konex"])]["amount"])]],
    )
    add(
        "several_values",
        "零售和医疗行业的赢单金额分别是多少",
        {
            "filters": [{"field": INDUSTRY, "op": "in", "value": ["retail", "medical"]}, WON],
            "group_by": [group(INDUSTRY)],
            "measures": [SUM],
        },
        by(won[won["industry"].isin(["retail", "medical"])], "industry", won_total),
    )
    add(
        "several_values",
        "compare won deal counts for Central vs West",
        {
            "filters": [{"field": REGION, "op": "in", "value": ["Central", "West"]}, WON],
            "group_by": [group(REGION)],
        },
        by(won[won["regional_office"].isin(["Central", "West"])], "regional_office", count),
    )

    # Win rates. The set expects closed deals chosen by a close date and the won
    # share as the measure. Filtering stage.key in [won, lost] gives the same rows.
    add(
        "win_rate",
        "各区域的赢率",
        {"filters": [CLOSED], "group_by": [group(REGION)], "measures": [WIN_SHARE]},
        by(frame[frame["closed"].notna()], "regional_office", win_share),
    )
    add(
        "win_rate",
        "what's our overall win rate?",
        {"filters": [CLOSED], "measures": [WIN_SHARE]},
        [[win_share(frame[frame["closed"].notna()])]],
    )
    add(
        "win_rate",
        "每个产品的赢单率是多少",
        {"filters": [CLOSED], "group_by": [group(PRODUCT)], "measures": [WIN_SHARE]},
        by(frame[frame["closed"].notna()], "product", win_share),
    )
    add(
        "win_rate",
        "win rate by manager",
        {"filters": [CLOSED], "group_by": [group(MANAGER)], "measures": [WIN_SHARE]},
        by(frame[frame["closed"].notna()], "manager", win_share),
    )

    # Accounts and products as the base object.
    add_object(
        "accounts",
        "员工超过两千人的客户有几家",
        {"object": "accounts", "filters": [{"field": "employee_count", "op": "gt", "value": 2000}]},
        [[int((accounts["employees"] > 2000).sum())]],
    )
    add_object(
        "accounts",
        "how many accounts are based outside the United States?",
        {
            "object": "accounts",
            "filters": [{"field": "country", "op": "ne", "value": "United States"}],
        },
        [[int((accounts["office_location"] != "United States").sum())]],
    )
    add_object(
        "accounts",
        "total annual revenue of tech accounts",
        {
            "object": "accounts",
            "filters": [equals("industry", "technology")],
            "measures": [{"aggregate": "sum", "field": "annual_revenue"}],
        },
        [[total(accounts[accounts["industry"] == "technology"]["annual_revenue"])]],
    )
    add_object(
        "accounts",
        "成立早于1990年的客户有几家",
        {"object": "accounts", "filters": [{"field": "founded_year", "op": "lt", "value": 1990}]},
        [[int((accounts["founded"] < 1990).sum())]],
    )
    add_object(
        "accounts",
        "average headcount of retail customers",
        {
            "object": "accounts",
            "filters": [equals("industry", "retail")],
            "measures": [{"aggregate": "avg", "field": "employee_count"}],
        },
        [[number_average(accounts[accounts["industry"] == "retail"]["employees"])]],
    )
    add_object(
        "accounts",
        "各行业客户的年收入总和",
        {
            "object": "accounts",
            "group_by": [group("industry")],
            "measures": [{"aggregate": "sum", "field": "annual_revenue"}],
        },
        by(accounts, "industry", lambda part: total(part["annual_revenue"])),
    )
    add_object(
        "accounts",
        "how many customers have fewer than 500 employees?",
        {"object": "accounts", "filters": [{"field": "employee_count", "op": "lt", "value": 500}]},
        [[int((accounts["employees"] < 500).sum())]],
    )
    add_object(
        "accounts",
        "largest employee count among finance accounts",
        {
            "object": "accounts",
            "filters": [equals("industry", "finance")],
            "measures": [{"aggregate": "max", "field": "employee_count"}],
        },
        [[int(accounts[accounts["industry"] == "finance"]["employees"].max())]],
    )
    add_object(
        "accounts",
        "每个国家分别有多少客户",
        {"object": "accounts", "group_by": [group("country")]},
        by(accounts, "office_location", count),
    )
    add_object(
        "products",
        "how many products are in our catalog?",
        {"object": "products"},
        [[len(products)]],
    )
    add_object(
        "products",
        "产品的平均标价是多少",
        {"object": "products", "measures": [{"aggregate": "avg", "field": "list_price"}]},
        [[average(products["list_price"])]],
    )
    add_object(
        "products",
        "GTX系列有几个产品",
        {"object": "products", "filters": [equals("series", "GTX")]},
        [[int((products["series"] == "GTX").sum())]],
    )
    add_object(
        "products",
        "what's the cheapest product's list price?",
        {"object": "products", "measures": [{"aggregate": "min", "field": "list_price"}]},
        [[min(products["list_price"]).quantize(Decimal("0.01"))]],
    )
    add_object(
        "products",
        "每个产品系列有几个产品",
        {"object": "products", "group_by": [group("series")]},
        by(products, "series", count),
    )
    return cases
