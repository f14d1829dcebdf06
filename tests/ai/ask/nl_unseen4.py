"""A fourth unseen question set over the MavenTech pipeline, written without reading the grammar.

The first three unseen sets have been measured and reported, so their figures no
longer show how the offline grammar reads wordings it was never tuned to. This set
was written to take their place and measured once for that purpose. Its failures
have since guided the grammar, so it is now a development set like ``nl_dev.py``.

The questions cover the families of ``nl_unseen2.py`` in new wordings, typed the
way sales managers and reps at Chinese companies write them. They use openers
such as 帮我瞅瞅, 查一下, 领导要一份 and 统计一下, colloquial words (黄了, 在跟,
开单, 倒数第一, 上礼拜, 手上) and abbreviations (opps, rev, avg, mgr, qtr, yr,
telecom, 1w, 10k, Sept, SKU). Some use English contractions or start with the
filter, the measure or the dimension. A few carry typos of the kind an input
method or a hurried thumb makes (opportunites, avrage, revnue, 赢单律, 商鸡). No
question repeats one of the other sets, and a test checks that. Questions that
came close to an earlier one were reworded.

Expected rows are computed with pandas from the CSV files, independently of the
importer and the report engine. Expected queries take the forms of
``nl_unseen2.py``: won and lost deals by ``stage.key``, open deals as neither won
nor lost, revenue and bookings as the sum of won amounts, a win rate as the
``share`` measure named ``win_rate`` over deals with a close date, new deals by
their engage date, distinct counts on the foreign key, and top or bottom N as a
sort on the measure with a limit. Where two typed queries would be equally
correct, a comment says which one the set expects.
"""

from __future__ import annotations

import statistics
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from nl_frames import CaseList, pipeline_frames
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
    number_average,
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


