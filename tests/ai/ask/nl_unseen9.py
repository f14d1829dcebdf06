"""A ninth unseen question set over the MavenTech pipeline, written without reading the grammar.

Like the unseen sets before it, this set estimates how the offline grammar handles
wordings it was never tuned to. The grammar is not tuned against it, so its accuracy
on a first run is that estimate.

The questions cover the families of ``nl_unseen2.py`` in new wordings, typed the way
sales managers and reps at Chinese companies write them. Most are plain questions;
others are terse titles or put the filter first ("美国客户的胜率", "employment
sector: how much have we won in total"). Chinese questions use words such as 签单,
赢下, 手上, 名下, 在跟, 未结, 去重后 and 分别, and some mix in English words (opp,
stage, lost, open, win rate). English questions use abbreviations (opps,
avg, rev, mgr, pls, w/o, #, 2k, Sept) and the odd typo (avrage, opportunties,
accouts, revenu), and one Chinese question carries an input-method typo (城交额 for
成交额). No question repeats one of the other sets, and a test checks that.

Expected rows are computed with pandas from the CSV files, independently of the
importer and the report engine. Expected queries take the forms of ``nl_unseen2.py``.
Won and lost deals are filtered by ``stage.key``, open deals as neither won nor lost,
and revenue, won $ and 成交额 are the sum of won amounts. A win rate is the ``share``
measure named ``win_rate`` over deals with a close date. New deals are counted by
their engage date, distinct counts go on the foreign key, and top or bottom N is a
sort on the measure with a limit. A named year, half, quarter or month is a
``between`` filter on its dates, and 这个月, "this quarter" or "last week" a
``relative`` one. Where two typed queries would be equally correct, a comment names
the one the set expects.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from nl_frames import CaseList, last_days, pipeline_frames
from nl_questions import LOST, WON, Case, average, between, median
from nl_unseen2 import (
    AVG,
    CLOSED,
    CLOSED_MONTH,
    CLOSED_QUARTER,
    COUNTRY,
    INDUSTRY,
    MANAGER,
    MAX,
    MEDIAN,
    MIN,
    OPEN,
    PRODUCT,
    REGION,
    REP,
    SERIES,
    STAGE,
    SUM,
    WIN_RATE_COLUMN,
    WIN_SHARE,
    amount_is,
    amounts,
    ascending,
    by,
    closed_in,
    closed_relative,
    count,
    descending,
    distinct,
    engaged_in,
    engaged_relative,
    equals,
    excluding,
    group,
    largest,
    nonempty_total,
    one_of,
    ranked,
    smallest,
    two_keys,
    win_share,
    won_average,
    won_median,
    won_total,
)
from nl_unseen3 import (
    ACCOUNT,
    ACCOUNTS_COUNTED,
    ENGAGED_MONTH,
    ENGAGED_QUARTER,
    OWNERS_COUNTED,
    PRODUCTS_COUNTED,
    cents,
)

YEAR_2017 = ("2017-01-01", "2017-12-31")


def build_unseen9_cases(folder: Path, as_of: date) -> list[Case]:
    data = pipeline_frames(folder, as_of)
    accounts = data.accounts
    frame = data.frame
    products = data.products
    won = data.won
    lost = data.lost
    open_deals = data.open_deals
    closed = data.closed
    ranges = data.ranges
    where = data.where
    within = data.within

    def during(part: pd.DataFrame, period: str, column: str = "closed") -> pd.DataFrame:
        return between(part, column, *ranges[period])

    def dated(part: pd.DataFrame, start: str, end: str, column: str = "closed") -> pd.DataFrame:
        return between(part, column, date.fromisoformat(start), date.fromisoformat(end))

    retail_accounts = accounts[accounts["industry"] == "retail"]
    marketing_accounts = accounts[accounts["industry"] == "marketing"]

    questions = CaseList()
    cases = questions.cases
    add, add_object = questions.add, questions.add_object

    def ranking(
        family: str,
        question: str,
        filters: list[dict[str, Any]],
        field: str,
        column: str,
        limit: int,
        part: pd.DataFrame,
        measure: dict[str, Any] | None = None,
        lowest_first: bool = False,
    ) -> None:
        """Add a top or bottom N question, ranked by the count of deals when ``measure`` is None."""
        compute: Callable[[pd.DataFrame], Any] = count
        query: dict[str, Any] = {"filters": filters, "group_by": [group(field)], "limit": limit}
        name = "count"
        if measure is not None:
            query["measures"] = [measure]
            name = f"{measure['aggregate']}:{measure['field']}"
            compute = {"sum": won_total, "avg": won_average}[measure["aggregate"]]
        query["sort"] = ascending(name) if lowest_first else descending(name)
        rows = ranked(by(part, column, compute), limit, lowest_first=lowest_first)
        add(family, question, query, rows, ordered=True)

    # Counts of deals, plain or by stage.
    engaging = where(frame, "stage", "engaging")
    prospecting = where(frame, "stage", "prospecting")
    add("stage_count", "商机总条数报个数", {}, [[len(frame)]])
    add("stage_count", "how many opportunities are in the system altogether", {}, [[len(frame)]])
    add("stage_count", "到目前为止丢了多少单", {"filters": [LOST]}, [[len(lost)]])
    add("stage_count", "total count of closed-lost opps", {"filters": [LOST]}, [[len(lost)]])
    add("stage_count", "我们赢下的单子有多少条", {"filters": [WON]}, [[len(won)]])
    add(
        "stage_count",
        "deals in engaging right now - how many?",
        {"filters": [equals(STAGE, "engaging")]},
        [[len(engaging)]],
    )
    add(
        "stage_count",
        "处于prospecting状态的商机条数",
        {"filters": [equals(STAGE, "prospecting")]},
        [[len(prospecting)]],
    )
    add(
        "stage_count",
        "how many opportunities are neither won nor lost",
        {"filters": OPEN},
        [[len(open_deals)]],
    )
    add(
        "stage_count",
        "Engaging阶段的商机一共几条",
        {"filters": [equals(STAGE, "engaging")]},
        [[len(engaging)]],
    )
    add(
        "stage_count",
        "number of prospecting-stage opps",
        {"filters": [equals(STAGE, "prospecting")]},
        [[len(prospecting)]],
    )

    # Sums of won amounts under one filter.
    def won_sum(field: str, column: str, value: str, question: str) -> None:
        add(
            "won_sum",
            question,
            {"filters": [equals(field, value), WON], "measures": [SUM]},
            nonempty_total(where(won, column, value)),
        )

    won_sum(REP, "sales_agent", "Kary Hendrixson", "Kary Hendrixson累计签单金额是多少")
    won_sum(ACCOUNT, "account", "Xx-holding", "total closed-won amount from Xx-holding")
    won_sum(REP, "sales_agent", "Niesha Huffines", "Niesha Huffines名下赢单总额")
    won_sum(
        MANAGER,
        "manager",
        "Summer Sewald",
        "how much did Summer Sewald's group bring in from won deals",
    )
    won_sum(INDUSTRY, "industry", "marketing", "营销行业成交额合计")
    won_sum(COUNTRY, "country", "Germany", "German accounts - won revenue, total")
    won_sum(ACCOUNT, "account", "Goodsilron", "Goodsilron给我们签了多少钱")
    won_sum(REP, "sales_agent", "Rosalina Dieter", "Rosalina Dieter - sum of won deal values")
    won_sum(ACCOUNT, "account", "Initech", "Initech那边我们一共赢了多少钱")
    won_sum(INDUSTRY, "industry", "employment", "employment sector: how much have we won in total")

    # Averages.
    def won_mean(field: str, column: str, value: str, question: str) -> None:
        add(
            "average",
            question,
            {"filters": [equals(field, value), WON], "measures": [AVG]},
            [[won_average(where(won, column, value))]],
        )

    won_mean(REP, "sales_agent", "Gladys Colclough", "Gladys Colclough赢单的平均金额")
    won_mean(ACCOUNT, "account", "Ganjaflex", "avg size of a won deal at Ganjaflex")
    won_mean(COUNTRY, "country", "United States", "美国客户平均每笔成交多少钱")
    won_mean(MANAGER, "manager", "Cara Losch", "mean won amount for Cara Losch's reps")
    won_mean(INDUSTRY, "industry", "employment", "人力资源行业客户的平均赢单金额")
    won_mean(ACCOUNT, "account", "Zotware", "Zotware的平均成交额")
    add_object(
        "average",
        "average headcount of our marketing accounts",
        {
            "object": "accounts",
            "filters": [equals("industry", "marketing")],
            "measures": [{"aggregate": "avg", "field": "employee_count"}],
        },
        [[cents(Decimal(int(marketing_accounts["employees"].sum())) / len(marketing_accounts))]],
    )
    add(
        "average",
        "上周赢单平均多少钱",
        {"filters": [closed_relative("last_week"), WON], "measures": [AVG]},
        [[won_average(during(won, "last_week"))]],
    )
    add(
        "average",
        "avrage won deal size by customer country",
        {"filters": [WON], "group_by": [group(COUNTRY)], "measures": [AVG]},
        by(won, "country", won_average),
    )
    add(
        "average",
        "average won amount for deals closed in Sept 2017",
        {"filters": [closed_in("2017-09-01", "2017-09-30"), WON], "measures": [AVG]},
        [[won_average(dated(won, "2017-09-01", "2017-09-30"))]],
    )

    # Medians.
    add(
        "median",
        "Jonathan Berthelot赢单金额的中位数",
        {"filters": [equals(REP, "Jonathan Berthelot"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "sales_agent", "Jonathan Berthelot"))]],
    )
    add(
        "median",
        "median won value for Kary Hendrixson",
        {"filters": [equals(REP, "Kary Hendrixson"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "sales_agent", "Kary Hendrixson"))]],
    )
    add(
        "median",
        "GTX Plus Basic成交额中位数",
        {"filters": [equals(PRODUCT, "GTX Plus Basic"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "product", "GTX Plus Basic"))]],
    )
    add(
        "median",
        "median of won amounts for each account",
        {"filters": [WON], "group_by": [group(ACCOUNT)], "measures": [MEDIAN]},
        by(won, "account", won_median),
    )
    add(
        "median",
        "Isdom赢单金额的中位数是多少",
        {"filters": [equals(ACCOUNT, "Isdom"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "account", "Isdom"))]],
    )
    add_object(
        "median",
        "median founding year of our accounts",
        {"object": "accounts", "measures": [{"aggregate": "median", "field": "founded_year"}]},
        [[cents(statistics.median(accounts["founded"]))]],
    )
    add(
        "median",
        "各国家客户赢单金额中位数",
        {"filters": [WON], "group_by": [group(COUNTRY)], "measures": [MEDIAN]},
        by(won, "country", won_median),
    )
    add(
        "median",
        "median win for the software industry",
        {"filters": [equals(INDUSTRY, "software"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "industry", "software"))]],
    )
    add(
        "median",
        "这个月赢单的中位金额",
        {"filters": [closed_relative("this_month"), WON], "measures": [MEDIAN]},
        [[won_median(during(won, "this_month"))]],
    )
    add(
        "median",
        "median deal value among Melvin Marxen's wins",
        {"filters": [equals(MANAGER, "Melvin Marxen"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "manager", "Melvin Marxen"))]],
    )

    # Largest and smallest values.
    add(
        "min_max",
        "Zane Levy签过最大的一单是多少钱",
        {"filters": [equals(REP, "Zane Levy"), WON], "measures": [MAX]},
        [[largest(where(won, "sales_agent", "Zane Levy")["amount"])]],
    )
    add(
        "min_max",
        "largest won deal at Konex",
        {"filters": [equals(ACCOUNT, "Konex"), WON], "measures": [MAX]},
        [[largest(where(won, "account", "Konex")["amount"])]],
    )
    add(
        "min_max",
        "GTX Pro成交的最低金额",
        {"filters": [equals(PRODUCT, "GTX Pro"), WON], "measures": [MIN]},
        [[smallest(where(won, "product", "GTX Pro")["amount"])]],
    )
    add(
        "min_max",
        "what's the smallest win for each product",
        {"filters": [WON], "group_by": [group(PRODUCT)], "measures": [MIN]},
        by(won, "product", lambda part: smallest(part["amount"])),
    )
    add_object(
        "min_max",
        "零售客户里员工最多的那家有多少人",
        {
            "object": "accounts",
            "filters": [equals("industry", "retail")],
            "measures": [{"aggregate": "max", "field": "employee_count"}],
        },
        [[int(retail_accounts["employees"].max())]],
    )
    add_object(
        "min_max",
        "lowest annual revenue among medical accounts",
        {
            "object": "accounts",
            "filters": [equals("industry", "medical")],
            "measures": [{"aggregate": "min", "field": "annual_revenue"}],
        },
        [[cents(min(accounts[accounts["industry"] == "medical"]["annual_revenue"]))]],
    )
    add(
        "min_max",
        "每个客户单笔最大成交额",
        {"filters": [WON], "group_by": [group(ACCOUNT)], "measures": [MAX]},
        by(won, "account", lambda part: largest(part["amount"])),
    )
    add(
        "min_max",
        "lowest close value on a won deal this year",
        {"filters": [closed_relative("this_year"), WON], "measures": [MIN]},
        [[smallest(during(won, "this_year")["amount"])]],
    )
    add(
        "min_max",
        "金融行业客户里单笔最大的赢单",
        {"filters": [equals(INDUSTRY, "finance"), WON], "measures": [MAX]},
        [[largest(where(won, "industry", "finance")["amount"])]],
    )
    add_object(
        "min_max",
        "fewest employees any software account has",
        {
            "object": "accounts",
            "filters": [equals("industry", "software")],
            "measures": [{"aggregate": "min", "field": "employee_count"}],
        },
        [[int(accounts[accounts["industry"] == "software"]["employees"].min())]],
    )

    # Distinct counts, on the foreign key as in nl_unseen2.py. "Bought" and 买过 read
    # as a won deal: a lost or open deal is no sale.
    add(
        "distinct",
        "Kami Bicknell一共跟几家客户成交过",
        {"filters": [equals(REP, "Kami Bicknell"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(where(won, "sales_agent", "Kami Bicknell"))]],
    )
    add(
        "distinct",
        "how many different products has Initech bought",
        {"filters": [equals(ACCOUNT, "Initech"), WON], "measures": [PRODUCTS_COUNTED]},
        [[distinct("product")(where(won, "account", "Initech"))]],
    )
    add(
        "distinct",
        "West区有几个销售丢过单",
        {"filters": [equals(REGION, "West"), LOST], "measures": [OWNERS_COUNTED]},
        [[distinct("sales_agent")(where(lost, "regional_office", "West"))]],
    )
    add(
        "distinct",
        "# of distinct accounts with open MG Special opps",
        {"filters": [*OPEN, equals(PRODUCT, "MG Special")], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(where(open_deals, "product", "MG Special"))]],
    )
    add(
        "distinct",
        "每个行业分别买过几种产品",
        {"filters": [WON], "group_by": [group(INDUSTRY)], "measures": [PRODUCTS_COUNTED]},
        by(won, "industry", distinct("product")),
    )
    add(
        "distinct",
        "unique products sold per region",
        {"filters": [WON], "group_by": [group(REGION)], "measures": [PRODUCTS_COUNTED]},
        by(won, "regional_office", distinct("product")),
    )
    add(
        "distinct",
        "今年成交的客户去重后几家",
        {"filters": [closed_relative("this_year"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(during(won, "this_year"))]],
    )
    add(
        "distinct",
        "how many reps on Rocco Neubert's team have lost a deal",
        {"filters": [equals(MANAGER, "Rocco Neubert"), LOST], "measures": [OWNERS_COUNTED]},
        [[distinct("sales_agent")(where(lost, "manager", "Rocco Neubert"))]],
    )
    add(
        "distinct",
        "GTX Plus Pro被几家客户买过",
        {"filters": [equals(PRODUCT, "GTX Plus Pro"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(where(won, "product", "GTX Plus Pro"))]],
    )
    add(
        "distinct",
        "count of distinct products sold in 2017",
        {"filters": [closed_in(*YEAR_2017), WON], "measures": [PRODUCTS_COUNTED]},
        [[distinct("product")(dated(won, *YEAR_2017))]],
    )

    # Breakdowns by one dimension. Deals without an account form their own group.
    add(
        "breakdown",
        "每个国家分别丢了几单",
        {"filters": [LOST], "group_by": [group(COUNTRY)]},
        by(lost, "country", count),
    )
    add(
        "breakdown",
        "lost deals by account",
        {"filters": [LOST], "group_by": [group(ACCOUNT)]},
        by(lost, "account", count),
    )
    add(
        "breakdown",
        "按系列看丢单数",
        {"filters": [LOST], "group_by": [group(SERIES)]},
        by(lost, "series", count),
    )
    add(
        "breakdown",
        "won deal count by account country",
        {"filters": [WON], "group_by": [group(COUNTRY)]},
        by(won, "country", count),
    )
    add(
        "breakdown",
        "每个客户各有多少条商机",
        {"group_by": [group(ACCOUNT)]},
        by(frame, "account", count),
    )
    add(
        "breakdown",
        "won deal count for each manager",
        {"filters": [WON], "group_by": [group(MANAGER)]},
        by(won, "manager", count),
    )
    add(
        "breakdown",
        "每个客户的签单金额分别多少",
        {"filters": [WON], "group_by": [group(ACCOUNT)], "measures": [SUM]},
        by(won, "account", won_total),
    )
    add(
        "breakdown",
        "deals per sales rep",
        {"group_by": [group(REP)]},
        by(frame, "sales_agent", count),
    )
    add(
        "breakdown",
        "各销售经理名下商机数",
        {"group_by": [group(MANAGER)]},
        by(frame, "manager", count),
    )
    add(
        "breakdown",
        "breakdown of won rev by rep",
        {"filters": [WON], "group_by": [group(REP)], "measures": [SUM]},
        by(won, "sales_agent", won_total),
    )

    # Time buckets.
    add(
        "time_bucket",
        "MG Special的lost单按月统计下",
        {"filters": [equals(PRODUCT, "MG Special"), LOST], "group_by": [CLOSED_MONTH]},
        by(where(lost, "product", "MG Special"), "closed_month", count),
    )
    add(
        "time_bucket",
        "quarterly won rev for Cara Losch's team pls",
        {
            "filters": [equals(MANAGER, "Cara Losch"), WON],
            "group_by": [CLOSED_QUARTER],
            "measures": [SUM],
        },
        by(where(won, "manager", "Cara Losch"), "closed_quarter", won_total),
    )
    # 新建 ("newly created") counts deals by the month they were engaged.
    add(
        "time_bucket",
        "Kami Bicknell每个月新建的商机数",
        {"filters": [equals(REP, "Kami Bicknell")], "group_by": [ENGAGED_MONTH]},
        by(where(frame, "sales_agent", "Kami Bicknell"), "engaged_month", count),
    )
    add(
        "time_bucket",
        "avg win per quarter for the GTX series",
        {"filters": [equals(SERIES, "GTX"), WON], "group_by": [CLOSED_QUARTER], "measures": [AVG]},
        by(where(won, "series", "GTX"), "closed_quarter", won_average),
    )
    add(
        "time_bucket",
        "West区每月成交金额",
        {
            "filters": [equals(REGION, "West"), WON],
            "group_by": [CLOSED_MONTH],
            "measures": [SUM],
        },
        by(where(won, "regional_office", "West"), "closed_month", won_total),
    )
    add(
        "time_bucket",
        "Kary Hendrixson's wins by quarter",
        {"filters": [equals(REP, "Kary Hendrixson"), WON], "group_by": [CLOSED_QUARTER]},
        by(where(won, "sales_agent", "Kary Hendrixson"), "closed_quarter", count),
    )
    add(
        "time_bucket",
        "GTX Basic每个季度丢几单",
        {"filters": [equals(PRODUCT, "GTX Basic"), LOST], "group_by": [CLOSED_QUARTER]},
        by(where(lost, "product", "GTX Basic"), "closed_quarter", count),
    )
    add(
        "time_bucket",
        "monthly count of wins for the finance industry",
        {"filters": [equals(INDUSTRY, "finance"), WON], "group_by": [CLOSED_MONTH]},
        by(where(won, "industry", "finance"), "closed_month", count),
    )
    add(
        "time_bucket",
        "2017年每月赢单金额的中位数",
        {"filters": [closed_in(*YEAR_2017), WON], "group_by": [CLOSED_MONTH], "measures": [MEDIAN]},
        by(dated(won, *YEAR_2017), "closed_month", won_median),
    )
    add(
        "time_bucket",
        "new opps per quarter for Codehow",
        {"filters": [equals(ACCOUNT, "Codehow")], "group_by": [ENGAGED_QUARTER]},
        by(where(frame, "account", "Codehow"), "engaged_quarter", count),
    )

    # Two dimensions, in the order the question names them.
    add(
        "two_dimensions",
        "各经理各stage的opp数",
        {"group_by": [group(MANAGER), group(STAGE)]},
        two_keys(frame, "manager", "stage", count),
    )
    add(
        "two_dimensions",
        "wins by series and manager",
        {"filters": [WON], "group_by": [group(SERIES), group(MANAGER)]},
        two_keys(won, "series", "manager", count),
    )
    add(
        "two_dimensions",
        "按国家和系列看成交额",
        {"filters": [WON], "group_by": [group(COUNTRY), group(SERIES)], "measures": [SUM]},
        two_keys(won, "country", "series", won_total),
    )
    add(
        "two_dimensions",
        "lost deal count by product and mgr",
        {"filters": [LOST], "group_by": [group(PRODUCT), group(MANAGER)]},
        two_keys(lost, "product", "manager", count),
    )
    add(
        "two_dimensions",
        "每个销售每个系列赢了几单",
        {"filters": [WON], "group_by": [group(REP), group(SERIES)]},
        two_keys(won, "sales_agent", "series", count),
    )
    add(
        "two_dimensions",
        "average won amount by industry and product",
        {"filters": [WON], "group_by": [group(INDUSTRY), group(PRODUCT)], "measures": [AVG]},
        two_keys(won, "industry", "product", won_average),
    )
    add(
        "two_dimensions",
        "各季度各经理丢单数",
        {"filters": [LOST], "group_by": [CLOSED_QUARTER, group(MANAGER)]},
        two_keys(lost, "closed_quarter", "manager", count),
    )
    add(
        "two_dimensions",
        "won revenue by region and month",
        {"filters": [WON], "group_by": [group(REGION), CLOSED_MONTH], "measures": [SUM]},
        two_keys(won, "regional_office", "closed_month", won_total),
    )
    add_object(
        "two_dimensions",
        "按国家和行业分别统计客户数",
        {"object": "accounts", "group_by": [group("country"), group("industry")]},
        two_keys(accounts, "office_location", "industry", count),
    )
    add(
        "two_dimensions",
        "open opps by region and product",
        {"filters": OPEN, "group_by": [group(REGION), group(PRODUCT)]},
        two_keys(open_deals, "regional_office", "product", count),
    )

    # Top N.
    this_year_won = during(won, "this_year")
    last_quarter_won = during(won, "last_quarter")
    ranking("top_n", "成交金额前六的客户", [WON], ACCOUNT, "account", 6, won, SUM)
    ranking("top_n", "top 3 products by number of wins", [WON], PRODUCT, "product", 3, won)
    ranking("top_n", "赢单最多的销售是谁", [WON], REP, "sales_agent", 1, won)
    ranking(
        "top_n",
        "which industry has the highest average won deal",
        [WON],
        INDUSTRY,
        "industry",
        1,
        won,
        AVG,
    )
    ranking(
        "top_n",
        "Cara Losch团队签单金额前二的销售",
        [equals(MANAGER, "Cara Losch"), WON],
        REP,
        "sales_agent",
        2,
        where(won, "manager", "Cara Losch"),
        SUM,
    )
    ranking("top_n", "top 4 reps by lost deals", [LOST], REP, "sales_agent", 4, lost)
    ranking(
        "top_n",
        "今年赢单数最多的大区",
        [closed_relative("this_year"), WON],
        REGION,
        "regional_office",
        1,
        this_year_won,
    )
    ranking(
        "top_n",
        "top 5 accounts by won revenue last quarter",
        [closed_relative("last_quarter"), WON],
        ACCOUNT,
        "account",
        5,
        last_quarter_won,
        SUM,
    )
    ranking("top_n", "哪个国家的客户赢单数最多", [WON], COUNTRY, "country", 1, won)
    ranking("top_n", "best manager by average won amount", [WON], MANAGER, "manager", 1, won, AVG)

    # Bottom N. Five reps own no deals, so no question ranks reps from the bottom.
    ranking("bottom_n", "丢单数最少的产品", [LOST], PRODUCT, "product", 1, lost, lowest_first=True)
    ranking(
        "bottom_n",
        "lowest 4 accounts by won revenue",
        [WON],
        ACCOUNT,
        "account",
        4,
        won,
        SUM,
        lowest_first=True,
    )
    ranking(
        "bottom_n", "成交额最少的行业", [WON], INDUSTRY, "industry", 1, won, SUM, lowest_first=True
    )
    ranking(
        "bottom_n",
        "which manager's team has the fewest lost deals",
        [LOST],
        MANAGER,
        "manager",
        1,
        lost,
        lowest_first=True,
    )
    ranking(
        "bottom_n", "丢单最少的大区", [LOST], REGION, "regional_office", 1, lost, lowest_first=True
    )
    ranking(
        "bottom_n",
        "2 industries with the lowest avg won deal",
        [WON],
        INDUSTRY,
        "industry",
        2,
        won,
        AVG,
        lowest_first=True,
    )
    ranking(
        "bottom_n",
        "平均赢单额最低的三个客户",
        [WON],
        ACCOUNT,
        "account",
        3,
        won,
        AVG,
        lowest_first=True,
    )
    ranking(
        "bottom_n",
        "the customer country that brought in the least won revenue",
        [WON],
        COUNTRY,
        "country",
        1,
        won,
        SUM,
        lowest_first=True,
    )
    ranking(
        "bottom_n",
        "上个月成交额最低的行业",
        [closed_relative("last_month"), WON],
        INDUSTRY,
        "industry",
        1,
        during(won, "last_month"),
        SUM,
        lowest_first=True,
    )
    ranking(
        "bottom_n",
        "bottom two series by deal count",
        [],
        SERIES,
        "series",
        2,
        frame,
        lowest_first=True,
    )

    # Amount ranges. As in nl_unseen2.py, Chinese 以上 and 以下 are avoided because
    # whether they include the bound is unclear.
    add(
        "amount_range",
        "金额超过4000的赢单有几笔",
        {"filters": [amount_is("gt", 4000), WON]},
        [[len(amounts(won, lambda v: v > 4000))]],
    )
    add(
        "amount_range",
        "wins under 250 dollars",
        {"filters": [amount_is("lt", 250), WON]},
        [[len(amounts(won, lambda v: v < 250))]],
    )
    add(
        "amount_range",
        "成交额在2500到4500之间的单子数",
        {"filters": [amount_is("between", [2500, 4500]), WON]},
        [[len(amounts(won, lambda v: 2500 <= v <= 4500))]],
    )
    add(
        "amount_range",
        "total won amount from deals over 3,500",
        {"filters": [amount_is("gt", 3500), WON], "measures": [SUM]},
        nonempty_total(amounts(won, lambda v: v > 3500)),
    )
    add(
        "amount_range",
        "小于800的赢单平均金额",
        {"filters": [amount_is("lt", 800), WON], "measures": [AVG]},
        [[won_average(amounts(won, lambda v: v < 800))]],
    )
    add(
        "amount_range",
        "wins of at least 1,000 in the Central region",
        {"filters": [amount_is("gte", 1000), equals(REGION, "Central"), WON]},
        [[len(amounts(where(won, "regional_office", "Central"), lambda v: v >= 1000))]],
    )
    add(
        "amount_range",
        "单笔不低于6000的赢单，按产品分",
        {"filters": [amount_is("gte", 6000), WON], "group_by": [group(PRODUCT)]},
        by(amounts(won, lambda v: v >= 6000), "product", count),
    )
    add(
        "amount_range",
        "won deals at or below 500, how many",
        {"filters": [amount_is("lte", 500), WON]},
        [[len(amounts(won, lambda v: v <= 500))]],
    )
    add(
        "amount_range",
        "East区成交额大于5000的赢单金额合计",
        {"filters": [amount_is("gt", 5000), equals(REGION, "East"), WON], "measures": [SUM]},
        nonempty_total(amounts(where(won, "regional_office", "East"), lambda v: v > 5000)),
    )
    add(
        "amount_range",
        "wins between 500 and 1500 by manager",
        {"filters": [amount_is("between", [500, 1500]), WON], "group_by": [group(MANAGER)]},
        by(amounts(won, lambda v: 500 <= v <= 1500), "manager", count),
    )

    # Explicit dates.
    add(
        "date_range",
        "2017年3月到4月的成交额",
        {"filters": [closed_in("2017-03-01", "2017-04-30"), WON], "measures": [SUM]},
        nonempty_total(dated(won, "2017-03-01", "2017-04-30")),
    )
    add(
        "date_range",
        "wins closed in July 2017",
        {"filters": [closed_in("2017-07-01", "2017-07-31"), WON]},
        [[len(dated(won, "2017-07-01", "2017-07-31"))]],
    )
    add(
        "date_range",
        "2017年5月丢了多少单",
        {"filters": [closed_in("2017-05-01", "2017-05-31"), LOST]},
        [[len(dated(lost, "2017-05-01", "2017-05-31"))]],
    )
    add(
        "date_range",
        "opps engaged in October 2016",
        {"filters": [engaged_in("2016-10-01", "2016-10-31")]},
        [[len(dated(frame, "2016-10-01", "2016-10-31", "engaged"))]],
    )
    add(
        "date_range",
        "2017年10月各产品的赢单数",
        {"filters": [closed_in("2017-10-01", "2017-10-31"), WON], "group_by": [group(PRODUCT)]},
        by(dated(won, "2017-10-01", "2017-10-31"), "product", count),
    )
    add(
        "date_range",
        "won revenue from 1 May to 30 June 2017",
        {"filters": [closed_in("2017-05-01", "2017-06-30"), WON], "measures": [SUM]},
        nonempty_total(dated(won, "2017-05-01", "2017-06-30")),
    )
    # 上半年 is the first half of the year, January to June.
    add(
        "date_range",
        "17年上半年赢单平均金额",
        {"filters": [closed_in("2017-01-01", "2017-06-30"), WON], "measures": [AVG]},
        [[won_average(dated(won, "2017-01-01", "2017-06-30"))]],
    )
    add(
        "date_range",
        "lost deals closed during August 2017 by region",
        {"filters": [closed_in("2017-08-01", "2017-08-31"), LOST], "group_by": [group(REGION)]},
        by(dated(lost, "2017-08-01", "2017-08-31"), "regional_office", count),
    )
    add(
        "date_range",
        "2017年12月有几单输掉",
        {"filters": [closed_in("2017-12-01", "2017-12-31"), LOST]},
        [[len(dated(lost, "2017-12-01", "2017-12-31"))]],
    )
    add(
        "date_range",
        "how many opportunties did we engage in Q2 2017",
        {"filters": [engaged_in("2017-04-01", "2017-06-30")]},
        [[len(dated(frame, "2017-04-01", "2017-06-30", "engaged"))]],
    )

    # Relative periods, counted from as_of. "This month" and "this year" are the whole
    # calendar period, as the report reads them.
    add(
        "relative_period",
        "这个月各大区签了多少钱",
        {
            "filters": [closed_relative("this_month"), WON],
            "group_by": [group(REGION)],
            "measures": [SUM],
        },
        by(during(won, "this_month"), "regional_office", won_total),
    )
    add(
        "relative_period",
        "how many deals did we lose in the past 60 days",
        {"filters": [closed_relative("last_60_days"), LOST]},
        [[len(between(lost, "closed", *last_days(as_of, 60)))]],
    )
    add(
        "relative_period",
        "上周每个产品赢了几单",
        {"filters": [closed_relative("last_week"), WON], "group_by": [group(PRODUCT)]},
        by(during(won, "last_week"), "product", count),
    )
    add(
        "relative_period",
        "won revenue this quarter by region",
        {
            "filters": [closed_relative("this_quarter"), WON],
            "group_by": [group(REGION)],
            "measures": [SUM],
        },
        by(during(won, "this_quarter"), "regional_office", won_total),
    )
    add(
        "relative_period",
        "近30天lost了几单",
        {"filters": [closed_relative("last_30_days"), LOST]},
        [[len(between(lost, "closed", *last_days(as_of, 30)))]],
    )
    add(
        "relative_period",
        "new opportunities engaged in the last 14 days",
        {"filters": [engaged_relative("last_14_days")]},
        [[len(during(frame, "last_14_days", "engaged"))]],
    )
    add(
        "relative_period",
        "本季度各经理新增商机数",
        {"filters": [engaged_relative("this_quarter")], "group_by": [group(MANAGER)]},
        by(during(frame, "this_quarter", "engaged"), "manager", count),
    )
    add(
        "relative_period",
        "avg won deal this month",
        {"filters": [closed_relative("this_month"), WON], "measures": [AVG]},
        [[won_average(during(won, "this_month"))]],
    )
    add(
        "relative_period",
        "过去60天每个经理赢了几单",
        {"filters": [closed_relative("last_60_days"), WON], "group_by": [group(MANAGER)]},
        by(between(won, "closed", *last_days(as_of, 60)), "manager", count),
    )
    add(
        "relative_period",
        "this year's lost deal count per product",
        {"filters": [closed_relative("this_year"), LOST], "group_by": [group(PRODUCT)]},
        by(during(lost, "this_year"), "product", count),
    )

    # Exclusions. Won and lost deals all have an account, so a condition on the
    # account never meets a deal without one. Open deals may lack an account, so no
    # open-deal question excludes an account field.
    retail_technology = ["retail", "technology"]
    two_products = ["GTX Pro", "GTX Plus Pro"]
    add(
        "exclusion",
        "除了GTK系列，其他系列赢了多少钱",
        {"filters": [excluding(SERIES, "GTK"), WON], "measures": [SUM]},
        nonempty_total(won[won["series"] != "GTK"]),
    )
    add(
        "exclusion",
        "wins outside the West",
        {"filters": [excluding(REGION, "West"), WON]},
        [[int((won["regional_office"] != "West").sum())]],
    )
    add(
        "exclusion",
        "不含Darcel Schlecht的赢单平均金额",
        {"filters": [excluding(REP, "Darcel Schlecht"), WON], "measures": [AVG]},
        [[won_average(won[won["sales_agent"] != "Darcel Schlecht"])]],
    )
    add(
        "exclusion",
        "lost deals w/o GTX Basic",
        {"filters": [excluding(PRODUCT, "GTX Basic"), LOST]},
        [[int((lost["product"] != "GTX Basic").sum())]],
    )
    add(
        "exclusion",
        "除去美国客户之外的赢单平均金额",
        {"filters": [excluding(COUNTRY, "United States"), WON], "measures": [AVG]},
        [[won_average(won[won["country"] != "United States"])]],
    )
    add(
        "exclusion",
        "won revenue from all industries except retail and technology",
        {"filters": [excluding(INDUSTRY, retail_technology), WON], "measures": [SUM]},
        nonempty_total(won[~won["industry"].isin(retail_technology)]),
    )
    add(
        "exclusion",
        "Celia Rouche团队以外的城交额",
        {"filters": [excluding(MANAGER, "Celia Rouche"), WON], "measures": [SUM]},
        nonempty_total(won[won["manager"] != "Celia Rouche"]),
    )
    add(
        "exclusion",
        "average won deal excluding Hottechi",
        {"filters": [excluding(ACCOUNT, "Hottechi"), WON], "measures": [AVG]},
        [[won_average(won[won["account"] != "Hottechi"])]],
    )
    add(
        "exclusion",
        "除了GTX Pro和GTX Plus Pro以外的产品赢了几单",
        {"filters": [excluding(PRODUCT, two_products), WON]},
        [[int((~won["product"].isin(two_products)).sum())]],
    )
    add(
        "exclusion",
        "open opps not in the East",
        {"filters": [*OPEN, excluding(REGION, "East")]},
        [[int((open_deals["regional_office"] != "East").sum())]],
    )

    # Several values of one field.
    two_reps = ["Zane Levy", "Kami Bicknell"]
    three_accounts = ["Initech", "Hottechi", "Konex"]
    east_central = ["East", "Central"]
    two_lines = ["MG Advanced", "GTX Plus Pro"]
    finance_telecom = ["finance", "telecommunications"]
    two_managers = ["Cara Losch", "Melvin Marxen"]
    europe = ["Germany", "Italy", "Belgium"]
    three_products = ["GTX Pro", "GTX Plus Pro", "MG Advanced"]
    three_reps = ["Boris Faz", "Reed Clapper", "Donn Cantrell"]
    people_industries = ["employment", "services"]
    add(
        "several_values",
        "Zane Levy和Kami Bicknell加起来赢了几单",
        {"filters": [one_of(REP, two_reps), WON]},
        [[len(within(won, "sales_agent", two_reps))]],
    )
    add(
        "several_values",
        "won revenue for Initech, Hottechi and Konex",
        {"filters": [one_of(ACCOUNT, three_accounts), WON], "measures": [SUM]},
        nonempty_total(within(won, "account", three_accounts)),
    )
    add(
        "several_values",
        "East和Central两个区的成交额各是多少",
        {
            "filters": [one_of(REGION, east_central), WON],
            "group_by": [group(REGION)],
            "measures": [SUM],
        },
        by(within(won, "regional_office", east_central), "regional_office", won_total),
    )
    add(
        "several_values",
        "lost deals for MG Advanced or GTX Plus Pro",
        {"filters": [one_of(PRODUCT, two_lines), LOST]},
        [[len(within(lost, "product", two_lines))]],
    )
    add(
        "several_values",
        "金融和电信行业的平均赢单额",
        {"filters": [one_of(INDUSTRY, finance_telecom), WON], "measures": [AVG]},
        [[won_average(within(won, "industry", finance_telecom))]],
    )
    add(
        "several_values",
        "how many wins did Cara Losch and Melvin Marxen's teams get",
        {"filters": [one_of(MANAGER, two_managers), WON]},
        [[len(within(won, "manager", two_managers))]],
    )
    add(
        "several_values",
        "Germany、Italy和Belgium客户的赢单金额合计",
        {"filters": [one_of(COUNTRY, europe), WON], "measures": [SUM]},
        nonempty_total(within(won, "country", europe)),
    )
    add(
        "several_values",
        "wins for GTX Pro, GTX Plus Pro and MG Advanced, by product",
        {"filters": [one_of(PRODUCT, three_products), WON], "group_by": [group(PRODUCT)]},
        by(within(won, "product", three_products), "product", count),
    )
    add(
        "several_values",
        "Boris Faz、Reed Clapper、Donn Cantrell三个人的成交总额",
        {"filters": [one_of(REP, three_reps), WON], "measures": [SUM]},
        nonempty_total(within(won, "sales_agent", three_reps)),
    )
    add(
        "several_values",
        "employment and services accounts: how many deals in total",
        {"filters": [one_of(INDUSTRY, people_industries)]},
        [[len(within(frame, "industry", people_industries))]],
    )

    # Win rates: the won share of deals with a close date, as in nl_unseen2.py.
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

    def best_win_rate(question: str, field: str, column: str, lowest_first: bool) -> None:
        add(
            "win_rate",
            question,
            {
                "filters": [CLOSED],
                "group_by": [group(field)],
                "measures": [WIN_SHARE],
                "sort": ascending(WIN_RATE_COLUMN) if lowest_first else descending(WIN_RATE_COLUMN),
                "limit": 1,
            },
            ranked(by(closed, column, win_share), 1, lowest_first=lowest_first),
            ordered=True,
        )

    win_rate("整体win rate多少", [], closed)
    win_rate(
        "win rate for Kary Hendrixson",
        [equals(REP, "Kary Hendrixson")],
        where(closed, "sales_agent", "Kary Hendrixson"),
    )
    win_rate(
        "美国客户的胜率",
        [equals(COUNTRY, "United States")],
        where(closed, "country", "United States"),
    )
    win_rate_by("win rate broken down by account", ACCOUNT, "account")
    win_rate_by("各国家客户赢率", COUNTRY, "country")
    best_win_rate("whose team has the best win rate", MANAGER, "manager", lowest_first=False)
    win_rate("GTX Pro的赢单率", [equals(PRODUCT, "GTX Pro")], where(closed, "product", "GTX Pro"))
    win_rate(
        "Dustin Brinkmann team win rate",
        [equals(MANAGER, "Dustin Brinkmann")],
        where(closed, "manager", "Dustin Brinkmann"),
    )
    best_win_rate("胜率最低的产品", PRODUCT, "product", lowest_first=True)
    win_rate(
        "win rate for the entertainment sector",
        [equals(INDUSTRY, "entertainment")],
        where(closed, "industry", "entertainment"),
    )

    # Accounts as the base object, and account fields on deals.
    def accounts_query(**parts: Any) -> dict[str, Any]:
        return {"object": "accounts", **parts}

    finance_accounts = accounts[accounts["industry"] == "finance"]
    add_object("accounts", "客户总共几家", accounts_query(), [[len(accounts)]])
    add_object(
        "accounts",
        "how many accouts are in the employment industry",
        accounts_query(filters=[equals("industry", "employment")]),
        [[int((accounts["industry"] == "employment").sum())]],
    )
    add_object(
        "accounts",
        "成立于1985年之前的客户数量",
        accounts_query(filters=[{"field": "founded_year", "op": "lt", "value": 1985}]),
        [[int((accounts["founded"] < 1985).sum())]],
    )
    add_object(
        "accounts",
        "accounts with more than 8,000 employees",
        accounts_query(filters=[{"field": "employee_count", "op": "gt", "value": 8000}]),
        [[int((accounts["employees"] > 8000).sum())]],
    )
    add_object(
        "accounts",
        "各行业分别有几家客户",
        accounts_query(group_by=[group("industry")]),
        by(accounts, "industry", count),
    )
    add_object(
        "accounts",
        "total annual revenu of services accounts",
        accounts_query(
            filters=[equals("industry", "services")],
            measures=[{"aggregate": "sum", "field": "annual_revenue"}],
        ),
        [[cents(sum(accounts[accounts["industry"] == "services"]["annual_revenue"]))]],
    )
    add_object(
        "accounts",
        "美国以外的客户有几家",
        accounts_query(filters=[excluding("country", "United States")]),
        [[int((accounts["office_location"] != "United States").sum())]],
    )
    add_object(
        "accounts",
        "average employee count for finance accounts",
        accounts_query(
            filters=[equals("industry", "finance")],
            measures=[{"aggregate": "avg", "field": "employee_count"}],
        ),
        [[cents(Decimal(int(finance_accounts["employees"].sum())) / len(finance_accounts))]],
    )
    # The data gives revenue in millions of dollars, and 2亿 is 200 million.
    add_object(
        "accounts",
        "年营收低于2亿美元的客户数",
        accounts_query(filters=[{"field": "annual_revenue", "op": "lt", "value": 200_000_000}]),
        [[int((accounts["annual_revenue"] < 200_000_000).sum())]],
    )
    add(
        "accounts",
        "won revenue from accounts founded after 2005",
        {
            "filters": [{"field": "account.founded_year", "op": "gt", "value": 2005}, WON],
            "measures": [SUM],
        },
        nonempty_total(won[won["founded"] > 2005]),
    )

    # Products as the base object.
    def products_query(**parts: Any) -> dict[str, Any]:
        return {"object": "products", **parts}

    def list_price(aggregate: str) -> dict[str, Any]:
        return {"aggregate": aggregate, "field": "list_price"}

    def in_series(name: str) -> pd.DataFrame:
        return products[products["series"] == name]

    add_object("products", "我们卖的产品一共几款", products_query(), [[len(products)]])
    add_object(
        "products",
        "cheapest MG product's list price",
        products_query(filters=[equals("series", "MG")], measures=[list_price("min")]),
        [[cents(min(in_series("MG")["list_price"]))]],
    )
    add_object(
        "products",
        "GTX系列产品的平均标价",
        products_query(filters=[equals("series", "GTX")], measures=[list_price("avg")]),
        [[average(in_series("GTX")["list_price"])]],
    )
    add_object(
        "products",
        "how many products cost less than 3,000",
        products_query(filters=[{"field": "list_price", "op": "lt", "value": 3000}]),
        [[int((products["list_price"] < 3000).sum())]],
    )
    add_object(
        "products",
        "各系列产品的最低标价",
        products_query(group_by=[group("series")], measures=[list_price("min")]),
        by(products, "series", lambda part: cents(min(part["list_price"]))),
    )
    add_object(
        "products",
        "sum of list prices in the MG series",
        products_query(filters=[equals("series", "MG")], measures=[list_price("sum")]),
        [[cents(sum(in_series("MG")["list_price"]))]],
    )
    add_object(
        "products",
        "标价在500到5000之间的产品有几个",
        products_query(filters=[{"field": "list_price", "op": "between", "value": [500, 5000]}]),
        [[int(products["list_price"].map(lambda v: 500 <= v <= 5000).sum())]],
    )
    add_object(
        "products",
        "list price median for MG products",
        products_query(filters=[equals("series", "MG")], measures=[list_price("median")]),
        [[median(in_series("MG")["list_price"])]],
    )
    add_object(
        "products",
        "GTK系列有几款产品",
        products_query(filters=[equals("series", "GTK")]),
        [[len(in_series("GTK"))]],
    )
    add_object(
        "products",
        "sum of list prices per series",
        products_query(group_by=[group("series")], measures=[list_price("sum")]),
        by(products, "series", lambda part: cents(sum(part["list_price"]))),
    )

    # Open pipeline: deals neither won nor lost. They carry no amount, so only
    # counts are asked.
    def open_count(field: str, column: str, value: str, question: str) -> None:
        add(
            "open_pipeline",
            question,
            {"filters": [*OPEN, equals(field, value)]},
            [[len(where(open_deals, column, value))]],
        )

    def open_by(field: str, column: str, question: str) -> None:
        add(
            "open_pipeline",
            question,
            {"filters": OPEN, "group_by": [group(field)]},
            by(open_deals, column, count),
        )

    # 手上 ("in hand") and 在跟 ("being followed up") mean the deal is open.
    open_count(REP, "sales_agent", "Kary Hendrixson", "Kary Hendrixson手上还有几个没关的单")
    open_count(PRODUCT, "product", "GTX Basic", "open opps for GTX Basic")
    open_by(COUNTRY, "country", "各国家客户未关闭商机数")
    open_count(
        MANAGER,
        "manager",
        "Dustin Brinkmann",
        "how many open deals does Dustin Brinkmann's team have",
    )
    open_count(ACCOUNT, "account", "Rangreen", "Rangreen还有几个在跟的商机")
    open_by(ACCOUNT, "account", "open pipeline by account")
    ranking("open_pipeline", "哪个产品的未结商机最多", OPEN, PRODUCT, "product", 1, open_deals)
    add(
        "open_pipeline",
        "open opp count by product for the West",
        {"filters": [*OPEN, equals(REGION, "West")], "group_by": [group(PRODUCT)]},
        by(where(open_deals, "regional_office", "West"), "product", count),
    )
    open_count(INDUSTRY, "industry", "technology", "科技行业还open着的商机有几个")
    melvin_open = where(open_deals, "manager", "Melvin Marxen")
    add(
        "open_pipeline",
        "open deals per rep on Melvin Marxen's team",
        {"filters": [*OPEN, equals(MANAGER, "Melvin Marxen")], "group_by": [group(REP)]},
        by(melvin_open, "sales_agent", count),
    )

    # Several conditions at once.
    add(
        "combined",
        "今年Central区MG Advanced成交额",
        {
            "filters": [
                closed_relative("this_year"),
                equals(PRODUCT, "MG Advanced"),
                equals(REGION, "Central"),
                WON,
            ],
            "measures": [SUM],
        },
        nonempty_total(
            where(where(this_year_won, "regional_office", "Central"), "product", "MG Advanced")
        ),
    )
    zane_2017 = dated(where(won, "sales_agent", "Zane Levy"), *YEAR_2017)
    add(
        "combined",
        "Zane Levy's wins over 2k in 2017",
        {
            "filters": [
                amount_is("gt", 2000),
                closed_in(*YEAR_2017),
                equals(REP, "Zane Levy"),
                WON,
            ]
        },
        [[len(amounts(zane_2017, lambda v: v > 2000))]],
    )
    add(
        "combined",
        "上季度East区每个产品赢了几单",
        {
            "filters": [closed_relative("last_quarter"), equals(REGION, "East"), WON],
            "group_by": [group(PRODUCT)],
        },
        by(where(last_quarter_won, "regional_office", "East"), "product", count),
    )
    add(
        "combined",
        "average GTX Pro win for finance accounts",
        {
            "filters": [equals(INDUSTRY, "finance"), equals(PRODUCT, "GTX Pro"), WON],
            "measures": [AVG],
        },
        [[won_average(where(where(won, "industry", "finance"), "product", "GTX Pro"))]],
    )
    add(
        "combined",
        "Summer Sewald团队2017年第二季度丢了几单",
        {
            "filters": [
                closed_in("2017-04-01", "2017-06-30"),
                equals(MANAGER, "Summer Sewald"),
                LOST,
            ]
        },
        [[len(dated(where(lost, "manager", "Summer Sewald"), "2017-04-01", "2017-06-30"))]],
    )
    west_retail = where(where(won, "regional_office", "West"), "industry", "retail")
    add(
        "combined",
        "won revenue from retail accounts in the West this quarter",
        {
            "filters": [
                closed_relative("this_quarter"),
                equals(INDUSTRY, "retail"),
                equals(REGION, "West"),
                WON,
            ],
            "measures": [SUM],
        },
        nonempty_total(during(west_retail, "this_quarter")),
    )
    finance_this_year = where(this_year_won, "industry", "finance")
    add(
        "combined",
        "金融行业客户今年赢单金额超过3000的有几单",
        {
            "filters": [
                amount_is("gt", 3000),
                closed_relative("this_year"),
                equals(INDUSTRY, "finance"),
                WON,
            ]
        },
        [[len(amounts(finance_this_year, lambda v: v > 3000))]],
    )
    versie_last_quarter = where(last_quarter_won, "sales_agent", "Versie Hillebrand")
    add(
        "combined",
        "Versie Hillebrand's won revenue by product last quarter",
        {
            "filters": [closed_relative("last_quarter"), equals(REP, "Versie Hillebrand"), WON],
            "group_by": [group(PRODUCT)],
            "measures": [SUM],
        },
        by(versie_last_quarter, "product", won_total),
    )
    west_software = where(where(closed, "regional_office", "West"), "industry", "software")
    add(
        "combined",
        "West区软件行业的赢率",
        {
            "filters": [CLOSED, equals(INDUSTRY, "software"), equals(REGION, "West")],
            "measures": [WIN_SHARE],
        },
        [[win_share(west_software)]],
    )
    central_medical = where(where(won, "regional_office", "Central"), "industry", "medical")
    add(
        "combined",
        "monthly wins in 2017 for medical accounts in Central",
        {
            "filters": [
                closed_in(*YEAR_2017),
                equals(INDUSTRY, "medical"),
                equals(REGION, "Central"),
                WON,
            ],
            "group_by": [CLOSED_MONTH],
        },
        by(dated(central_medical, *YEAR_2017), "closed_month", count),
    )
    return cases
