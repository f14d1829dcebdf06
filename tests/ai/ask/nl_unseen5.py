"""A fifth unseen question set over the MavenTech pipeline, written without reading the grammar.

The first four unseen sets have been measured and reported, so their figures no
longer show how the offline grammar reads wordings it was never tuned to. This set
takes their place. The grammar is not tuned against it, so its accuracy estimates
how the grammar handles new wordings.

The questions cover the families of ``nl_unseen2.py`` in new wordings, typed the
way sales managers and reps at Chinese companies write them. They use openers and
fillers such as 咱们, 列个表, 拆一下 and 加一块儿, colloquial words (悬着, 卡在,
垫底, 几成, 签回来, 在推进) and abbreviations (opps, #, atm, pls, mgr, avg, x,
5k, Feb '17, $). Some use English contractions or start with the filter, the
measure or the dimension, and a few give a month as 2017-05 or an amount as 一万.
A few carry typos of the kind an input method or a hurried thumb makes (actualy,
anual, invovling, 累积 for 累计, 几但 for 几单). No question repeats one of the
other sets, and a test checks that. Questions that came close to an earlier one
were reworded.

Expected rows are computed with pandas from the CSV files, independently of the
importer and the report engine. Expected queries take the forms of
``nl_unseen2.py``. Won and lost deals are filtered by ``stage.key``, open deals as
neither won nor lost, and revenue and bookings are the sum of won amounts. A win
rate is the ``share`` measure named ``win_rate`` over deals with a close date. New
deals are counted by their engage date, distinct counts go on the foreign key, and
top or bottom N is a sort on the measure with a limit. Where two typed queries
would be equally correct, a comment names the one the set expects.
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


def build_unseen5_cases(folder: Path, as_of: date) -> list[Case]:
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

    by_rep = (REP, "sales_agent")
    by_account = (ACCOUNT, "account")
    by_manager = (MANAGER, "manager")
    by_product = (PRODUCT, "product")
    by_industry = (INDUSTRY, "industry")
    by_region = (REGION, "regional_office")
    summed = (SUM, won_total)
    averaged = (AVG, won_average)
    this_year_won = closed_during(won, "this_year")
    last_quarter_won = closed_during(won, "last_quarter")
    year_2017 = (date(2017, 1, 1), date(2017, 12, 31))

    # Counts of deals, plain or by stage.
    add("stage_count", "咱们pipeline里总共有几条商机记录", {}, [[len(frame)]])
    add("stage_count", "total # of opps we've got on file?", {}, [[len(frame)]])
    add("stage_count", "输掉的单子加起来几个", {"filters": [LOST]}, [[len(lost)]])
    add(
        "stage_count",
        "since day one, how many opps ended up lost?",
        {"filters": [LOST]},
        [[len(lost)]],
    )
    add("stage_count", "how many opps have we actualy won", {"filters": [WON]}, [[len(won)]])
    add("stage_count", "count every deal that's marked won", {"filters": [WON]}, [[len(won)]])
    add(
        "stage_count",
        "还卡在prospecting的有几单",
        {"filters": [equals(STAGE, "prospecting")]},
        [[len(where(frame, "stage", "prospecting"))]],
    )
    add(
        "stage_count",
        "engaging stage opp count atm",
        {"filters": [equals(STAGE, "engaging")]},
        [[len(where(frame, "stage", "engaging"))]],
    )
    # 悬着 ("hanging") means neither won nor lost yet.
    add("stage_count", "没输也没赢、还悬着的商机数量", {"filters": OPEN}, [[len(open_deals)]])

    # Sums of won amounts under one filter.
    def won_sum(column: str, value: str, field: str, question: str) -> None:
        add(
            "won_sum",
            question,
            {"filters": [equals(field, value), WON], "measures": [SUM]},
            nonempty_total(where(won, column, value)),
        )

    won_sum("manager", "Celia Rouche", MANAGER, "Celia Rouche手下那组一共签回来多少钱")
    won_sum("manager", "Melvin Marxen", MANAGER, "closed-won dollars for Melvin Marxen's team?")
    won_sum("account", "Kan-code", ACCOUNT, "Kan-code这家客户累积成交了多少")
    won_sum("product", "MG Advanced", PRODUCT, "how much have we booked on MG Advanced")
    won_sum("series", "GTK", SERIES, "GTK series: total won, in dollars?")
    won_sum("sales_agent", "Moses Frase", REP, "sum of Moses Frase's wins in $")
    won_sum("regional_office", "West", REGION, "West这个区签下来的钱加一块儿多少")
    won_sum("industry", "entertainment", INDUSTRY, "revenue won from entertainment clients")
    won_sum("industry", "services", INDUSTRY, "services行业客户赢单金额加总")

    # Averages.
    add(
        "average",
        "赢下来的单子平均多大金额",
        {"filters": [WON], "measures": [AVG]},
        [[won_average(won)]],
    )
    add(
        "average",
        "whats the mean value of our won opps",
        {"filters": [WON], "measures": [AVG]},
        [[won_average(won)]],
    )
    add(
        "average",
        "West区赢单的均值",
        {"filters": [equals(REGION, "West"), WON], "measures": [AVG]},
        [[won_average(where(won, "regional_office", "West"))]],
    )
    add(
        "average",
        "Corliss Cosme's mean deal size, won ones only",
        {"filters": [equals(REP, "Corliss Cosme"), WON], "measures": [AVG]},
        [[won_average(where(won, "sales_agent", "Corliss Cosme"))]],
    )
    add(
        "average",
        "MG Special赢单平均金额算一下",
        {"filters": [equals(PRODUCT, "MG Special"), WON], "measures": [AVG]},
        [[won_average(where(won, "product", "MG Special"))]],
    )
    add(
        "average",
        "avg won $ for retail accounts",
        {"filters": [equals(INDUSTRY, "retail"), WON], "measures": [AVG]},
        [[won_average(where(won, "industry", "retail"))]],
    )
    add_object(
        "average",
        "所有客户公司年收入取个平均",
        {"object": "accounts", "measures": [{"aggregate": "avg", "field": "annual_revenue"}]},
        [[average(accounts["annual_revenue"])]],
    )
    add(
        "average",
        "avg won deal last quarter",
        {"filters": [closed_relative("last_quarter"), WON], "measures": [AVG]},
        [[won_average(last_quarter_won)]],
    )
    add(
        "average",
        "各个销售经理名下的平均赢单额",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [AVG]},
        by(won, "manager", won_average),
    )

    # Medians.
    add(
        "median",
        "成交的单子，金额中位值给我一下",
        {"filters": [WON], "measures": [MEDIAN]},
        [[won_median(won)]],
    )
    add(
        "median",
        "median win size in the West?",
        {"filters": [equals(REGION, "West"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "regional_office", "West"))]],
    )
    add(
        "median",
        "Rocco Neubert那组成交额取中位数",
        {"filters": [equals(MANAGER, "Rocco Neubert"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "manager", "Rocco Neubert"))]],
    )
    add(
        "median",
        "regional median of won deal amounts",
        {"filters": [WON], "group_by": [group(REGION)], "measures": [MEDIAN]},
        by(won, "regional_office", won_median),
    )
    add(
        "median",
        "median win per product line",
        {"filters": [WON], "group_by": [group(SERIES)], "measures": [MEDIAN]},
        by(won, "series", won_median),
    )
    add_object(
        "median",
        "median yearly revenue across all accounts",
        {"object": "accounts", "measures": [{"aggregate": "median", "field": "annual_revenue"}]},
        [[median(accounts["annual_revenue"])]],
    )
    add(
        "median",
        "GTX Pro单子赢下来的中位金额",
        {"filters": [equals(PRODUCT, "GTX Pro"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "product", "GTX Pro"))]],
    )
    add(
        "median",
        "median won deal last month",
        {"filters": [closed_relative("last_month"), WON], "measures": [MEDIAN]},
        [[won_median(closed_during(won, "last_month"))]],
    )
    medical_accounts = accounts[accounts["industry"] == "medical"]
    add_object(
        "median",
        "医疗行业客户员工人数的中位数",
        {
            "object": "accounts",
            "filters": [equals("industry", "medical")],
            "measures": [{"aggregate": "median", "field": "employee_count"}],
        },
        [[cents(statistics.median(medical_accounts["employees"]))]],
    )

    # Largest and smallest values.
    add(
        "min_max",
        "单笔赢单金额的最高纪录是多少",
        {"filters": [WON], "measures": [MAX]},
        [[largest(won["amount"])]],
    )
    add(
        "min_max",
        "smallest won deal ever?",
        {"filters": [WON], "measures": [MIN]},
        [[smallest(won["amount"])]],
    )
    add(
        "min_max",
        "West区赢单里最小的那笔是多少钱",
        {"filters": [equals(REGION, "West"), WON], "measures": [MIN]},
        [[smallest(where(won, "regional_office", "West")["amount"])]],
    )
    add(
        "min_max",
        "biggest single win in each region",
        {"filters": [WON], "group_by": [group(REGION)], "measures": [MAX]},
        by(won, "regional_office", lambda part: largest(part["amount"])),
    )
    add(
        "min_max",
        "每个产品单笔成交的最高金额",
        {"filters": [WON], "group_by": [group(PRODUCT)], "measures": [MAX]},
        by(won, "product", lambda part: largest(part["amount"])),
    )
    add(
        "min_max",
        "smallest win for GTX Plus Basic",
        {"filters": [equals(PRODUCT, "GTX Plus Basic"), WON], "measures": [MIN]},
        [[smallest(where(won, "product", "GTX Plus Basic")["amount"])]],
    )
    add_object(
        "min_max",
        "max headcount of any account",
        {"object": "accounts", "measures": [{"aggregate": "max", "field": "employee_count"}]},
        [[int(accounts["employees"].max())]],
    )
    add_object(
        "min_max",
        "newest account - what year was it founded?",
        {"object": "accounts", "measures": [{"aggregate": "max", "field": "founded_year"}]},
        [[int(accounts["founded"].max())]],
    )
    add(
        "min_max",
        "上季度单笔成交金额最高是多少",
        {"filters": [closed_relative("last_quarter"), WON], "measures": [MAX]},
        [[largest(last_quarter_won["amount"])]],
    )

    # Distinct counts, on the foreign key as in nl_unseen2.py.
    add(
        "distinct",
        "有几家客户跟我们成交过",
        {"filters": [WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(won)]],
    )
    add(
        "distinct",
        "number of distinct accounts with a lost deal",
        {"filters": [LOST], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(lost)]],
    )
    add(
        "distinct",
        "# of reps who've lost at least one deal",
        {"filters": [LOST], "measures": [OWNERS_COUNTED]},
        [[distinct("sales_agent")(lost)]],
    )
    # "Bought" reads as a won deal: a lost or open deal is no purchase.
    add(
        "distinct",
        "Sonron买过几种不同的产品",
        {"filters": [equals(ACCOUNT, "Sonron"), WON], "measures": [PRODUCTS_COUNTED]},
        [[distinct("product")(where(won, "account", "Sonron"))]],
    )
    add(
        "distinct",
        "unique reps with a win in the West",
        {"filters": [equals(REGION, "West"), WON], "measures": [OWNERS_COUNTED]},
        [[distinct("sales_agent")(where(won, "regional_office", "West"))]],
    )
    add(
        "distinct",
        "分大区看：赢过单的销售各有几人",
        {"filters": [WON], "group_by": [group(REGION)], "measures": [OWNERS_COUNTED]},
        by(won, "regional_office", distinct("sales_agent")),
    )
    add(
        "distinct",
        "how many distinct customers have we won in each industry",
        {"filters": [WON], "group_by": [group(INDUSTRY)], "measures": [ACCOUNTS_COUNTED]},
        by(won, "industry", distinct("account")),
    )
    add(
        "distinct",
        "这个季度成交的客户有几家（去重）",
        {"filters": [closed_relative("this_quarter"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(closed_during(won, "this_quarter"))]],
    )
    add(
        "distinct",
        "how many accounts bought MG Special?",
        {"filters": [equals(PRODUCT, "MG Special"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(where(won, "product", "MG Special"))]],
    )

    # Breakdowns by one dimension.
    add(
        "breakdown",
        "商机数量按产品拆一下",
        {"group_by": [group(PRODUCT)]},
        by(frame, "product", count),
    )
    add(
        "breakdown",
        "how many opps sit in each stage",
        {"group_by": [group(STAGE)]},
        by(frame, "stage", count),
    )
    add(
        "breakdown",
        "各行业分别丢了几但",
        {"filters": [LOST], "group_by": [group(INDUSTRY)]},
        by(lost, "industry", count),
    )
    add(
        "breakdown",
        "pls give me won $ per region",
        {"filters": [WON], "group_by": [group(REGION)], "measures": [SUM]},
        by(won, "regional_office", won_total),
    )
    add(
        "breakdown",
        "每位销售各赢了几单，列个表",
        {"filters": [WON], "group_by": [group(REP)]},
        by(won, "sales_agent", count),
    )
    # Deals without an account form their own group, as the report returns it.
    add(
        "breakdown",
        "how many deals per customer industry",
        {"group_by": [group(INDUSTRY)]},
        by(frame, "industry", count),
    )
    add(
        "breakdown",
        "won revenue rolled up by series",
        {"filters": [WON], "group_by": [group(SERIES)], "measures": [SUM]},
        by(won, "series", won_total),
    )
    add(
        "breakdown",
        "each manager's lost-deal tally",
        {"filters": [LOST], "group_by": [group(MANAGER)]},
        by(lost, "manager", count),
    )
    add(
        "breakdown",
        "不同国家的客户各贡献了多少成交额",
        {"filters": [WON], "group_by": [group(COUNTRY)], "measures": [SUM]},
        by(won, "country", won_total),
    )

    # Time buckets. A named year such as 2017 is expected as a ``between`` filter on its
    # dates, as in nl_unseen2.py, although ``this_year`` selects the same deals.
    add(
        "time_bucket",
        "每个月赢几单，按月列一下",
        {"filters": [WON], "group_by": [CLOSED_MONTH]},
        by(won, "closed_month", count),
    )
    add(
        "time_bucket",
        "lost deals per quarter, count pls",
        {"filters": [LOST], "group_by": [CLOSED_QUARTER]},
        by(lost, "closed_quarter", count),
    )
    add(
        "time_bucket",
        "won $ trend month over month",
        {"filters": [WON], "group_by": [CLOSED_MONTH], "measures": [SUM]},
        by(won, "closed_month", won_total),
    )
    add(
        "time_bucket",
        "quarter by quarter, how many opps did we start engaging",
        {"group_by": [ENGAGED_QUARTER]},
        by(frame, "engaged_quarter", count),
    )
    add(
        "time_bucket",
        "East区每个季度赢了几单",
        {"filters": [equals(REGION, "East"), WON], "group_by": [CLOSED_QUARTER]},
        by(where(won, "regional_office", "East"), "closed_quarter", count),
    )
    add(
        "time_bucket",
        "monthly won revenue for the MG series",
        {
            "filters": [equals(SERIES, "MG"), WON],
            "group_by": [CLOSED_MONTH],
            "measures": [SUM],
        },
        by(where(won, "series", "MG"), "closed_month", won_total),
    )
    add(
        "time_bucket",
        "2017年每个季度的平均成交额",
        {
            "filters": [closed_in("2017-01-01", "2017-12-31"), WON],
            "group_by": [CLOSED_QUARTER],
            "measures": [AVG],
        },
        by(closed_from(won, *year_2017), "closed_quarter", won_average),
    )
    add(
        "time_bucket",
        "how many opps got engaged each month during 2017",
        {"filters": [engaged_in("2017-01-01", "2017-12-31")], "group_by": [ENGAGED_MONTH]},
        by(between(frame, "engaged", *year_2017), "engaged_month", count),
    )
    add(
        "time_bucket",
        "Vicki Laflamme按季度的赢单金额",
        {
            "filters": [equals(REP, "Vicki Laflamme"), WON],
            "group_by": [CLOSED_QUARTER],
            "measures": [SUM],
        },
        by(where(won, "sales_agent", "Vicki Laflamme"), "closed_quarter", won_total),
    )

    # Two dimensions, in the order the question names them.
    add(
        "two_dimensions",
        "各大区各产品分别赢了几单",
        {"filters": [WON], "group_by": [group(REGION), group(PRODUCT)]},
        two_keys(won, "regional_office", "product", count),
    )
    add(
        "two_dimensions",
        "won $ by industry and series",
        {"filters": [WON], "group_by": [group(INDUSTRY), group(SERIES)], "measures": [SUM]},
        two_keys(won, "industry", "series", won_total),
    )
    add(
        "two_dimensions",
        "按经理、按季度看成交额",
        {"filters": [WON], "group_by": [group(MANAGER), CLOSED_QUARTER], "measures": [SUM]},
        two_keys(won, "manager", "closed_quarter", won_total),
    )
    add(
        "two_dimensions",
        "lost deals by product and quarter",
        {"filters": [LOST], "group_by": [group(PRODUCT), CLOSED_QUARTER]},
        two_keys(lost, "product", "closed_quarter", count),
    )
    add(
        "two_dimensions",
        "每个大区每个月的赢单数",
        {"filters": [WON], "group_by": [group(REGION), CLOSED_MONTH]},
        two_keys(won, "regional_office", "closed_month", count),
    )
    add(
        "two_dimensions",
        "mean won amount per series x region",
        {"filters": [WON], "group_by": [group(SERIES), group(REGION)], "measures": [AVG]},
        two_keys(won, "series", "regional_office", won_average),
    )
    add(
        "two_dimensions",
        "各行业的丢单再按产品系列分开看",
        {"filters": [LOST], "group_by": [group(INDUSTRY), group(SERIES)]},
        two_keys(lost, "industry", "series", count),
    )
    add(
        "two_dimensions",
        "open deals, grouped first by mgr then by stage",
        {"filters": OPEN, "group_by": [group(MANAGER), group(STAGE)]},
        two_keys(open_deals, "manager", "stage", count),
    )
    add(
        "two_dimensions",
        "每个经理每个产品的赢单金额",
        {"filters": [WON], "group_by": [group(MANAGER), group(PRODUCT)], "measures": [SUM]},
        two_keys(won, "manager", "product", won_total),
    )

    # Top N.
    top("top_n", "赢单数最多的三家客户", [WON], by_account, 3, None, won)
    top("top_n", "top 5 reps ranked by won revenue", [WON], by_rep, 5, summed, won)
    top("top_n", "哪个经理团队签单金额最高", [WON], by_manager, 1, summed, won)
    top("top_n", "most-won product, by deal count", [WON], by_product, 1, None, won)
    top("top_n", "行业按成交额排个序，取前三", [WON], by_industry, 3, summed, won)
    top(
        "top_n",
        "who has the most wins in East?",
        [equals(REGION, "East"), WON],
        by_rep,
        1,
        None,
        where(won, "regional_office", "East"),
    )
    top(
        "top_n",
        "上季度赢单金额最高的产品是哪个",
        [closed_relative("last_quarter"), WON],
        by_product,
        1,
        summed,
        last_quarter_won,
    )
    top("top_n", "top 2 regions by avg won deal", [WON], by_region, 2, averaged, won)
    top(
        "top_n",
        "Celia Rouche团队里赢单数最多的销售",
        [equals(MANAGER, "Celia Rouche"), WON],
        by_rep,
        1,
        None,
        where(won, "manager", "Celia Rouche"),
    )

    # Bottom N.
    top(
        "bottom_n",
        "签单金额最少的经理团队",
        [WON],
        by_manager,
        1,
        summed,
        won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "two reps bringing in the least won $",
        [WON],
        by_rep,
        2,
        summed,
        won,
        lowest_first=True,
    )
    top("bottom_n", "哪个行业赢单数最少", [WON], by_industry, 1, None, won, lowest_first=True)
    top(
        "bottom_n",
        "lowest-grossing product by won $",
        [WON],
        by_product,
        1,
        summed,
        won,
        lowest_first=True,
    )
    top("bottom_n", "平均成交额最低的产品", [WON], by_product, 1, averaged, won, lowest_first=True)
    top(
        "bottom_n",
        "account that's given us the smallest won total",
        [WON],
        by_account,
        1,
        summed,
        won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "今年成交额最少的两个区",
        [closed_relative("this_year"), WON],
        by_region,
        2,
        summed,
        this_year_won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "the East rep with the smallest won total",
        [equals(REGION, "East"), WON],
        by_rep,
        1,
        summed,
        where(won, "regional_office", "East"),
        lowest_first=True,
    )
    # 垫底 ("at the bottom") is the last one.
    top(
        "bottom_n",
        "Dustin Brinkmann团队里赢单金额垫底的销售",
        [equals(MANAGER, "Dustin Brinkmann"), WON],
        by_rep,
        1,
        summed,
        where(won, "manager", "Dustin Brinkmann"),
        lowest_first=True,
    )

    # Amount ranges. As in nl_unseen2.py, Chinese 以上 and 以下 are avoided because
    # whether they include the bound is unclear.
    add(
        "amount_range",
        "超过8000块的赢单数",
        {"filters": [amount_is("gt", 8000), WON]},
        [[len(amounts(won, lambda v: v > 8000))]],
    )
    add(
        "amount_range",
        "how many wins were below 500 bucks",
        {"filters": [amount_is("lt", 500), WON]},
        [[len(amounts(won, lambda v: v < 500))]],
    )
    add(
        "amount_range",
        "赢单中介于1000和3000之间的笔数",
        {"filters": [amount_is("between", [1000, 3000]), WON]},
        [[len(amounts(won, lambda v: 1000 <= v <= 3000))]],
    )
    add(
        "amount_range",
        "wins of 5k or more, count?",
        {"filters": [amount_is("gte", 5000), WON]},
        [[len(amounts(won, lambda v: v >= 5000))]],
    )
    add(
        "amount_range",
        "不高于1500的赢单总金额",
        {"filters": [amount_is("lte", 1500), WON], "measures": [SUM]},
        nonempty_total(amounts(won, lambda v: v <= 1500)),
    )
    add(
        "amount_range",
        "mean size of wins above 2k",
        {"filters": [amount_is("gt", 2000), WON], "measures": [AVG]},
        [[won_average(amounts(won, lambda v: v > 2000))]],
    )
    add(
        "amount_range",
        "West区单笔大于3000的赢单有几个",
        {"filters": [amount_is("gt", 3000), equals(REGION, "West"), WON]},
        [[len(amounts(where(won, "regional_office", "West"), lambda v: v > 3000))]],
    )
    add(
        "amount_range",
        "wins bigger than 6000, split by region",
        {"filters": [amount_is("gt", 6000), WON], "group_by": [group(REGION)]},
        by(amounts(won, lambda v: v > 6000), "regional_office", count),
    )
    add(
        "amount_range",
        "赢单里大于一万的按销售经理分",
        {"filters": [amount_is("gt", 10000), WON], "group_by": [group(MANAGER)]},
        by(amounts(won, lambda v: v > 10000), "manager", count),
    )

    # Explicit dates.
    add(
        "date_range",
        "2017-05赢单数",
        {"filters": [closed_in("2017-05-01", "2017-05-31"), WON]},
        [[len(closed_from(won, date(2017, 5, 1), date(2017, 5, 31)))]],
    )
    add(
        "date_range",
        "won revenue, June 2017",
        {"filters": [closed_in("2017-06-01", "2017-06-30"), WON], "measures": [SUM]},
        nonempty_total(closed_from(won, date(2017, 6, 1), date(2017, 6, 30))),
    )
    add(
        "date_range",
        "2017年4-6月输了几单",
        {"filters": [closed_in("2017-04-01", "2017-06-30"), LOST]},
        [[len(closed_from(lost, date(2017, 4, 1), date(2017, 6, 30)))]],
    )
    add(
        "date_range",
        "count of opps engaged between Oct and Dec 2016",
        {"filters": [engaged_in("2016-10-01", "2016-12-31")]},
        [[len(between(frame, "engaged", date(2016, 10, 1), date(2016, 12, 31)))]],
    )
    # 下半年 is the second half of the year, July to December.
    add(
        "date_range",
        "17年下半年成交金额",
        {"filters": [closed_in("2017-07-01", "2017-12-31"), WON], "measures": [SUM]},
        nonempty_total(closed_from(won, date(2017, 7, 1), date(2017, 12, 31))),
    )
    add(
        "date_range",
        "Feb '17 lost deals?",
        {"filters": [closed_in("2017-02-01", "2017-02-28"), LOST]},
        [[len(closed_from(lost, date(2017, 2, 1), date(2017, 2, 28)))]],
    )
    add(
        "date_range",
        "2017年8月1日到9月15日之间的赢单数",
        {"filters": [closed_in("2017-08-01", "2017-09-15"), WON]},
        [[len(closed_from(won, date(2017, 8, 1), date(2017, 9, 15)))]],
    )
    add(
        "date_range",
        "avg won deal in Q2 2017",
        {"filters": [closed_in("2017-04-01", "2017-06-30"), WON], "measures": [AVG]},
        [[won_average(closed_from(won, date(2017, 4, 1), date(2017, 6, 30)))]],
    )
    add(
        "date_range",
        "2017年1月各大区成交额",
        {
            "filters": [closed_in("2017-01-01", "2017-01-31"), WON],
            "group_by": [group(REGION)],
            "measures": [SUM],
        },
        by(closed_from(won, date(2017, 1, 1), date(2017, 1, 31)), "regional_office", won_total),
    )

    # Relative periods, counted from as_of. "This month" and "this year" are the whole
    # calendar period, as the report reads them.
    add(
        "relative_period",
        "# of wins in the current month",
        {"filters": [closed_relative("this_month"), WON]},
        [[len(closed_during(won, "this_month"))]],
    )
    add(
        "relative_period",
        "last week's won revenue",
        {"filters": [closed_relative("last_week"), WON], "measures": [SUM]},
        nonempty_total(closed_during(won, "last_week")),
    )
    add(
        "relative_period",
        "上个季度输掉几单",
        {"filters": [closed_relative("last_quarter"), LOST]},
        [[len(closed_during(lost, "last_quarter"))]],
    )
    add(
        "relative_period",
        "wins in the past 90 days for each rep",
        {"filters": [closed_relative("last_90_days"), WON], "group_by": [group(REP)]},
        by(closed_during(won, "last_90_days"), "sales_agent", count),
    )
    # 两周 ("two weeks") is the last 14 days.
    add(
        "relative_period",
        "近两周的成交额",
        {"filters": [closed_relative("last_14_days"), WON], "measures": [SUM]},
        nonempty_total(closed_during(won, "last_14_days")),
    )
    add(
        "relative_period",
        "new opps created this month",
        {"filters": [engaged_relative("this_month")]},
        [[len(between(frame, "engaged", *ranges["this_month"]))]],
    )
    add(
        "relative_period",
        "今年一共赢了几单",
        {"filters": [closed_relative("this_year"), WON]},
        [[len(this_year_won)]],
    )
    add(
        "relative_period",
        "lost deals, last 45 days",
        {"filters": [closed_relative("last_45_days"), LOST]},
        [[len(closed_during(lost, "last_45_days"))]],
    )
    add(
        "relative_period",
        "上个月各产品线的成交额",
        {
            "filters": [closed_relative("last_month"), WON],
            "group_by": [group(SERIES)],
            "measures": [SUM],
        },
        by(closed_during(won, "last_month"), "series", won_total),
    )

    # Exclusions. Won and lost deals all have an account, so a condition on the
    # account never meets a deal without one.
    add(
        "exclusion",
        "除了GTX系列之外赢了几单",
        {"filters": [excluding(SERIES, "GTX"), WON]},
        [[int((won["series"] != "GTX").sum())]],
    )
    add(
        "exclusion",
        "everything we won outside East, in $",
        {"filters": [excluding(REGION, "East"), WON], "measures": [SUM]},
        nonempty_total(won[won["regional_office"] != "East"]),
    )
    add(
        "exclusion",
        "不算零售行业的话平均赢单额是多少",
        {"filters": [excluding(INDUSTRY, "retail"), WON], "measures": [AVG]},
        [[won_average(won[won["industry"] != "retail"])]],
    )
    add(
        "exclusion",
        "lost deals not invovling MG Special",
        {"filters": [excluding(PRODUCT, "MG Special"), LOST]},
        [[int((lost["product"] != "MG Special").sum())]],
    )
    add(
        "exclusion",
        "wins from all teams except Cara Losch's",
        {"filters": [excluding(MANAGER, "Cara Losch"), WON]},
        [[int((won["manager"] != "Cara Losch").sum())]],
    )
    add(
        "exclusion",
        "revenue won outside the US",
        {"filters": [excluding(COUNTRY, "United States"), WON], "measures": [SUM]},
        nonempty_total(won[won["country"] != "United States"]),
    )
    tech_software = ["technology", "software"]
    add(
        "exclusion",
        "除了科技和软件行业，其他行业的成交额",
        {"filters": [excluding(INDUSTRY, tech_software), WON], "measures": [SUM]},
        nonempty_total(won[~won["industry"].isin(tech_software)]),
    )
    add(
        "exclusion",
        "wins by everyone except Moses Frase",
        {"filters": [excluding(REP, "Moses Frase"), WON]},
        [[int((won["sales_agent"] != "Moses Frase").sum())]],
    )
    add(
        "exclusion",
        "排除Kan-code之后的赢单平均金额",
        {"filters": [excluding(ACCOUNT, "Kan-code"), WON], "measures": [AVG]},
        [[won_average(won[won["account"] != "Kan-code"])]],
    )

    # Several values of one field.
    west_central = ["West", "Central"]
    add(
        "several_values",
        "West和Central的丢单数合计",
        {"filters": [one_of(REGION, west_central), LOST]},
        [[len(within(lost, "regional_office", west_central))]],
    )
    gtx_pair = ["GTX Basic", "GTX Pro"]
    add(
        "several_values",
        "won $ for GTX Basic plus GTX Pro combined",
        {"filters": [one_of(PRODUCT, gtx_pair), WON], "measures": [SUM]},
        nonempty_total(within(won, "product", gtx_pair)),
    )
    add(
        "several_values",
        "软件、科技两个行业各赢了多少钱",
        {
            "filters": [one_of(INDUSTRY, tech_software), WON],
            "group_by": [group(INDUSTRY)],
            "measures": [SUM],
        },
        by(within(won, "industry", tech_software), "industry", won_total),
    )
    rep_pair = ["Moses Frase", "Corliss Cosme"]
    add(
        "several_values",
        "how many wins did Moses Frase and Corliss Cosme get between them",
        {"filters": [one_of(REP, rep_pair), WON]},
        [[len(within(won, "sales_agent", rep_pair))]],
    )
    # The two managers lead teams in different regions, so no region filter gives
    # the same rows.
    manager_pair = ["Dustin Brinkmann", "Summer Sewald"]
    add(
        "several_values",
        "Dustin Brinkmann跟Summer Sewald两个团队的成交额合计",
        {"filters": [one_of(MANAGER, manager_pair), WON], "measures": [SUM]},
        nonempty_total(within(won, "manager", manager_pair)),
    )
    three_accounts = ["Sonron", "Codehow", "Konex"]
    add(
        "several_values",
        "lost deals at Sonron, Codehow and Konex",
        {"filters": [one_of(ACCOUNT, three_accounts), LOST]},
        [[len(within(lost, "account", three_accounts))]],
    )
    mg_gtk = ["MG", "GTK"]
    add(
        "several_values",
        "MG和GTK两个系列放一起的平均赢单额",
        {"filters": [one_of(SERIES, mg_gtk), WON], "measures": [AVG]},
        [[won_average(within(won, "series", mg_gtk))]],
    )
    finance_medical = ["finance", "medical"]
    add(
        "several_values",
        "open opps in finance or medical",
        {"filters": [*OPEN, one_of(INDUSTRY, finance_medical)]},
        [[len(within(open_deals, "industry", finance_medical))]],
    )
    three_countries = ["Germany", "Japan", "Brazil"]
    add(
        "several_values",
        "Germany、Japan、Brazil这几个国家的客户赢了几单",
        {"filters": [one_of(COUNTRY, three_countries), WON]},
        [[len(within(won, "country", three_countries))]],
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

    # 几成 ("how many tenths") means a share.
    win_rate("咱们的赢率大概几成", [], closed)
    win_rate("win % overall?", [], closed)
    win_rate(
        "East区的赢单率",
        [equals(REGION, "East")],
        where(closed, "regional_office", "East"),
    )
    win_rate_by("win rate by product", PRODUCT, "product")
    win_rate_by("每个经理团队的胜率分别多少", MANAGER, "manager")
    win_rate(
        "Darcel Schlecht's win rate",
        [equals(REP, "Darcel Schlecht")],
        where(closed, "sales_agent", "Darcel Schlecht"),
    )
    win_rate_ranked("哪个大区胜率最低", by_region, lowest_first=True)
    win_rate_ranked("best-converting industry by win rate", by_industry)
    win_rate("MG系列的赢率", [equals(SERIES, "MG")], where(closed, "series", "MG"))

    # Accounts as the base object, and account fields on deals.
    def accounts_query(**parts: Any) -> dict[str, Any]:
        return {"object": "accounts", **parts}

    add_object("accounts", "客户表里公司总数是多少", accounts_query(), [[len(accounts)]])
    add_object(
        "accounts",
        "medical accounts - how many do we have",
        accounts_query(filters=[equals("industry", "medical")]),
        [[len(medical_accounts)]],
    )
    add_object(
        "accounts",
        "晚于2000年成立的客户有几家",
        accounts_query(filters=[{"field": "founded_year", "op": "gt", "value": 2000}]),
        [[int((accounts["founded"] > 2000).sum())]],
    )
    add_object(
        "accounts",
        "# accounts over 5k headcount",
        accounts_query(filters=[{"field": "employee_count", "op": "gt", "value": 5000}]),
        [[int((accounts["employees"] > 5000).sum())]],
    )
    add_object(
        "accounts",
        "客户按所在国家分布",
        accounts_query(group_by=[group("country")]),
        by(accounts, "office_location", count),
    )
    add_object(
        "accounts",
        "retail customers' combined anual revenue",
        accounts_query(
            filters=[equals("industry", "retail")],
            measures=[{"aggregate": "sum", "field": "annual_revenue"}],
        ),
        [[cents(sum(accounts[accounts["industry"] == "retail"]["annual_revenue"]))]],
    )
    add_object(
        "accounts",
        "员工数少于500的客户数",
        accounts_query(filters=[{"field": "employee_count", "op": "lt", "value": 500}]),
        [[int((accounts["employees"] < 500).sum())]],
    )
    add_object(
        "accounts",
        "what's the lowest yearly revenue of any customer",
        accounts_query(measures=[{"aggregate": "min", "field": "annual_revenue"}]),
        [[cents(min(accounts["annual_revenue"]))]],
    )
    rich_accounts = won[
        won["account"].isin(accounts[accounts["annual_revenue"] > 1_000_000_000]["account"])
    ]
    add(
        "accounts",
        "年收入超过10亿美元的客户给我们贡献了多少成交额",
        {
            "filters": [
                {"field": "account.annual_revenue", "op": "gt", "value": 1_000_000_000},
                WON,
            ],
            "measures": [SUM],
        },
        nonempty_total(rich_accounts),
    )

    # Products as the base object.
    def products_query(**parts: Any) -> dict[str, Any]:
        return {"object": "products", **parts}

    def list_price(aggregate: str) -> dict[str, Any]:
        return {"aggregate": aggregate, "field": "list_price"}

    add_object("products", "产品一共多少种，数一下", products_query(), [[len(products)]])
    add_object(
        "products",
        "cheapest list price we have?",
        products_query(measures=[list_price("min")]),
        [[cents(min(products["list_price"]))]],
    )
    add_object(
        "products",
        "GTX系列下面有多少款",
        products_query(filters=[equals("series", "GTX")]),
        [[int((products["series"] == "GTX").sum())]],
    )
    add_object(
        "products",
        "mean list price, all products",
        products_query(measures=[list_price("avg")]),
        [[average(products["list_price"])]],
    )
    add_object(
        "products",
        "标价低于一千的产品数",
        products_query(filters=[{"field": "list_price", "op": "lt", "value": 1000}]),
        [[int((products["list_price"] < 1000).sum())]],
    )
    add_object(
        "products",
        "MG series - top list price?",
        products_query(filters=[equals("series", "MG")], measures=[list_price("max")]),
        [[cents(max(products[products["series"] == "MG"]["list_price"]))]],
    )
    add_object(
        "products",
        "每个系列各有几款产品",
        products_query(group_by=[group("series")]),
        by(products, "series", count),
    )
    add_object(
        "products",
        "products priced over 4k - how many",
        products_query(filters=[{"field": "list_price", "op": "gt", "value": 4000}]),
        [[int((products["list_price"] > 4000).sum())]],
    )
    add_object(
        "products",
        "add up the list prices of every product",
        products_query(measures=[list_price("sum")]),
        [[cents(sum(products["list_price"]))]],
    )

    # Open pipeline: deals neither won nor lost. They carry no amount, so only
    # counts are asked.
    add(
        "open_pipeline",
        "West区未结的商机数",
        {"filters": [*OPEN, equals(REGION, "West")]},
        [[len(where(open_deals, "regional_office", "West"))]],
    )
    add(
        "open_pipeline",
        "open deal count by mgr",
        {"filters": OPEN, "group_by": [group(MANAGER)]},
        by(open_deals, "manager", count),
    )
    # 在跟 ("still being followed up") means the deal is open.
    add(
        "open_pipeline",
        "MG Special还有几个在跟的单",
        {"filters": [*OPEN, equals(PRODUCT, "MG Special")]},
        [[len(where(open_deals, "product", "MG Special"))]],
    )
    add(
        "open_pipeline",
        "how many open opps does Vicki Laflamme have",
        {"filters": [*OPEN, equals(REP, "Vicki Laflamme")]},
        [[len(where(open_deals, "sales_agent", "Vicki Laflamme"))]],
    )
    add(
        "open_pipeline",
        "按产品统计还没关的商机",
        {"filters": OPEN, "group_by": [group(PRODUCT)]},
        by(open_deals, "product", count),
    )
    add(
        "open_pipeline",
        "open opportunities at Codehow",
        {"filters": [*OPEN, equals(ACCOUNT, "Codehow")]},
        [[len(where(open_deals, "account", "Codehow"))]],
    )
    add(
        "open_pipeline",
        "Summer Sewald团队还有多少商机在推进",
        {"filters": [*OPEN, equals(MANAGER, "Summer Sewald")]},
        [[len(where(open_deals, "manager", "Summer Sewald"))]],
    )
    top(
        "open_pipeline",
        "region carrying the largest number of open opps",
        OPEN,
        by_region,
        1,
        None,
        open_deals,
    )
    add(
        "open_pipeline",
        "零售行业未关闭的商机有几个",
        {"filters": [*OPEN, equals(INDUSTRY, "retail")]},
        [[len(where(open_deals, "industry", "retail"))]],
    )

    # Several conditions at once.
    add(
        "combined",
        "今年GTX Pro在East那边签了多少金额",
        {
            "filters": [
                closed_relative("this_year"),
                equals(PRODUCT, "GTX Pro"),
                equals(REGION, "East"),
                WON,
            ],
            "measures": [SUM],
        },
        nonempty_total(
            where(where(this_year_won, "regional_office", "East"), "product", "GTX Pro")
        ),
    )
    add(
        "combined",
        "Central wins over 5k last quarter, count",
        {
            "filters": [
                amount_is("gt", 5000),
                closed_relative("last_quarter"),
                equals(REGION, "Central"),
                WON,
            ]
        },
        [[len(amounts(where(last_quarter_won, "regional_office", "Central"), lambda v: v > 5000))]],
    )
    add(
        "combined",
        "上季度各销售经理分别丢了几单",
        {"filters": [closed_relative("last_quarter"), LOST], "group_by": [group(MANAGER)]},
        by(closed_during(lost, "last_quarter"), "manager", count),
    )
    corliss_retail = where(where(won, "sales_agent", "Corliss Cosme"), "industry", "retail")
    add(
        "combined",
        "Corliss Cosme's 2017 won revenue from retail",
        {
            "filters": [
                closed_in("2017-01-01", "2017-12-31"),
                equals(INDUSTRY, "retail"),
                equals(REP, "Corliss Cosme"),
                WON,
            ],
            "measures": [SUM],
        },
        nonempty_total(closed_from(corliss_retail, *year_2017)),
    )
    add(
        "combined",
        "West区2017年Q2成交额，按产品分",
        {
            "filters": [closed_in("2017-04-01", "2017-06-30"), equals(REGION, "West"), WON],
            "group_by": [group(PRODUCT)],
            "measures": [SUM],
        },
        by(
            closed_from(where(won, "regional_office", "West"), date(2017, 4, 1), date(2017, 6, 30)),
            "product",
            won_total,
        ),
    )
    software_this_year = where(this_year_won, "industry", "software")
    add(
        "combined",
        "software wins under 1k this year",
        {
            "filters": [
                amount_is("lt", 1000),
                closed_relative("this_year"),
                equals(INDUSTRY, "software"),
                WON,
            ]
        },
        [[len(amounts(software_this_year, lambda v: v < 1000))]],
    )
    rocco_gtx_lost = where(where(lost, "manager", "Rocco Neubert"), "product", "GTX Basic")
    add(
        "combined",
        "今年Rocco Neubert团队GTX Basic丢了几单",
        {
            "filters": [
                closed_relative("this_year"),
                equals(MANAGER, "Rocco Neubert"),
                equals(PRODUCT, "GTX Basic"),
                LOST,
            ]
        },
        [[len(closed_during(rocco_gtx_lost, "this_year"))]],
    )
    medical_mg_special = where(where(won, "industry", "medical"), "product", "MG Special")
    add(
        "combined",
        "avg MG Special win for medical accounts in 2017",
        {
            "filters": [
                closed_in("2017-01-01", "2017-12-31"),
                equals(INDUSTRY, "medical"),
                equals(PRODUCT, "MG Special"),
                WON,
            ],
            "measures": [AVG],
        },
        [[won_average(closed_from(medical_mg_special, *year_2017))]],
    )
    add(
        "combined",
        "上个月West区每个销售赢了几单",
        {
            "filters": [closed_relative("last_month"), equals(REGION, "West"), WON],
            "group_by": [group(REP)],
        },
        by(
            closed_during(where(won, "regional_office", "West"), "last_month"), "sales_agent", count
        ),
    )
    return cases