def build_unseen4_cases(folder: Path, as_of: date) -> list[Case]:
    data = pipeline_frames(folder, as_of)
    accounts = data.accounts
    frame = data.frame
    products = data.products
    won = data.won
    lost = data.lost
    open_deals = data.open_deals
    closed = data.closed
    ranges = data.ranges
    closed_during = data.closed_during
    closed_from = data.closed_from
    where = data.where
    within = data.within

    questions = CaseList()
    cases = questions.cases
    add, add_object, top = questions.add, questions.add_object, questions.top

    # Counts of deals, plain or by stage.
    add("stage_count", "CRM里一共录了多少个opp，不管什么阶段", {}, [[len(frame)]])
    add("stage_count", "whats the grand total of opportunities in the crm", {}, [[len(frame)]])
    # 黄了 ("fell through") is how reps say a deal was lost.
    add("stage_count", "到现在一共黄了多少单", {"filters": [LOST]}, [[len(lost)]])
    add("stage_count", "lost opp count pls", {"filters": [LOST]}, [[len(lost)]])
    add("stage_count", "截至目前赢下来的单子数", {"filters": [WON]}, [[len(won)]])
    add("stage_count", "how many deals have closed as won?", {"filters": [WON]}, [[len(won)]])
    add(
        "stage_count",
        "处在engaging阶段的商鸡有几条",
        {"filters": [equals(STAGE, "engaging")]},
        [[len(where(frame, "stage", "engaging"))]],
    )
    add(
        "stage_count",
        "number of opportunites still at the prospecting stage",
        {"filters": [equals(STAGE, "prospecting")]},
        [[len(where(frame, "stage", "prospecting"))]],
    )
    add("stage_count", "还开着没关掉的商机有几个", {"filters": OPEN}, [[len(open_deals)]])
    add(
        "stage_count",
        "how many opportunities are still undecided?",
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

    won_sum("manager", "Dustin Brinkmann", MANAGER, "Dustin Brinkmann团队累计赢单金额是多少")
    won_sum(
        "account", "Acme Corporation", ACCOUNT, "how much won business came from Acme Corporation?"
    )
    won_sum("product", "GTX Plus Pro", PRODUCT, "GTX Plus Pro总共签了多少钱")
    won_sum("series", "MG", SERIES, "total won $ on the MG series")
    won_sum("industry", "technology", INDUSTRY, "科技行业的客户一共给我们带来多少成交额")
    won_sum("sales_agent", "Vicki Laflamme", REP, "Vicki Laflamme's closed-won total in $?")
    won_sum("regional_office", "East", REGION, "East大区成交总金额多少")
    won_sum("industry", "telecommunications", INDUSTRY, "telecom customers - total won amount?")
    won_sum("industry", "marketing", INDUSTRY, "营销行业客户的赢单金额加起来多少")
    won_sum("account", "Sonron", ACCOUNT, "how much have we won from Sonron so far")

    # Averages.
    add(
        "average",
        "平均一张赢单多少钱来着",
        {"filters": [WON], "measures": [AVG]},
        [[won_average(won)]],
    )
    add(
        "average",
        "on average, how big is a won deal?",
        {"filters": [WON], "measures": [AVG]},
        [[won_average(won)]],
    )
    add(
        "average",
        "查一下Central区的平均成交额",
        {"filters": [equals(REGION, "Central"), WON], "measures": [AVG]},
        [[won_average(where(won, "regional_office", "Central"))]],
    )
    add(
        "average",
        "avrage won deal size for Kary Hendrixson",
        {"filters": [equals(REP, "Kary Hendrixson"), WON], "measures": [AVG]},
        [[won_average(where(won, "sales_agent", "Kary Hendrixson"))]],
    )
    add(
        "average",
        "平均下来GTX Basic一单赢多少钱",
        {"filters": [equals(PRODUCT, "GTX Basic"), WON], "measures": [AVG]},
        [[won_average(where(won, "product", "GTX Basic"))]],
    )
    add(
        "average",
        "average closed-won value for finance customers",
        {"filters": [equals(INDUSTRY, "finance"), WON], "measures": [AVG]},
        [[won_average(where(won, "industry", "finance"))]],
    )
    add_object(
        "average",
        "客户平均有多少员工",
        {"object": "accounts", "measures": [{"aggregate": "avg", "field": "employee_count"}]},
        [[number_average(accounts["employees"])]],
    )
    add(
        "average",
        "avg won amount this quarter",
        {"filters": [closed_relative("this_quarter"), WON], "measures": [AVG]},
        [[won_average(closed_during(won, "this_quarter"))]],
    )
    add(
        "average",
        "每个大区的平均赢单金额",
        {"filters": [WON], "group_by": [group(REGION)], "measures": [AVG]},
        by(won, "regional_office", won_average),
    )
    add(
        "average",
        "avg won deal per industry",
        {"filters": [WON], "group_by": [group(INDUSTRY)], "measures": [AVG]},
        by(won, "industry", won_average),
    )

    # Medians.
    add(
        "median",
        "麻烦算一下赢单中位数",
        {"filters": [WON], "measures": [MEDIAN]},
        [[won_median(won)]],
    )
    add(
        "median",
        "what's the median East-region win worth?",
        {"filters": [equals(REGION, "East"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "regional_office", "East"))]],
    )
    add(
        "median",
        "Summer Sewald团队赢单的中位金额",
        {"filters": [equals(MANAGER, "Summer Sewald"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "manager", "Summer Sewald"))]],
    )
    add(
        "median",
        "median deal value per product, won only",
        {"filters": [WON], "group_by": [group(PRODUCT)], "measures": [MEDIAN]},
        by(won, "product", won_median),
    )
    add(
        "median",
        "各行业成交额的中位数",
        {"filters": [WON], "group_by": [group(INDUSTRY)], "measures": [MEDIAN]},
        by(won, "industry", won_median),
    )
    add_object(
        "median",
        "median employee count of our accounts",
        {"object": "accounts", "measures": [{"aggregate": "median", "field": "employee_count"}]},
        [[cents(statistics.median(accounts["employees"]))]],
    )
    add(
        "median",
        "MG Advanced赢单金额中位数",
        {"filters": [equals(PRODUCT, "MG Advanced"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "product", "MG Advanced"))]],
    )
    add(
        "median",
        "median won deal so far this year",
        {"filters": [closed_relative("this_year"), WON], "measures": [MEDIAN]},
        [[won_median(closed_during(won, "this_year"))]],
    )
    retail_accounts = accounts[accounts["industry"] == "retail"]
    add_object(
        "median",
        "零售客户年收入的中位数",
        {
            "object": "accounts",
            "filters": [equals("industry", "retail")],
            "measures": [{"aggregate": "median", "field": "annual_revenue"}],
        },
        [[median(retail_accounts["annual_revenue"])]],
    )
    add(
        "median",
        "median closed-won amount for each mgr",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [MEDIAN]},
        by(won, "manager", won_median),
    )

    # Largest and smallest values.
    add(
        "min_max",
        "有史以来最小的一笔赢单多少钱",
        {"filters": [WON], "measures": [MIN]},
        [[smallest(won["amount"])]],
    )
    add(
        "min_max",
        "what's our largest single win?",
        {"filters": [WON], "measures": [MAX]},
        [[largest(won["amount"])]],
    )
    add(
        "min_max",
        "East那边最大的一单赢了多少",
        {"filters": [equals(REGION, "East"), WON], "measures": [MAX]},
        [[largest(where(won, "regional_office", "East")["amount"])]],
    )
    add(
        "min_max",
        "min won amount per series",
        {"filters": [WON], "group_by": [group(SERIES)], "measures": [MIN]},
        by(won, "series", lambda part: smallest(part["amount"])),
    )
    add(
        "min_max",
        "每个经理团队最大的一笔成交",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [MAX]},
        by(won, "manager", lambda part: largest(part["amount"])),
    )
    add(
        "min_max",
        "largest won deal for MG Special",
        {"filters": [equals(PRODUCT, "MG Special"), WON], "measures": [MAX]},
        [[largest(where(won, "product", "MG Special")["amount"])]],
    )
    add_object(
        "min_max",
        "员工最少的客户有几个人",
        {"object": "accounts", "measures": [{"aggregate": "min", "field": "employee_count"}]},
        [[int(accounts["employees"].min())]],
    )
    add_object(
        "min_max",
        "oldest account's founding year?",
        {"object": "accounts", "measures": [{"aggregate": "min", "field": "founded_year"}]},
        [[int(accounts["founded"].min())]],
    )
    add(
        "min_max",
        "本季度金额最大的一单赢单",
        {"filters": [closed_relative("this_quarter"), WON], "measures": [MAX]},
        [[largest(closed_during(won, "this_quarter")["amount"])]],
    )
    add(
        "min_max",
        "Central's tiniest win, in $?",
        {"filters": [equals(REGION, "Central"), WON], "measures": [MIN]},
        [[smallest(where(won, "regional_office", "Central")["amount"])]],
    )

    # Distinct counts, on the foreign key as in nl_unseen2.py.
    add(
        "distinct",
        "有多少家客户我们丢过单",
        {"filters": [LOST], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(lost)]],
    )
    add(
        "distinct",
        "how many reps have at least one win?",
        {"filters": [WON], "measures": [OWNERS_COUNTED]},
        [[distinct("sales_agent")(won)]],
    )
    add(
        "distinct",
        "Central区成交过的客户数（去重）",
        {"filters": [equals(REGION, "Central"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(where(won, "regional_office", "Central"))]],
    )
    # "Bought" reads as a won deal: a lost or open deal is no purchase.
    add(
        "distinct",
        "how many different products has Codehow bought?",
        {"filters": [equals(ACCOUNT, "Codehow"), WON], "measures": [PRODUCTS_COUNTED]},
        [[distinct("product")(where(won, "account", "Codehow"))]],
    )
    add(
        "distinct",
        "每个产品有多少家客户买过",
        {"filters": [WON], "group_by": [group(PRODUCT)], "measures": [ACCOUNTS_COUNTED]},
        by(won, "product", distinct("account")),
    )
    add(
        "distinct",
        "distinct won accounts per region",
        {"filters": [WON], "group_by": [group(REGION)], "measures": [ACCOUNTS_COUNTED]},
        by(won, "regional_office", distinct("account")),
    )
    add(
        "distinct",
        "上季度有几个销售开过单",
        {"filters": [closed_relative("last_quarter"), WON], "measures": [OWNERS_COUNTED]},
        [[distinct("sales_agent")(closed_during(won, "last_quarter"))]],
    )
    add(
        "distinct",
        "Cara Losch's team: how many reps have lost a deal?",
        {"filters": [equals(MANAGER, "Cara Losch"), LOST], "measures": [OWNERS_COUNTED]},
        [[distinct("sales_agent")(where(lost, "manager", "Cara Losch"))]],
    )
    add(
        "distinct",
        "GTK 500卖给过几家客户",
        {"filters": [equals(PRODUCT, "GTK 500"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(where(won, "product", "GTK 500"))]],
    )
    add(
        "distinct",
        "unique customers we won business from in 2017",
        {"filters": [closed_in("2017-01-01", "2017-12-31"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(closed_from(won, date(2017, 1, 1), date(2017, 12, 31)))]],
    )

    # Breakdowns by one dimension.
    add(
        "breakdown",
        "各大区的商机分别有几个",
        {"group_by": [group(REGION)]},
        by(frame, "regional_office", count),
    )
    add(
        "breakdown",
        "opps by mgr",
        {"group_by": [group(MANAGER)]},
        by(frame, "manager", count),
    )
    add(
        "breakdown",
        "每个产品系列分别有多少商机",
        {"group_by": [group(SERIES)]},
        by(frame, "series", count),
    )
    add(
        "breakdown",
        "won deals split by product",
        {"filters": [WON], "group_by": [group(PRODUCT)]},
        by(won, "product", count),
    )
    add(
        "breakdown",
        "领导要一份分行业的成交金额",
        {"filters": [WON], "group_by": [group(INDUSTRY)], "measures": [SUM]},
        by(won, "industry", won_total),
    )
    add(
        "breakdown",
        "lost opps for each rep",
        {"filters": [LOST], "group_by": [group(REP)]},
        by(lost, "sales_agent", count),
    )
    add(
        "breakdown",
        "每家客户的成交总额",
        {"filters": [WON], "group_by": [group(ACCOUNT)], "measures": [SUM]},
        by(won, "account", won_total),
    )
    # Deals without an account form their own group, as the report returns it.
    add(
        "breakdown",
        "deal count per account country",
        {"group_by": [group(COUNTRY)]},
        by(frame, "country", count),
    )
    add(
        "breakdown",
        "按销售经理分组看赢单数",
        {"filters": [WON], "group_by": [group(MANAGER)]},
        by(won, "manager", count),
    )
    add(
        "breakdown",
        "how's the won revenue split across managers?",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [SUM]},
        by(won, "manager", won_total),
    )

    # Time buckets. A named year such as 2017 is expected as a ``between`` filter on its
    # dates, as in nl_unseen2.py, although ``this_year`` selects the same deals.
    add(
        "time_bucket",
        "每个月的丢单数",
        {"filters": [LOST], "group_by": [CLOSED_MONTH]},
        by(lost, "closed_month", count),
    )
    add(
        "time_bucket",
        "how many wins each quarter?",
        {"filters": [WON], "group_by": [CLOSED_QUARTER]},
        by(won, "closed_quarter", count),
    )
    add(
        "time_bucket",
        "统计一下每季度的成交额",
        {"filters": [WON], "group_by": [CLOSED_QUARTER], "measures": [SUM]},
        by(won, "closed_quarter", won_total),
    )
    add(
        "time_bucket",
        "monthly count of newly engaged opps",
        {"group_by": [ENGAGED_MONTH]},
        by(frame, "engaged_month", count),
    )
    add(
        "time_bucket",
        "Central区按月的赢单数",
        {"filters": [equals(REGION, "Central"), WON], "group_by": [CLOSED_MONTH]},
        by(where(won, "regional_office", "Central"), "closed_month", count),
    )
    add(
        "time_bucket",
        "GTX Pro quarterly won rev",
        {
            "filters": [equals(PRODUCT, "GTX Pro"), WON],
            "group_by": [CLOSED_QUARTER],
            "measures": [SUM],
        },
        by(where(won, "product", "GTX Pro"), "closed_quarter", won_total),
    )
    add(
        "time_bucket",
        "2017年按月看赢单的平均金额",
        {
            "filters": [closed_in("2017-01-01", "2017-12-31"), WON],
            "group_by": [CLOSED_MONTH],
            "measures": [AVG],
        },
        by(closed_from(won, date(2017, 1, 1), date(2017, 12, 31)), "closed_month", won_average),
    )
    add(
        "time_bucket",
        "new opps per quarter in 2017",
        {"filters": [engaged_in("2017-01-01", "2017-12-31")], "group_by": [ENGAGED_QUARTER]},
        by(
            between(frame, "engaged", date(2017, 1, 1), date(2017, 12, 31)),
            "engaged_quarter",
            count,
        ),
    )
    add(
        "time_bucket",
        "Darcel Schlecht每个月签多少钱",
        {
            "filters": [equals(REP, "Darcel Schlecht"), WON],
            "group_by": [CLOSED_MONTH],
            "measures": [SUM],
        },
        by(where(won, "sales_agent", "Darcel Schlecht"), "closed_month", won_total),
    )
    add(
        "time_bucket",
        "lost deals by quarter for the West",
        {"filters": [equals(REGION, "West"), LOST], "group_by": [CLOSED_QUARTER]},
        by(where(lost, "regional_office", "West"), "closed_quarter", count),
    )

    # Two dimensions, in the order the question names them.
    add(
        "two_dimensions",
        "各大区各行业的成交额",
        {"filters": [WON], "group_by": [group(REGION), group(INDUSTRY)], "measures": [SUM]},
        two_keys(won, "regional_office", "industry", won_total),
    )
    add(
        "two_dimensions",
        "wins by manager and product",
        {"filters": [WON], "group_by": [group(MANAGER), group(PRODUCT)]},
        two_keys(won, "manager", "product", count),
    )
    add(
        "two_dimensions",
        "按季度和产品系列统计赢单数",
        {"filters": [WON], "group_by": [CLOSED_QUARTER, group(SERIES)]},
        two_keys(won, "closed_quarter", "series", count),
    )
    add(
        "two_dimensions",
        "lost count by region and series",
        {"filters": [LOST], "group_by": [group(REGION), group(SERIES)]},
        two_keys(lost, "regional_office", "series", count),
    )
    add(
        "two_dimensions",
        "每个销售每个季度的成交额",
        {"filters": [WON], "group_by": [group(REP), CLOSED_QUARTER], "measures": [SUM]},
        two_keys(won, "sales_agent", "closed_quarter", won_total),
    )
    add(
        "two_dimensions",
        "avg won amount by product and region",
        {"filters": [WON], "group_by": [group(PRODUCT), group(REGION)], "measures": [AVG]},
        two_keys(won, "product", "regional_office", won_average),
    )
    add(
        "two_dimensions",
        "按行业和国家看赢单数",
        {"filters": [WON], "group_by": [group(INDUSTRY), group(COUNTRY)]},
        two_keys(won, "industry", "country", count),
    )
    add(
        "two_dimensions",
        "open pipeline split by region, then stage",
        {"filters": OPEN, "group_by": [group(REGION), group(STAGE)]},
        two_keys(open_deals, "regional_office", "stage", count),
    )
    add(
        "two_dimensions",
        "每月各产品线成交额",
        {"filters": [WON], "group_by": [CLOSED_MONTH, group(SERIES)], "measures": [SUM]},
        two_keys(won, "closed_month", "series", won_total),
    )
    add(
        "two_dimensions",
        "open opps for each rep and stage",
        {"filters": OPEN, "group_by": [group(REP), group(STAGE)]},
        two_keys(open_deals, "sales_agent", "stage", count),
    )

    # Top N.
    by_rep = (REP, "sales_agent")
    by_account = (ACCOUNT, "account")
    by_manager = (MANAGER, "manager")
    by_product = (PRODUCT, "product")
    by_industry = (INDUSTRY, "industry")
    by_region = (REGION, "regional_office")
    by_series = (SERIES, "series")
    summed = (SUM, won_total)
    averaged = (AVG, won_average)
    this_year_won = closed_during(won, "this_year")
    last_quarter_won = closed_during(won, "last_quarter")

    top("top_n", "成交额最高的五个客户", [WON], by_account, 5, summed, won)
    top("top_n", "top 3 reps by number of wins", [WON], by_rep, 3, None, won)
    top("top_n", "哪个大区赢单金额最多", [WON], by_region, 1, summed, won)
    top(
        "top_n",
        "best product by won revenue this year",
        [closed_relative("this_year"), WON],
        by_product,
        1,
        summed,
        this_year_won,
    )
    top("top_n", "赢单最多的两个行业", [WON], by_industry, 2, None, won)
    top(
        "top_n",
        "who's the top seller in Central by won $?",
        [equals(REGION, "Central"), WON],
        by_rep,
        1,
        summed,
        where(won, "regional_office", "Central"),
    )
    top("top_n", "哪款产品平均每单赢的钱最多", [WON], by_product, 1, averaged, won)
    top("top_n", "top 4 accounts by lost deals", [LOST], by_account, 4, None, lost)
    top(
        "top_n",
        "Rocco Neubert团队里签单金额前三的销售",
        [equals(MANAGER, "Rocco Neubert"), WON],
        by_rep,
        3,
        summed,
        where(won, "manager", "Rocco Neubert"),
    )
    top("top_n", "top 2 product series by won revenue", [WON], by_series, 2, summed, won)

    # Bottom N.
    top("bottom_n", "赢单数最少的两个产品", [WON], by_product, 2, None, won, lowest_first=True)
    top(
        "bottom_n",
        "who brought in the least won revenue?",
        [WON],
        by_rep,
        1,
        summed,
        won,
        lowest_first=True,
    )
    top("bottom_n", "成交额最低的大区是哪个", [WON], by_region, 1, summed, won, lowest_first=True)
    top(
        "bottom_n",
        "3 accounts with the lowest won revnue",
        [WON],
        by_account,
        3,
        summed,
        won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "平均赢单金额最低的经理团队",
        [WON],
        by_manager,
        1,
        averaged,
        won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "which product series has the fewest wins?",
        [WON],
        by_series,
        1,
        None,
        won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "West区签单数最少的三个销售",
        [equals(REGION, "West"), WON],
        by_rep,
        3,
        None,
        where(won, "regional_office", "West"),
        lowest_first=True,
    )
    top(
        "bottom_n",
        "this year's weakest industry by won amount",
        [closed_relative("this_year"), WON],
        by_industry,
        1,
        summed,
        this_year_won,
        lowest_first=True,
    )
    # 倒数第一 ("last place") is the bottom one.
    top(
        "bottom_n",
        "上季度成交额倒数第一的销售",
        [closed_relative("last_quarter"), WON],
        by_rep,
        1,
        summed,
        last_quarter_won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "region with the lowest avg won deal",
        [WON],
        by_region,
        1,
        averaged,
        won,
        lowest_first=True,
    )

    # Amount ranges. As in nl_unseen2.py, Chinese 以上 and 以下 are avoided because
    # whether they include the bound is unclear.
    add(
        "amount_range",
        "成交额超过1w的单子有多少",
        {"filters": [amount_is("gt", 10000), WON]},
        [[len(amounts(won, lambda v: v > 10000))]],
    )
    add(
        "amount_range",
        "wins under $1k - how many?",
        {"filters": [amount_is("lt", 1000), WON]},
        [[len(amounts(won, lambda v: v < 1000))]],
    )
    add(
        "amount_range",
        "赢单里2000-5000块的有多少笔",
        {"filters": [amount_is("between", [2000, 5000]), WON]},
        [[len(amounts(won, lambda v: 2000 <= v <= 5000))]],
    )
    add(
        "amount_range",
        "count of won deals worth at least 10k",
        {"filters": [amount_is("gte", 10000), WON]},
        [[len(amounts(won, lambda v: v >= 10000))]],
    )
    add(
        "amount_range",
        "不超过800块的赢单有几笔",
        {"filters": [amount_is("lte", 800), WON]},
        [[len(amounts(won, lambda v: v <= 800))]],
    )
    add(
        "amount_range",
        "total revenue from wins above 3k",
        {"filters": [amount_is("gt", 3000), WON], "measures": [SUM]},
        nonempty_total(amounts(won, lambda v: v > 3000)),
    )
    add(
        "amount_range",
        "East区大于5000的赢单数量",
        {"filters": [amount_is("gt", 5000), equals(REGION, "East"), WON]},
        [[len(amounts(where(won, "regional_office", "East"), lambda v: v > 5000))]],
    )
    add(
        "amount_range",
        "median won amount for deals over 1000",
        {"filters": [amount_is("gt", 1000), WON], "measures": [MEDIAN]},
        [[won_median(amounts(won, lambda v: v > 1000))]],
    )
    add(
        "amount_range",
        "单笔超过5000的赢单按产品分一下",
        {"filters": [amount_is("gt", 5000), WON], "group_by": [group(PRODUCT)]},
        by(amounts(won, lambda v: v > 5000), "product", count),
    )
    add(
        "amount_range",
        "avg of wins between 500 and 1,000",
        {"filters": [amount_is("between", [500, 1000]), WON], "measures": [AVG]},
        [[won_average(amounts(won, lambda v: 500 <= v <= 1000))]],
    )

    # Explicit dates.
    add(
        "date_range",
        "17年四月份赢了多少单",
        {"filters": [closed_in("2017-04-01", "2017-04-30"), WON]},
        [[len(closed_from(won, date(2017, 4, 1), date(2017, 4, 30)))]],
    )
    add(
        "date_range",
        "won $ in Sept 2017",
        {"filters": [closed_in("2017-09-01", "2017-09-30"), WON], "measures": [SUM]},
        nonempty_total(closed_from(won, date(2017, 9, 1), date(2017, 9, 30))),
    )
    add(
        "date_range",
        "2017年三季度的成交金额",
        {"filters": [closed_in("2017-07-01", "2017-09-30"), WON], "measures": [SUM]},
        nonempty_total(closed_from(won, date(2017, 7, 1), date(2017, 9, 30))),
    )
    add(
        "date_range",
        "how many deals were lost in March 2017?",
        {"filters": [closed_in("2017-03-01", "2017-03-31"), LOST]},
        [[len(closed_from(lost, date(2017, 3, 1), date(2017, 3, 31)))]],
    )
    # 上半年 is the first half of the year, January to June.
    add(
        "date_range",
        "2017上半年赢单数",
        {"filters": [closed_in("2017-01-01", "2017-06-30"), WON]},
        [[len(closed_from(won, date(2017, 1, 1), date(2017, 6, 30)))]],
    )
    add(
        "date_range",
        "opps engaged in Jan 2017",
        {"filters": [engaged_in("2017-01-01", "2017-01-31")]},
        [[len(between(frame, "engaged", date(2017, 1, 1), date(2017, 1, 31)))]],
    )
    add(
        "date_range",
        "16年11月新建了多少商机",
        {"filters": [engaged_in("2016-11-01", "2016-11-30")]},
        [[len(between(frame, "engaged", date(2016, 11, 1), date(2016, 11, 30)))]],
    )
    add(
        "date_range",
        "wins between Oct 1 and Nov 15, 2017",
        {"filters": [closed_in("2017-10-01", "2017-11-15"), WON]},
        [[len(closed_from(won, date(2017, 10, 1), date(2017, 11, 15)))]],
    )
    add(
        "date_range",
        "2017年10月各销售的签单数",
        {"filters": [closed_in("2017-10-01", "2017-10-31"), WON], "group_by": [group(REP)]},
        by(closed_from(won, date(2017, 10, 1), date(2017, 10, 31)), "sales_agent", count),
    )
    add(
        "date_range",
        "Q1 2017 wins?",
        {"filters": [closed_in("2017-01-01", "2017-03-31"), WON]},
        [[len(closed_from(won, date(2017, 1, 1), date(2017, 3, 31)))]],
    )

    # Relative periods, counted from as_of. "This month" and "this quarter" are the
    # whole calendar period, as the report reads them.
    add(
        "relative_period",
        "上礼拜签了几单",
        {"filters": [closed_relative("last_week"), WON]},
        [[len(closed_during(won, "last_week"))]],
    )
    add(
        "relative_period",
        "this month's lost deal count",
        {"filters": [closed_relative("this_month"), LOST]},
        [[len(closed_during(lost, "this_month"))]],
    )
    add(
        "relative_period",
        "帮我瞅瞅上个月成交额多少",
        {"filters": [closed_relative("last_month"), WON], "measures": [SUM]},
        nonempty_total(closed_during(won, "last_month")),
    )
    add(
        "relative_period",
        "won rev for last qtr?",
        {"filters": [closed_relative("last_quarter"), WON], "measures": [SUM]},
        nonempty_total(closed_during(won, "last_quarter")),
    )
    add(
        "relative_period",
        "最近90天赢了几单",
        {"filters": [closed_relative("last_90_days"), WON]},
        [[len(closed_during(won, "last_90_days"))]],
    )
    add(
        "relative_period",
        "wins in the last 14 days",
        {"filters": [closed_relative("last_14_days"), WON]},
        [[len(closed_during(won, "last_14_days"))]],
    )
    add(
        "relative_period",
        "本季度新增了几个商机",
        {"filters": [engaged_relative("this_quarter")]},
        [[len(between(frame, "engaged", *ranges["this_quarter"]))]],
    )
    add(
        "relative_period",
        "this yr's won total by product",
        {
            "filters": [closed_relative("this_year"), WON],
            "group_by": [group(PRODUCT)],
            "measures": [SUM],
        },
        by(this_year_won, "product", won_total),
    )
    add(
        "relative_period",
        "上个月每个大区输了几单",
        {"filters": [closed_relative("last_month"), LOST], "group_by": [group(REGION)]},
        by(closed_during(lost, "last_month"), "regional_office", count),
    )
    add(
        "relative_period",
        "近45天的成交额是多少",
        {"filters": [closed_relative("last_45_days"), WON], "measures": [SUM]},
        nonempty_total(closed_during(won, "last_45_days")),
    )

    # Exclusions. Won and lost deals all have an account, so a condition on the
    # account never meets a deal without one.
    add(
        "exclusion",
        "除了MG系列以外的赢单金额",
        {"filters": [excluding(SERIES, "MG"), WON], "measures": [SUM]},
        nonempty_total(won[won["series"] != "MG"]),
    )
    add(
        "exclusion",
        "wins outside Central?",
        {"filters": [excluding(REGION, "Central"), WON]},
        [[int((won["regional_office"] != "Central").sum())]],
    )
    add(
        "exclusion",
        "不含美国客户的丢单数",
        {"filters": [excluding(COUNTRY, "United States"), LOST]},
        [[int((lost["country"] != "United States").sum())]],
    )
    add(
        "exclusion",
        "avg won deal excluding GTX Basic",
        {"filters": [excluding(PRODUCT, "GTX Basic"), WON], "measures": [AVG]},
        [[won_average(won[won["product"] != "GTX Basic"])]],
    )
    add(
        "exclusion",
        "除了Melvin Marxen团队，其他人一共赢了多少钱",
        {"filters": [excluding(MANAGER, "Melvin Marxen"), WON], "measures": [SUM]},
        nonempty_total(won[won["manager"] != "Melvin Marxen"]),
    )
    add(
        "exclusion",
        "how many wins weren't from the retail sector?",
        {"filters": [excluding(INDUSTRY, "retail"), WON]},
        [[int((won["industry"] != "retail").sum())]],
    )
    add(
        "exclusion",
        "医疗和金融行业之外的赢单数",
        {"filters": [excluding(INDUSTRY, ["medical", "finance"]), WON]},
        [[int((~won["industry"].isin(["medical", "finance"])).sum())]],
    )
    add(
        "exclusion",
        "lost deals for everybody but Darcel Schlecht",
        {"filters": [excluding(REP, "Darcel Schlecht"), LOST]},
        [[int((lost["sales_agent"] != "Darcel Schlecht").sum())]],
    )
    add(
        "exclusion",
        "去掉GTK 500之后的成交总额",
        {"filters": [excluding(PRODUCT, "GTK 500"), WON], "measures": [SUM]},
        nonempty_total(won[won["product"] != "GTK 500"]),
    )
    add(
        "exclusion",
        "won $ from non-GTX series",
        {"filters": [excluding(SERIES, "GTX"), WON], "measures": [SUM]},
        nonempty_total(won[won["series"] != "GTX"]),
    )

    # Several values of one field.
    central_east = ["Central", "East"]
    add(
        "several_values",
        "Central和East两个区的赢单金额合计",
        {"filters": [one_of(REGION, central_east), WON], "measures": [SUM]},
        nonempty_total(within(won, "regional_office", central_east)),
    )
    mg_pair = ["MG Special", "MG Advanced"]
    add(
        "several_values",
        "wins for MG Special or MG Advanced",
        {"filters": [one_of(PRODUCT, mg_pair), WON]},
        [[len(within(won, "product", mg_pair))]],
    )
    medical_retail = ["medical", "retail"]
    add(
        "several_values",
        "医疗、零售两个行业各签了几单",
        {"filters": [one_of(INDUSTRY, medical_retail), WON], "group_by": [group(INDUSTRY)]},
        by(within(won, "industry", medical_retail), "industry", count),
    )
    rep_pair = ["Darcel Schlecht", "Vicki Laflamme"]
    add(
        "several_values",
        "won revenue of Darcel Schlecht and Vicki Laflamme together",
        {"filters": [one_of(REP, rep_pair), WON], "measures": [SUM]},
        nonempty_total(within(won, "sales_agent", rep_pair)),
    )
    # The two managers lead every East rep, so a filter on the East region gives the
    # same rows. The question names the managers, so the set expects a filter on them.
    east_managers = ["Cara Losch", "Rocco Neubert"]
    add(
        "several_values",
        "Cara Losch和Rocco Neubert两个团队一共赢了几单",
        {"filters": [one_of(MANAGER, east_managers), WON]},
        [[len(within(won, "manager", east_managers))]],
    )
    asian_countries = ["Japan", "Korea", "China"]
    add(
        "several_values",
        "lost deals with accounts in Japan, Korea or China",
        {"filters": [one_of(COUNTRY, asian_countries), LOST]},
        [[len(within(lost, "country", asian_countries))]],
    )
    gtx_pro_pair = ["GTX Pro", "GTX Plus Pro"]
    add(
        "several_values",
        "GTX Pro跟GTX Plus Pro各自的赢单金额",
        {
            "filters": [one_of(PRODUCT, gtx_pro_pair), WON],
            "group_by": [group(PRODUCT)],
            "measures": [SUM],
        },
        by(within(won, "product", gtx_pro_pair), "product", won_total),
    )
    software_telecom = ["software", "telecommunications"]
    add(
        "several_values",
        "avg won deal for the software and telecom sectors",
        {"filters": [one_of(INDUSTRY, software_telecom), WON], "measures": [AVG]},
        [[won_average(within(won, "industry", software_telecom))]],
    )
    three_accounts = ["Acme Corporation", "Initech", "Globex Corporation"]
    add(
        "several_values",
        "Acme Corporation、Initech、Globex Corporation三家的赢单数合计",
        {"filters": [one_of(ACCOUNT, three_accounts), WON]},
        [[len(within(won, "account", three_accounts))]],
    )
    lost_pair = ["Hottechi", "Kan-code"]
    add(
        "several_values",
        "lost deals for Hottechi and Kan-code, per account",
        {"filters": [one_of(ACCOUNT, lost_pair), LOST], "group_by": [group(ACCOUNT)]},
        by(within(lost, "account", lost_pair), "account", count),
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

    def win_rate_ranked(
        question: str, dimension: tuple[str, str], lowest_first: bool = False
    ) -> None:
        field, column = dimension
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

    win_rate("现在整体赢单律多高", [], closed)
    win_rate("what percent of closed deals do we win?", [], closed)
    win_rate_by("各大区胜率对比一下", REGION, "regional_office")
    win_rate(
        "win rate for Cara Losch's team",
        [equals(MANAGER, "Cara Losch")],
        where(closed, "manager", "Cara Losch"),
    )
    win_rate(
        "GTX Basic的赢率是多少",
        [equals(PRODUCT, "GTX Basic")],
        where(closed, "product", "GTX Basic"),
    )
    win_rate_by("win rate per industry", INDUSTRY, "industry")
    win_rate_ranked("哪个产品胜率最高", by_product)
    win_rate_ranked("which mgr's team has the lowest win rate?", by_manager, lowest_first=True)
    win_rate_by("挨个看下每位销售的赢单率", REP, "sales_agent")
    win_rate(
        "finance sector win rate?",
        [equals(INDUSTRY, "finance")],
        where(closed, "industry", "finance"),
    )

    # Accounts as the base object, and account fields on deals.
    def accounts_query(**parts: Any) -> dict[str, Any]:
        return {"object": "accounts", **parts}

    add_object("accounts", "系统里有多少个客户公司", accounts_query(), [[len(accounts)]])
    add_object(
        "accounts",
        "how many accounts are based in the US?",
        accounts_query(filters=[equals("country", "United States")]),
        [[int((accounts["office_location"] == "United States").sum())]],
    )
    add_object(
        "accounts",
        "1990年之前成立的客户数",
        accounts_query(filters=[{"field": "founded_year", "op": "lt", "value": 1990}]),
        [[int((accounts["founded"] < 1990).sum())]],
    )
    add_object(
        "accounts",
        "accounts with fewer than 1,000 staff",
        accounts_query(filters=[{"field": "employee_count", "op": "lt", "value": 1000}]),
        [[int((accounts["employees"] < 1000).sum())]],
    )
    add_object(
        "accounts",
        "客户按行业分布，各有几家",
        accounts_query(group_by=[group("industry")]),
        by(accounts, "industry", count),
    )
    add_object(
        "accounts",
        "total employees across software accounts",
        accounts_query(
            filters=[equals("industry", "software")],
            measures=[{"aggregate": "sum", "field": "employee_count"}],
        ),
        [[int(accounts[accounts["industry"] == "software"]["employees"].sum())]],
    )
    add_object(
        "accounts",
        "年收入大于10亿美元的客户数量是多少",
        accounts_query(filters=[{"field": "annual_revenue", "op": "gt", "value": 1_000_000_000}]),
        [[int((accounts["annual_revenue"] > 1_000_000_000).sum())]],
    )
    add_object(
        "accounts",
        "what's the highest annual revenue of any account?",
        accounts_query(measures=[{"aggregate": "max", "field": "annual_revenue"}]),
        [[cents(max(accounts["annual_revenue"]))]],
    )
    big_accounts = won[won["employees"].map(lambda value: not pd.isna(value) and value > 5000)]
    add(
        "accounts",
        "跟员工数超过5000的客户一共赢了几单",
        {"filters": [{"field": "account.employee_count", "op": "gt", "value": 5000}, WON]},
        [[len(big_accounts)]],
    )
    young_accounts = won[won["founded"].map(lambda value: not pd.isna(value) and value > 2000)]
    add(
        "accounts",
        "won revenue from accounts founded after 2000",
        {
            "filters": [{"field": "account.founded_year", "op": "gt", "value": 2000}, WON],
            "measures": [SUM],
        },
        nonempty_total(young_accounts),
    )

    # Products as the base object.
    def products_query(**parts: Any) -> dict[str, Any]:
        return {"object": "products", **parts}

    def list_price(aggregate: str) -> dict[str, Any]:
        return {"aggregate": aggregate, "field": "list_price"}

    add_object("products", "产品库里一共多少个SKU", products_query(), [[len(products)]])
    add_object(
        "products",
        "what does our priciest product list at?",
        products_query(measures=[list_price("max")]),
        [[cents(max(products["list_price"]))]],
    )
    add_object(
        "products",
        "MG系列的产品有几个",
        products_query(filters=[equals("series", "MG")]),
        [[int((products["series"] == "MG").sum())]],
    )
    add_object(
        "products",
        "average list price per series",
        products_query(group_by=[group("series")], measures=[list_price("avg")]),
        by(products, "series", lambda part: average(part["list_price"])),
    )
    add_object(
        "products",
        "标价超过5000的产品数",
        products_query(filters=[{"field": "list_price", "op": "gt", "value": 5000}]),
        [[int((products["list_price"] > 5000).sum())]],
    )
    add_object(
        "products",
        "lowest list price in the GTX line",
        products_query(filters=[equals("series", "GTX")], measures=[list_price("min")]),
        [[cents(min(products[products["series"] == "GTX"]["list_price"]))]],
    )
    add_object(
        "products",
        "GTX系列标价合计",
        products_query(filters=[equals("series", "GTX")], measures=[list_price("sum")]),
        [[cents(sum(products[products["series"] == "GTX"]["list_price"]))]],
    )
    add_object(
        "products",
        "how many products cost under 1k?",
        products_query(filters=[{"field": "list_price", "op": "lt", "value": 1000}]),
        [[int((products["list_price"] < 1000).sum())]],
    )
    add_object(
        "products",
        "各系列最高标价",
        products_query(group_by=[group("series")], measures=[list_price("max")]),
        by(products, "series", lambda part: cents(max(part["list_price"]))),
    )
    add_object(
        "products",
        "what's the avg list price of MG products?",
        products_query(filters=[equals("series", "MG")], measures=[list_price("avg")]),
        [[average(products[products["series"] == "MG"]["list_price"])]],
    )

    # Open pipeline: deals neither won nor lost. They carry no amount, so only
    # counts are asked.
    # 在跟 ("still being followed up") means the deal is open.
    add(
        "open_pipeline",
        "East区还有多少在跟的商机",
        {"filters": [*OPEN, equals(REGION, "East")]},
        [[len(where(open_deals, "regional_office", "East"))]],
    )
    add(
        "open_pipeline",
        "how many open deals does each region have?",
        {"filters": OPEN, "group_by": [group(REGION)]},
        by(open_deals, "regional_office", count),
    )
    add(
        "open_pipeline",
        "GTX Basic目前未结的商机数",
        {"filters": [*OPEN, equals(PRODUCT, "GTX Basic")]},
        [[len(where(open_deals, "product", "GTX Basic"))]],
    )
    add(
        "open_pipeline",
        "how many opps is Rocco Neubert's team still working?",
        {"filters": [*OPEN, equals(MANAGER, "Rocco Neubert")]},
        [[len(where(open_deals, "manager", "Rocco Neubert"))]],
    )
    add(
        "open_pipeline",
        "按产品线统计未关闭的商机",
        {"filters": OPEN, "group_by": [group(SERIES)]},
        by(open_deals, "series", count),
    )
    add(
        "open_pipeline",
        "Darcel Schlecht手上还有几个open的单子",
        {"filters": [*OPEN, equals(REP, "Darcel Schlecht")]},
        [[len(where(open_deals, "sales_agent", "Darcel Schlecht"))]],
    )
    top(
        "open_pipeline",
        "who's carrying the most open opps right now?",
        OPEN,
        by_rep,
        1,
        None,
        open_deals,
    )
    add(
        "open_pipeline",
        "每个经理手下还在进行中的商机",
        {"filters": OPEN, "group_by": [group(MANAGER)]},
        by(open_deals, "manager", count),
    )
    add(
        "open_pipeline",
        "open pipeline with Konex - how many deals?",
        {"filters": [*OPEN, equals(ACCOUNT, "Konex")]},
        [[len(where(open_deals, "account", "Konex"))]],
    )
    add(
        "open_pipeline",
        "open opps in the software industry",
        {"filters": [*OPEN, equals(INDUSTRY, "software")]},
        [[len(where(open_deals, "industry", "software"))]],
    )

    # Several conditions at once.
    add(
        "combined",
        "今年Central区MG Special的成交额",
        {
            "filters": [
                closed_relative("this_year"),
                equals(PRODUCT, "MG Special"),
                equals(REGION, "Central"),
                WON,
            ],
            "measures": [SUM],
        },
        nonempty_total(
            where(where(this_year_won, "regional_office", "Central"), "product", "MG Special")
        ),
    )
    east_gtx_pro = where(where(last_quarter_won, "regional_office", "East"), "product", "GTX Pro")
    add(
        "combined",
        "GTX Pro wins over 4k in the East last quarter",
        {
            "filters": [
                amount_is("gt", 4000),
                closed_relative("last_quarter"),
                equals(PRODUCT, "GTX Pro"),
                equals(REGION, "East"),
                WON,
            ]
        },
        [[len(amounts(east_gtx_pro, lambda v: v > 4000))]],
    )
    add(
        "combined",
        "上季度West区各产品的赢单数",
        {
            "filters": [closed_relative("last_quarter"), equals(REGION, "West"), WON],
            "group_by": [group(PRODUCT)],
        },
        by(where(last_quarter_won, "regional_office", "West"), "product", count),
    )
    darcel_medical = where(where(won, "sales_agent", "Darcel Schlecht"), "industry", "medical")
    add(
        "combined",
        "Darcel Schlecht's won revenue from medical customers in 2017",
        {
            "filters": [
                closed_in("2017-01-01", "2017-12-31"),
                equals(INDUSTRY, "medical"),
                equals(REP, "Darcel Schlecht"),
                WON,
            ],
            "measures": [SUM],
        },
        nonempty_total(closed_from(darcel_medical, date(2017, 1, 1), date(2017, 12, 31))),
    )
    add(
        "combined",
        "2017年Q3 East区每个经理的成交额",
        {
            "filters": [closed_in("2017-07-01", "2017-09-30"), equals(REGION, "East"), WON],
            "group_by": [group(MANAGER)],
            "measures": [SUM],
        },
        by(
            closed_from(where(won, "regional_office", "East"), date(2017, 7, 1), date(2017, 9, 30)),
            "manager",
            won_total,
        ),
    )
    retail_this_quarter = where(closed_during(won, "this_quarter"), "industry", "retail")
    add(
        "combined",
        "retail wins over 1k this quarter",
        {
            "filters": [
                amount_is("gt", 1000),
                closed_relative("this_quarter"),
                equals(INDUSTRY, "retail"),
                WON,
            ]
        },
        [[len(amounts(retail_this_quarter, lambda v: v > 1000))]],
    )
    summer_mg_lost = where(where(lost, "manager", "Summer Sewald"), "product", "MG Advanced")
    add(
        "combined",
        "今年Summer Sewald团队丢了几单MG Advanced",
        {
            "filters": [
                closed_relative("this_year"),
                equals(MANAGER, "Summer Sewald"),
                equals(PRODUCT, "MG Advanced"),
                LOST,
            ]
        },
        [[len(closed_during(summer_mg_lost, "this_year"))]],
    )
    software_gtx_basic = where(where(won, "industry", "software"), "product", "GTX Basic")
    add(
        "combined",
        "average won GTX Basic deal for the software sector in 2017",
        {
            "filters": [
                closed_in("2017-01-01", "2017-12-31"),
                equals(INDUSTRY, "software"),
                equals(PRODUCT, "GTX Basic"),
                WON,
            ],
            "measures": [AVG],
        },
        [[won_average(closed_from(software_gtx_basic, date(2017, 1, 1), date(2017, 12, 31)))]],
    )
    add(
        "combined",
        "上个月Cara Losch团队每个销售签了多少单",
        {
            "filters": [closed_relative("last_month"), equals(MANAGER, "Cara Losch"), WON],
            "group_by": [group(REP)],
        },
        by(closed_during(where(won, "manager", "Cara Losch"), "last_month"), "sales_agent", count),
    )
    west_september = closed_from(
        where(won, "regional_office", "West"), date(2017, 9, 1), date(2017, 9, 30)
    )
    add(
        "combined",
        "West region wins in Sept 2017 over 2k, how many?",
        {
            "filters": [
                amount_is("gt", 2000),
                closed_in("2017-09-01", "2017-09-30"),
                equals(REGION, "West"),
                WON,
            ]
        },
        [[len(amounts(west_september, lambda v: v > 2000))]],
    )
    return cases
