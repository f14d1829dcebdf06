"""A held-out set of Chinese and English questions over the MavenTech pipeline, with answers.

The questions were written without reading the offline grammar, the way sales
managers and reps type them: colloquial Chinese, abbreviations, polite openers,
contractions and varied word order. Each case contains the report query a careful
analyst would write for it and the rows expected, computed here with pandas
straight from the CSV files, independently of the importer and the report engine.

Where two queries would answer a question equally well, the expectation is the
more natural one and a comment names the other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    grouped,
    load_accounts,
    load_frame,
    median,
    total,
)

OPEN = [
    {"field": "stage.is_lost", "op": "eq", "value": False},
    {"field": "stage.is_won", "op": "eq", "value": False},
]
SUM_AMOUNT = {"aggregate": "sum", "field": "amount"}
AVG_AMOUNT = {"aggregate": "avg", "field": "amount"}
MEDIAN_AMOUNT = {"aggregate": "median", "field": "amount"}
MAX_AMOUNT = {"aggregate": "max", "field": "amount"}
MIN_AMOUNT = {"aggregate": "min", "field": "amount"}
BY_OWNER = {"field": "owner.display_name"}
BY_PRODUCT = {"field": "product.name"}
BY_REGION = {"field": "owner.team.region"}
BY_INDUSTRY = {"field": "account.industry"}
BY_MANAGER = {"field": "owner.manager.display_name"}
BY_CLOSED_MONTH = {"field": "closed_on", "bucket": "month"}
BY_CLOSED_QUARTER = {"field": "closed_on", "bucket": "quarter"}
YEAR_2017 = (date(2017, 1, 1), date(2017, 12, 31))


def eq(field: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": "eq", "value": value}


def relative(field: str, period: str) -> dict[str, Any]:
    return {"field": field, "op": "relative", "value": period}


def span(field: str, start: date, end: date) -> dict[str, Any]:
    return {"field": field, "op": "between", "value": [start.isoformat(), end.isoformat()]}


def deals(
    *filters: dict[str, Any],
    group: Sequence[dict[str, Any]] = (),
    measures: Sequence[dict[str, Any]] = (),
    sort: str | None = None,
    ascending: bool = False,
    limit: int | None = None,
) -> dict[str, Any]:
    """Build an opportunities query. Without ``measures`` it counts rows."""
    return query_of(
        "opportunities",
        *filters,
        group=group,
        measures=measures,
        sort=sort,
        ascending=ascending,
        limit=limit,
    )


def query_of(
    base: str,
    *filters: dict[str, Any],
    group: Sequence[dict[str, Any]] = (),
    measures: Sequence[dict[str, Any]] = (),
    sort: str | None = None,
    ascending: bool = False,
    limit: int | None = None,
) -> dict[str, Any]:
    query: dict[str, Any] = {"object": base, "filters": list(filters)}
    if group:
        query["group_by"] = list(group)
    if measures:
        query["measures"] = list(measures)
    if sort is not None:
        query["sort"] = [{"column": sort, "descending": not ascending}]
    if limit is not None:
        query["limit"] = limit
    return query


def month_label(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def quarter_label(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def by(frame: pd.DataFrame, key: str, measure: Callable[[pd.DataFrame], Any]) -> list[list[Any]]:
    """Grouped rows with a missing key as None, the way the report engine returns it."""
    return [
        [None if pd.isna(name) else name, value] for name, value in grouped(frame, key, measure)
    ]


def by_bucket(
    frame: pd.DataFrame,
    column: str,
    label: Callable[[date], str],
    measure: Callable[[pd.DataFrame], Any],
) -> list[list[Any]]:
    labelled = frame.assign(
        bucket=frame[column].map(lambda day: None if day is None else label(day))
    )
    return by(labelled, "bucket", measure)


def ranked(rows: list[list[Any]], count: int, ascending: bool = False) -> list[list[Any]]:
    """The first ``count`` rows by their last value, raising ValueError on a tie at the cut.

    A tie at the cut would let two correct engines return different rows, so a
    question over such data is ambiguous and must not be in the set.
    """
    present = sorted(
        (row for row in rows if row[-1] is not None),
        key=lambda row: row[-1],
        reverse=not ascending,
    )
    if len(present) > count and present[count - 1][-1] == present[count][-1]:
        raise ValueError(f"tie at rank {count}: {present[count - 1]} and {present[count]}")
    return present[:count]


def count_of(frame: pd.DataFrame) -> list[list[Any]]:
    return [[len(frame)]]


def amount_sum(frame: pd.DataFrame) -> list[list[Any]]:
    """Return the sum as one row, None for an empty set as the engine returns it."""
    present = [value for value in frame["amount"] if value is not None]
    return [[total(frame["amount"]) if present else None]]


def largest(values: pd.Series) -> Decimal | None:
    present = [value for value in values if value is not None]
    return max(present).quantize(CENT) if present else None


def smallest(values: pd.Series) -> Decimal | None:
    present = [value for value in values if value is not None]
    return min(present).quantize(CENT) if present else None


def _load_deals(folder: Path) -> pd.DataFrame:
    frame = load_frame(folder)
    accounts = pd.read_csv(folder / "accounts.csv", dtype=str)[["account", "office_location"]]
    return frame.merge(accounts, on="account", how="left").rename(
        columns={"office_location": "account_country"}
    )


def _load_accounts(folder: Path) -> pd.DataFrame:
    accounts = load_accounts(folder)
    # The importer stores revenue, given in millions, as a plain amount.
    accounts["annual_revenue"] = accounts["revenue"].map(lambda v: Decimal(v) * 1_000_000)
    accounts["founded_year"] = accounts["year_established"].astype(int)
    return accounts


def _rate(reached: int, converted: int) -> Decimal:
    return (Decimal(converted) / Decimal(reached)).quantize(Decimal("0.0001"))


def build_heldout_cases(folder: Path, as_of: date) -> list[Case]:
    """Build the held-out cases. ``as_of`` is the day relative periods count from."""
    frame = _load_deals(folder)
    accounts = _load_accounts(folder)
    products = pd.read_csv(folder / "products.csv", dtype=str)
    products["list_price"] = products["sales_price"].map(Decimal)
    cases: list[Case] = []

    def add(
        family: str,
        questions: Sequence[str],
        query: dict[str, Any],
        rows: list[list[Any]],
        ordered: bool = False,
    ) -> None:
        for question in questions:
            cases.append(Case(question, query, rows, ordered, family))

    won = frame[frame["stage"] == "won"]
    lost = frame[frame["stage"] == "lost"]
    open_deals = frame[~frame["stage"].isin(["won", "lost"])]
    periods = _period_ranges(as_of)

    def closed_in(part: pd.DataFrame, period: str) -> pd.DataFrame:
        return between(part, "closed", *periods[period])

    def engaged_in(part: pd.DataFrame, period: str) -> pd.DataFrame:
        return between(part, "engaged", *periods[period])

    # Counts by stage.
    add(
        "stage_count",
        ["咱们总共赢了多少单？", "How many deals have we won in total?"],
        deals(WON),
        count_of(won),
    )
    add("stage_count", ["丢了多少单啊", "what's our lost deal count?"], deals(LOST), count_of(lost))
    add(
        "stage_count",
        [
            "处于方案沟通阶段的商机有多少",
            "How many opportunities are sitting in the Engaging stage?",
        ],
        deals(eq("stage.key", "engaging")),
        count_of(frame[frame["stage"] == "engaging"]),
    )
    add(
        "stage_count",
        ["目前还在初步接洽的商机有几个", "how many opps are in prospecting right now?"],
        deals(eq("stage.key", "prospecting")),
        count_of(frame[frame["stage"] == "prospecting"]),
    )
    add(
        "stage_count",
        ["还没关单的商机有多少？", "How many deals haven't closed yet?"],
        deals(*OPEN),
        count_of(open_deals),
    )
    add(
        "stage_count",
        ["商机总数是多少", "total number of opportunities?"],
        deals(),
        count_of(frame),
    )

    # Won amount by a dimension.
    add(
        "won_amount_by",
        ["帮我看一下各产品的成交额", "Can you break down won revenue by product?"],
        deals(WON, group=[BY_PRODUCT], measures=[SUM_AMOUNT]),
        by(won, "product", lambda g: total(g["amount"])),
    )
    add(
        "won_amount_by",
        ["每个大区赢了多少钱", "how much has each regional office won?"],
        deals(WON, group=[BY_REGION], measures=[SUM_AMOUNT]),
        by(won, "regional_office", lambda g: total(g["amount"])),
    )
    add(
        "won_amount_by",
        ["按行业汇总一下赢单金额", "Won amount split by industry"],
        deals(WON, group=[BY_INDUSTRY], measures=[SUM_AMOUNT]),
        by(won, "industry", lambda g: total(g["amount"])),
    )
    add(
        "won_amount_by",
        ["各产品线的成交金额分别是多少", "What's the won revenue for each product line?"],
        deals(WON, group=[{"field": "product.series"}], measures=[SUM_AMOUNT]),
        by(won, "series", lambda g: total(g["amount"])),
    )
    # The manager's team could also be read as owner.team.name ("X 团队"), but
    # the question names the manager.
    add(
        "won_amount_by",
        ["每位销售经理团队的赢单金额", "won revenue by sales manager"],
        deals(WON, group=[BY_MANAGER], measures=[SUM_AMOUNT]),
        by(won, "manager", lambda g: total(g["amount"])),
    )
    add(
        "won_amount_by",
        ["按销售统计一下赢单金额", "each rep's total won amount"],
        deals(WON, group=[BY_OWNER], measures=[SUM_AMOUNT]),
        by(won, "sales_agent", lambda g: total(g["amount"])),
    )
    add(
        "won_amount_by",
        ["按客户所在国家看赢单金额", "won revenue by customer country"],
        deals(WON, group=[{"field": "account.country"}], measures=[SUM_AMOUNT]),
        by(won, "account_country", lambda g: total(g["amount"])),
    )

    # Counts by a dimension.
    add(
        "count_by",
        ["每个销售分别赢了几单", "How many wins does each sales rep have?"],
        deals(WON, group=[BY_OWNER]),
        by(won, "sales_agent", len),
    )
    add(
        "count_by",
        ["各行业的商机数量", "deal count per industry"],
        deals(group=[BY_INDUSTRY]),
        by(frame, "industry", len),
    )
    add(
        "count_by",
        ["各阶段分别有多少商机", "Show me the number of opportunities in each stage"],
        deals(group=[{"field": "stage.key"}]),
        by(frame, "stage", len),
    )
    add(
        "count_by",
        ["每个产品丢了多少单", "lost deals per product"],
        deals(LOST, group=[BY_PRODUCT]),
        by(lost, "product", len),
    )
    add(
        "count_by",
        ["各区域的输单数量", "how many deals did each region lose?"],
        deals(LOST, group=[BY_REGION]),
        by(lost, "regional_office", len),
    )

    # Rankings.
    owner_sum = deals(group=[BY_OWNER], measures=[SUM_AMOUNT], sort="sum:amount")
    add(
        "top_n",
        ["今年赢单金额前十的销售", "Who are the top 10 reps by won revenue this year?"],
        {**owner_sum, "filters": [WON, relative("closed_on", "this_year")], "limit": 10},
        ranked(by(closed_in(won, "this_year"), "sales_agent", lambda g: total(g["amount"])), 10),
        ordered=True,
    )
    add(
        "top_n",
        ["本季度成交额最高的销售是谁", "Who's the top rep by won amount this quarter?"],
        {**owner_sum, "filters": [WON, relative("closed_on", "this_quarter")], "limit": 1},
        ranked(by(closed_in(won, "this_quarter"), "sales_agent", lambda g: total(g["amount"])), 1),
        ordered=True,
    )
    add(
        "top_n",
        ["赢单金额最低的三个销售", "bottom 3 reps by won revenue"],
        deals(
            WON, group=[BY_OWNER], measures=[SUM_AMOUNT], sort="sum:amount", ascending=True, limit=3
        ),
        ranked(by(won, "sales_agent", lambda g: total(g["amount"])), 3, ascending=True),
        ordered=True,
    )
    add(
        "top_n",
        ["成交金额最多的5个客户", "top 5 accounts by won amount"],
        deals(
            WON,
            group=[{"field": "account.name"}],
            measures=[SUM_AMOUNT],
            sort="sum:amount",
            limit=5,
        ),
        ranked(by(won, "account", lambda g: total(g["amount"])), 5),
        ordered=True,
    )
    add(
        "top_n",
        ["哪个行业赢的钱最多？", "Which industry brought in the most won revenue?"],
        deals(WON, group=[BY_INDUSTRY], measures=[SUM_AMOUNT], sort="sum:amount", limit=1),
        ranked(by(won, "industry", lambda g: total(g["amount"])), 1),
        ordered=True,
    )
    add(
        "top_n",
        ["赢单数最多的两个大区", "which two regions have the most wins?"],
        deals(WON, group=[BY_REGION], sort="count", limit=2),
        ranked(by(won, "regional_office", len), 2),
        ordered=True,
    )
    add(
        "top_n",
        ["平均成交金额最高的产品是哪个", "Which product has the highest average won deal size?"],
        deals(WON, group=[BY_PRODUCT], measures=[AVG_AMOUNT], sort="avg:amount", limit=1),
        ranked(by(won, "product", lambda g: average(g["amount"])), 1),
        ordered=True,
    )
    add(
        "top_n",
        ["上个月赢单最多的销售", "who won the most deals last month?"],
        deals(WON, relative("closed_on", "last_month"), group=[BY_OWNER], sort="count", limit=1),
        ranked(by(closed_in(won, "last_month"), "sales_agent", len), 1),
        ordered=True,
    )

    # Totals over a period.
    add(
        "period_total",
        ["本月的成交额是多少", "What's our won revenue this month?"],
        deals(WON, relative("closed_on", "this_month"), measures=[SUM_AMOUNT]),
        amount_sum(closed_in(won, "this_month")),
    )
    add(
        "period_total",
        ["上个月一共丢了几单", "how many deals did we lose last month"],
        deals(LOST, relative("closed_on", "last_month")),
        count_of(closed_in(lost, "last_month")),
    )
    add(
        "period_total",
        ["最近30天的赢单金额", "won amount in the last 30 days"],
        deals(WON, relative("closed_on", "last_30_days"), measures=[SUM_AMOUNT]),
        amount_sum(closed_in(won, "last_30_days")),
    )
    add(
        "period_total",
        ["这个季度赢了多少单", "How many deals did we win this quarter?"],
        deals(WON, relative("closed_on", "this_quarter")),
        count_of(closed_in(won, "this_quarter")),
    )
    add(
        "period_total",
        ["2017年上半年的成交总额", "total won revenue for H1 2017"],
        deals(WON, span("closed_on", date(2017, 1, 1), date(2017, 6, 30)), measures=[SUM_AMOUNT]),
        amount_sum(between(won, "closed", date(2017, 1, 1), date(2017, 6, 30))),
    )
    add(
        "period_total",
        ["2017年8月赢单金额多少", "Won amount for August 2017?"],
        deals(WON, span("closed_on", date(2017, 8, 1), date(2017, 8, 31)), measures=[SUM_AMOUNT]),
        amount_sum(between(won, "closed", date(2017, 8, 1), date(2017, 8, 31))),
    )
    add(
        "period_total",
        ["17年第四季度成交了多少单", "number of wins in 2017 Q4"],
        deals(WON, span("closed_on", date(2017, 10, 1), date(2017, 12, 31))),
        count_of(between(won, "closed", date(2017, 10, 1), date(2017, 12, 31))),
    )
    add(
        "period_total",
        ["本周赢了多少单？"],
        deals(WON, relative("closed_on", "this_week")),
        count_of(closed_in(won, "this_week")),
    )
    add(
        "period_total",
        ["how many deals did we win last week?"],
        deals(WON, relative("closed_on", "last_week")),
        count_of(closed_in(won, "last_week")),
    )
    add(
        "period_total",
        ["去年赢了多少单", "How many deals were won last year?"],
        deals(WON, relative("closed_on", "last_year")),
        count_of(closed_in(won, "last_year")),
    )
    add(
        "period_total",
        ["最近7天的成交金额", "revenue won in the past 7 days"],
        deals(WON, relative("closed_on", "last_7_days"), measures=[SUM_AMOUNT]),
        amount_sum(closed_in(won, "last_7_days")),
    )
    # The data contains close dates after the as-of day, so "since" could end today
    # (between) or stay open (gte). "On or after" leaves only gte.
    since_october = won[won["closed"].map(lambda day: day >= date(2017, 10, 1))]
    add(
        "period_total",
        ["2017年10月1日及之后的赢单金额", "won revenue on or after October 1, 2017"],
        deals(
            WON, {"field": "closed_on", "op": "gte", "value": "2017-10-01"}, measures=[SUM_AMOUNT]
        ),
        amount_sum(since_october),
    )

    # One rep.
    def rep(name: str) -> dict[str, Any]:
        return eq("owner.display_name", name)

    def of_rep(part: pd.DataFrame, name: str) -> pd.DataFrame:
        return part[part["sales_agent"] == name]

    add(
        "rep",
        ["Darcel Schlecht今年赢了多少钱", "How much did Darcel Schlecht win this year?"],
        deals(
            WON, rep("Darcel Schlecht"), relative("closed_on", "this_year"), measures=[SUM_AMOUNT]
        ),
        amount_sum(closed_in(of_rep(won, "Darcel Schlecht"), "this_year")),
    )
    add(
        "rep",
        ["Vicki Laflamme赢单的平均金额", "What's Vicki Laflamme's average won deal?"],
        deals(WON, rep("Vicki Laflamme"), measures=[AVG_AMOUNT]),
        [[average(of_rep(won, "Vicki Laflamme")["amount"])]],
    )
    add(
        "rep",
        ["Moses Frase丢了多少单", "how many deals has Moses Frase lost?"],
        deals(LOST, rep("Moses Frase")),
        count_of(of_rep(lost, "Moses Frase")),
    )
    add(
        "rep",
        ["Kary Hendrixson每个月的赢单金额", "Kary Hendrixson's won amount per month"],
        deals(WON, rep("Kary Hendrixson"), group=[BY_CLOSED_MONTH], measures=[SUM_AMOUNT]),
        by_bucket(
            of_rep(won, "Kary Hendrixson"), "closed", month_label, lambda g: total(g["amount"])
        ),
    )
    add(
        "rep",
        ["Cassey Cress手上还有多少进行中的商机", "How many open opps does Cassey Cress have?"],
        deals(*OPEN, rep("Cassey Cress")),
        count_of(of_rep(open_deals, "Cassey Cress")),
    )
    add(
        "rep",
        ["Hayden Neloms各产品分别赢了几单", "Hayden Neloms wins by product"],
        deals(WON, rep("Hayden Neloms"), group=[BY_PRODUCT]),
        by(of_rep(won, "Hayden Neloms"), "product", len),
    )
    add(
        "rep",
        ["Boris Faz最大的一笔赢单是多少钱", "Boris Faz's biggest win?"],
        deals(WON, rep("Boris Faz"), measures=[MAX_AMOUNT]),
        [[largest(of_rep(won, "Boris Faz")["amount"])]],
    )

    # One product.
    def product(name: str) -> dict[str, Any]:
        return eq("product.name", name)

    def of_product(part: pd.DataFrame, name: str) -> pd.DataFrame:
        return part[part["product"] == name]

    add(
        "product",
        ["GTX Pro一共赢了多少钱", "total won revenue from GTX Pro"],
        deals(WON, product("GTX Pro"), measures=[SUM_AMOUNT]),
        amount_sum(of_product(won, "GTX Pro")),
    )
    add(
        "product",
        ["MG Special成交金额的中位数", "median won amount for MG Special"],
        deals(WON, product("MG Special"), measures=[MEDIAN_AMOUNT]),
        [[median(of_product(won, "MG Special")["amount"])]],
    )
    add(
        "product",
        ["GTK 500丢了几单？", "How many GTK 500 deals did we lose?"],
        deals(LOST, product("GTK 500")),
        count_of(of_product(lost, "GTK 500")),
    )
    add(
        "product",
        [
            "GTX Plus Basic现在有多少在跟进的商机",
            "how many GTX Plus Basic opportunities are still open?",
        ],
        deals(*OPEN, product("GTX Plus Basic")),
        count_of(of_product(open_deals, "GTX Plus Basic")),
    )
    add(
        "product",
        ["MG Advanced今年每季度的成交额", "quarterly won revenue for MG Advanced this year"],
        deals(
            WON,
            product("MG Advanced"),
            relative("closed_on", "this_year"),
            group=[BY_CLOSED_QUARTER],
            measures=[SUM_AMOUNT],
        ),
        by_bucket(
            closed_in(of_product(won, "MG Advanced"), "this_year"),
            "closed",
            quarter_label,
            lambda g: total(g["amount"]),
        ),
    )
    pair = ["GTX Plus Pro", "GTX Pro"]
    add(
        "product",
        ["GTX Plus Pro和GTX Pro的赢单数分别是多少", "wins for GTX Plus Pro vs GTX Pro"],
        deals(WON, {"field": "product.name", "op": "in", "value": pair}, group=[BY_PRODUCT]),
        by(won[won["product"].isin(pair)], "product", len),
    )

    # One region.
    def region(name: str) -> dict[str, Any]:
        return eq("owner.team.region", name)

    def of_region(part: pd.DataFrame, name: str) -> pd.DataFrame:
        return part[part["regional_office"] == name]

    add(
        "region",
        ["Central大区本季度的赢单金额", "won revenue in the Central region this quarter"],
        deals(WON, region("Central"), relative("closed_on", "this_quarter"), measures=[SUM_AMOUNT]),
        amount_sum(closed_in(of_region(won, "Central"), "this_quarter")),
    )
    add(
        "region",
        ["West区有多少个进行中的商机", "How many open deals are there in the West region?"],
        deals(*OPEN, region("West")),
        count_of(of_region(open_deals, "West")),
    )
    add(
        "region",
        ["East区每个销售的赢单数", "win count for each rep in the East region"],
        deals(WON, region("East"), group=[BY_OWNER]),
        by(of_region(won, "East"), "sales_agent", len),
    )
    add(
        "region",
        ["West区平均每单成交多少钱", "avg won deal size in the West region"],
        deals(WON, region("West"), measures=[AVG_AMOUNT]),
        [[average(of_region(won, "West")["amount"])]],
    )
    add(
        "region",
        [
            "East区上个月赢单金额最高的销售是谁",
            "top rep in the East region by won amount last month",
        ],
        deals(
            WON,
            region("East"),
            relative("closed_on", "last_month"),
            group=[BY_OWNER],
            measures=[SUM_AMOUNT],
            sort="sum:amount",
            limit=1,
        ),
        ranked(
            by(
                closed_in(of_region(won, "East"), "last_month"),
                "sales_agent",
                lambda g: total(g["amount"]),
            ),
            1,
        ),
        ordered=True,
    )

    # A manager's team.
    def manager(name: str) -> dict[str, Any]:
        return eq("owner.manager.display_name", name)

    add(
        "manager",
        ["Rocco Neubert团队赢了多少单", "how many deals has Rocco Neubert's team won?"],
        deals(WON, manager("Rocco Neubert")),
        count_of(won[won["manager"] == "Rocco Neubert"]),
    )
    add(
        "manager",
        ["Celia Rouche手下每个销售的赢单金额", "won revenue for each rep under Celia Rouche"],
        deals(WON, manager("Celia Rouche"), group=[BY_OWNER], measures=[SUM_AMOUNT]),
        by(won[won["manager"] == "Celia Rouche"], "sales_agent", lambda g: total(g["amount"])),
    )
    add(
        "manager",
        ["哪位销售经理的团队赢单金额最高", "Which manager's team has the highest won revenue?"],
        deals(WON, group=[BY_MANAGER], measures=[SUM_AMOUNT], sort="sum:amount", limit=1),
        ranked(by(won, "manager", lambda g: total(g["amount"])), 1),
        ordered=True,
    )

    # Amount thresholds.
    def amounts(part: pd.DataFrame, test: Callable[[Decimal], bool]) -> pd.DataFrame:
        return part[part["amount"].map(lambda value: value is not None and test(value))]

    add(
        "threshold",
        ["金额在1000到5000之间的赢单有多少", "How many won deals are between 1,000 and 5,000?"],
        deals(WON, {"field": "amount", "op": "between", "value": [1000, 5000]}),
        count_of(amounts(won, lambda v: 1000 <= v <= 5000)),
    )
    add(
        "threshold",
        ["成交金额不低于3000的单子有几个", "number of wins worth at least 3000"],
        deals(WON, {"field": "amount", "op": "gte", "value": 3000}),
        count_of(amounts(won, lambda v: v >= 3000)),
    )
    add(
        "threshold",
        ["低于500块的赢单有多少", "how many wins came in under $500?"],
        deals(WON, {"field": "amount", "op": "lt", "value": 500}),
        count_of(amounts(won, lambda v: v < 500)),
    )
    add(
        "threshold",
        ["超过5千的赢单总金额是多少", "total won amount from deals over 5k"],
        deals(WON, {"field": "amount", "op": "gt", "value": 5000}, measures=[SUM_AMOUNT]),
        amount_sum(amounts(won, lambda v: v > 5000)),
    )
    add(
        "threshold",
        ["GTX Pro金额大于4000的赢单数", "how many GTX Pro wins were above 4000?"],
        deals(WON, product("GTX Pro"), {"field": "amount", "op": "gt", "value": 4000}),
        count_of(amounts(of_product(won, "GTX Pro"), lambda v: v > 4000)),
    )

    # Minimum, maximum and median.
    add(
        "extreme",
        ["赢单金额的中位数是多少", "what's the median won deal?"],
        deals(WON, measures=[MEDIAN_AMOUNT]),
        [[median(won["amount"])]],
    )
    add(
        "extreme",
        ["今年最大的一笔赢单多少钱", "largest win this year"],
        deals(WON, relative("closed_on", "this_year"), measures=[MAX_AMOUNT]),
        [[largest(closed_in(won, "this_year")["amount"])]],
    )
    add(
        "extreme",
        ["每个产品的最高成交金额", "max won amount per product"],
        deals(WON, group=[BY_PRODUCT], measures=[MAX_AMOUNT]),
        by(won, "product", lambda g: largest(g["amount"])),
    )
    add(
        "extreme",
        ["各大区赢单金额的中位数", "median won deal size by region"],
        deals(WON, group=[BY_REGION], measures=[MEDIAN_AMOUNT]),
        by(won, "regional_office", lambda g: median(g["amount"])),
    )
    add(
        "extreme",
        ["每个销售最小的一笔赢单是多少", "smallest won deal for each rep"],
        deals(WON, group=[BY_OWNER], measures=[MIN_AMOUNT]),
        by(won, "sales_agent", lambda g: smallest(g["amount"])),
    )

    # Time buckets.
    # "New" deals are counted by the engage date. Deals still prospecting have
    # none and form a group without a month.
    add(
        "bucket",
        ["每月新增商机数", "new opportunities per month"],
        deals(group=[{"field": "engaged_on", "bucket": "month"}]),
        by_bucket(frame, "engaged", month_label, len),
    )
    add(
        "bucket",
        ["2017年每个季度的赢单数量", "wins per quarter in 2017"],
        deals(WON, span("closed_on", *YEAR_2017), group=[BY_CLOSED_QUARTER]),
        by_bucket(between(won, "closed", *YEAR_2017), "closed", quarter_label, len),
    )
    add(
        "bucket",
        ["按月看一下丢单数量", "monthly lost deal count"],
        deals(LOST, group=[BY_CLOSED_MONTH]),
        by_bucket(lost, "closed", month_label, len),
    )
    add(
        "bucket",
        ["今年每个月的平均成交金额", "average won deal size by month this year"],
        deals(
            WON, relative("closed_on", "this_year"), group=[BY_CLOSED_MONTH], measures=[AVG_AMOUNT]
        ),
        by_bucket(
            closed_in(won, "this_year"), "closed", month_label, lambda g: average(g["amount"])
        ),
    )
    add(
        "bucket",
        ["赢单金额按季度的走势", "quarterly won revenue trend"],
        deals(WON, group=[BY_CLOSED_QUARTER], measures=[SUM_AMOUNT]),
        by_bucket(won, "closed", quarter_label, lambda g: total(g["amount"])),
    )

    # New deals by engage date.
    add(
        "engaged",
        ["上个月新增了多少商机", "how many new deals came in last month?"],
        deals(relative("engaged_on", "last_month")),
        count_of(engaged_in(frame, "last_month")),
    )
    add(
        "engaged",
        ["本季度新接触的商机有多少", "new opportunities this quarter"],
        deals(relative("engaged_on", "this_quarter")),
        count_of(engaged_in(frame, "this_quarter")),
    )
    add(
        "engaged",
        ["去年新增的商机数", "How many new deals did we engage last year?"],
        deals(relative("engaged_on", "last_year")),
        count_of(engaged_in(frame, "last_year")),
    )
    add(
        "engaged",
        ["2017年5月新建了几个商机", "new deals in May 2017"],
        deals(span("engaged_on", date(2017, 5, 1), date(2017, 5, 31))),
        count_of(between(frame, "engaged", date(2017, 5, 1), date(2017, 5, 31))),
    )
    add(
        "engaged",
        ["各销售本月新增的商机数", "new opps per rep this month"],
        deals(relative("engaged_on", "this_month"), group=[BY_OWNER]),
        by(engaged_in(frame, "this_month"), "sales_agent", len),
    )

    # Accounts.
    def accounts_query(*filters: dict[str, Any], **parts: Any) -> dict[str, Any]:
        return query_of("accounts", *filters, **parts)

    add(
        "account",
        ["一共有多少家客户", "how many accounts do we have?"],
        accounts_query(),
        count_of(accounts),
    )
    add(
        "account",
        ["做零售的客户有几家", "number of retail customers"],
        accounts_query(eq("industry", "retail")),
        count_of(accounts[accounts["industry"] == "retail"]),
    )
    add(
        "account",
        ["员工人数少于500的客户有多少", "accounts with fewer than 500 employees"],
        accounts_query({"field": "employee_count", "op": "lt", "value": 500}),
        count_of(accounts[accounts["employees"] < 500]),
    )
    add(
        "account",
        ["各行业客户的平均员工数", "average headcount per industry"],
        accounts_query(
            group=[{"field": "industry"}],
            measures=[{"aggregate": "avg", "field": "employee_count"}],
        ),
        by(
            accounts,
            "industry",
            lambda g: (Decimal(int(g["employees"].sum())) / len(g)).quantize(CENT),
        ),
    )
    add(
        "account",
        ["成立时间晚于2000年的客户数", "accounts founded after 2000"],
        accounts_query({"field": "founded_year", "op": "gt", "value": 2000}),
        count_of(accounts[accounts["founded_year"] > 2000]),
    )
    add(
        "account",
        ["软件行业客户的平均年收入", "average annual revenue of software accounts"],
        accounts_query(
            eq("industry", "software"), measures=[{"aggregate": "avg", "field": "annual_revenue"}]
        ),
        [[average(accounts[accounts["industry"] == "software"]["annual_revenue"])]],
    )
    add(
        "account",
        ["美国的客户有多少家", "how many accounts are located in the United States?"],
        accounts_query(eq("country", "United States")),
        count_of(accounts[accounts["office_location"] == "United States"]),
    )
    add(
        "account",
        ["所有客户的年收入加起来是多少", "total annual revenue across all accounts"],
        accounts_query(measures=[{"aggregate": "sum", "field": "annual_revenue"}]),
        [[total(accounts["annual_revenue"])]],
    )
    # The Chinese wording also fits the largest account by employees, grouped by
    # name with a limit of 1. The question requests a number, so max is expected.
    add(
        "account",
        ["员工最多的客户有多少人", "what's the largest employee count among our accounts?"],
        accounts_query(measures=[{"aggregate": "max", "field": "employee_count"}]),
        [[int(accounts["employees"].max())]],
    )

    # Products.
    add(
        "product_catalogue",
        ["我们有几款产品", "how many products do we sell?"],
        query_of("products"),
        count_of(products),
    )
    add(
        "product_catalogue",
        ["GTX系列有几个产品"],
        query_of("products", eq("series", "GTX")),
        count_of(products[products["series"] == "GTX"]),
    )
    add(
        "product_catalogue",
        ["number of products in the MG series"],
        query_of("products", eq("series", "MG")),
        count_of(products[products["series"] == "MG"]),
    )
    add(
        "product_catalogue",
        ["产品的平均标价是多少", "average list price of our products"],
        query_of("products", measures=[{"aggregate": "avg", "field": "list_price"}]),
        [[average(products["list_price"])]],
    )
    add(
        "product_catalogue",
        ["每个系列的最高标价", "max list price per series"],
        query_of(
            "products",
            group=[{"field": "series"}],
            measures=[{"aggregate": "max", "field": "list_price"}],
        ),
        by(products, "series", lambda g: largest(g["list_price"])),
    )

    # Exclusions and lists of values.
    excluded = ["GTX Basic", "MG Special"]
    add(
        "exclusion",
        ["除了GTX Basic和MG Special之外的赢单数", "wins excluding GTX Basic and MG Special"],
        deals(WON, {"field": "product.name", "op": "not_in", "value": excluded}),
        count_of(won[~won["product"].isin(excluded)]),
    )
    add(
        "exclusion",
        ["不算Central大区的话赢单金额是多少", "won revenue outside the Central region"],
        deals(
            WON,
            {"field": "owner.team.region", "op": "ne", "value": "Central"},
            measures=[SUM_AMOUNT],
        ),
        amount_sum(won[won["regional_office"] != "Central"]),
    )
    add(
        "exclusion",
        ["East和West两个区一共有多少进行中的商机", "open deals in East and West combined"],
        deals(*OPEN, {"field": "owner.team.region", "op": "in", "value": ["East", "West"]}),
        count_of(open_deals[open_deals["regional_office"].isin(["East", "West"])]),
    )
    add(
        "exclusion",
        [
            "GTX系列和MG系列的赢单金额分别是多少",
            "won amount for the GTX and MG series, broken down by series",
        ],
        deals(
            WON,
            {"field": "product.series", "op": "in", "value": ["GTX", "MG"]},
            group=[{"field": "product.series"}],
            measures=[SUM_AMOUNT],
        ),
        by(won[won["series"].isin(["GTX", "MG"])], "series", lambda g: total(g["amount"])),
    )

    # Open pipeline.
    add(
        "open_pipeline",
        ["每个产品还有多少进行中的商机", "open pipeline by product"],
        deals(*OPEN, group=[BY_PRODUCT]),
        by(open_deals, "product", len),
    )
    add(
        "open_pipeline",
        ["每个销售手上还有多少在跟的单子", "how many open deals does each rep have?"],
        deals(*OPEN, group=[BY_OWNER]),
        by(open_deals, "sales_agent", len),
    )
    add(
        "open_pipeline",
        ["进行中商机最多的三个销售", "top 3 reps by number of open deals"],
        deals(*OPEN, group=[BY_OWNER], sort="count", limit=3),
        ranked(by(open_deals, "sales_agent", len), 3),
        ordered=True,
    )

    # Several conditions at once.
    add(
        "combined",
        ["East区今年GTX Pro的赢单金额", "GTX Pro won revenue in the East region this year"],
        deals(
            WON,
            region("East"),
            product("GTX Pro"),
            relative("closed_on", "this_year"),
            measures=[SUM_AMOUNT],
        ),
        amount_sum(closed_in(of_product(of_region(won, "East"), "GTX Pro"), "this_year")),
    )
    central_retail = of_region(won, "Central")
    add(
        "combined",
        [
            "上季度Central大区零售行业赢了多少单",
            "how many retail deals did the Central region win last quarter?",
        ],
        deals(
            WON,
            region("Central"),
            eq("account.industry", "retail"),
            relative("closed_on", "last_quarter"),
        ),
        count_of(closed_in(central_retail[central_retail["industry"] == "retail"], "last_quarter")),
    )
    add(
        "combined",
        ["今年金额超过1万的赢单按产品统计数量", "this year's wins over 10k by product"],
        deals(
            WON,
            relative("closed_on", "this_year"),
            {"field": "amount", "op": "gt", "value": 10000},
            group=[BY_PRODUCT],
        ),
        by(amounts(closed_in(won, "this_year"), lambda v: v > 10000), "product", len),
    )
    add(
        "combined",
        [
            "Darcel Schlecht上季度各产品的成交额",
            "Darcel Schlecht's won revenue by product last quarter",
        ],
        deals(
            WON,
            rep("Darcel Schlecht"),
            relative("closed_on", "last_quarter"),
            group=[BY_PRODUCT],
            measures=[SUM_AMOUNT],
        ),
        by(
            closed_in(of_rep(won, "Darcel Schlecht"), "last_quarter"),
            "product",
            lambda g: total(g["amount"]),
        ),
    )

    # Distinct counts and conversion.
    # account.name would count accounts that share a name once, so account_id is
    # the unambiguous choice, and in this data names are unique.
    add(
        "distinct",
        ["赢过单的客户有多少家", "how many different accounts have we won deals with?"],
        deals(WON, measures=[{"aggregate": "count_distinct", "field": "account_id"}]),
        [[int(won["account"].nunique())]],
    )
    # Imported deals carry no stage history, so a deal reached Engaging when it is
    # in Engaging or Won now (lost deals record no stage they passed).
    conversion = {"aggregate": "conversion_rate", "from_stage": "engaging", "to_stage": "won"}

    def engaging_to_won(part: pd.DataFrame) -> Decimal:
        reached = int(part["stage"].isin(["engaging", "won"]).sum())
        return _rate(reached, int((part["stage"] == "won").sum()))

    add(
        "conversion",
        ["从方案沟通到赢单的转化率是多少", "conversion rate from engaging to won"],
        deals(measures=[conversion]),
        [[engaging_to_won(frame)]],
    )
    add(
        "conversion",
        ["各大区从方案沟通到赢单的转化率", "engaging-to-won conversion by region"],
        deals(group=[BY_REGION], measures=[conversion]),
        by(frame, "regional_office", engaging_to_won),
    )
    return cases


def _period_ranges(as_of: date) -> dict[str, tuple[date, date]]:
    """Inclusive ranges of the relative periods the set uses, as the report service reads them."""
    week_start = as_of - timedelta(days=as_of.weekday())
    month_start = as_of.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    quarter_start = date(as_of.year, (as_of.month - 1) // 3 * 3 + 1, 1)
    quarter_end = _months_after(quarter_start, 3) - timedelta(days=1)
    last_quarter_end = quarter_start - timedelta(days=1)
    next_month = _months_after(month_start, 1)
    return {
        "this_week": (week_start, week_start + timedelta(days=6)),
        "last_week": (week_start - timedelta(days=7), week_start - timedelta(days=1)),
        "this_month": (month_start, next_month - timedelta(days=1)),
        "last_month": (last_month_end.replace(day=1), last_month_end),
        "this_quarter": (quarter_start, quarter_end),
        "last_quarter": (
            date(last_quarter_end.year, (last_quarter_end.month - 1) // 3 * 3 + 1, 1),
            last_quarter_end,
        ),
        "this_year": (date(as_of.year, 1, 1), date(as_of.year, 12, 31)),
        "last_year": (date(as_of.year - 1, 1, 1), date(as_of.year - 1, 12, 31)),
        "last_7_days": (as_of - timedelta(days=6), as_of),
        "last_30_days": (as_of - timedelta(days=29), as_of),
    }


def _months_after(first: date, months: int) -> date:
    """The first day of the month ``months`` after the month of ``first``."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
