"""A second unseen question set over the MavenTech pipeline, written without reading the grammar.

The set was written to take the place of the first unseen set (``nl_unseen.py``)
as an estimate of how the grammar handles wordings it has never met. It was
measured once for that purpose; its failures have since guided the grammar, so it
is now a development set like ``nl_dev.py``.

The questions cover the same families with new wordings, typed the way sales
managers and reps at Chinese companies write them: openers such as 帮我查下 and
帮我拉一下, colloquial words (咱们, 拢共, 成单, 签单, 多少单), abbreviations (opps,
1w, 3k, Sept, Q3 '17), English contractions, changed word order and a few typos.
No wording was taken from the other question sets, and a test checks that none
repeats one of them.

Expected rows are computed with pandas from the CSV files, independently of the
importer and the report engine. Expected queries follow the forms of
``nl_unseen.py``: won and lost deals by ``stage.key``, open deals as neither won
nor lost, a win rate as the won share of deals with a close date, new deals by
their engage date, and top or bottom N as a sort on the measure with a limit.
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
from nl_questions import (
    CENT,
    LOST,
    WON,
    Case,
    average,
    between,
    load_accounts,
    load_frame,
    median,
    total,
)

FOUR_PLACES = Decimal("0.0001")
OPEN = [
    {"field": "stage.is_lost", "op": "eq", "value": False},
    {"field": "stage.is_won", "op": "eq", "value": False},
]
CLOSED = {"field": "closed_on", "op": "is_not_empty"}
# A win rate is the won share of closed deals. The measure is named ``win_rate``, as on the
# standard win-rate dashboard and in nl_unseen.py, so a sort by win rate names that column.
WIN_RATE_COLUMN = "win_rate"
WIN_SHARE = {
    "aggregate": "share",
    "alias": WIN_RATE_COLUMN,
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
COUNTRY = "account.country"
STAGE = "stage.key"


def equals(field: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": "eq", "value": value}


def excluding(field: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": "not_in" if isinstance(value, list) else "ne", "value": value}


def one_of(field: str, values: list[str]) -> dict[str, Any]:
    return {"field": field, "op": "in", "value": values}


def amount_is(op: str, value: Any) -> dict[str, Any]:
    return {"field": "amount", "op": op, "value": value}


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


CLOSED_MONTH = group("closed_on", "month")
CLOSED_QUARTER = group("closed_on", "quarter")


def by(frame: pd.DataFrame, key: str, measure: Callable[[pd.DataFrame], Any]) -> list[list[Any]]:
    """Group ``frame`` by ``key``, with pandas' missing key as None, as the report returns it."""
    return [
        [None if pd.isna(name) else name, measure(part)]
        for name, part in frame.groupby(key, dropna=False)
    ]


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


def largest(values: pd.Series) -> Decimal:
    return Decimal(max(value for value in values if value is not None)).quantize(CENT)


def smallest(values: pd.Series) -> Decimal:
    return Decimal(min(value for value in values if value is not None)).quantize(CENT)


def win_share(frame: pd.DataFrame) -> Decimal:
    closed = frame[frame["stage"].isin(["won", "lost"])]
    return (Decimal(int((closed["stage"] == "won").sum())) / len(closed)).quantize(FOUR_PLACES)


def number_average(values: pd.Series) -> Decimal:
    return (Decimal(int(values.sum())) / len(values)).quantize(CENT)


def month_label(day: date | None) -> str | None:
    return None if day is None else f"{day.year}-{day.month:02d}"


