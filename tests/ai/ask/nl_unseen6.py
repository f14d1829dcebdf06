"""A sixth unseen question set over the MavenTech pipeline, written without reading the grammar.

The first five unseen sets have been measured and reported, so their figures no
longer show how the offline grammar reads wordings it was never tuned to. This set
takes their place. The grammar is not tuned against it, so its accuracy estimates
how the grammar handles new wordings.

The questions cover the families of ``nl_unseen2.py`` in new wordings, typed the
way sales managers and reps at Chinese companies write them. Some open with a
request or its reason (老板问, 周会要用, 想看下, 请问, 速查, 求一下), and some use
colloquial words (谈崩, 没定下来, 做成的生意, 手上, 一万五, 两千到三千五) or
Chinese mixed with English terms (这个Q, bookings, win rate, top4, rep, open).
English questions use abbreviations (amt, accts, rev, yr, w/, $500M, 4k) and
contractions, and some start with the filter, the measure or the dimension.
A few carry typos of the kind an input method or a hurried thumb makes
(oppurtunities, averge, custmers, quartely, 中为数 for 中位数, 消售 for 销售,
城交额 for 成交额). No question repeats one of the other sets, and a test checks
that.

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
from nl_questions import LOST, WON, Case, average, between
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

HALF_BILLION = 500_000_000


def build_unseen6_cases(folder: Path, as_of: date) -> list[Case]:
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
    by_series = (SERIES, "series")
    by_country = (COUNTRY, "country")
    summed = (SUM, won_total)
    averaged = (AVG, won_average)
    this_year_won = closed_during(won, "this_year")
    this_quarter_won = closed_during(won, "this_quarter")
    year_2017 = (date(2017, 1, 1), date(2017, 12, 31))
    second_quarter_2017 = (date(2017, 4, 1), date(2017, 6, 30))
    march_2017 = (date(2017, 3, 1), date(2017, 3, 31))
    west_won = where(won, "regional_office", "West")

    # Counts of deals, plain or by stage.
    add("stage_count", "系统里的opportunity总共多少条？", {}, [[len(frame)]])
    add("stage_count", "How many oppurtunities are there across all stages?", {}, [[len(frame)]])
    # 谈崩 ("the talks broke down") means the deal was lost.
    add("stage_count", "到现在为止谈崩了多少单", {"filters": [LOST]}, [[len(lost)]])
    add("stage_count", "lost count, all time", {"filters": [LOST]}, [[len(lost)]])
    add("stage_count", "签约成功的商机有几个", {"filters": [WON]}, [[len(won)]])
    add("stage_count", "how many of our deals ended in a win?", {"filters": [WON]}, [[len(won)]])
    add(
        "stage_count",
        "目前停在engaging的商机数",
        {"filters": [equals(STAGE, "engaging")]},
        [[len(where(frame, "stage", "engaging"))]],
    )
    add(
        "stage_count",
        "prospecting: how many opps are in that stage right now",
        {"filters": [equals(STAGE, "prospecting")]},
        [[len(where(frame, "stage", "prospecting"))]],
    )
    # "In play" means neither won nor lost yet.
    add("stage_count", "how many opps are still in play?", {"filters": OPEN}, [[len(open_deals)]])
    add(
        "stage_count",
        "结果还没定的单子有多少（没赢也没丢）",
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

    won_sum("sales_agent", "Boris Faz", REP, "Boris Faz签下的单子总金额")
    won_sum("sales_agent", "Reed Clapper", REP, "What has Reed Clapper booked in total?")
    won_sum("product", "GTX Basic", PRODUCT, "GTX Basic一共卖出去多少钱")
    won_sum("product", "GTK 500", PRODUCT, "total revenue from GTK 500 wins")
    won_sum("regional_office", "Central", REGION, "Central那边业绩一共多少")
    won_sum(
        "manager", "Dustin Brinkmann", MANAGER, "how much did Dustin Brinkmann's group bring in?"
    )
    won_sum("account", "Gekko & Co", ACCOUNT, "跟Gekko & Co做成的生意一共多少钱")
    won_sum("account", "Condax", ACCOUNT, "sum of won deal values with Condax")
    won_sum("series", "GTX", SERIES, "GTX系列总共签了多少钱呢")
    won_sum("industry", "finance", INDUSTRY, "finance customers, won amt total?")

    # Averages.
    add(
        "average",
        "一个成交单平均能有多少钱",
        {"filters": [WON], "measures": [AVG]},
        [[won_average(won)]],
    )
    add(
        "average",
        "What's the average amount of a won opportunity?",
        {"filters": [WON], "measures": [AVG]},
        [[won_average(won)]],
    )
    add(
        "average",
        "请问Reed Clapper的平均成交金额",
        {"filters": [equals(REP, "Reed Clapper"), WON], "measures": [AVG]},
        [[won_average(where(won, "sales_agent", "Reed Clapper"))]],
    )
    add(
        "average",
        "avg size of East wins",
        {"filters": [equals(REGION, "East"), WON], "measures": [AVG]},
        [[won_average(where(won, "regional_office", "East"))]],
    )
    add(
        "average",
        "GTX Plus Pro平均一单赢多少",
        {"filters": [equals(PRODUCT, "GTX Plus Pro"), WON], "measures": [AVG]},
        [[won_average(where(won, "product", "GTX Plus Pro"))]],
    )
    add(
        "average",
        "mean won value for telecommunications accounts",
        {"filters": [equals(INDUSTRY, "telecommunications"), WON], "measures": [AVG]},
        [[won_average(where(won, "industry", "telecommunications"))]],
    )
    add_object(
        "average",
        "average headcount per account",
        {"object": "accounts", "measures": [{"aggregate": "avg", "field": "employee_count"}]},
        [[number_average(accounts["employees"])]],
    )
    medical_accounts = accounts[accounts["industry"] == "medical"]
    add_object(
        "average",
        "医疗行业客户的平均年收入",
        {
            "object": "accounts",
            "filters": [equals("industry", "medical")],
            "measures": [{"aggregate": "avg", "field": "annual_revenue"}],
        },
        [[average(medical_accounts["annual_revenue"])]],
    )
    add(
        "average",
        "averge won deal in the current quarter",
        {"filters": [closed_relative("this_quarter"), WON], "measures": [AVG]},
        [[won_average(this_quarter_won)]],
    )
    add(
        "average",
        "每个产品的平均成交额分别是多少",
        {"filters": [WON], "group_by": [group(PRODUCT)], "measures": [AVG]},
        by(won, "product", won_average),
    )

    # Medians.
    add(
        "median",
        "赢单的中位金额是多少",
        {"filters": [WON], "measures": [MEDIAN]},
        [[won_median(won)]],
    )
    add(
        "median",
        "what's the median amount on deals we won?",
        {"filters": [WON], "measures": [MEDIAN]},
        [[won_median(won)]],
    )
    add(
        "median",
        "求一下Central区赢单中位数",
        {"filters": [equals(REGION, "Central"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "regional_office", "Central"))]],
    )
    add(
        "median",
        "median won amount for the GTX Basic product",
        {"filters": [equals(PRODUCT, "GTX Basic"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "product", "GTX Basic"))]],
    )
    add(
        "median",
        "各经理团队赢单金额中位数",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [MEDIAN]},
        by(won, "manager", won_median),
    )
    retail_accounts = accounts[accounts["industry"] == "retail"]
    add_object(
        "median",
        "median account headcount in retail",
        {
            "object": "accounts",
            "filters": [equals("industry", "retail")],
            "measures": [{"aggregate": "median", "field": "employee_count"}],
        },
        [[cents(statistics.median(retail_accounts["employees"]))]],
    )
    add(
        "median",
        "这个季度成交的单子中位数是多少",
        {"filters": [closed_relative("this_quarter"), WON], "measures": [MEDIAN]},
        [[won_median(this_quarter_won)]],
    )
    add(
        "median",
        "median win for Kami Bicknell",
        {"filters": [equals(REP, "Kami Bicknell"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "sales_agent", "Kami Bicknell"))]],
    )
    add(
        "median",
        "GTK系列赢单金额的中为数",
        {"filters": [equals(SERIES, "GTK"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "series", "GTK"))]],
    )
    add_object(
        "median",
        "what's the median product list price?",
        {"object": "products", "measures": [{"aggregate": "median", "field": "list_price"}]},
        [[cents(statistics.median(products["list_price"]))]],
    )

    # Largest and smallest values.
    add(
        "min_max",
        "我们拿下过的单子里金额最高的是多少",
        {"filters": [WON], "measures": [MAX]},
        [[largest(won["amount"])]],
    )
    add(
        "min_max",
        "lowest amount we've ever won a deal at?",
        {"filters": [WON], "measures": [MIN]},
        [[smallest(won["amount"])]],
    )
    add(
        "min_max",
        "Reed Clapper签过最大的一单是多少",
        {"filters": [equals(REP, "Reed Clapper"), WON], "measures": [MAX]},
        [[largest(where(won, "sales_agent", "Reed Clapper")["amount"])]],
    )
    add(
        "min_max",
        "largest GTK 500 win",
        {"filters": [equals(PRODUCT, "GTK 500"), WON], "measures": [MAX]},
        [[largest(where(won, "product", "GTK 500")["amount"])]],
    )
    add(
        "min_max",
        "每个行业单笔最小的赢单金额",
        {"filters": [WON], "group_by": [group(INDUSTRY)], "measures": [MIN]},
        by(won, "industry", lambda part: smallest(part["amount"])),
    )
    add(
        "min_max",
        "max single win in each product series",
        {"filters": [WON], "group_by": [group(SERIES)], "measures": [MAX]},
        by(won, "series", lambda part: largest(part["amount"])),
    )
    add_object(
        "min_max",
        "年收入最高的那家客户，年收入多少",
        {"object": "accounts", "measures": [{"aggregate": "max", "field": "annual_revenue"}]},
        [[cents(max(accounts["annual_revenue"]))]],
    )
    add_object(
        "min_max",
        "fewest employees at any account?",
        {"object": "accounts", "measures": [{"aggregate": "min", "field": "employee_count"}]},
        [[int(accounts["employees"].min())]],
    )
    add(
        "min_max",
        "2017年9月最大的一笔赢单金额是多少",
        {"filters": [closed_in("2017-09-01", "2017-09-30"), WON], "measures": [MAX]},
        [[largest(closed_from(won, date(2017, 9, 1), date(2017, 9, 30))["amount"])]],
    )
    add(
        "min_max",
        "smallest win in the finance sector",
        {"filters": [equals(INDUSTRY, "finance"), WON], "measures": [MIN]},
        [[smallest(where(won, "industry", "finance")["amount"])]],
    )

    # Distinct counts, on the foreign key as in nl_unseen2.py.
    add(
        "distinct",
        "Boris Faz跟几家客户成交过啊",
        {"filters": [equals(REP, "Boris Faz"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(where(won, "sales_agent", "Boris Faz"))]],
    )
    add(
        "distinct",
        "how many different accounts have we lost deals with in the East?",
        {"filters": [equals(REGION, "East"), LOST], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(where(lost, "regional_office", "East"))]],
    )
    add(
        "distinct",
        "赢过单的销售一共几位",
        {"filters": [WON], "measures": [OWNERS_COUNTED]},
        [[distinct("sales_agent")(won)]],
    )
    # "Bought" reads as a won deal: a lost or open deal is no purchase.
    add(
        "distinct",
        "number of distinct products Treequote has bought",
        {"filters": [equals(ACCOUNT, "Treequote"), WON], "measures": [PRODUCTS_COUNTED]},
        [[distinct("product")(where(won, "account", "Treequote"))]],
    )
    add(
        "distinct",
        "每个经理团队跟多少家客户成交过",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [ACCOUNTS_COUNTED]},
        by(won, "manager", distinct("account")),
    )
    add(
        "distinct",
        "how many unique custmers bought GTX Plus Basic in the West",
        {
            "filters": [equals(PRODUCT, "GTX Plus Basic"), equals(REGION, "West"), WON],
            "measures": [ACCOUNTS_COUNTED],
        },
        [[distinct("account")(where(west_won, "product", "GTX Plus Basic"))]],
    )
    add(
        "distinct",
        "17年3月份跟几家客户签过单",
        {"filters": [closed_in("2017-03-01", "2017-03-31"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(closed_from(won, *march_2017))]],
    )
    add(
        "distinct",
        "for each series, count the different customers who bought it",
        {"filters": [WON], "group_by": [group(SERIES)], "measures": [ACCOUNTS_COUNTED]},
        by(won, "series", distinct("account")),
    )
    add(
        "distinct",
        "想看下每个产品有几个消售卖出去过",
        {"filters": [WON], "group_by": [group(PRODUCT)], "measures": [OWNERS_COUNTED]},
        by(won, "product", distinct("sales_agent")),
    )
    add(
        "distinct",
        "how many reps still have open deals on their plate?",
        {"filters": OPEN, "measures": [OWNERS_COUNTED]},
        [[distinct("sales_agent")(open_deals)]],
    )

    # Breakdowns by one dimension.
    add(
        "breakdown",
        "周会要用，按经理统计下商机总数",
        {"group_by": [group(MANAGER)]},
        by(frame, "manager", count),
    )
    add(
        "breakdown",
        "lost opp tally by product",
        {"filters": [LOST], "group_by": [group(PRODUCT)]},
        by(lost, "product", count),
    )
    add(
        "breakdown",
        "三个大区各自成单多少个",
        {"filters": [WON], "group_by": [group(REGION)]},
        by(won, "regional_office", count),
    )
    add(
        "breakdown",
        "won revenue per customer",
        {"filters": [WON], "group_by": [group(ACCOUNT)], "measures": [SUM]},
        by(won, "account", won_total),
    )
    add(
        "breakdown",
        "按行业列一下签单金额",
        {"filters": [WON], "group_by": [group(INDUSTRY)], "measures": [SUM]},
        by(won, "industry", won_total),
    )
    add(
        "breakdown",
        "how many opps does every product series have?",
        {"group_by": [group(SERIES)]},
        by(frame, "series", count),
    )
    add(
        "breakdown",
        "商机按阶段的分布情况",
        {"group_by": [group(STAGE)]},
        by(frame, "stage", count),
    )
    add(
        "breakdown",
        "each rep's win count",
        {"filters": [WON], "group_by": [group(REP)]},
        by(won, "sales_agent", count),
    )
    add(
        "breakdown",
        "不同国家客户的丢单数",
        {"filters": [LOST], "group_by": [group(COUNTRY)]},
        by(lost, "country", count),
    )
    add(
        "breakdown",
        "how many opportunities per sales region?",
        {"group_by": [group(REGION)]},
        by(frame, "regional_office", count),
    )

    # Time buckets. A named year such as 2017 is expected as a ``between`` filter on its
    # dates, as in nl_unseen2.py, although ``this_year`` selects the same deals.
    add(
        "time_bucket",
        "按月看一下丢单数量的变化",
        {"filters": [LOST], "group_by": [CLOSED_MONTH]},
        by(lost, "closed_month", count),
    )
    add(
        "time_bucket",
        "quartely win count",
        {"filters": [WON], "group_by": [CLOSED_QUARTER]},
        by(won, "closed_quarter", count),
    )
    add(
        "time_bucket",
        "2017年每个月新增了多少商机",
        {"filters": [engaged_in("2017-01-01", "2017-12-31")], "group_by": [ENGAGED_MONTH]},
        by(between(frame, "engaged", *year_2017), "engaged_month", count),
    )
    add(
        "time_bucket",
        "monthly bookings for Central",
        {
            "filters": [equals(REGION, "Central"), WON],
            "group_by": [CLOSED_MONTH],
            "measures": [SUM],
        },
        by(where(won, "regional_office", "Central"), "closed_month", won_total),
    )
    add(
        "time_bucket",
        "GTK 500每个季度成交了多少钱",
        {
            "filters": [equals(PRODUCT, "GTK 500"), WON],
            "group_by": [CLOSED_QUARTER],
            "measures": [SUM],
        },
        by(where(won, "product", "GTK 500"), "closed_quarter", won_total),
    )
    add(
        "time_bucket",
        "avg won deal by month",
        {"filters": [WON], "group_by": [CLOSED_MONTH], "measures": [AVG]},
        by(won, "closed_month", won_average),
    )
    add(
        "time_bucket",
        "Cara Losch团队每月的赢单数",
        {"filters": [equals(MANAGER, "Cara Losch"), WON], "group_by": [CLOSED_MONTH]},
        by(where(won, "manager", "Cara Losch"), "closed_month", count),
    )
    add(
        "time_bucket",
        "how many new opps did we engage per quarter?",
        {"group_by": [ENGAGED_QUARTER]},
        by(frame, "engaged_quarter", count),
    )
    add(
        "time_bucket",
        "医疗行业客户每季度的城交额",
        {
            "filters": [equals(INDUSTRY, "medical"), WON],
            "group_by": [CLOSED_QUARTER],
            "measures": [SUM],
        },
        by(where(won, "industry", "medical"), "closed_quarter", won_total),
    )
    add(
        "time_bucket",
        "win count by month for Reed Clapper",
        {"filters": [equals(REP, "Reed Clapper"), WON], "group_by": [CLOSED_MONTH]},
        by(where(won, "sales_agent", "Reed Clapper"), "closed_month", count),
    )

    # Two dimensions, in the order the question names them.
    add(
        "two_dimensions",
        "每个经理在各个行业的成交额",
        {"filters": [WON], "group_by": [group(MANAGER), group(INDUSTRY)], "measures": [SUM]},
        two_keys(won, "manager", "industry", won_total),
    )
    add(
        "two_dimensions",
        "lost deals by manager and industry",
        {"filters": [LOST], "group_by": [group(MANAGER), group(INDUSTRY)]},
        two_keys(lost, "manager", "industry", count),
    )
    add(
        "two_dimensions",
        "按国家和产品看赢单数",
        {"filters": [WON], "group_by": [group(COUNTRY), group(PRODUCT)]},
        two_keys(won, "country", "product", count),
    )
    add(
        "two_dimensions",
        "quarterly bookings split by region",
        {"filters": [WON], "group_by": [CLOSED_QUARTER, group(REGION)], "measures": [SUM]},
        two_keys(won, "closed_quarter", "regional_office", won_total),
    )
    add(
        "two_dimensions",
        "每个产品每个季度的赢单数",
        {"filters": [WON], "group_by": [group(PRODUCT), CLOSED_QUARTER]},
        two_keys(won, "product", "closed_quarter", count),
    )
    add(
        "two_dimensions",
        "avg won amount by industry and region",
        {"filters": [WON], "group_by": [group(INDUSTRY), group(REGION)], "measures": [AVG]},
        two_keys(won, "industry", "regional_office", won_average),
    )
    add(
        "two_dimensions",
        "各经理手下每个销售的赢单金额",
        {"filters": [WON], "group_by": [group(MANAGER), group(REP)], "measures": [SUM]},
        two_keys(won, "manager", "sales_agent", won_total),
    )
    add(
        "two_dimensions",
        "open opps by product and stage",
        {"filters": OPEN, "group_by": [group(PRODUCT), group(STAGE)]},
        two_keys(open_deals, "product", "stage", count),
    )
    add(
        "two_dimensions",
        "按月份和大区看丢单数",
        {"filters": [LOST], "group_by": [CLOSED_MONTH, group(REGION)]},
        two_keys(lost, "closed_month", "regional_office", count),
    )
    add(
        "two_dimensions",
        "number of wins per series and quarter",
        {"filters": [WON], "group_by": [group(SERIES), CLOSED_QUARTER]},
        two_keys(won, "series", "closed_quarter", count),
    )

    # Top N.
    top("top_n", "客户按赢单金额排个名，top4是哪几家", [WON], by_account, 4, summed, won)
    top(
        "top_n",
        "top 3 reps by win count in the Central region",
        [equals(REGION, "Central"), WON],
        by_rep,
        3,
        None,
        where(won, "regional_office", "Central"),
    )
    top("top_n", "哪个产品成交额最高", [WON], by_product, 1, summed, won)
    top("top_n", "which manager's team has won the most deals?", [WON], by_manager, 1, None, won)
    top(
        "top_n",
        "今年赢单数前三的行业",
        [closed_relative("this_year"), WON],
        by_industry,
        3,
        None,
        this_year_won,
    )
    top("top_n", "four customers with the most wins", [WON], by_account, 4, None, won)
    top("top_n", "赢单平均金额排前三的销售", [WON], by_rep, 3, averaged, won)
    top("top_n", "which country do we earn the most from?", [WON], by_country, 1, summed, won)
    top(
        "top_n",
        "Summer Sewald组里成交额最高的两个人",
        [equals(MANAGER, "Summer Sewald"), WON],
        by_rep,
        2,
        summed,
        where(won, "manager", "Summer Sewald"),
    )
    top(
        "top_n",
        "top 2 products by lost deals last quarter",
        [closed_relative("last_quarter"), LOST],
        by_product,
        2,
        None,
        closed_during(lost, "last_quarter"),
    )

    # Bottom N.
    top("bottom_n", "成交额最少的三个行业", [WON], by_industry, 3, summed, won, lowest_first=True)
    top(
        "bottom_n", "which rep has the fewest wins?", [WON], by_rep, 1, None, won, lowest_first=True
    )
    top("bottom_n", "赢单最少的客户是哪家", [WON], by_account, 1, None, won, lowest_first=True)
    top(
        "bottom_n",
        "the two product series with the lowest won totals",
        [WON],
        by_series,
        2,
        summed,
        won,
        lowest_first=True,
    )
    top("bottom_n", "平均成交额最低的大区", [WON], by_region, 1, averaged, won, lowest_first=True)
    top(
        "bottom_n",
        "lowest 3 products by number of wins this year",
        [closed_relative("this_year"), WON],
        by_product,
        3,
        None,
        this_year_won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "West区赢单金额最少的两个销售",
        [equals(REGION, "West"), WON],
        by_rep,
        2,
        summed,
        west_won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "which manager's team has the lowest average win?",
        [WON],
        by_manager,
        1,
        averaged,
        won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "上个月签单金额最少的产品",
        [closed_relative("last_month"), WON],
        by_product,
        1,
        summed,
        closed_during(won, "last_month"),
        lowest_first=True,
    )
    top(
        "bottom_n",
        "bottom 5 customers by won rev",
        [WON],
        by_account,
        5,
        summed,
        won,
        lowest_first=True,
    )

    # Amount ranges. As in nl_unseen2.py, Chinese 以上 and 以下 are avoided because
    # whether they include the bound is unclear. 一万五 is 15,000 and 三千五 is 3,500.
    add(
        "amount_range",
        "金额超过一万五的赢单有几单",
        {"filters": [amount_is("gt", 15000), WON]},
        [[len(amounts(won, lambda v: v > 15000))]],
    )
    add(
        "amount_range",
        "wins worth more than $5,500 - count",
        {"filters": [amount_is("gt", 5500), WON]},
        [[len(amounts(won, lambda v: v > 5500))]],
    )
    add(
        "amount_range",
        "两千到三千五之间的赢单数",
        {"filters": [amount_is("between", [2000, 3500]), WON]},
        [[len(amounts(won, lambda v: 2000 <= v <= 3500))]],
    )
    add(
        "amount_range",
        "how many won deals came in under 200?",
        {"filters": [amount_is("lt", 200), WON]},
        [[len(amounts(won, lambda v: v < 200))]],
    )
    add(
        "amount_range",
        "单笔不少于一万的成交，总金额多少",
        {"filters": [amount_is("gte", 10000), WON], "measures": [SUM]},
        nonempty_total(amounts(won, lambda v: v >= 10000)),
    )
    add(
        "amount_range",
        "average of wins over 5,000",
        {"filters": [amount_is("gt", 5000), WON], "measures": [AVG]},
        [[won_average(amounts(won, lambda v: v > 5000))]],
    )
    add(
        "amount_range",
        "East区金额小于1000的赢单数量",
        {"filters": [amount_is("lt", 1000), equals(REGION, "East"), WON]},
        [[len(amounts(where(won, "regional_office", "East"), lambda v: v < 1000))]],
    )
    add(
        "amount_range",
        "won deals of at least 4k, broken out by series",
        {"filters": [amount_is("gte", 4000), WON], "group_by": [group(SERIES)]},
        by(amounts(won, lambda v: v >= 4000), "series", count),
    )
    add(
        "amount_range",
        "速查：不超过300块的赢单有多少",
        {"filters": [amount_is("lte", 300), WON]},
        [[len(amounts(won, lambda v: v <= 300))]],
    )
    add(
        "amount_range",
        "wins between 1k and 2k per rep",
        {"filters": [amount_is("between", [1000, 2000]), WON], "group_by": [group(REP)]},
        by(amounts(won, lambda v: 1000 <= v <= 2000), "sales_agent", count),
    )

    # Explicit dates. A named quarter of 2017 is expected as a ``between`` filter on its
    # dates, although the fourth one is also ``this_quarter``.
    add(
        "date_range",
        "2017年3月赢了多少钱？",
        {"filters": [closed_in("2017-03-01", "2017-03-31"), WON], "measures": [SUM]},
        nonempty_total(closed_from(won, *march_2017)),
    )
    add(
        "date_range",
        "lost deals in July 2017",
        {"filters": [closed_in("2017-07-01", "2017-07-31"), LOST]},
        [[len(closed_from(lost, date(2017, 7, 1), date(2017, 7, 31)))]],
    )
    add(
        "date_range",
        "17年第四季度的赢单数",
        {"filters": [closed_in("2017-10-01", "2017-12-31"), WON]},
        [[len(closed_from(won, date(2017, 10, 1), date(2017, 12, 31)))]],
    )
    add(
        "date_range",
        "how many opps were engaged in November 2016?",
        {"filters": [engaged_in("2016-11-01", "2016-11-30")]},
        [[len(between(frame, "engaged", date(2016, 11, 1), date(2016, 11, 30)))]],
    )
    add(
        "date_range",
        "2017年5月到7月的成交额",
        {"filters": [closed_in("2017-05-01", "2017-07-31"), WON], "measures": [SUM]},
        nonempty_total(closed_from(won, date(2017, 5, 1), date(2017, 7, 31))),
    )
    add(
        "date_range",
        "avg won deal in March '17",
        {"filters": [closed_in("2017-03-01", "2017-03-31"), WON], "measures": [AVG]},
        [[won_average(closed_from(won, *march_2017))]],
    )
    add(
        "date_range",
        "2017年12月各产品赢了几单",
        {"filters": [closed_in("2017-12-01", "2017-12-31"), WON], "group_by": [group(PRODUCT)]},
        by(closed_from(won, date(2017, 12, 1), date(2017, 12, 31)), "product", count),
    )
    add(
        "date_range",
        "won revenue from Aug 15 to Sep 15 2017",
        {"filters": [closed_in("2017-08-15", "2017-09-15"), WON], "measures": [SUM]},
        nonempty_total(closed_from(won, date(2017, 8, 15), date(2017, 9, 15))),
    )
    # 上半年 is the first half of the year, January to June.
    add(
        "date_range",
        "2017年上半年的丢单数",
        {"filters": [closed_in("2017-01-01", "2017-06-30"), LOST]},
        [[len(closed_from(lost, date(2017, 1, 1), date(2017, 6, 30)))]],
    )
    add(
        "date_range",
        "how many new opps came in during Q1 2017",
        {"filters": [engaged_in("2017-01-01", "2017-03-31")]},
        [[len(between(frame, "engaged", date(2017, 1, 1), date(2017, 3, 31)))]],
    )

    # Relative periods, counted from as_of. "This month" and "this quarter" are the whole
    # calendar period, as the report reads them.
    add(
        "relative_period",
        "上周丢了几单",
        {"filters": [closed_relative("last_week"), LOST]},
        [[len(closed_during(lost, "last_week"))]],
    )
    add(
        "relative_period",
        "won total for this month",
        {"filters": [closed_relative("this_month"), WON], "measures": [SUM]},
        nonempty_total(closed_during(won, "this_month")),
    )
    # 这个Q is "this quarter", and bookings are won amounts.
    add(
        "relative_period",
        "这个Q各销售经理的bookings",
        {
            "filters": [closed_relative("this_quarter"), WON],
            "group_by": [group(MANAGER)],
            "measures": [SUM],
        },
        by(this_quarter_won, "manager", won_total),
    )
    add(
        "relative_period",
        "how many wins in the past 45 days?",
        {"filters": [closed_relative("last_45_days"), WON]},
        [[len(closed_during(won, "last_45_days"))]],
    )
    # 两周 ("two weeks") is the last 14 days.
    add(
        "relative_period",
        "最近两周赢了几单",
        {"filters": [closed_relative("last_14_days"), WON]},
        [[len(closed_during(won, "last_14_days"))]],
    )
    add(
        "relative_period",
        "new opps engaged last quarter",
        {"filters": [engaged_relative("last_quarter")]},
        [[len(between(frame, "engaged", *ranges["last_quarter"]))]],
    )
    add(
        "relative_period",
        "今年每个行业丢了多少单",
        {"filters": [closed_relative("this_year"), LOST], "group_by": [group(INDUSTRY)]},
        by(closed_during(lost, "this_year"), "industry", count),
    )
    add(
        "relative_period",
        "last month's won deal count by region",
        {"filters": [closed_relative("last_month"), WON], "group_by": [group(REGION)]},
        by(closed_during(won, "last_month"), "regional_office", count),
    )
    add(
        "relative_period",
        "过去90天签了多少钱",
        {"filters": [closed_relative("last_90_days"), WON], "measures": [SUM]},
        nonempty_total(closed_during(won, "last_90_days")),
    )
    add(
        "relative_period",
        "lost deals this quarter, by product",
        {"filters": [closed_relative("this_quarter"), LOST], "group_by": [group(PRODUCT)]},
        by(closed_during(lost, "this_quarter"), "product", count),
    )

    # Exclusions. Won and lost deals all have an account, so a condition on the
    # account never meets a deal without one. A question that leaves out one region
    # is expected as ``ne`` on it, not as ``in`` on the other two.
    add(
        "exclusion",
        "除了East区以外，其他区赢了多少钱",
        {"filters": [excluding(REGION, "East"), WON], "measures": [SUM]},
        nonempty_total(won[won["regional_office"] != "East"]),
    )
    add(
        "exclusion",
        "win count for all products except GTX Plus Pro",
        {"filters": [excluding(PRODUCT, "GTX Plus Pro"), WON]},
        [[int((won["product"] != "GTX Plus Pro").sum())]],
    )
    add(
        "exclusion",
        "去掉金融行业后的丢单数",
        {"filters": [excluding(INDUSTRY, "finance"), LOST]},
        [[int((lost["industry"] != "finance").sum())]],
    )
    add(
        "exclusion",
        "avg won deal size without the MG series",
        {"filters": [excluding(SERIES, "MG"), WON], "measures": [AVG]},
        [[won_average(won[won["series"] != "MG"])]],
    )
    add(
        "exclusion",
        "不算Reed Clapper，其他人一共签了几单",
        {"filters": [excluding(REP, "Reed Clapper"), WON]},
        [[int((won["sales_agent"] != "Reed Clapper").sum())]],
    )
    add(
        "exclusion",
        "won revenue from every team but Summer Sewald's",
        {"filters": [excluding(MANAGER, "Summer Sewald"), WON], "measures": [SUM]},
        nonempty_total(won[won["manager"] != "Summer Sewald"]),
    )
    us_japan = ["United States", "Japan"]
    add(
        "exclusion",
        "除了美国和日本以外的客户赢了几单",
        {"filters": [excluding(COUNTRY, us_japan), WON]},
        [[int((~won["country"].isin(us_japan)).sum())]],
    )
    add(
        "exclusion",
        "lost deals w/ non-software customers",
        {"filters": [excluding(INDUSTRY, "software"), LOST]},
        [[int((lost["industry"] != "software").sum())]],
    )
    gtk_mg_special = ["GTK 500", "MG Special"]
    add(
        "exclusion",
        "除开GTK 500和MG Special，其他产品的赢单金额",
        {"filters": [excluding(PRODUCT, gtk_mg_special), WON], "measures": [SUM]},
        nonempty_total(won[~won["product"].isin(gtk_mg_special)]),
    )
    add(
        "exclusion",
        "how many deals did we win apart from those with Kan-code?",
        {"filters": [excluding(ACCOUNT, "Kan-code"), WON]},
        [[int((won["account"] != "Kan-code").sum())]],
    )

    # Several values of one field.
    rep_pair = ["Reed Clapper", "Boris Faz"]
    add(
        "several_values",
        "Reed Clapper和Boris Faz两人一共签了多少钱",
        {"filters": [one_of(REP, rep_pair), WON], "measures": [SUM]},
        nonempty_total(within(won, "sales_agent", rep_pair)),
    )
    product_pair = ["MG Special", "GTX Basic"]
    add(
        "several_values",
        "combined lost count for MG Special and GTX Basic",
        {"filters": [one_of(PRODUCT, product_pair), LOST]},
        [[len(within(lost, "product", product_pair))]],
    )
    marketing_entertainment = ["marketing", "entertainment"]
    add(
        "several_values",
        "营销和娱乐两个行业分别成交多少钱",
        {
            "filters": [one_of(INDUSTRY, marketing_entertainment), WON],
            "group_by": [group(INDUSTRY)],
            "measures": [SUM],
        },
        by(within(won, "industry", marketing_entertainment), "industry", won_total),
    )
    # The two regions named are all but West, so ``ne`` West gives the same rows. The
    # question names them, so the set expects ``in``.
    central_east = ["Central", "East"]
    add(
        "several_values",
        "avg won deal for Central and East combined",
        {"filters": [one_of(REGION, central_east), WON], "measures": [AVG]},
        [[won_average(within(won, "regional_office", central_east))]],
    )
    manager_pair = ["Melvin Marxen", "Celia Rouche"]
    add(
        "several_values",
        "Melvin Marxen、Celia Rouche两个团队分别赢了几单",
        {"filters": [one_of(MANAGER, manager_pair), WON], "group_by": [group(MANAGER)]},
        by(within(won, "manager", manager_pair), "manager", count),
    )
    three_countries = ["Italy", "Norway", "Poland"]
    add(
        "several_values",
        "won revenue from Italy, Norway or Poland customers",
        {"filters": [one_of(COUNTRY, three_countries), WON], "measures": [SUM]},
        nonempty_total(within(won, "country", three_countries)),
    )
    account_pair = ["Condax", "Hottechi"]
    add(
        "several_values",
        "Condax和Hottechi两家客户的丢单数合计",
        {"filters": [one_of(ACCOUNT, account_pair), LOST]},
        [[len(within(lost, "account", account_pair))]],
    )
    gtk_mg = ["GTK", "MG"]
    add(
        "several_values",
        "how many wins did the GTK and MG series each get?",
        {"filters": [one_of(SERIES, gtk_mg), WON], "group_by": [group(SERIES)]},
        by(within(won, "series", gtk_mg), "series", count),
    )
    # The two stages named are the open ones, so the open filters give the same rows.
    # The question names them, so the set expects ``in``.
    open_stages = ["prospecting", "engaging"]
    add(
        "several_values",
        "初步接洽和方案沟通两个阶段的商机数分别是多少",
        {"filters": [one_of(STAGE, open_stages)], "group_by": [group(STAGE)]},
        by(within(frame, "stage", open_stages), "stage", count),
    )
    rep_trio = ["Zane Levy", "Kami Bicknell", "James Ascencio"]
    add(
        "several_values",
        "deal count for Zane Levy, Kami Bicknell and James Ascencio together",
        {"filters": [one_of(REP, rep_trio)]},
        [[len(within(frame, "sales_agent", rep_trio))]],
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

    win_rate("整体来看胜率多高", [], closed)
    win_rate("win ratio on closed opps?", [], closed)
    win_rate(
        "Central区胜率多少",
        [equals(REGION, "Central")],
        where(closed, "regional_office", "Central"),
    )
    win_rate_by("each rep's win rate, please", REP, "sales_agent")
    win_rate_by("各产品系列的赢率", SERIES, "series")
    win_rate(
        "GTX Plus Pro win rate",
        [equals(PRODUCT, "GTX Plus Pro")],
        where(closed, "product", "GTX Plus Pro"),
    )
    win_rate(
        "Celia Rouche团队的win rate是多少",
        [equals(MANAGER, "Celia Rouche")],
        where(closed, "manager", "Celia Rouche"),
    )
    win_rate_ranked("which rep has the lowest win rate?", by_rep, lowest_first=True)
    win_rate_ranked("哪个行业的胜率最低", by_industry, lowest_first=True)
    win_rate("win rate with Konex", [equals(ACCOUNT, "Konex")], where(closed, "account", "Konex"))

    # Accounts as the base object, and account fields on deals.
    def accounts_query(**parts: Any) -> dict[str, Any]:
        return {"object": "accounts", **parts}

    add_object("accounts", "客户档案里一共几家公司", accounts_query(), [[len(accounts)]])
    add_object(
        "accounts",
        "how many accounts are in the entertainment industry?",
        accounts_query(filters=[equals("industry", "entertainment")]),
        [[int((accounts["industry"] == "entertainment").sum())]],
    )
    add_object(
        "accounts",
        "1980到1989年间成立的客户有几家",
        accounts_query(filters=[{"field": "founded_year", "op": "between", "value": [1980, 1989]}]),
        [[int(accounts["founded"].between(1980, 1989).sum())]],
    )
    add_object(
        "accounts",
        "no. of accounts with revenue above $500M",
        accounts_query(filters=[{"field": "annual_revenue", "op": "gt", "value": HALF_BILLION}]),
        [[int((accounts["annual_revenue"] > HALF_BILLION).sum())]],
    )
    add_object(
        "accounts",
        "每个行业客户的员工总数",
        accounts_query(
            group_by=[group("industry")],
            measures=[{"aggregate": "sum", "field": "employee_count"}],
        ),
        by(accounts, "industry", lambda part: int(part["employees"].sum())),
    )
    add_object(
        "accounts",
        "total annual revenue of all accounts",
        accounts_query(measures=[{"aggregate": "sum", "field": "annual_revenue"}]),
        [[cents(sum(accounts["annual_revenue"]))]],
    )
    add_object(
        "accounts",
        "员工人数超过一万的客户有几家",
        accounts_query(filters=[{"field": "employee_count", "op": "gt", "value": 10000}]),
        [[int((accounts["employees"] > 10000).sum())]],
    )
    add_object(
        "accounts",
        "which industry has the most customers?",
        accounts_query(group_by=[group("industry")], sort=descending("count"), limit=1),
        ranked(by(accounts, "industry", count), 1),
        ordered=True,
    )
    accounts_under_half_billion = accounts[accounts["annual_revenue"] < HALF_BILLION]["account"]
    add(
        "accounts",
        "年收入低于5亿美元的客户丢了多少单",
        {
            "filters": [
                {"field": "account.annual_revenue", "op": "lt", "value": HALF_BILLION},
                LOST,
            ]
        },
        [[len(lost[lost["account"].isin(accounts_under_half_billion)])]],
    )
    won_at_large_accounts = won[
        won["employees"].map(lambda value: not pd.isna(value) and value > 2000)
    ]
    add(
        "accounts",
        "won rev from accts with more than 2,000 employees",
        {
            "filters": [{"field": "account.employee_count", "op": "gt", "value": 2000}, WON],
            "measures": [SUM],
        },
        nonempty_total(won_at_large_accounts),
    )

    # Products as the base object.
    def products_query(**parts: Any) -> dict[str, Any]:
        return {"object": "products", **parts}

    def list_price(aggregate: str) -> dict[str, Any]:
        return {"aggregate": aggregate, "field": "list_price"}

    add_object("products", "我们卖的产品总共有几种", products_query(), [[len(products)]])
    add_object(
        "products",
        "how many products list above $3,000?",
        products_query(filters=[{"field": "list_price", "op": "gt", "value": 3000}]),
        [[int((products["list_price"] > 3000).sum())]],
    )
    add_object(
        "products",
        "标价最低的产品卖多少钱",
        products_query(measures=[list_price("min")]),
        [[cents(min(products["list_price"]))]],
    )
    add_object(
        "products",
        "lowest list price in each series",
        products_query(group_by=[group("series")], measures=[list_price("min")]),
        by(products, "series", lambda part: cents(min(part["list_price"]))),
    )
    add_object(
        "products",
        "标价在1000到5000之间的产品有几个",
        products_query(filters=[{"field": "list_price", "op": "between", "value": [1000, 5000]}]),
        [[int(products["list_price"].map(lambda price: 1000 <= price <= 5000).sum())]],
    )
    add_object(
        "products",
        "product count by series",
        products_query(group_by=[group("series")]),
        by(products, "series", count),
    )
    add_object(
        "products",
        "最贵的产品标价多少钱",
        products_query(measures=[list_price("max")]),
        [[cents(max(products["list_price"]))]],
    )
    add_object(
        "products",
        "how many products are in the MG line?",
        products_query(filters=[equals("series", "MG")]),
        [[int((products["series"] == "MG").sum())]],
    )
    add_object(
        "products",
        "每个系列标价的总和",
        products_query(group_by=[group("series")], measures=[list_price("sum")]),
        by(products, "series", lambda part: cents(sum(part["list_price"]))),
    )
    add_object(
        "products",
        "median list price of GTX products",
        products_query(filters=[equals("series", "GTX")], measures=[list_price("median")]),
        [[cents(statistics.median(products[products["series"] == "GTX"]["list_price"]))]],
    )

    # Open pipeline: deals neither won nor lost. They carry no amount, so only
    # counts are asked.
    add(
        "open_pipeline",
        "Central区目前未关闭的单子有多少",
        {"filters": [*OPEN, equals(REGION, "Central")]},
        [[len(where(open_deals, "regional_office", "Central"))]],
    )
    add(
        "open_pipeline",
        "how many open deals does Kami Bicknell have?",
        {"filters": [*OPEN, equals(REP, "Kami Bicknell")]},
        [[len(where(open_deals, "sales_agent", "Kami Bicknell"))]],
    )
    add(
        "open_pipeline",
        "各个rep手上还open着的商机数",
        {"filters": OPEN, "group_by": [group(REP)]},
        by(open_deals, "sales_agent", count),
    )
    add(
        "open_pipeline",
        "open pipeline for the GTX Plus Pro product, how many deals",
        {"filters": [*OPEN, equals(PRODUCT, "GTX Plus Pro")]},
        [[len(where(open_deals, "product", "GTX Plus Pro"))]],
    )
    # 没定下来 ("not settled yet") means the deal is open.
    add(
        "open_pipeline",
        "Cara Losch团队还有多少单没定下来",
        {"filters": [*OPEN, equals(MANAGER, "Cara Losch")]},
        [[len(where(open_deals, "manager", "Cara Losch"))]],
    )
    # Open deals without an account form their own group, as the report returns it.
    add(
        "open_pipeline",
        "still-open deals by industry",
        {"filters": OPEN, "group_by": [group(INDUSTRY)]},
        by(open_deals, "industry", count),
    )
    top("open_pipeline", "手上未结商机最多的经理是谁", OPEN, by_manager, 1, None, open_deals)
    add(
        "open_pipeline",
        "how many unresolved opps does the West office have?",
        {"filters": [*OPEN, equals(REGION, "West")]},
        [[len(where(open_deals, "regional_office", "West"))]],
    )
    add(
        "open_pipeline",
        "医疗行业客户还有多少opp没结果",
        {"filters": [*OPEN, equals(INDUSTRY, "medical")]},
        [[len(where(open_deals, "industry", "medical"))]],
    )
    add(
        "open_pipeline",
        "open opps per product series",
        {"filters": OPEN, "group_by": [group(SERIES)]},
        by(open_deals, "series", count),
    )

    # Several conditions at once.
    add(
        "combined",
        "老板问：今年Central区GTX Plus Pro赢了多少钱",
        {
            "filters": [
                closed_relative("this_year"),
                equals(PRODUCT, "GTX Plus Pro"),
                equals(REGION, "Central"),
                WON,
            ],
            "measures": [SUM],
        },
        nonempty_total(
            where(where(this_year_won, "regional_office", "Central"), "product", "GTX Plus Pro")
        ),
    )
    west_gtx_basic_lost = where(where(lost, "regional_office", "West"), "product", "GTX Basic")
    add(
        "combined",
        "how many GTX Basic deals did West lose last quarter?",
        {
            "filters": [
                closed_relative("last_quarter"),
                equals(PRODUCT, "GTX Basic"),
                equals(REGION, "West"),
                LOST,
            ]
        },
        [[len(closed_during(west_gtx_basic_lost, "last_quarter"))]],
    )
    add(
        "combined",
        "2017年Q3 Boris Faz各产品的赢单金额",
        {
            "filters": [closed_in("2017-07-01", "2017-09-30"), equals(REP, "Boris Faz"), WON],
            "group_by": [group(PRODUCT)],
            "measures": [SUM],
        },
        by(
            closed_from(
                where(won, "sales_agent", "Boris Faz"), date(2017, 7, 1), date(2017, 9, 30)
            ),
            "product",
            won_total,
        ),
    )
    add(
        "combined",
        "East wins over 5k in 2017",
        {
            "filters": [
                amount_is("gt", 5000),
                closed_in("2017-01-01", "2017-12-31"),
                equals(REGION, "East"),
                WON,
            ]
        },
        [
            [
                len(
                    amounts(
                        closed_from(where(won, "regional_office", "East"), *year_2017),
                        lambda v: v > 5000,
                    )
                )
            ]
        ],
    )
    add(
        "combined",
        "上个月零售行业每个大区赢了几单",
        {
            "filters": [closed_relative("last_month"), equals(INDUSTRY, "retail"), WON],
            "group_by": [group(REGION)],
        },
        by(
            closed_during(where(won, "industry", "retail"), "last_month"),
            "regional_office",
            count,
        ),
    )
    west_software = where(where(this_year_won, "regional_office", "West"), "industry", "software")
    add(
        "combined",
        "avg won deal for software customers in the West this yr",
        {
            "filters": [
                closed_relative("this_year"),
                equals(INDUSTRY, "software"),
                equals(REGION, "West"),
                WON,
            ],
            "measures": [AVG],
        },
        [[won_average(west_software)]],
    )
    add(
        "combined",
        "Melvin Marxen团队今年金额不超过500的赢单数",
        {
            "filters": [
                amount_is("lte", 500),
                closed_relative("this_year"),
                equals(MANAGER, "Melvin Marxen"),
                WON,
            ]
        },
        [[len(amounts(where(this_year_won, "manager", "Melvin Marxen"), lambda v: v <= 500))]],
    )
    add(
        "combined",
        "Kami Bicknell's lost deals in Q2 2017",
        {
            "filters": [
                closed_in("2017-04-01", "2017-06-30"),
                equals(REP, "Kami Bicknell"),
                LOST,
            ]
        },
        [[len(closed_from(where(lost, "sales_agent", "Kami Bicknell"), *second_quarter_2017))]],
    )
    add(
        "combined",
        "本季度MG Advanced在各行业的成交额",
        {
            "filters": [closed_relative("this_quarter"), equals(PRODUCT, "MG Advanced"), WON],
            "group_by": [group(INDUSTRY)],
            "measures": [SUM],
        },
        by(where(this_quarter_won, "product", "MG Advanced"), "industry", won_total),
    )
    finance_gtx_pro = where(where(won, "industry", "finance"), "product", "GTX Pro")
    add(
        "combined",
        "total won from finance accounts on GTX Pro during 2017",
        {
            "filters": [
                closed_in("2017-01-01", "2017-12-31"),
                equals(INDUSTRY, "finance"),
                equals(PRODUCT, "GTX Pro"),
                WON,
            ],
            "measures": [SUM],
        },
        nonempty_total(closed_from(finance_gtx_pro, *year_2017)),
    )
    return cases
