"""A third unseen question set over the MavenTech pipeline, written without reading the grammar.

The set was written to take the place of the first two unseen sets
(``nl_unseen.py`` and ``nl_unseen2.py``) as an estimate of how the grammar handles
wordings it has never met. It was measured once for that purpose; its failures
have since guided the grammar, so it is now a development set like ``nl_dev.py``.

The questions cover the families of ``nl_unseen2.py`` in new wordings, typed the
way sales managers and reps at Chinese companies write them: openers such as
麻烦看下, 帮忙统计, 问下 and 给我个数, colloquial words (咱, 拿下, 签回来, 垫底,
卡在, 还在推进), abbreviations (opps, rev, avg, mgr, US, 2w, 5k, Q4 '16),
English contractions, questions that start with the filter or with the
measure, and a few typos of the kind an input method or a hurried thumb makes
(商几, 多钱, revenu, opprtunities, wich). No question repeats one of the other
sets, and a test checks that.

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
from decimal import Decimal
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

ACCOUNT = "account.name"
ENGAGED_MONTH = group("engaged_on", "month")
ENGAGED_QUARTER = group("engaged_on", "quarter")
ACCOUNTS_COUNTED = {"aggregate": "count_distinct", "field": "account_id"}
OWNERS_COUNTED = {"aggregate": "count_distinct", "field": "owner_id"}
PRODUCTS_COUNTED = {"aggregate": "count_distinct", "field": "product_id"}


def cents(value: Any) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def build_unseen3_cases(folder: Path, as_of: date) -> list[Case]:
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
    add("stage_count", "麻烦看下系统里总共录了几条商几", {}, [[len(frame)]])
    add("stage_count", "how many opportunities are in the system altogether?", {}, [[len(frame)]])
    add("stage_count", "丢掉的单子总共多少个", {"filters": [LOST]}, [[len(lost)]])
    add("stage_count", "total # of lost opps", {"filters": [LOST]}, [[len(lost)]])
    add("stage_count", "咱拿下的商机有几条", {"filters": [WON]}, [[len(won)]])
    add("stage_count", "count the deals we've won so far", {"filters": [WON]}, [[len(won)]])
    add(
        "stage_count",
        "现在卡在prospecting的商机有多少",
        {"filters": [equals(STAGE, "prospecting")]},
        [[len(where(frame, "stage", "prospecting"))]],
    )
    add(
        "stage_count",
        "how many opps are sitting in engaging right now?",
        {"filters": [equals(STAGE, "engaging")]},
        [[len(where(frame, "stage", "engaging"))]],
    )
    add("stage_count", "还没出结果的单子总数", {"filters": OPEN}, [[len(open_deals)]])
    add(
        "stage_count",
        "number of deals that are neither won nor lost",
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

    won_sum("manager", "Melvin Marxen", MANAGER, "Melvin Marxen那组一共签回来多少钱")
    won_sum("account", "Konex", ACCOUNT, "total closed-won amount from Konex")
    won_sum("product", "MG Advanced", PRODUCT, "MG Advanced这个产品一共成交了多少金额")
    won_sum("series", "GTK", SERIES, "GTK line: how much have we booked in total?")
    won_sum("industry", "finance", INDUSTRY, "金融业客户累计赢单额")
    won_sum(
        "sales_agent",
        "Darcel Schlecht",
        REP,
        "how much revenu has Darcel Schlecht brought in from won deals?",
    )
    won_sum("regional_office", "Central", REGION, "问下Central区签单总金额")
    won_sum("industry", "medical", INDUSTRY, "sum of won amounts for medical-sector customers")
    won_sum("industry", "retail", INDUSTRY, "零售客户贡献的成交额合计")
    won_sum("manager", "Cara Losch", MANAGER, "Cara Losch's team - total won rev?")

    # Averages.
    add(
        "average",
        "成交的单子平均一单多钱",
        {"filters": [WON], "measures": [AVG]},
        [[won_average(won)]],
    )
    add(
        "average",
        "avg $ per won opp?",
        {"filters": [WON], "measures": [AVG]},
        [[won_average(won)]],
    )
    add(
        "average",
        "West区赢下来的单子平均多大",
        {"filters": [equals(REGION, "West"), WON], "measures": [AVG]},
        [[won_average(where(won, "regional_office", "West"))]],
    )
    add(
        "average",
        "average won amount for Corliss Cosme",
        {"filters": [equals(REP, "Corliss Cosme"), WON], "measures": [AVG]},
        [[won_average(where(won, "sales_agent", "Corliss Cosme"))]],
    )
    add(
        "average",
        "MG Special平均每笔成交多少钱",
        {"filters": [equals(PRODUCT, "MG Special"), WON], "measures": [AVG]},
        [[won_average(where(won, "product", "MG Special"))]],
    )
    add(
        "average",
        "mean won deal value for retail accounts",
        {"filters": [equals(INDUSTRY, "retail"), WON], "measures": [AVG]},
        [[won_average(where(won, "industry", "retail"))]],
    )
    add_object(
        "average",
        "mean number of employees across all accounts",
        {"object": "accounts", "measures": [{"aggregate": "avg", "field": "employee_count"}]},
        [[number_average(accounts["employees"])]],
    )
    add(
        "average",
        "上季度成交的单子平均金额",
        {"filters": [closed_relative("last_quarter"), WON], "measures": [AVG]},
        [[won_average(closed_during(won, "last_quarter"))]],
    )
    add(
        "average",
        "每个经理团队的平均赢单金额",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [AVG]},
        by(won, "manager", won_average),
    )
    add(
        "average",
        "average won deal by product series",
        {"filters": [WON], "group_by": [group(SERIES)], "measures": [AVG]},
        by(won, "series", won_average),
    )

    # Medians.
    add(
        "median",
        "帮我算下赢单金额的中位数",
        {"filters": [WON], "measures": [MEDIAN]},
        [[won_median(won)]],
    )
    add(
        "median",
        "what's the median size of a won deal in the West?",
        {"filters": [equals(REGION, "West"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "regional_office", "West"))]],
    )
    add(
        "median",
        "Celia Rouche组成交额中位数",
        {"filters": [equals(MANAGER, "Celia Rouche"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "manager", "Celia Rouche"))]],
    )
    add(
        "median",
        "median won value per region",
        {"filters": [WON], "group_by": [group(REGION)], "measures": [MEDIAN]},
        by(won, "regional_office", won_median),
    )
    add(
        "median",
        "按销售列一下成交金额中位数",
        {"filters": [WON], "group_by": [group(REP)], "measures": [MEDIAN]},
        by(won, "sales_agent", won_median),
    )
    software_accounts = accounts[accounts["industry"] == "software"]
    add_object(
        "median",
        "software customers: median annual revenue",
        {
            "object": "accounts",
            "filters": [equals("industry", "software")],
            "measures": [{"aggregate": "median", "field": "annual_revenue"}],
        },
        [[median(software_accounts["annual_revenue"])]],
    )
    add(
        "median",
        "GTX Pro成交金额的中位值",
        {"filters": [equals(PRODUCT, "GTX Pro"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "product", "GTX Pro"))]],
    )
    add(
        "median",
        "last qtr's median won deal",
        {"filters": [closed_relative("last_quarter"), WON], "measures": [MEDIAN]},
        [[won_median(closed_during(won, "last_quarter"))]],
    )
    add_object(
        "median",
        "客户规模（员工数）中位数是多少",
        {"object": "accounts", "measures": [{"aggregate": "median", "field": "employee_count"}]},
        [[cents(statistics.median(accounts["employees"]))]],
    )

    # Largest and smallest values.
    add(
        "min_max",
        "赢单里金额最小的一笔是多少",
        {"filters": [WON], "measures": [MIN]},
        [[smallest(won["amount"])]],
    )
    add(
        "min_max",
        "biggest deal we ever closed-won?",
        {"filters": [WON], "measures": [MAX]},
        [[largest(won["amount"])]],
    )
    add(
        "min_max",
        "Central区最大的一笔赢单多少钱",
        {"filters": [equals(REGION, "Central"), WON], "measures": [MAX]},
        [[largest(where(won, "regional_office", "Central")["amount"])]],
    )
    add(
        "min_max",
        "largest win on each product",
        {"filters": [WON], "group_by": [group(PRODUCT)], "measures": [MAX]},
        by(won, "product", lambda part: largest(part["amount"])),
    )
    add(
        "min_max",
        "各区单笔最低赢单金额",
        {"filters": [WON], "group_by": [group(REGION)], "measures": [MIN]},
        by(won, "regional_office", lambda part: smallest(part["amount"])),
    )
    add(
        "min_max",
        "smallest won deal on the GTX Plus Basic product",
        {"filters": [equals(PRODUCT, "GTX Plus Basic"), WON], "measures": [MIN]},
        [[smallest(where(won, "product", "GTX Plus Basic")["amount"])]],
    )
    add_object(
        "min_max",
        "人数最多的那家客户有多少员工",
        {"object": "accounts", "measures": [{"aggregate": "max", "field": "employee_count"}]},
        [[int(accounts["employees"].max())]],
    )
    add_object(
        "min_max",
        "most recently founded account - what year was that?",
        {"object": "accounts", "measures": [{"aggregate": "max", "field": "founded_year"}]},
        [[int(accounts["founded"].max())]],
    )
    add(
        "min_max",
        "上个月单笔最高的赢单金额",
        {"filters": [closed_relative("last_month"), WON], "measures": [MAX]},
        [[largest(closed_during(won, "last_month")["amount"])]],
    )

    # Distinct counts, on the foreign key as in nl_unseen2.py.
    add(
        "distinct",
        "咱们一共跟几家客户成交过",
        {"filters": [WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(won)]],
    )
    add(
        "distinct",
        "how many unique accounts has the West region won deals with?",
        {"filters": [equals(REGION, "West"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(where(won, "regional_office", "West"))]],
    )
    add(
        "distinct",
        "有多少个销售丢过单",
        {"filters": [LOST], "measures": [OWNERS_COUNTED]},
        [[distinct("sales_agent")(lost)]],
    )
    add(
        "distinct",
        "number of distinct products we've sold to Kan-code",
        {"filters": [equals(ACCOUNT, "Kan-code"), WON], "measures": [PRODUCTS_COUNTED]},
        [[distinct("product")(where(won, "account", "Kan-code"))]],
    )
    add(
        "distinct",
        "每个大区有几个销售签过单",
        {"filters": [WON], "group_by": [group(REGION)], "measures": [OWNERS_COUNTED]},
        by(won, "regional_office", distinct("sales_agent")),
    )
    # "Bought" reads as a won deal: a lost or open deal is no purchase.
    add(
        "distinct",
        "how many different accounts have bought MG Advanced?",
        {"filters": [equals(PRODUCT, "MG Advanced"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(where(won, "product", "MG Advanced"))]],
    )
    add(
        "distinct",
        "今年成交过的客户有多少家",
        {"filters": [closed_relative("this_year"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(closed_during(won, "this_year"))]],
    )
    add(
        "distinct",
        "distinct customer count per mgr, won deals only",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [ACCOUNTS_COUNTED]},
        by(won, "manager", distinct("account")),
    )
    add(
        "distinct",
        "Rocco Neubert团队里有几个人成过单",
        {"filters": [equals(MANAGER, "Rocco Neubert"), WON], "measures": [OWNERS_COUNTED]},
        [[distinct("sales_agent")(where(won, "manager", "Rocco Neubert"))]],
    )

    # Breakdowns by one dimension.
    add(
        "breakdown",
        "按产品看一下商机数",
        {"group_by": [group(PRODUCT)]},
        by(frame, "product", count),
    )
    add(
        "breakdown",
        "how many opps per customer sector",
        {"group_by": [group(INDUSTRY)]},
        by(frame, "industry", count),
    )
    add(
        "breakdown",
        "每个销售名下各有多少个商机",
        {"group_by": [group(REP)]},
        by(frame, "sales_agent", count),
    )
    add(
        "breakdown",
        "lost deal count, region by region",
        {"filters": [LOST], "group_by": [group(REGION)]},
        by(lost, "regional_office", count),
    )
    add(
        "breakdown",
        "各产品线赢单总额",
        {"filters": [WON], "group_by": [group(SERIES)], "measures": [SUM]},
        by(won, "series", won_total),
    )
    add(
        "breakdown",
        "how much has every rep won, in $?",
        {"filters": [WON], "group_by": [group(REP)], "measures": [SUM]},
        by(won, "sales_agent", won_total),
    )
    add(
        "breakdown",
        "按客户所在国家统计赢单数",
        {"filters": [WON], "group_by": [group(COUNTRY)]},
        by(won, "country", count),
    )
    add(
        "breakdown",
        "each stage, how many opps?",
        {"group_by": [group(STAGE)]},
        by(frame, "stage", count),
    )
    add(
        "breakdown",
        "每个客户输了多少单",
        {"filters": [LOST], "group_by": [group(ACCOUNT)]},
        by(lost, "account", count),
    )

    # Time buckets. A named year such as 17年 or 2017 is expected as a ``between`` filter on
    # its dates, as in nl_unseen2.py, although ``this_year`` selects the same deals.
    add(
        "time_bucket",
        "17年逐月赢单数",
        {"filters": [closed_in("2017-01-01", "2017-12-31"), WON], "group_by": [CLOSED_MONTH]},
        by(closed_from(won, date(2017, 1, 1), date(2017, 12, 31)), "closed_month", count),
    )
    add(
        "time_bucket",
        "show won $ by month",
        {"filters": [WON], "group_by": [CLOSED_MONTH], "measures": [SUM]},
        by(won, "closed_month", won_total),
    )
    add(
        "time_bucket",
        "按季度看丢单数量",
        {"filters": [LOST], "group_by": [CLOSED_QUARTER]},
        by(lost, "closed_quarter", count),
    )
    add(
        "time_bucket",
        "new opps by month",
        {"group_by": [ENGAGED_MONTH]},
        by(frame, "engaged_month", count),
    )
    add(
        "time_bucket",
        "West区每个季度的成交额",
        {"filters": [equals(REGION, "West"), WON], "group_by": [CLOSED_QUARTER], "measures": [SUM]},
        by(where(won, "regional_office", "West"), "closed_quarter", won_total),
    )
    add(
        "time_bucket",
        "Cara Losch team's wins by quarter",
        {"filters": [equals(MANAGER, "Cara Losch"), WON], "group_by": [CLOSED_QUARTER]},
        by(where(won, "manager", "Cara Losch"), "closed_quarter", count),
    )
    add(
        "time_bucket",
        "今年每个季度新进了多少商机",
        {"filters": [engaged_relative("this_year")], "group_by": [ENGAGED_QUARTER]},
        by(between(frame, "engaged", *ranges["this_year"]), "engaged_quarter", count),
    )
    add(
        "time_bucket",
        "quarterly avg won deal size",
        {"filters": [WON], "group_by": [CLOSED_QUARTER], "measures": [AVG]},
        by(won, "closed_quarter", won_average),
    )
    add(
        "time_bucket",
        "MG Special每月成交额",
        {
            "filters": [equals(PRODUCT, "MG Special"), WON],
            "group_by": [CLOSED_MONTH],
            "measures": [SUM],
        },
        by(where(won, "product", "MG Special"), "closed_month", won_total),
    )

    # Two dimensions, in the order the question names them.
    add(
        "two_dimensions",
        "各大区各产品线的赢单数",
        {"filters": [WON], "group_by": [group(REGION), group(SERIES)]},
        two_keys(won, "regional_office", "series", count),
    )
    add(
        "two_dimensions",
        "won revenue by region and quarter",
        {"filters": [WON], "group_by": [group(REGION), CLOSED_QUARTER], "measures": [SUM]},
        two_keys(won, "regional_office", "closed_quarter", won_total),
    )
    add(
        "two_dimensions",
        "按销售和产品看成交金额",
        {"filters": [WON], "group_by": [group(REP), group(PRODUCT)], "measures": [SUM]},
        two_keys(won, "sales_agent", "product", won_total),
    )
    add(
        "two_dimensions",
        "lost deals by industry and product",
        {"filters": [LOST], "group_by": [group(INDUSTRY), group(PRODUCT)]},
        two_keys(lost, "industry", "product", count),
    )
    add(
        "two_dimensions",
        "每个月各大区的赢单金额",
        {"filters": [WON], "group_by": [CLOSED_MONTH, group(REGION)], "measures": [SUM]},
        two_keys(won, "closed_month", "regional_office", won_total),
    )
    add(
        "two_dimensions",
        "open opps broken down by manager and stage",
        {"filters": OPEN, "group_by": [group(MANAGER), group(STAGE)]},
        two_keys(open_deals, "manager", "stage", count),
    )
    add(
        "two_dimensions",
        "各产品系列在每个行业的平均成交额",
        {"filters": [WON], "group_by": [group(SERIES), group(INDUSTRY)], "measures": [AVG]},
        two_keys(won, "series", "industry", won_average),
    )
    add(
        "two_dimensions",
        "number of wins per country and series",
        {"filters": [WON], "group_by": [group(COUNTRY), group(SERIES)]},
        two_keys(won, "country", "series", count),
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

    top("top_n", "哪三个产品赢单金额最高", [WON], by_product, 3, summed, won)
    top("top_n", "4 accounts we've won the most deals with", [WON], by_account, 4, None, won)
    top(
        "top_n",
        "今年业绩最好的销售是谁",
        [closed_relative("this_year"), WON],
        by_rep,
        1,
        summed,
        this_year_won,
    )
    top(
        "top_n",
        "wich mgr's team has the biggest won total?",
        [WON],
        by_manager,
        1,
        summed,
        won,
    )
    top("top_n", "签单数量前六的销售", [WON], by_rep, 6, None, won)
    top("top_n", "best-selling product series by win count", [WON], by_series, 1, None, won)
    top(
        "top_n",
        "West区赢单最多的三个销售",
        [equals(REGION, "West"), WON],
        by_rep,
        3,
        None,
        where(won, "regional_office", "West"),
    )
    top("top_n", "top three sectors, ranked by won $", [WON], by_industry, 3, summed, won)
    top("top_n", "平均客单价最高的两个大区", [WON], by_region, 2, averaged, won)
    top(
        "top_n",
        "which account have we lost the most deals with?",
        [LOST],
        by_account,
        1,
        None,
        lost,
    )

    # Bottom N.
    top("bottom_n", "赢单金额最少的三个产品", [WON], by_product, 3, summed, won, lowest_first=True)
    top(
        "bottom_n",
        "lowest-earning rep by won revenue",
        [WON],
        by_rep,
        1,
        summed,
        won,
        lowest_first=True,
    )
    top("bottom_n", "签单最少的行业是哪个", [WON], by_industry, 1, None, won, lowest_first=True)
    top(
        "bottom_n",
        "bottom 2 managers by win count",
        [WON],
        by_manager,
        2,
        None,
        won,
        lowest_first=True,
    )
    top("bottom_n", "成交均价最低的三个销售", [WON], by_rep, 3, averaged, won, lowest_first=True)
    top(
        "bottom_n",
        "which region won the fewest deals last quarter?",
        [closed_relative("last_quarter"), WON],
        by_region,
        1,
        None,
        last_quarter_won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "East区业绩垫底的两个销售",
        [equals(REGION, "East"), WON],
        by_rep,
        2,
        summed,
        where(won, "regional_office", "East"),
        lowest_first=True,
    )
    top(
        "bottom_n",
        "the 4 products with the smallest won totals this year",
        [closed_relative("this_year"), WON],
        by_product,
        4,
        summed,
        this_year_won,
        lowest_first=True,
    )
    top("bottom_n", "赢单总额最低的客户", [WON], by_account, 1, summed, won, lowest_first=True)

    # Amount ranges. As in nl_unseen2.py, Chinese 以上 and 以下 are avoided because
    # whether they include the bound is unclear.
    add(
        "amount_range",
        "金额大于5000的赢单有几单",
        {"filters": [amount_is("gt", 5000), WON]},
        [[len(amounts(won, lambda v: v > 5000))]],
    )
    add(
        "amount_range",
        "how many wins were over $20k?",
        {"filters": [amount_is("gt", 20000), WON]},
        [[len(amounts(won, lambda v: v > 20000))]],
    )
    add(
        "amount_range",
        "成交金额小于500的单子数量",
        {"filters": [amount_is("lt", 500), WON]},
        [[len(amounts(won, lambda v: v < 500))]],
    )
    add(
        "amount_range",
        "won deals of at most 1,500 - count?",
        {"filters": [amount_is("lte", 1500), WON]},
        [[len(amounts(won, lambda v: v <= 1500))]],
    )
    add(
        "amount_range",
        "1000~3000块的赢单有多少笔",
        {"filters": [amount_is("between", [1000, 3000]), WON]},
        [[len(amounts(won, lambda v: 1000 <= v <= 3000))]],
    )
    add(
        "amount_range",
        "sum of wins bigger than 15k",
        {"filters": [amount_is("gt", 15000), WON], "measures": [SUM]},
        nonempty_total(amounts(won, lambda v: v > 15000)),
    )
    add(
        "amount_range",
        "West区金额超过2w的成单数",
        {"filters": [amount_is("gt", 20000), equals(REGION, "West"), WON]},
        [[len(amounts(where(won, "regional_office", "West"), lambda v: v > 20000))]],
    )
    add(
        "amount_range",
        "avg won value for deals under 2k",
        {"filters": [amount_is("lt", 2000), WON], "measures": [AVG]},
        [[won_average(amounts(won, lambda v: v < 2000))]],
    )
    add(
        "amount_range",
        "金额不低于3000的赢单，按大区分一下",
        {"filters": [amount_is("gte", 3000), WON], "group_by": [group(REGION)]},
        by(amounts(won, lambda v: v >= 3000), "regional_office", count),
    )

    # Explicit dates.
    add(
        "date_range",
        "17年3月份拿下几单",
        {"filters": [closed_in("2017-03-01", "2017-03-31"), WON]},
        [[len(closed_from(won, date(2017, 3, 1), date(2017, 3, 31)))]],
    )
    add(
        "date_range",
        "May '17 won revenue",
        {"filters": [closed_in("2017-05-01", "2017-05-31"), WON], "measures": [SUM]},
        nonempty_total(closed_from(won, date(2017, 5, 1), date(2017, 5, 31))),
    )
    add(
        "date_range",
        "17年Q2丢单数",
        {"filters": [closed_in("2017-04-01", "2017-06-30"), LOST]},
        [[len(closed_from(lost, date(2017, 4, 1), date(2017, 6, 30)))]],
    )
    add(
        "date_range",
        "how many deals did we lose in August '17?",
        {"filters": [closed_in("2017-08-01", "2017-08-31"), LOST]},
        [[len(closed_from(lost, date(2017, 8, 1), date(2017, 8, 31)))]],
    )
    add(
        "date_range",
        "2017年7-12月签了多少钱",
        {"filters": [closed_in("2017-07-01", "2017-12-31"), WON], "measures": [SUM]},
        nonempty_total(closed_from(won, date(2017, 7, 1), date(2017, 12, 31))),
    )
    add(
        "date_range",
        "opprtunities engaged during Q4 '16 - how many?",
        {"filters": [engaged_in("2016-10-01", "2016-12-31")]},
        [[len(between(frame, "engaged", date(2016, 10, 1), date(2016, 12, 31)))]],
    )
    add(
        "date_range",
        "17年2月进来几个新商机",
        {"filters": [engaged_in("2017-02-01", "2017-02-28")]},
        [[len(between(frame, "engaged", date(2017, 2, 1), date(2017, 2, 28)))]],
    )
    add(
        "date_range",
        "wins from June 10 to July 20, 2017",
        {"filters": [closed_in("2017-06-10", "2017-07-20"), WON]},
        [[len(closed_from(won, date(2017, 6, 10), date(2017, 7, 20)))]],
    )
    add(
        "date_range",
        "2017年4月到6月各大区的成交额",
        {
            "filters": [closed_in("2017-04-01", "2017-06-30"), WON],
            "group_by": [group(REGION)],
            "measures": [SUM],
        },
        by(closed_from(won, date(2017, 4, 1), date(2017, 6, 30)), "regional_office", won_total),
    )

    # Relative periods, counted from as_of. "This month" and "this quarter" are the
    # whole calendar period, as the report reads them.
    add(
        "relative_period",
        "这个月赢了多少钱",
        {"filters": [closed_relative("this_month"), WON], "measures": [SUM]},
        nonempty_total(closed_during(won, "this_month")),
    )
    add(
        "relative_period",
        "# of wins last week?",
        {"filters": [closed_relative("last_week"), WON]},
        [[len(closed_during(won, "last_week"))]],
    )
    add(
        "relative_period",
        "上月一共输了几单",
        {"filters": [closed_relative("last_month"), LOST]},
        [[len(closed_during(lost, "last_month"))]],
    )
    add(
        "relative_period",
        "won revenue over the past 90 days",
        {"filters": [closed_relative("last_90_days"), WON], "measures": [SUM]},
        nonempty_total(closed_during(won, "last_90_days")),
    )
    add(
        "relative_period",
        "本季度签单数",
        {"filters": [closed_relative("this_quarter"), WON]},
        [[len(closed_during(won, "this_quarter"))]],
    )
    add(
        "relative_period",
        "new opps engaged last month",
        {"filters": [engaged_relative("last_month")]},
        [[len(between(frame, "engaged", *ranges["last_month"]))]],
    )
    add(
        "relative_period",
        "近30天的成交额",
        {"filters": [closed_relative("last_30_days"), WON], "measures": [SUM]},
        nonempty_total(closed_during(won, "last_30_days")),
    )
    add(
        "relative_period",
        "won $ per region this yr",
        {
            "filters": [closed_relative("this_year"), WON],
            "group_by": [group(REGION)],
            "measures": [SUM],
        },
        by(this_year_won, "regional_office", won_total),
    )
    add(
        "relative_period",
        "上季度每个销售签了多少单",
        {"filters": [closed_relative("last_quarter"), WON], "group_by": [group(REP)]},
        by(last_quarter_won, "sales_agent", count),
    )

    # Exclusions. Won and lost deals all have an account, so a condition on the
    # account never meets a deal without one.
    add(
        "exclusion",
        "除了GTX系列，其他系列一共赢了多少单",
        {"filters": [excluding(SERIES, "GTX"), WON]},
        [[int((won["series"] != "GTX").sum())]],
    )
    add(
        "exclusion",
        "won revenue for everyone except West",
        {"filters": [excluding(REGION, "West"), WON], "measures": [SUM]},
        nonempty_total(won[won["regional_office"] != "West"]),
    )
    add(
        "exclusion",
        "不算East区的话丢单数是多少",
        {"filters": [excluding(REGION, "East"), LOST]},
        [[int((lost["regional_office"] != "East").sum())]],
    )
    add(
        "exclusion",
        "how many wins came from customers outside the US?",
        {"filters": [excluding(COUNTRY, "United States"), WON]},
        [[int((won["country"] != "United States").sum())]],
    )
    add(
        "exclusion",
        "排除Darcel Schlecht之后的总成交额",
        {"filters": [excluding(REP, "Darcel Schlecht"), WON], "measures": [SUM]},
        nonempty_total(won[won["sales_agent"] != "Darcel Schlecht"]),
    )
    add(
        "exclusion",
        "average won deal, GTK 500 excluded",
        {"filters": [excluding(PRODUCT, "GTK 500"), WON], "measures": [AVG]},
        [[won_average(won[won["product"] != "GTK 500"])]],
    )
    add(
        "exclusion",
        "除了零售和科技行业以外赢了几单",
        {"filters": [excluding(INDUSTRY, ["retail", "technology"]), WON]},
        [[int((~won["industry"].isin(["retail", "technology"])).sum())]],
    )
    add(
        "exclusion",
        "lost deals not counting Summer Sewald's team",
        {"filters": [excluding(MANAGER, "Summer Sewald"), LOST]},
        [[int((lost["manager"] != "Summer Sewald").sum())]],
    )

    # Several values of one field.
    west_east = ["West", "East"]
    add(
        "several_values",
        "West和East两个区的赢单数加起来",
        {"filters": [one_of(REGION, west_east), WON]},
        [[len(within(won, "regional_office", west_east))]],
    )
    gtx_pair = ["GTX Basic", "GTX Pro"]
    add(
        "several_values",
        "total won revenue for GTX Basic and GTX Pro",
        {"filters": [one_of(PRODUCT, gtx_pair), WON], "measures": [SUM]},
        nonempty_total(within(won, "product", gtx_pair)),
    )
    finance_software = ["finance", "software"]
    add(
        "several_values",
        "金融和软件行业各赢了多少钱",
        {
            "filters": [one_of(INDUSTRY, finance_software), WON],
            "group_by": [group(INDUSTRY)],
            "measures": [SUM],
        },
        by(within(won, "industry", finance_software), "industry", won_total),
    )
    reps = ["Anna Snelling", "Moses Frase", "Cecily Lampkin"]
    add(
        "several_values",
        "wins for Anna Snelling, Moses Frase and Cecily Lampkin combined",
        {"filters": [one_of(REP, reps), WON]},
        [[len(within(won, "sales_agent", reps))]],
    )
    # The two managers lead every West rep, so a filter on the West region gives the
    # same rows. The question names the managers, so the set expects a filter on them.
    west_managers = ["Celia Rouche", "Summer Sewald"]
    add(
        "several_values",
        "Celia Rouche和Summer Sewald两个团队分别丢了几单",
        {"filters": [one_of(MANAGER, west_managers), LOST], "group_by": [group(MANAGER)]},
        by(within(lost, "manager", west_managers), "manager", count),
    )
    countries = ["Germany", "Norway"]
    add(
        "several_values",
        "lost deal count for Germany or Norway accounts",
        {"filters": [one_of(COUNTRY, countries), LOST]},
        [[len(within(lost, "country", countries))]],
    )
    trio = ["GTX Basic", "GTK 500", "MG Special"]
    add(
        "several_values",
        "GTX Basic、GTK 500、MG Special三个产品的赢单数对比",
        {"filters": [one_of(PRODUCT, trio), WON], "group_by": [group(PRODUCT)]},
        by(within(won, "product", trio), "product", count),
    )
    pair_accounts = ["Codehow", "Konex"]
    add(
        "several_values",
        "avg won amount across Codehow and Konex",
        {"filters": [one_of(ACCOUNT, pair_accounts), WON], "measures": [AVG]},
        [[won_average(within(won, "account", pair_accounts))]],
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

    win_rate("我们的总体胜率是多少", [], closed)
    win_rate_by("win rate by region", REGION, "regional_office")
    win_rate(
        "Darcel Schlecht胜率多少",
        [equals(REP, "Darcel Schlecht")],
        where(closed, "sales_agent", "Darcel Schlecht"),
    )
    win_rate(
        "win % for MG Advanced?",
        [equals(PRODUCT, "MG Advanced")],
        where(closed, "product", "MG Advanced"),
    )
    win_rate_by("各产品的成单率", PRODUCT, "product")
    win_rate_by("what's the win rate of each manager's team?", MANAGER, "manager")
    win_rate(
        "零售行业的赢率怎么样",
        [equals(INDUSTRY, "retail")],
        where(closed, "industry", "retail"),
    )
    win_rate_ranked("which region has the best win rate?", by_region)
    win_rate_ranked("胜率最低的销售是哪位", by_rep, lowest_first=True)

    # Accounts as the base object, and account fields on deals.
    def accounts_query(**parts: Any) -> dict[str, Any]:
        return {"object": "accounts", **parts}

    add_object("accounts", "给我个数：咱们有多少家客户", accounts_query(), [[len(accounts)]])
    add_object(
        "accounts",
        "number of non-US accounts",
        accounts_query(filters=[excluding("country", "United States")]),
        [[int((accounts["office_location"] != "United States").sum())]],
    )
    # ``gt 2000`` selects the same accounts, but the question names 2001, so the set expects gte.
    add_object(
        "accounts",
        "成立于2001年或更晚的客户有几家",
        accounts_query(filters=[{"field": "founded_year", "op": "gte", "value": 2001}]),
        [[int((accounts["founded"] >= 2001).sum())]],
    )
    add_object(
        "accounts",
        "accounts with more than 5,000 employees - how many?",
        accounts_query(filters=[{"field": "employee_count", "op": "gt", "value": 5000}]),
        [[int((accounts["employees"] > 5000).sum())]],
    )
    add_object(
        "accounts",
        "零售行业客户的员工总数",
        accounts_query(
            filters=[equals("industry", "retail")],
            measures=[{"aggregate": "sum", "field": "employee_count"}],
        ),
        [[int(accounts[accounts["industry"] == "retail"]["employees"].sum())]],
    )
    add_object(
        "accounts",
        "average annual revenue by industry",
        accounts_query(
            group_by=[group("industry")],
            measures=[{"aggregate": "avg", "field": "annual_revenue"}],
        ),
        by(accounts, "industry", lambda part: average(part["annual_revenue"])),
    )
    add_object(
        "accounts",
        "帮忙统计下每个国家有几家客户",
        accounts_query(group_by=[group("country")]),
        by(accounts, "office_location", count),
    )
    revenue_sum = {"aggregate": "sum", "field": "annual_revenue"}
    add_object(
        "accounts",
        "which industry's accounts have the highest combined annual revenue?",
        accounts_query(
            group_by=[group("industry")],
            measures=[revenue_sum],
            sort=descending("sum:annual_revenue"),
            limit=1,
        ),
        ranked(by(accounts, "industry", lambda part: cents(sum(part["annual_revenue"]))), 1),
        ordered=True,
    )
    add_object(
        "accounts",
        "年收入低于1亿美元的客户数量",
        accounts_query(filters=[{"field": "annual_revenue", "op": "lt", "value": 100_000_000}]),
        [[int((accounts["annual_revenue"] < 100_000_000).sum())]],
    )
    small_accounts = won[won["employees"].map(lambda value: not pd.isna(value) and value < 1000)]
    add(
        "accounts",
        "won deals with accounts that have under 1,000 employees",
        {"filters": [{"field": "account.employee_count", "op": "lt", "value": 1000}, WON]},
        [[len(small_accounts)]],
    )
    old_accounts = won[won["founded"].map(lambda value: not pd.isna(value) and value < 1980)]
    add(
        "accounts",
        "成立年份早于1980年的客户贡献了多少成交额",
        {
            "filters": [{"field": "account.founded_year", "op": "lt", "value": 1980}, WON],
            "measures": [SUM],
        },
        nonempty_total(old_accounts),
    )

    # Products as the base object.
    def products_query(**parts: Any) -> dict[str, Any]:
        return {"object": "products", **parts}

    def list_price(aggregate: str) -> dict[str, Any]:
        return {"aggregate": aggregate, "field": "list_price"}

    add_object("products", "咱们一共有几款产品", products_query(), [[len(products)]])
    add_object(
        "products",
        "cheapest list price in the catalog?",
        products_query(measures=[list_price("min")]),
        [[cents(min(products["list_price"]))]],
    )
    add_object(
        "products",
        "所有产品的平均标价",
        products_query(measures=[list_price("avg")]),
        [[average(products["list_price"])]],
    )
    add_object(
        "products",
        "how many GTX products are there?",
        products_query(filters=[equals("series", "GTX")]),
        [[int((products["series"] == "GTX").sum())]],
    )
    add_object(
        "products",
        "每条产品线下面挂了几款产品",
        products_query(group_by=[group("series")]),
        by(products, "series", count),
    )
    add_object(
        "products",
        "products with a list price of 1,000 or less - how many?",
        products_query(filters=[{"field": "list_price", "op": "lte", "value": 1000}]),
        [[int((products["list_price"] <= 1000).sum())]],
    )
    add_object(
        "products",
        "GTX系列最贵的产品标价是多少",
        products_query(filters=[equals("series", "GTX")], measures=[list_price("max")]),
        [[cents(max(products[products["series"] == "GTX"]["list_price"]))]],
    )
    add_object(
        "products",
        "sum of list prices across all products",
        products_query(measures=[list_price("sum")]),
        [[cents(sum(products["list_price"]))]],
    )

    # Open pipeline: deals neither won nor lost. They carry no amount, so only
    # counts are asked.
    add(
        "open_pipeline",
        "West区还在推进中的商机有多少",
        {"filters": [*OPEN, equals(REGION, "West")]},
        [[len(where(open_deals, "regional_office", "West"))]],
    )
    add(
        "open_pipeline",
        "open opps per rep",
        {"filters": OPEN, "group_by": [group(REP)]},
        by(open_deals, "sales_agent", count),
    )
    add(
        "open_pipeline",
        "MG Advanced还有多少单没关",
        {"filters": [*OPEN, equals(PRODUCT, "MG Advanced")]},
        [[len(where(open_deals, "product", "MG Advanced"))]],
    )
    add(
        "open_pipeline",
        "how many open deals does Melvin Marxen's team have?",
        {"filters": [*OPEN, equals(MANAGER, "Melvin Marxen")]},
        [[len(where(open_deals, "manager", "Melvin Marxen"))]],
    )
    add(
        "open_pipeline",
        "每个行业还没结果的商机数",
        {"filters": OPEN, "group_by": [group(INDUSTRY)]},
        by(open_deals, "industry", count),
    )
    add(
        "open_pipeline",
        "Hayden Neloms: open opportunity count",
        {"filters": [*OPEN, equals(REP, "Hayden Neloms")]},
        [[len(where(open_deals, "sales_agent", "Hayden Neloms"))]],
    )
    top("open_pipeline", "未结商机最多的大区是哪个", OPEN, by_region, 1, None, open_deals)
    add(
        "open_pipeline",
        "open opp count for every product",
        {"filters": OPEN, "group_by": [group(PRODUCT)]},
        by(open_deals, "product", count),
    )

    # Several conditions at once.
    add(
        "combined",
        "今年West区GTX Pro赢单总额",
        {
            "filters": [
                closed_relative("this_year"),
                equals(PRODUCT, "GTX Pro"),
                equals(REGION, "West"),
                WON,
            ],
            "measures": [SUM],
        },
        nonempty_total(
            where(where(this_year_won, "regional_office", "West"), "product", "GTX Pro")
        ),
    )
    east_mg_lost = where(where(lost, "regional_office", "East"), "product", "MG Special")
    add(
        "combined",
        "how many MG Special deals did the East lose in Q3 2017?",
        {
            "filters": [
                closed_in("2017-07-01", "2017-09-30"),
                equals(PRODUCT, "MG Special"),
                equals(REGION, "East"),
                LOST,
            ]
        },
        [[len(closed_from(east_mg_lost, date(2017, 7, 1), date(2017, 9, 30)))]],
    )
    add(
        "combined",
        "上个月Central区每个销售的赢单金额",
        {
            "filters": [closed_relative("last_month"), equals(REGION, "Central"), WON],
            "group_by": [group(REP)],
            "measures": [SUM],
        },
        by(
            closed_during(where(won, "regional_office", "Central"), "last_month"),
            "sales_agent",
            won_total,
        ),
    )
    add(
        "combined",
        "Kary Hendrixson's wins over 2k this year",
        {
            "filters": [
                amount_is("gt", 2000),
                closed_relative("this_year"),
                equals(REP, "Kary Hendrixson"),
                WON,
            ]
        },
        [
            [
                len(
                    amounts(
                        where(this_year_won, "sales_agent", "Kary Hendrixson"), lambda v: v > 2000
                    )
                )
            ]
        ],
    )
    east_tech = where(where(won, "regional_office", "East"), "industry", "technology")
    add(
        "combined",
        "2017年East区科技行业客户的平均成交额",
        {
            "filters": [
                closed_in("2017-01-01", "2017-12-31"),
                equals(INDUSTRY, "technology"),
                equals(REGION, "East"),
                WON,
            ],
            "measures": [AVG],
        },
        [[won_average(closed_from(east_tech, date(2017, 1, 1), date(2017, 12, 31)))]],
    )
    add(
        "combined",
        "won rev from retail accounts by region in Q2 2017",
        {
            "filters": [closed_in("2017-04-01", "2017-06-30"), equals(INDUSTRY, "retail"), WON],
            "group_by": [group(REGION)],
            "measures": [SUM],
        },
        by(
            closed_from(where(won, "industry", "retail"), date(2017, 4, 1), date(2017, 6, 30)),
            "regional_office",
            won_total,
        ),
    )
    celia_gtk_lost = where(where(lost, "manager", "Celia Rouche"), "product", "GTK 500")
    add(
        "combined",
        "Celia Rouche团队今年丢了几单GTK 500",
        {
            "filters": [
                closed_relative("this_year"),
                equals(MANAGER, "Celia Rouche"),
                equals(PRODUCT, "GTK 500"),
                LOST,
            ]
        },
        [[len(closed_during(celia_gtk_lost, "this_year"))]],
    )
    central_plus_pro = where(where(won, "regional_office", "Central"), "product", "GTX Plus Pro")
    add(
        "combined",
        "average won amount for GTX Plus Pro deals over 5k in the Central office",
        {
            "filters": [
                amount_is("gt", 5000),
                equals(PRODUCT, "GTX Plus Pro"),
                equals(REGION, "Central"),
                WON,
            ],
            "measures": [AVG],
        },
        [[won_average(amounts(central_plus_pro, lambda v: v > 5000))]],
    )
    return cases