def quarter_label(day: date | None) -> str | None:
    return None if day is None else f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def periods(as_of: date) -> dict[str, tuple[date, date]]:
    """Inclusive date ranges of the relative periods the set uses, counted from ``as_of``."""
    week_start = as_of - timedelta(days=as_of.weekday())
    month_start = as_of.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    next_month_start = (month_start + timedelta(days=32)).replace(day=1)
    quarter_start = date(as_of.year, (as_of.month - 1) // 3 * 3 + 1, 1)
    quarter_end = (quarter_start + timedelta(days=95)).replace(day=1) - timedelta(days=1)
    last_quarter_end = quarter_start - timedelta(days=1)
    ranges = {
        "last_week": (week_start - timedelta(days=7), week_start - timedelta(days=1)),
        "this_month": (month_start, next_month_start - timedelta(days=1)),
        "last_month": (last_month_end.replace(day=1), last_month_end),
        "this_quarter": (quarter_start, quarter_end),
        "last_quarter": (
            date(last_quarter_end.year, (last_quarter_end.month - 1) // 3 * 3 + 1, 1),
            last_quarter_end,
        ),
        "this_year": (date(as_of.year, 1, 1), date(as_of.year, 12, 31)),
    }
    for days in (14, 45, 90):
        ranges[f"last_{days}_days"] = (as_of - timedelta(days=days - 1), as_of)
    return ranges


def amounts(frame: pd.DataFrame, check: Callable[[Decimal], bool]) -> pd.DataFrame:
    return frame[frame["amount"].map(lambda value: value is not None and check(value))]


def won_total(part: pd.DataFrame) -> Decimal:
    return total(part["amount"])


def won_average(part: pd.DataFrame) -> Decimal | None:
    return average(part["amount"])


def won_median(part: pd.DataFrame) -> Decimal | None:
    return median(part["amount"])


def nonempty_total(part: pd.DataFrame) -> list[list[Any]]:
    """Return the won total as one row, raising ValueError for an empty set, whose sum is NULL."""
    if part.empty:
        raise ValueError("no deals match; the question would have no amount to report")
    return [[won_total(part)]]


def distinct(column: str) -> Callable[[pd.DataFrame], int]:
    return lambda part: int(part[column].nunique())


def two_keys(
    part: pd.DataFrame, first: str, second: str, measure: Callable[[pd.DataFrame], Any]
) -> list[list[Any]]:
    return [[*keys, measure(rows)] for keys, rows in part.groupby([first, second])]


def build_unseen2_cases(folder: Path, as_of: date) -> list[Case]:
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
    products = pd.read_csv(folder / "products.csv", dtype=str)
    products["list_price"] = products["sales_price"].map(Decimal)

    won = frame[frame["stage"] == "won"]
    lost = frame[frame["stage"] == "lost"]
    open_deals = frame[~frame["stage"].isin(["won", "lost"])]
    closed = frame[frame["closed"].notna()]
    ranges = periods(as_of)

    def closed_during(part: pd.DataFrame, period: str) -> pd.DataFrame:
        return between(part, "closed", *ranges[period])

    def closed_from(part: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
        return between(part, "closed", start, end)

    def where(part: pd.DataFrame, column: str, value: Any) -> pd.DataFrame:
        return part[part[column] == value]

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
        family: str,
        question: str,
        query: dict[str, Any],
        rows: list[list[Any]],
        ordered: bool = False,
    ) -> None:
        cases.append(Case(question, query, rows, ordered, family))

    # Counts of deals, plain or by stage.
    add("stage_count", "帮我查下咱们拢共多少个商机", {}, [[len(frame)]])
    add("stage_count", "what's the total opp count?", {}, [[len(frame)]])
    add("stage_count", "输掉的单子一共几个", {"filters": [LOST]}, [[len(lost)]])
    add("stage_count", "no. of deals we've lost", {"filters": [LOST]}, [[len(lost)]])
    add("stage_count", "成单的一共有多少", {"filters": [WON]}, [[len(won)]])
    add(
        "stage_count",
        "prospecting阶段现在压着多少单",
        {"filters": [equals(STAGE, "prospecting")]},
        [[int((frame["stage"] == "prospecting").sum())]],
    )
    add(
        "stage_count",
        "count of deals still at the prospecting stage",
        {"filters": [equals(STAGE, "prospecting")]},
        [[int((frame["stage"] == "prospecting").sum())]],
    )
    add(
        "stage_count",
        "处在engaging阶段的opp数量",
        {"filters": [equals(STAGE, "engaging")]},
        [[int((frame["stage"] == "engaging").sum())]],
    )
    add("stage_count", "现在还挂着没关的单子有几个", {"filters": OPEN}, [[len(open_deals)]])
    add(
        "stage_count",
        "how many deals haven't been won or lost yet?",
        {"filters": OPEN},
        [[len(open_deals)]],
    )

    # Sums of won amounts under one filter.
    def won_sum(column: str, value: str, field: str, question: str) -> None:
        add(
            "won_sum",
            question,
            {"filters": [equals(field, value), WON], "measures": [SUM]},
            nonempty_total(where(won, column, value)),
        )

    won_sum("manager", "Celia Rouche", MANAGER, "帮我看下Celia Rouche团队拢共签了多少钱")
    won_sum("account", "Codehow", ACCOUNT, "how much business have we closed with Codehow?")
    won_sum("product", "GTX Plus Basic", PRODUCT, "GTX Plus Basic累计卖了多少钱")
    won_sum("series", "MG", SERIES, "sum of closed-won value for the MG line")
    won_sum("industry", "telecommunications", INDUSTRY, "电信行业的客户给我们带来了多少成交额")
    won_sum("sales_agent", "Anna Snelling", REP, "Anna Snelling's total bookings?")
    won_sum("regional_office", "West", REGION, "West大区的业绩总额")
    won_sum("manager", "Rocco Neubert", MANAGER, "How much revenue did Rocco Neubert's reps close?")
    won_sum("industry", "entertainment", INDUSTRY, "娱乐行业赢单金额合计")
    won_sum("industry", "technology", INDUSTRY, "whats the won total for the tech sector")

    # Averages.
    add(
        "average",
        "咱们成单的平均客单价是多少",
        {"filters": [WON], "measures": [AVG]},
        [[won_average(won)]],
    )
    add(
        "average",
        "on average, how big are Central's wins?",
        {"filters": [equals(REGION, "Central"), WON], "measures": [AVG]},
        [[won_average(where(won, "regional_office", "Central"))]],
    )
    add(
        "average",
        "Donn Cantrell平均一单能签多少钱",
        {"filters": [equals(REP, "Donn Cantrell"), WON], "measures": [AVG]},
        [[won_average(where(won, "sales_agent", "Donn Cantrell"))]],
    )
    add(
        "average",
        "What's the mean won amount for GTK 500?",
        {"filters": [equals(PRODUCT, "GTK 500"), WON], "measures": [AVG]},
        [[won_average(where(won, "product", "GTK 500"))]],
    )
    add(
        "average",
        "营销行业客户平均每单赢多少",
        {"filters": [equals(INDUSTRY, "marketing"), WON], "measures": [AVG]},
        [[won_average(where(won, "industry", "marketing"))]],
    )
    add(
        "average",
        "average won value per deal for Summer Sewald's team",
        {"filters": [equals(MANAGER, "Summer Sewald"), WON], "measures": [AVG]},
        [[won_average(where(won, "manager", "Summer Sewald"))]],
    )
    add_object(
        "average",
        "客户平均年营收多少",
        {"object": "accounts", "measures": [{"aggregate": "avg", "field": "annual_revenue"}]},
        [[average(accounts["annual_revenue"])]],
    )
    add(
        "average",
        "average close value of deals won last month",
        {"filters": [closed_relative("last_month"), WON], "measures": [AVG]},
        [[won_average(closed_during(won, "last_month"))]],
    )
    add(
        "average",
        "2017年第二季度赢单的平均金额",
        {"filters": [closed_in("2017-04-01", "2017-06-30"), WON], "measures": [AVG]},
        [[won_average(closed_from(won, date(2017, 4, 1), date(2017, 6, 30)))]],
    )
    add(
        "average",
        "average ticket size of won deals in each region",
        {"filters": [WON], "group_by": [group(REGION)], "measures": [AVG]},
        by(won, "regional_office", won_average),
    )

    # Medians.
    add(
        "median",
        "每个产品成交金额的中位数",
        {"filters": [WON], "group_by": [group(PRODUCT)], "measures": [MEDIAN]},
        by(won, "product", won_median),
    )
    add(
        "median",
        "median deal value for wins in the East",
        {"filters": [equals(REGION, "East"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "regional_office", "East"))]],
    )
    add(
        "median",
        "Dustin Brinkmann团队赢单的中位金额",
        {"filters": [equals(MANAGER, "Dustin Brinkmann"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "manager", "Dustin Brinkmann"))]],
    )
    add_object(
        "median",
        "median of account annual revenue, please",
        {"object": "accounts", "measures": [{"aggregate": "median", "field": "annual_revenue"}]},
        [[median(accounts["annual_revenue"])]],
    )
    add(
        "median",
        "今年赢单金额中位数",
        {"filters": [closed_relative("this_year"), WON], "measures": [MEDIAN]},
        [[won_median(closed_during(won, "this_year"))]],
    )
    add(
        "median",
        "median won amount broken out by manager",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [MEDIAN]},
        by(won, "manager", won_median),
    )
    add_object(
        "median",
        "产品标价的中位数是多少",
        {"object": "products", "measures": [{"aggregate": "median", "field": "list_price"}]},
        [[Decimal(statistics.median(products["list_price"])).quantize(Decimal("0.01"))]],
    )
    add(
        "median",
        "median won amount on the Scotfind account",
        {"filters": [equals(ACCOUNT, "Scotfind"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "account", "Scotfind"))]],
    )

    # Largest and smallest values.
    add(
        "min_max",
        "咱们历史上签过最大的一单是多少钱",
        {"filters": [WON], "measures": [MAX]},
        [[largest(won["amount"])]],
    )
    add(
        "min_max",
        "What's the smallest deal we've ever won?",
        {"filters": [WON], "measures": [MIN]},
        [[smallest(won["amount"])]],
    )
    add(
        "min_max",
        "East区单笔最高赢单金额",
        {"filters": [equals(REGION, "East"), WON], "measures": [MAX]},
        [[largest(where(won, "regional_office", "East")["amount"])]],
    )
    add(
        "min_max",
        "largest won deal per region",
        {"filters": [WON], "group_by": [group(REGION)], "measures": [MAX]},
        by(won, "regional_office", lambda part: largest(part["amount"])),
    )
    add(
        "min_max",
        "每个销售最大的一笔成交",
        {"filters": [WON], "group_by": [group(REP)], "measures": [MAX]},
        by(won, "sales_agent", lambda part: largest(part["amount"])),
    )
    add(
        "min_max",
        "min won value for the MG Special product",
        {"filters": [equals(PRODUCT, "MG Special"), WON], "measures": [MIN]},
        [[smallest(where(won, "product", "MG Special")["amount"])]],
    )
    add_object(
        "min_max",
        "最早成立的客户是哪一年成立的",
        {"object": "accounts", "measures": [{"aggregate": "min", "field": "founded_year"}]},
        [[int(accounts["founded"].min())]],
    )
    add_object(
        "min_max",
        "smallest annual revenue among our accounts",
        {"object": "accounts", "measures": [{"aggregate": "min", "field": "annual_revenue"}]},
        [[min(accounts["annual_revenue"]).quantize(Decimal("0.01"))]],
    )
    add(
        "min_max",
        "2017年Q3最大的一笔单子赢了多少",
        {"filters": [closed_in("2017-07-01", "2017-09-30"), WON], "measures": [MAX]},
        [[largest(closed_from(won, date(2017, 7, 1), date(2017, 9, 30))["amount"])]],
    )

    # Distinct counts. As in nl_unseen.py, the set expects the foreign key (account_id,
    # owner_id or product_id) rather than the related name, which gives the same rows.
    accounts_counted = {"aggregate": "count_distinct", "field": "account_id"}
    owners_counted = {"aggregate": "count_distinct", "field": "owner_id"}
    products_counted = {"aggregate": "count_distinct", "field": "product_id"}
    add(
        "distinct",
        "Central区跟多少家客户成过单",
        {"filters": [equals(REGION, "Central"), WON], "measures": [accounts_counted]},
        [[distinct("account")(where(won, "regional_office", "Central"))]],
    )
    add(
        "distinct",
        "how many different customers have we closed GTK 500 deals with?",
        {"filters": [equals(PRODUCT, "GTK 500"), WON], "measures": [accounts_counted]},
        [[distinct("account")(where(won, "product", "GTK 500"))]],
    )
    add(
        "distinct",
        "有多少个销售手上还有进行中的单子",
        {"filters": OPEN, "measures": [owners_counted]},
        [[distinct("sales_agent")(open_deals)]],
    )
    add(
        "distinct",
        "number of distinct reps who've won at least one deal",
        {"filters": [WON], "measures": [owners_counted]},
        [[distinct("sales_agent")(won)]],
    )
    add(
        "distinct",
        "Hottechi一共买过几种产品",
        {"filters": [equals(ACCOUNT, "Hottechi"), WON], "measures": [products_counted]},
        [[distinct("product")(where(won, "account", "Hottechi"))]],
    )
    add(
        "distinct",
        "per product, how many distinct accounts have we won?",
        {"filters": [WON], "group_by": [group(PRODUCT)], "measures": [accounts_counted]},
        by(won, "product", distinct("account")),
    )
    add(
        "distinct",
        "上个月有多少家客户跟我们签了单",
        {"filters": [closed_relative("last_month"), WON], "measures": [accounts_counted]},
        [[distinct("account")(closed_during(won, "last_month"))]],
    )
    add(
        "distinct",
        "how many different products has each rep sold?",
        {"filters": [WON], "group_by": [group(REP)], "measures": [products_counted]},
        by(won, "sales_agent", distinct("product")),
    )

    # Breakdowns by one dimension.
    add(
        "breakdown",
        "各个产品线分别有多少单",
        {"group_by": [group(SERIES)]},
        by(frame, "series", count),
    )
    add(
        "breakdown",
        "opportunity count per sales manager",
        {"group_by": [group(MANAGER)]},
        by(frame, "manager", count),
    )
    add(
        "breakdown",
        "按大区拆一下商机数量",
        {"group_by": [group(REGION)]},
        by(frame, "regional_office", count),
    )
    add(
        "breakdown",
        "lost deals per rep",
        {"filters": [LOST], "group_by": [group(REP)]},
        by(lost, "sales_agent", count),
    )
    add(
        "breakdown",
        "每个行业的赢单数",
        {"filters": [WON], "group_by": [group(INDUSTRY)]},
        by(won, "industry", count),
    )
    add(
        "breakdown",
        "how much did each product series bring in?",
        {"filters": [WON], "group_by": [group(SERIES)], "measures": [SUM]},
        by(won, "series", won_total),
    )
    add(
        "breakdown",
        "不同国家的客户分别签了多少钱",
        {"filters": [WON], "group_by": [group(COUNTRY)], "measures": [SUM]},
        by(won, "country", won_total),
    )
    add(
        "breakdown",
        "breakdown of open opps by stage",
        {"filters": OPEN, "group_by": [group(STAGE)]},
        by(open_deals, "stage", count),
    )
    add(
        "breakdown",
        "每位经理手下丢了多少单",
        {"filters": [LOST], "group_by": [group(MANAGER)]},
        by(lost, "manager", count),
    )
    add(
        "breakdown",
        "won deal count for every account",
        {"filters": [WON], "group_by": [group(ACCOUNT)]},
        by(won, "account", count),
    )

    # Time buckets.
    add(
        "time_bucket",
        "今年每月的成交额走势",
        {
            "filters": [closed_relative("this_year"), WON],
            "group_by": [CLOSED_MONTH],
            "measures": [SUM],
        },
        by(closed_during(won, "this_year"), "closed_month", won_total),
    )
    add(
        "time_bucket",
        "wins per month for the Central region",
        {"filters": [equals(REGION, "Central"), WON], "group_by": [CLOSED_MONTH]},
        by(where(won, "regional_office", "Central"), "closed_month", count),
    )
    add(
        "time_bucket",
        "按季度统计新增商机",
        {"group_by": [group("engaged_on", "quarter")]},
        by(frame, "engaged_quarter", count),
    )
    add(
        "time_bucket",
        "monthly breakdown of lost deals in 2017",
        {"filters": [closed_in("2017-01-01", "2017-12-31"), LOST], "group_by": [CLOSED_MONTH]},
        by(closed_from(lost, date(2017, 1, 1), date(2017, 12, 31)), "closed_month", count),
    )
    add(
        "time_bucket",
        "Darcel Schlecht每个季度的业绩",
        {
            "filters": [equals(REP, "Darcel Schlecht"), WON],
            "group_by": [CLOSED_QUARTER],
            "measures": [SUM],
        },
        by(where(won, "sales_agent", "Darcel Schlecht"), "closed_quarter", won_total),
    )
    add(
        "time_bucket",
        "quarter-by-quarter won revenue for the GTX series",
        {
            "filters": [equals(SERIES, "GTX"), WON],
            "group_by": [CLOSED_QUARTER],
            "measures": [SUM],
        },
        by(where(won, "series", "GTX"), "closed_quarter", won_total),
    )
    add(
        "time_bucket",
        "GTK 500按月的赢单数量",
        {"filters": [equals(PRODUCT, "GTK 500"), WON], "group_by": [CLOSED_MONTH]},
        by(where(won, "product", "GTK 500"), "closed_month", count),
    )
    add(
        "time_bucket",
        "how many new opps did we get each month this year?",
        {"filters": [engaged_relative("this_year")], "group_by": [group("engaged_on", "month")]},
        by(between(frame, "engaged", *ranges["this_year"]), "engaged_month", count),
    )
    add(
        "time_bucket",
        "每个月平均每单赢多少钱",
        {"filters": [WON], "group_by": [CLOSED_MONTH], "measures": [AVG]},
        by(won, "closed_month", won_average),
    )

    # Two dimensions, in the order the question names them.
    add(
        "two_dimensions",
        "各区域各产品的赢单金额",
        {"filters": [WON], "group_by": [group(REGION), group(PRODUCT)], "measures": [SUM]},
        two_keys(won, "regional_office", "product", won_total),
    )
    add(
        "two_dimensions",
        "win count by rep and quarter",
        {"filters": [WON], "group_by": [group(REP), CLOSED_QUARTER]},
        two_keys(won, "sales_agent", "closed_quarter", count),
    )
    add(
        "two_dimensions",
        "按行业和大区看赢单数",
        {"filters": [WON], "group_by": [group(INDUSTRY), group(REGION)]},
        two_keys(won, "industry", "regional_office", count),
    )
    add(
        "two_dimensions",
        "won revenue by manager and product",
        {"filters": [WON], "group_by": [group(MANAGER), group(PRODUCT)], "measures": [SUM]},
        two_keys(won, "manager", "product", won_total),
    )
    add(
        "two_dimensions",
        "每个季度各产品系列丢了多少单",
        {"filters": [LOST], "group_by": [CLOSED_QUARTER, group(SERIES)]},
        two_keys(lost, "closed_quarter", "series", count),
    )
    add(
        "two_dimensions",
        "open deals by region and stage",
        {"filters": OPEN, "group_by": [group(REGION), group(STAGE)]},
        two_keys(open_deals, "regional_office", "stage", count),
    )
    add(
        "two_dimensions",
        "各销售经理每个月的成交额",
        {"filters": [WON], "group_by": [group(MANAGER), CLOSED_MONTH], "measures": [SUM]},
        two_keys(won, "manager", "closed_month", won_total),
    )
    add(
        "two_dimensions",
        "average won amount by series and region",
        {"filters": [WON], "group_by": [group(SERIES), group(REGION)], "measures": [AVG]},
        two_keys(won, "series", "regional_office", won_average),
    )

    # Top N.
    def top(
        family: str,
        question: str,
        filters: list[dict[str, Any]],
        dimension: tuple[str, str],
        limit: int,
        measure: tuple[dict[str, Any], Callable[[pd.DataFrame], Any]] | None,
        part: pd.DataFrame,
        lowest_first: bool = False,
    ) -> None:
        """Add a ranking question: ``measure`` is None for a count of deals."""
        field, column = dimension
        query: dict[str, Any] = {"filters": filters, "group_by": [group(field)], "limit": limit}
        compute: Callable[[pd.DataFrame], Any]
        if measure is None:
            name, compute = "count", count
        else:
            name = f"{measure[0]['aggregate']}:{measure[0]['field']}"
            query["measures"] = [measure[0]]
            compute = measure[1]
        query["sort"] = ascending(name) if lowest_first else descending(name)
        rows = ranked(by(part, column, compute), limit, lowest_first=lowest_first)
        add(family, question, query, rows, ordered=True)

    by_rep = (REP, "sales_agent")
    by_account = (ACCOUNT, "account")
    by_manager = (MANAGER, "manager")
    by_product = (PRODUCT, "product")
    by_industry = (INDUSTRY, "industry")
    by_region = (REGION, "regional_office")
    by_series = (SERIES, "series")
    summed = (SUM, won_total)
    averaged = (AVG, won_average)

    top("top_n", "帮我拉一下业绩top5的销售", [WON], by_rep, 5, summed, won)
    top(
        "top_n",
        "who are our 3 biggest customers by won revenue?",
        [WON],
        by_account,
        3,
        summed,
        won,
    )
    top("top_n", "成单最多的那个经理是谁", [WON], by_manager, 1, None, won)
    top(
        "top_n",
        "top 2 products by number of wins this year",
        [closed_relative("this_year"), WON],
        by_product,
        2,
        None,
        closed_during(won, "this_year"),
    )
    top(
        "top_n",
        "East区成交额前三的客户",
        [equals(REGION, "East"), WON],
        by_account,
        3,
        summed,
        where(won, "regional_office", "East"),
    )
    top("top_n", "what industry do most of our wins come from?", [WON], by_industry, 1, None, won)
    top("top_n", "丢单最多的4家客户", [LOST], by_account, 4, None, lost)
    top(
        "top_n",
        "top 3 reps by avg won deal size in the West",
        [equals(REGION, "West"), WON],
        by_rep,
        3,
        averaged,
        where(won, "regional_office", "West"),
    )
    top(
        "top_n",
        "上季度赢单金额最高的大区",
        [closed_relative("last_quarter"), WON],
        by_region,
        1,
        summed,
        closed_during(won, "last_quarter"),
    )
    top("top_n", "which rep has the most open deals?", OPEN, by_rep, 1, None, open_deals)
    top(
        "top_n",
        "top 4 products by median won amount",
        [WON],
        by_product,
        4,
        (MEDIAN, won_median),
        won,
    )

    # Bottom N.
    top("bottom_n", "业绩最差的两个大区", [WON], by_region, 2, summed, won, lowest_first=True)
    top(
        "bottom_n",
        "which 3 reps have won the fewest deals?",
        [WON],
        by_rep,
        3,
        None,
        won,
        lowest_first=True,
    )
    top("bottom_n", "成交额倒数前五的客户", [WON], by_account, 5, summed, won, lowest_first=True)
    top(
        "bottom_n",
        "which series has earned us the least from won deals?",
        [WON],
        by_series,
        1,
        summed,
        won,
        lowest_first=True,
    )
    top("bottom_n", "哪个经理带的团队签单最少", [WON], by_manager, 1, None, won, lowest_first=True)
    top(
        "bottom_n",
        "bottom 3 industries by number of wins",
        [WON],
        by_industry,
        3,
        None,
        won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "今年签单最少的三个产品",
        [closed_relative("this_year"), WON],
        by_product,
        3,
        None,
        closed_during(won, "this_year"),
        lowest_first=True,
    )
    top(
        "bottom_n",
        "the 2 accounts with the lowest average won deal",
        [WON],
        by_account,
        2,
        averaged,
        won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "Central区成交额最低的销售",
        [equals(REGION, "Central"), WON],
        by_rep,
        1,
        summed,
        where(won, "regional_office", "Central"),
        lowest_first=True,
    )

    # Amount ranges. Chinese 以上 and 以下 are avoided: whether they include the
    # bound is unclear, so they have no single right query.
    add(
        "amount_range",
        "单笔超过1w的成单有多少",
        {"filters": [amount_is("gt", 10000), WON]},
        [[len(amounts(won, lambda v: v > 10000))]],
    )
    add(
        "amount_range",
        "count of won deals under $1,000",
        {"filters": [amount_is("lt", 1000), WON]},
        [[len(amounts(won, lambda v: v < 1000))]],
    )
    add(
        "amount_range",
        "金额介于2000和4000之间的赢单总额",
        {"filters": [amount_is("between", [2000, 4000]), WON], "measures": [SUM]},
        nonempty_total(amounts(won, lambda v: 2000 <= v <= 4000)),
    )
    add(
        "amount_range",
        "avg won amount for deals of 10k or more",
        {"filters": [amount_is("gte", 10000), WON], "measures": [AVG]},
        [[won_average(amounts(won, lambda v: v >= 10000))]],
    )
    add(
        "amount_range",
        "低于100块的赢单有几笔",
        {"filters": [amount_is("lt", 100), WON]},
        [[len(amounts(won, lambda v: v < 100))]],
    )
    add(
        "amount_range",
        "how many GTX Pro deals did we win for less than 4,500?",
        {"filters": [amount_is("lt", 4500), equals(PRODUCT, "GTX Pro"), WON]},
        [[len(amounts(where(won, "product", "GTX Pro"), lambda v: v < 4500))]],
    )
    add(
        "amount_range",
        "West区金额不少于5000的赢单数",
        {"filters": [amount_is("gte", 5000), equals(REGION, "West"), WON]},
        [[len(amounts(where(won, "regional_office", "West"), lambda v: v >= 5000))]],
    )
    add(
        "amount_range",
        "won deals between 3k and 6k by product",
        {"filters": [amount_is("between", [3000, 6000]), WON], "group_by": [group(PRODUCT)]},
        by(amounts(won, lambda v: 3000 <= v <= 6000), "product", count),
    )
    add(
        "amount_range",
        "金额不超过600的赢单有多少个",
        {"filters": [amount_is("lte", 600), WON]},
        [[len(amounts(won, lambda v: v <= 600))]],
    )

    # Explicit dates.
    add(
        "date_range",
        "17年4月签了多少钱",
        {"filters": [closed_in("2017-04-01", "2017-04-30"), WON], "measures": [SUM]},
        nonempty_total(closed_from(won, date(2017, 4, 1), date(2017, 4, 30))),
    )
    add(
        "date_range",
        "how many wins in Sept 2017?",
        {"filters": [closed_in("2017-09-01", "2017-09-30"), WON]},
        [[len(closed_from(won, date(2017, 9, 1), date(2017, 9, 30)))]],
    )
    add(
        "date_range",
        "2017年第一季度输了几单",
        {"filters": [closed_in("2017-01-01", "2017-03-31"), LOST]},
        [[len(closed_from(lost, date(2017, 1, 1), date(2017, 3, 31)))]],
    )
    add(
        "date_range",
        "won revenue for Q3 '17",
        {"filters": [closed_in("2017-07-01", "2017-09-30"), WON], "measures": [SUM]},
        nonempty_total(closed_from(won, date(2017, 7, 1), date(2017, 9, 30))),
    )
    add(
        "date_range",
        "2017年6月到9月各产品的赢单数",
        {"filters": [closed_in("2017-06-01", "2017-09-30"), WON], "group_by": [group(PRODUCT)]},
        by(closed_from(won, date(2017, 6, 1), date(2017, 9, 30)), "product", count),
    )
    add(
        "date_range",
        "how many deals were engaged in January 2017?",
        {"filters": [engaged_in("2017-01-01", "2017-01-31")]},
        [[len(between(frame, "engaged", date(2017, 1, 1), date(2017, 1, 31)))]],
    )
    add(
        "date_range",
        "2016年12月份接触的新商机有几个",
        {"filters": [engaged_in("2016-12-01", "2016-12-31")]},
        [[len(between(frame, "engaged", date(2016, 12, 1), date(2016, 12, 31)))]],
    )
    add(
        "date_range",
        "won amount between March 15 and April 15, 2017",
        {"filters": [closed_in("2017-03-15", "2017-04-15"), WON], "measures": [SUM]},
        nonempty_total(closed_from(won, date(2017, 3, 15), date(2017, 4, 15))),
    )
    add(
        "date_range",
        "2017年10月各区域丢了多少单",
        {"filters": [closed_in("2017-10-01", "2017-10-31"), LOST], "group_by": [group(REGION)]},
        by(closed_from(lost, date(2017, 10, 1), date(2017, 10, 31)), "regional_office", count),
    )

    # Relative periods, counted from as_of. "This month" and "this quarter" are the
    # whole calendar period, as the report reads them.
    add(
        "relative_period",
        "本月的签单数量",
        {"filters": [closed_relative("this_month"), WON]},
        [[len(closed_during(won, "this_month"))]],
    )
    add(
        "relative_period",
        "What's the won total for the current quarter?",
        {"filters": [closed_relative("this_quarter"), WON], "measures": [SUM]},
        nonempty_total(closed_during(won, "this_quarter")),
    )
    add(
        "relative_period",
        "过去14天丢了几单",
        {"filters": [closed_relative("last_14_days"), LOST]},
        [[len(closed_during(lost, "last_14_days"))]],
    )
    add(
        "relative_period",
        "how many deals were closed-won in the last 45 days?",
        {"filters": [closed_relative("last_45_days"), WON]},
        [[len(closed_during(won, "last_45_days"))]],
    )
    add(
        "relative_period",
        "上周成交额",
        {"filters": [closed_relative("last_week"), WON], "measures": [SUM]},
        nonempty_total(closed_during(won, "last_week")),
    )
    add(
        "relative_period",
        "how many fresh opps came in this quarter?",
        {"filters": [engaged_relative("this_quarter")]},
        [[len(between(frame, "engaged", *ranges["this_quarter"]))]],
    )
    add(
        "relative_period",
        "今年各大区的赢单数",
        {"filters": [closed_relative("this_year"), WON], "group_by": [group(REGION)]},
        by(closed_during(won, "this_year"), "regional_office", count),
    )
    add(
        "relative_period",
        "last month's won revenue per manager",
        {
            "filters": [closed_relative("last_month"), WON],
            "group_by": [group(MANAGER)],
            "measures": [SUM],
        },
        by(closed_during(won, "last_month"), "manager", won_total),
    )
    add(
        "relative_period",
        "最近90天各产品的成交额",
        {
            "filters": [closed_relative("last_90_days"), WON],
            "group_by": [group(PRODUCT)],
            "measures": [SUM],
        },
        by(closed_during(won, "last_90_days"), "product", won_total),
    )
    add(
        "relative_period",
        "how many deals did we loose this month?",
        {"filters": [closed_relative("this_month"), LOST]},
        [[len(closed_during(lost, "this_month"))]],
    )
    add(
        "relative_period",
        "上季度新接触了多少商机",
        {"filters": [engaged_relative("last_quarter")]},
        [[len(between(frame, "engaged", *ranges["last_quarter"]))]],
    )

    # Exclusions. Won and lost deals all have an account, so a condition on the
    # account never meets a deal without one.
    add(
        "exclusion",
        "除去MG系列，其他产品的业绩总额",
        {"filters": [excluding(SERIES, "MG"), WON], "measures": [SUM]},
        nonempty_total(won[won["series"] != "MG"]),
    )
    add(
        "exclusion",
        "wins not counting the Central office",
        {"filters": [excluding(REGION, "Central"), WON]},
        [[int((won["regional_office"] != "Central").sum())]],
    )
    add(
        "exclusion",
        "除了美国以外的客户签了多少单",
        {"filters": [excluding(COUNTRY, "United States"), WON]},
        [[int((won["country"] != "United States").sum())]],
    )
    add(
        "exclusion",
        "total won amount, leaving out GTK 500",
        {"filters": [excluding(PRODUCT, "GTK 500"), WON], "measures": [SUM]},
        nonempty_total(won[won["product"] != "GTK 500"]),
    )
    add(
        "exclusion",
        "不算Melvin Marxen团队，赢单数是多少",
        {"filters": [excluding(MANAGER, "Melvin Marxen"), WON]},
        [[int((won["manager"] != "Melvin Marxen").sum())]],
    )
    add(
        "exclusion",
        "how many deals did we lose outside retail and medical?",
        {"filters": [excluding(INDUSTRY, ["retail", "medical"]), LOST]},
        [[int((~lost["industry"].isin(["retail", "medical"])).sum())]],
    )
    add(
        "exclusion",
        "除了MG Special和GTX Basic以外的成交均价",
        {"filters": [excluding(PRODUCT, ["MG Special", "GTX Basic"]), WON], "measures": [AVG]},
        [[won_average(won[~won["product"].isin(["MG Special", "GTX Basic"])])]],
    )
    add(
        "exclusion",
        "lost deal count excluding Darcel Schlecht",
        {"filters": [excluding(REP, "Darcel Schlecht"), LOST]},
        [[int((lost["sales_agent"] != "Darcel Schlecht").sum())]],
    )

    # Several values of one field.
    east_central = ["East", "Central"]
    add(
        "several_values",
        "East和Central两个区加起来赢了多少钱",
        {"filters": [one_of(REGION, east_central), WON], "measures": [SUM]},
        nonempty_total(won[won["regional_office"].isin(east_central)]),
    )
    pair = ["GTK 500", "GTX Plus Pro"]
    add(
        "several_values",
        "how many wins for GTK 500 or GTX Plus Pro?",
        {"filters": [one_of(PRODUCT, pair), WON]},
        [[int(won["product"].isin(pair).sum())]],
    )
    sectors = ["software", "finance", "technology"]
    add(
        "several_values",
        "软件、金融、科技三个行业分别赢了多少单",
        {"filters": [one_of(INDUSTRY, sectors), WON], "group_by": [group(INDUSTRY)]},
        by(won[won["industry"].isin(sectors)], "industry", count),
    )
    # The two managers lead every East rep, so a filter on the East region gives the
    # same rows. The question names the managers, so the set expects a filter on them.
    managers = ["Cara Losch", "Rocco Neubert"]
    add(
        "several_values",
        "combined won revenue for Cara Losch and Rocco Neubert's teams",
        {"filters": [one_of(MANAGER, managers), WON], "measures": [SUM]},
        nonempty_total(won[won["manager"].isin(managers)]),
    )
    reps = ["Zane Levy", "Kami Bicknell"]
    add(
        "several_values",
        "Zane Levy和Kami Bicknell的赢单金额对比一下",
        {"filters": [one_of(REP, reps), WON], "group_by": [group(REP)], "measures": [SUM]},
        by(won[won["sales_agent"].isin(reps)], "sales_agent", won_total),
    )
    places = ["Kenya", "Japan"]
    add(
        "several_values",
        "wins from Kenya or Japan based customers",
        {"filters": [one_of(COUNTRY, places), WON]},
        [[int(won["country"].isin(places).sum())]],
    )
    gtx_pair = ["GTX Pro", "GTX Plus Pro"]
    add(
        "several_values",
        "GTX Pro、GTX Plus Pro分别丢了多少单",
        {"filters": [one_of(PRODUCT, gtx_pair), LOST], "group_by": [group(PRODUCT)]},
        by(lost[lost["product"].isin(gtx_pair)], "product", count),
    )

    # Win rates. As in nl_unseen.py, the set expects closed deals chosen by a close
    # date and the won share as the measure. A filter stage.key in [won, lost] gives
    # the same rows but is a different query.
    def win_rate(question: str, filters: list[dict[str, Any]], part: pd.DataFrame) -> None:
        add(
            "win_rate",
            question,
            {"filters": [CLOSED, *filters], "measures": [WIN_SHARE]},
            [[win_share(part)]],
        )

    def win_rate_by(question: str, field: str, column: str) -> None:
        add(
            "win_rate",
            question,
            {"filters": [CLOSED], "group_by": [group(field)], "measures": [WIN_SHARE]},
            by(closed, column, win_share),
        )

    win_rate("咱们整体的赢单率多少", [], closed)
    win_rate_by("win rate per product series", SERIES, "series")
    win_rate_by("各行业的成单率", INDUSTRY, "industry")
    win_rate(
        "what's Cassey Cress's win rate?",
        [equals(REP, "Cassey Cress")],
        where(closed, "sales_agent", "Cassey Cress"),
    )
    win_rate(
        "GTK 500的赢率是多少", [equals(PRODUCT, "GTK 500")], where(closed, "product", "GTK 500")
    )
    win_rate(
        "East region win %",
        [equals(REGION, "East")],
        where(closed, "regional_office", "East"),
    )
    win_rate_by("每个销售的胜率", REP, "sales_agent")
    add(
        "win_rate",
        "product with the highest win rate?",
        {
            "filters": [CLOSED],
            "group_by": [group(PRODUCT)],
            "measures": [WIN_SHARE],
            "sort": descending(WIN_RATE_COLUMN),
            "limit": 1,
        },
        ranked(by(closed, "product", win_share), 1),
        ordered=True,
    )

    # Accounts as the base object, and account fields on deals.
    def accounts_query(**parts: Any) -> dict[str, Any]:
        return {"object": "accounts", **parts}

    add_object(
        "accounts",
        "年营收超过10亿美元的客户有多少家",
        accounts_query(filters=[{"field": "annual_revenue", "op": "gt", "value": 1_000_000_000}]),
        [[int((accounts["annual_revenue"] > 1_000_000_000).sum())]],
    )
    # Two filters (gte 1990 and lte 1999) would select the same accounts; the set
    # expects one between.
    add_object(
        "accounts",
        "how many accounts were founded in the 90s?",
        accounts_query(filters=[{"field": "founded_year", "op": "between", "value": [1990, 1999]}]),
        [[int(accounts["founded"].between(1990, 1999).sum())]],
    )
    add_object(
        "accounts",
        "科技类客户数量",
        accounts_query(filters=[equals("industry", "technology")]),
        [[int((accounts["industry"] == "technology").sum())]],
    )
    add_object(
        "accounts",
        "avg number of employees at our medical customers",
        accounts_query(
            filters=[equals("industry", "medical")],
            measures=[{"aggregate": "avg", "field": "employee_count"}],
        ),
        [[number_average(accounts[accounts["industry"] == "medical"]["employees"])]],
    )
    add_object(
        "accounts",
        "各国家客户的平均年收入",
        accounts_query(
            group_by=[group("country")],
            measures=[{"aggregate": "avg", "field": "annual_revenue"}],
        ),
        by(accounts, "office_location", lambda part: average(part["annual_revenue"])),
    )
    add_object(
        "accounts",
        "total headcount across all accounts",
        accounts_query(measures=[{"aggregate": "sum", "field": "employee_count"}]),
        [[int(accounts["employees"].sum())]],
    )
    add_object(
        "accounts",
        "员工在1000到5000人之间的客户有几家",
        accounts_query(
            filters=[{"field": "employee_count", "op": "between", "value": [1000, 5000]}]
        ),
        [[int(accounts["employees"].between(1000, 5000).sum())]],
    )
    add_object(
        "accounts",
        "how many customers does each industry have?",
        accounts_query(group_by=[group("industry")]),
        by(accounts, "industry", count),
    )
    add_object(
        "accounts",
        "美国以外的客户平均有多少员工",
        accounts_query(
            filters=[excluding("country", "United States")],
            measures=[{"aggregate": "avg", "field": "employee_count"}],
        ),
        [[number_average(accounts[accounts["office_location"] != "United States"]["employees"])]],
    )
    add_object(
        "accounts",
        "which country has the most accounts?",
        accounts_query(group_by=[group("country")], sort=descending("count"), limit=1),
        ranked(by(accounts, "office_location", count), 1),
        ordered=True,
    )
    big_accounts = won[won["employees"].map(lambda value: not pd.isna(value) and value > 10000)]
    add(
        "accounts",
        "员工超过一万人的大客户贡献了多少成交额",
        {
            "filters": [{"field": "account.employee_count", "op": "gt", "value": 10000}, WON],
            "measures": [SUM],
        },
        nonempty_total(big_accounts),
    )
    old_accounts = won[won["founded"].map(lambda value: not pd.isna(value) and value < 1990)]
    add(
        "accounts",
        "won deals from accounts founded before 1990",
        {"filters": [{"field": "account.founded_year", "op": "lt", "value": 1990}, WON]},
        [[len(old_accounts)]],
    )

    # Products as the base object.
    def products_query(**parts: Any) -> dict[str, Any]:
        return {"object": "products", **parts}

    def list_price(aggregate: str) -> dict[str, Any]:
        return {"aggregate": aggregate, "field": "list_price"}

    def cents(value: Decimal) -> Decimal:
        return value.quantize(Decimal("0.01"))

    add_object("products", "产品目录里有多少个产品", products_query(), [[len(products)]])
    add_object(
        "products",
        "list price of our priciest product?",
        products_query(measures=[list_price("max")]),
        [[cents(max(products["list_price"]))]],
    )
    add_object(
        "products",
        "标价超过1000的产品有几个",
        products_query(filters=[{"field": "list_price", "op": "gt", "value": 1000}]),
        [[int((products["list_price"] > 1000).sum())]],
    )
    add_object(
        "products",
        "average list price in the GTX series",
        products_query(filters=[equals("series", "GTX")], measures=[list_price("avg")]),
        [[average(products[products["series"] == "GTX"]["list_price"])]],
    )
    add_object(
        "products",
        "各系列产品的平均标价",
        products_query(group_by=[group("series")], measures=[list_price("avg")]),
        by(products, "series", lambda part: average(part["list_price"])),
    )
    add_object(
        "products",
        "how many products are priced under $5,000?",
        products_query(filters=[{"field": "list_price", "op": "lt", "value": 5000}]),
        [[int((products["list_price"] < 5000).sum())]],
    )
    add_object(
        "products",
        "MG系列最便宜的产品标价多少",
        products_query(filters=[equals("series", "MG")], measures=[list_price("min")]),
        [[cents(min(products[products["series"] == "MG"]["list_price"]))]],
    )
    add_object(
        "products",
        "how many product series do we have?",
        products_query(measures=[{"aggregate": "count_distinct", "field": "series"}]),
        [[int(products["series"].nunique())]],
    )

    # Open pipeline: deals neither won nor lost. They carry no amount, so only
    # counts are asked.
    add(
        "open_pipeline",
        "Central区还有多少在跟的单",
        {"filters": [*OPEN, equals(REGION, "Central")]},
        [[len(where(open_deals, "regional_office", "Central"))]],
    )
    add(
        "open_pipeline",
        "how many open opps sit with each manager?",
        {"filters": OPEN, "group_by": [group(MANAGER)]},
        by(open_deals, "manager", count),
    )
    add(
        "open_pipeline",
        "GTK 500目前还有几个没关的商机",
        {"filters": [*OPEN, equals(PRODUCT, "GTK 500")]},
        [[len(where(open_deals, "product", "GTK 500"))]],
    )
    add(
        "open_pipeline",
        "Rosalina Dieter - number of deals still open",
        {"filters": [*OPEN, equals(REP, "Rosalina Dieter")]},
        [[len(where(open_deals, "sales_agent", "Rosalina Dieter"))]],
    )
    add(
        "open_pipeline",
        "每个产品系列还在根进的商机数",
        {"filters": OPEN, "group_by": [group(SERIES)]},
        by(open_deals, "series", count),
    )
    top(
        "open_pipeline",
        "top 3 products by open deal count",
        OPEN,
        by_product,
        3,
        None,
        open_deals,
    )
    add(
        "open_pipeline",
        "Summer Sewald团队手上还有多少没成交也没丢的单子",
        {"filters": [*OPEN, equals(MANAGER, "Summer Sewald")]},
        [[len(where(open_deals, "manager", "Summer Sewald"))]],
    )
    add(
        "open_pipeline",
        "open pipeline count by region",
        {"filters": OPEN, "group_by": [group(REGION)]},
        by(open_deals, "regional_office", count),
    )

    # Several conditions at once.
    east = where(won, "regional_office", "East")
    add(
        "combined",
        "今年East区MG Advanced赢了几单",
        {
            "filters": [
                closed_relative("this_year"),
                equals(PRODUCT, "MG Advanced"),
                equals(REGION, "East"),
                WON,
            ]
        },
        [[len(closed_during(where(east, "product", "MG Advanced"), "this_year"))]],
    )
    west_retail = where(where(won, "regional_office", "West"), "industry", "retail")
    add(
        "combined",
        "Q2 2017 won revenue in retail for the West office",
        {
            "filters": [
                closed_in("2017-04-01", "2017-06-30"),
                equals(INDUSTRY, "retail"),
                equals(REGION, "West"),
                WON,
            ],
            "measures": [SUM],
        },
        nonempty_total(closed_from(west_retail, date(2017, 4, 1), date(2017, 6, 30))),
    )
    add(
        "combined",
        "上季度Moses Frase各产品的赢单数",
        {
            "filters": [closed_relative("last_quarter"), equals(REP, "Moses Frase"), WON],
            "group_by": [group(PRODUCT)],
        },
        by(
            closed_during(where(won, "sales_agent", "Moses Frase"), "last_quarter"),
            "product",
            count,
        ),
    )
    central_mg = where(where(won, "regional_office", "Central"), "product", "MG Advanced")
    add(
        "combined",
        "how many MG Advanced deals over 3k did Central win last month?",
        {
            "filters": [
                amount_is("gt", 3000),
                closed_relative("last_month"),
                equals(PRODUCT, "MG Advanced"),
                equals(REGION, "Central"),
                WON,
            ]
        },
        [[len(amounts(closed_during(central_mg, "last_month"), lambda v: v > 3000))]],
    )
    add(
        "combined",
        "Cara Losch团队今年金额超过5000的成单总额",
        {
            "filters": [
                amount_is("gt", 5000),
                closed_relative("this_year"),
                equals(MANAGER, "Cara Losch"),
                WON,
            ],
            "measures": [SUM],
        },
        nonempty_total(
            amounts(
                closed_during(where(won, "manager", "Cara Losch"), "this_year"), lambda v: v > 5000
            )
        ),
    )
    add(
        "combined",
        "software accounts' won revenue by product in 2017",
        {
            "filters": [closed_in("2017-01-01", "2017-12-31"), equals(INDUSTRY, "software"), WON],
            "group_by": [group(PRODUCT)],
            "measures": [SUM],
        },
        by(
            closed_from(where(won, "industry", "software"), date(2017, 1, 1), date(2017, 12, 31)),
            "product",
            won_total,
        ),
    )
    east_software_lost = where(where(lost, "regional_office", "East"), "industry", "software")
    add(
        "combined",
        "2017年7月到9月East区软件行业丢了多少单",
        {
            "filters": [
                closed_in("2017-07-01", "2017-09-30"),
                equals(INDUSTRY, "software"),
                equals(REGION, "East"),
                LOST,
            ]
        },
        [[len(closed_from(east_software_lost, date(2017, 7, 1), date(2017, 9, 30)))]],
    )
    add(
        "combined",
        "average GTX Plus Pro win in the East this year",
        {
            "filters": [
                closed_relative("this_year"),
                equals(PRODUCT, "GTX Plus Pro"),
                equals(REGION, "East"),
                WON,
            ],
            "measures": [AVG],
        },
        [[won_average(closed_during(where(east, "product", "GTX Plus Pro"), "this_year"))]],
    )
    return cases
