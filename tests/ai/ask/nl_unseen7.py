"""A seventh unseen question set over the MavenTech pipeline, written without reading the grammar.

Like the unseen sets before it, this set estimates how the offline grammar handles
wordings it was never tuned to. The grammar is not tuned against it, so its accuracy
on a first run is that estimate.

The questions cover the families of ``nl_unseen2.py`` in new wordings, typed the way
sales managers and reps at Chinese companies write them. Most are plain questions.
Some open with 请问, 想看下, 算下, 老板想知道 or 周会要用, or with "quick q", "curious"
and "for the QBR". Others use sales slang such as 战败 for lost deals, 在途, 没结案
and 没关单 for open ones, 刨掉 for "leaving out", 客单价 for the average won amount
and 业绩 for won revenue. Chinese and English are mixed (sales, opp, top10, 上个Q,
状态是Won), and English questions use abbreviations (opps, rev, avg, $, #, 8k,
H2 2017). Some start with the filter, the dimension or the period. A few carry typos
of the kind an input method or a hurried thumb makes (消售 for 销售, 区于 for 区域,
averge, manger, custmers). No question repeats one of the other sets, and a test
checks that. Questions that came close to an earlier one were reworded.

Expected rows are computed with pandas from the CSV files, independently of the
importer and the report engine. Expected queries take the forms of
``nl_unseen2.py``. Won and lost deals are filtered by ``stage.key``, open deals as
neither won nor lost, and revenue, bookings and 业绩 are the sum of won amounts. A win
rate is the ``share`` measure named ``win_rate`` over deals with a close date. New
deals are counted by their engage date, distinct counts go on the foreign key, and
top or bottom N is a sort on the measure with a limit. A named year, quarter or
month is a ``between`` filter on its dates, and 今年, 本季度 or "this month" a
``relative`` one. Where two typed queries would be equally correct, a comment names
the one the set expects.
"""

from __future__ import annotations

import statistics
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from nl_frames import CaseList, pipeline_frames
from nl_questions import LOST, WON, Case, average, median
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

ENGAGED_YEAR = group("engaged_on", "year")


def build_unseen7_cases(folder: Path, as_of: date) -> list[Case]:
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
    engaged_from = data.engaged_from
    where = data.where
    within = data.within
    outside = data.outside

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
    last_quarter_won = closed_during(won, "last_quarter")
    year_2017 = (date(2017, 1, 1), date(2017, 12, 31))
    q2_2017 = (date(2017, 4, 1), date(2017, 6, 30))
    q3_2017 = (date(2017, 7, 1), date(2017, 9, 30))

    # Counts of deals, plain or by stage.
    add("stage_count", "请问系统里现在总共有多少条商机？", {}, [[len(frame)]])
    add("stage_count", "Across every stage, what's our opportunity count?", {}, [[len(frame)]])
    # 战败 ("defeated") is the CRM word for a lost deal.
    add("stage_count", "战败商机一共多少个", {"filters": [LOST]}, [[len(lost)]])
    add(
        "stage_count",
        "How many of our opportunities ended in a loss?",
        {"filters": [LOST]},
        [[len(lost)]],
    )
    add("stage_count", "状态是Won的商机有多少", {"filters": [WON]}, [[len(won)]])
    add(
        "stage_count",
        "all-time won deal count?",
        {"filters": [WON]},
        [[len(won)]],
    )
    add(
        "stage_count",
        "目前Engaging状态的商机数",
        {"filters": [equals(STAGE, "engaging")]},
        [[len(where(frame, "stage", "engaging"))]],
    )
    add(
        "stage_count",
        "quick q: # of opps still sitting at prospecting",
        {"filters": [equals(STAGE, "prospecting")]},
        [[len(where(frame, "stage", "prospecting"))]],
    )
    add(
        "stage_count",
        "还没出结果的商机有多少（没赢也没输）",
        {"filters": OPEN},
        [[len(open_deals)]],
    )
    add(
        "stage_count",
        "opportunities with no outcome yet (not won, not lost) - how many?",
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

    won_sum("sales_agent", "Markita Hansen", REP, "Markita Hansen这个人总共签了多少钱")
    won_sum("sales_agent", "Reed Clapper", REP, "How much has Reed Clapper sold in total?")
    won_sum("manager", "Cara Losch", MANAGER, "Cara Losch那个组的业绩一共多少")
    won_sum("manager", "Dustin Brinkmann", MANAGER, "total bookings for Dustin Brinkmann's team")
    won_sum("account", "Condax", ACCOUNT, "Condax这家总共成交了多少钱")
    won_sum("product", "GTX Plus Pro", PRODUCT, "sum of won amounts on GTX Plus Pro")
    won_sum("series", "GTK", SERIES, "GTK系列的赢单金额总计")
    won_sum("regional_office", "Central", REGION, "Central office - total won rev?")
    won_sum("industry", "finance", INDUSTRY, "金融行业客户一共签了多少钱")
    won_sum("industry", "medical", INDUSTRY, "won deal dollars from the medical vertical")

    # Averages.
    add(
        "average",
        "所有赢单算平均，每单多少钱",
        {"filters": [WON], "measures": [AVG]},
        [[won_average(won)]],
    )
    add(
        "average",
        "average value of a won opportunity?",
        {"filters": [WON], "measures": [AVG]},
        [[won_average(won)]],
    )
    add(
        "average",
        "East区成交单的平均金额",
        {"filters": [equals(REGION, "East"), WON], "measures": [AVG]},
        [[won_average(where(won, "regional_office", "East"))]],
    )
    add(
        "average",
        "Kary Hendrixson avg won deal size",
        {"filters": [equals(REP, "Kary Hendrixson"), WON], "measures": [AVG]},
        [[won_average(where(won, "sales_agent", "Kary Hendrixson"))]],
    )
    # 客单价 ("price per customer order") is the average won amount.
    add(
        "average",
        "GTX Basic的客单价多少",
        {"filters": [equals(PRODUCT, "GTX Basic"), WON], "measures": [AVG]},
        [[won_average(where(won, "product", "GTX Basic"))]],
    )
    add(
        "average",
        "For software accounts, what's the averge won deal?",
        {"filters": [equals(INDUSTRY, "software"), WON], "measures": [AVG]},
        [[won_average(where(won, "industry", "software"))]],
    )
    add_object(
        "average",
        "平均每家客户有几个员工",
        {"object": "accounts", "measures": [{"aggregate": "avg", "field": "employee_count"}]},
        [[number_average(accounts["employees"])]],
    )
    add(
        "average",
        "Q3 2017 mean won amount?",
        {"filters": [closed_in("2017-07-01", "2017-09-30"), WON], "measures": [AVG]},
        [[won_average(closed_from(won, *q3_2017))]],
    )
    add(
        "average",
        "每个产品的平均成交额分别多少",
        {"filters": [WON], "group_by": [group(PRODUCT)], "measures": [AVG]},
        by(won, "product", won_average),
    )
    finance_accounts = accounts[accounts["industry"] == "finance"]
    add_object(
        "average",
        "finance-sector customers: mean yearly revenue?",
        {
            "object": "accounts",
            "filters": [equals("industry", "finance")],
            "measures": [{"aggregate": "avg", "field": "annual_revenue"}],
        },
        [[average(finance_accounts["annual_revenue"])]],
    )

    # Medians.
    add(
        "median",
        "算下成交金额的中位数",
        {"filters": [WON], "measures": [MEDIAN]},
        [[won_median(won)]],
    )
    add(
        "median",
        "Central: median close value on won deals",
        {"filters": [equals(REGION, "Central"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "regional_office", "Central"))]],
    )
    add(
        "median",
        "中位数：Summer Sewald组的成交金额",
        {"filters": [equals(MANAGER, "Summer Sewald"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "manager", "Summer Sewald"))]],
    )
    add(
        "median",
        "MG Advanced, median of the won amounts?",
        {"filters": [equals(PRODUCT, "MG Advanced"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "product", "MG Advanced"))]],
    )
    add(
        "median",
        "按行业分别算赢单金额中位数",
        {"filters": [WON], "group_by": [group(INDUSTRY)], "measures": [MEDIAN]},
        by(won, "industry", won_median),
    )
    add_object(
        "median",
        "what's the median company size (employees) across accounts",
        {"object": "accounts", "measures": [{"aggregate": "median", "field": "employee_count"}]},
        [[cents(statistics.median(accounts["employees"]))]],
    )
    # 上个Q is the last calendar quarter.
    add(
        "median",
        "上个Q赢单金额中位数",
        {"filters": [closed_relative("last_quarter"), WON], "measures": [MEDIAN]},
        [[won_median(last_quarter_won)]],
    )
    add(
        "median",
        "median won deal size per sales rep",
        {"filters": [WON], "group_by": [group(REP)], "measures": [MEDIAN]},
        by(won, "sales_agent", won_median),
    )
    technology_accounts = accounts[accounts["industry"] == "technology"]
    add_object(
        "median",
        "科技行业客户年收入中位数",
        {
            "object": "accounts",
            "filters": [equals("industry", "technology")],
            "measures": [{"aggregate": "median", "field": "annual_revenue"}],
        },
        [[median(technology_accounts["annual_revenue"])]],
    )

    # Largest and smallest values.
    add(
        "min_max",
        "成交过的单子里金额最大的一笔是多少",
        {"filters": [WON], "measures": [MAX]},
        [[largest(won["amount"])]],
    )
    add(
        "min_max",
        "lowest amount we ever won a deal for?",
        {"filters": [WON], "measures": [MIN]},
        [[smallest(won["amount"])]],
    )
    add(
        "min_max",
        "Central区赢单的最低金额",
        {"filters": [equals(REGION, "Central"), WON], "measures": [MIN]},
        [[smallest(where(won, "regional_office", "Central")["amount"])]],
    )
    add(
        "min_max",
        "series by series, what's the max won deal value",
        {"filters": [WON], "group_by": [group(SERIES)], "measures": [MAX]},
        by(won, "series", lambda part: largest(part["amount"])),
    )
    add(
        "min_max",
        "各经理组里单笔成交最高是多少",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [MAX]},
        by(won, "manager", lambda part: largest(part["amount"])),
    )
    add(
        "min_max",
        "biggest deal Vicki Laflamme has won",
        {"filters": [equals(REP, "Vicki Laflamme"), WON], "measures": [MAX]},
        [[largest(where(won, "sales_agent", "Vicki Laflamme")["amount"])]],
    )
    add_object(
        "min_max",
        "客户里员工人数最少的是几个人",
        {"object": "accounts", "measures": [{"aggregate": "min", "field": "employee_count"}]},
        [[int(accounts["employees"].min())]],
    )
    add_object(
        "min_max",
        "largest annual revenue we see across customers",
        {"object": "accounts", "measures": [{"aggregate": "max", "field": "annual_revenue"}]},
        [[cents(max(accounts["annual_revenue"]))]],
    )
    add(
        "min_max",
        "17年8月份最大的一单成交了多少",
        {"filters": [closed_in("2017-08-01", "2017-08-31"), WON], "measures": [MAX]},
        [[largest(closed_from(won, date(2017, 8, 1), date(2017, 8, 31))["amount"])]],
    )

    # Distinct counts, on the foreign key as in nl_unseen2.py. Selling to an account
    # reads as a won deal, because a lost or open deal sold nothing.
    add(
        "distinct",
        "Rosalina Dieter成交过的客户有几家",
        {"filters": [equals(REP, "Rosalina Dieter"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(where(won, "sales_agent", "Rosalina Dieter"))]],
    )
    # Open deals without an account add no account to the count.
    add(
        "distinct",
        "how many unique accounts have open opps",
        {"filters": OPEN, "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(open_deals)]],
    )
    add(
        "distinct",
        "East区有几个销售赢过单",
        {"filters": [equals(REGION, "East"), WON], "measures": [OWNERS_COUNTED]},
        [[distinct("sales_agent")(where(won, "regional_office", "East"))]],
    )
    add(
        "distinct",
        "Konex - number of distinct products they've purchased",
        {"filters": [equals(ACCOUNT, "Konex"), WON], "measures": [PRODUCTS_COUNTED]},
        [[distinct("product")(where(won, "account", "Konex"))]],
    )
    add(
        "distinct",
        "每个经理手下有几个人签过单",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [OWNERS_COUNTED]},
        by(won, "manager", distinct("sales_agent")),
    )
    add(
        "distinct",
        "per region, number of distinct accounts we've won",
        {"filters": [WON], "group_by": [group(REGION)], "measures": [ACCOUNTS_COUNTED]},
        by(won, "regional_office", distinct("account")),
    )
    add(
        "distinct",
        "上周跟我们签单的不同客户数",
        {"filters": [closed_relative("last_week"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(closed_during(won, "last_week"))]],
    )
    add(
        "distinct",
        "# of sales reps currently holding open deals",
        {"filters": OPEN, "measures": [OWNERS_COUNTED]},
        [[distinct("sales_agent")(open_deals)]],
    )
    add(
        "distinct",
        "2017年10月丢单涉及到几家客户",
        {
            "filters": [closed_in("2017-10-01", "2017-10-31"), LOST],
            "measures": [ACCOUNTS_COUNTED],
        },
        [[distinct("account")(closed_from(lost, date(2017, 10, 1), date(2017, 10, 31)))]],
    )

    # Breakdowns by one dimension.
    add(
        "breakdown",
        "每个销售名下的商机总数",
        {"group_by": [group(REP)]},
        by(frame, "sales_agent", count),
    )
    # Deals without an account form their own group, as the report returns it.
    add(
        "breakdown",
        "opportunities per account",
        {"group_by": [group(ACCOUNT)]},
        by(frame, "account", count),
    )
    add(
        "breakdown",
        "各区于分别丢了多少单",
        {"filters": [LOST], "group_by": [group(REGION)]},
        by(lost, "regional_office", count),
    )
    add(
        "breakdown",
        "how many wins per product",
        {"filters": [WON], "group_by": [group(PRODUCT)]},
        by(won, "product", count),
    )
    add(
        "breakdown",
        "按产品系列汇总成交额",
        {"filters": [WON], "group_by": [group(SERIES)], "measures": [SUM]},
        by(won, "series", won_total),
    )
    add(
        "breakdown",
        "can you pull won revenue for each sales manager",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [SUM]},
        by(won, "manager", won_total),
    )
    add(
        "breakdown",
        "各国家客户的赢单数",
        {"filters": [WON], "group_by": [group(COUNTRY)]},
        by(won, "country", count),
    )
    add(
        "breakdown",
        "opp count by regional office",
        {"group_by": [group(REGION)]},
        by(frame, "regional_office", count),
    )
    add(
        "breakdown",
        "成交金额按行业汇总一下",
        {"filters": [WON], "group_by": [group(INDUSTRY)], "measures": [SUM]},
        by(won, "industry", won_total),
    )
    add(
        "breakdown",
        "per product, lost deal count",
        {"filters": [LOST], "group_by": [group(PRODUCT)]},
        by(lost, "product", count),
    )

    # Time buckets. Deals not yet engaged have no engage date and form their own group.
    add(
        "time_bucket",
        "周会要用：按月看赢单金额",
        {"filters": [WON], "group_by": [CLOSED_MONTH], "measures": [SUM]},
        by(won, "closed_month", won_total),
    )
    add(
        "time_bucket",
        "won deals by quarter, count",
        {"filters": [WON], "group_by": [CLOSED_QUARTER]},
        by(won, "closed_quarter", count),
    )
    add(
        "time_bucket",
        "每个月新进来多少商机",
        {"group_by": [ENGAGED_MONTH]},
        by(frame, "engaged_month", count),
    )
    add(
        "time_bucket",
        "West region: lost deals each month",
        {"filters": [equals(REGION, "West"), LOST], "group_by": [CLOSED_MONTH]},
        by(where(lost, "regional_office", "West"), "closed_month", count),
    )
    add(
        "time_bucket",
        "GTX Pro每个Q的成交额",
        {
            "filters": [equals(PRODUCT, "GTX Pro"), WON],
            "group_by": [CLOSED_QUARTER],
            "measures": [SUM],
        },
        by(where(won, "product", "GTX Pro"), "closed_quarter", won_total),
    )
    add(
        "time_bucket",
        "Hayden Neloms's wins month by month",
        {"filters": [equals(REP, "Hayden Neloms"), WON], "group_by": [CLOSED_MONTH]},
        by(where(won, "sales_agent", "Hayden Neloms"), "closed_month", count),
    )
    add(
        "time_bucket",
        "2017年每个月的丢单数",
        {"filters": [closed_in("2017-01-01", "2017-12-31"), LOST], "group_by": [CLOSED_MONTH]},
        by(closed_from(lost, *year_2017), "closed_month", count),
    )
    add(
        "time_bucket",
        "quarterly average of won deal amounts",
        {"filters": [WON], "group_by": [CLOSED_QUARTER], "measures": [AVG]},
        by(won, "closed_quarter", won_average),
    )
    add(
        "time_bucket",
        "每年新增商机各有多少",
        {"group_by": [ENGAGED_YEAR]},
        by(frame, "engaged_year", count),
    )
    add(
        "time_bucket",
        "quarterly new opportunities for the Central region",
        {"filters": [equals(REGION, "Central")], "group_by": [ENGAGED_QUARTER]},
        by(where(frame, "regional_office", "Central"), "engaged_quarter", count),
    )

    # Two dimensions, in the order the question names them.
    add(
        "two_dimensions",
        "每个sales每季度成交额",
        {"filters": [WON], "group_by": [group(REP), CLOSED_QUARTER], "measures": [SUM]},
        two_keys(won, "sales_agent", "closed_quarter", won_total),
    )
    add(
        "two_dimensions",
        "wins broken out by region and by series",
        {"filters": [WON], "group_by": [group(REGION), group(SERIES)]},
        two_keys(won, "regional_office", "series", count),
    )
    add(
        "two_dimensions",
        "赢单数按产品、按月份交叉看",
        {"filters": [WON], "group_by": [group(PRODUCT), CLOSED_MONTH]},
        two_keys(won, "product", "closed_month", count),
    )
    add(
        "two_dimensions",
        "lost deal counts per manger, per product",
        {"filters": [LOST], "group_by": [group(MANAGER), group(PRODUCT)]},
        two_keys(lost, "manager", "product", count),
    )
    add(
        "two_dimensions",
        "每个区域各行业的成交金额",
        {"filters": [WON], "group_by": [group(REGION), group(INDUSTRY)], "measures": [SUM]},
        two_keys(won, "regional_office", "industry", won_total),
    )
    add(
        "two_dimensions",
        "avg won amount by region and quarter",
        {"filters": [WON], "group_by": [group(REGION), CLOSED_QUARTER], "measures": [AVG]},
        two_keys(won, "regional_office", "closed_quarter", won_average),
    )
    add(
        "two_dimensions",
        "各产品系列在各国家的赢单数",
        {"filters": [WON], "group_by": [group(SERIES), group(COUNTRY)]},
        two_keys(won, "series", "country", count),
    )
    add(
        "two_dimensions",
        "opportunity count by stage and product",
        {"group_by": [group(STAGE), group(PRODUCT)]},
        two_keys(frame, "stage", "product", count),
    )
    add(
        "two_dimensions",
        "按经理和产品系列看丢单数量",
        {"filters": [LOST], "group_by": [group(MANAGER), group(SERIES)]},
        two_keys(lost, "manager", "series", count),
    )
    add(
        "two_dimensions",
        "for the QBR, won revenue split by industry, then by region",
        {"filters": [WON], "group_by": [group(INDUSTRY), group(REGION)], "measures": [SUM]},
        two_keys(won, "industry", "regional_office", won_total),
    )

    # Top N.
    top("top_n", "成交额top10的客户", [WON], by_account, 10, summed, won)
    top("top_n", "which 3 managers' teams have won the most deals", [WON], by_manager, 3, None, won)
    top("top_n", "哪个产品卖得最好？按成交额算", [WON], by_product, 1, summed, won)
    top(
        "top_n",
        "curious - which account has the most lost deals?",
        [LOST],
        by_account,
        1,
        None,
        lost,
    )
    top(
        "top_n",
        "今年谁签单最多？列前5个销售",
        [closed_relative("this_year"), WON],
        by_rep,
        5,
        None,
        this_year_won,
    )
    top("top_n", "top 2 industries by average won amount", [WON], by_industry, 2, averaged, won)
    # 业绩 ("performance") of a rep is the won amount.
    top(
        "top_n",
        "West区业绩前三的销售是哪几个",
        [equals(REGION, "West"), WON],
        by_rep,
        3,
        summed,
        where(won, "regional_office", "West"),
    )
    top(
        "top_n",
        "best rep last quarter by number of deals won",
        [closed_relative("last_quarter"), WON],
        by_rep,
        1,
        None,
        last_quarter_won,
    )
    top("top_n", "老板想知道哪个国家的客户成交额最高", [WON], by_country, 1, summed, won)
    top("top_n", "highest-grossing product series", [WON], by_series, 1, summed, won)

    # Bottom N. Five reps own no deal at all, and the report groups only the deals there
    # are. So no question ranks reps from the bottom where such a rep would come first.
    top("bottom_n", "成交额排最后三名的行业", [WON], by_industry, 3, summed, won, lowest_first=True)
    top(
        "bottom_n",
        "product with the lowest number of wins",
        [WON],
        by_product,
        1,
        None,
        won,
        lowest_first=True,
    )
    top("bottom_n", "赢单数最少的客户是哪家", [WON], by_account, 1, None, won, lowest_first=True)
    top(
        "bottom_n",
        "the two managers whose teams won the least revenue",
        [WON],
        by_manager,
        2,
        summed,
        won,
        lowest_first=True,
    )
    top(
        "bottom_n", "平均赢单金额最低的销售是谁", [WON], by_rep, 1, averaged, won, lowest_first=True
    )
    top(
        "bottom_n",
        "which customer has the smallest avg deal we've won",
        [WON],
        by_account,
        1,
        averaged,
        won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "上季度成交额最少的产品",
        [closed_relative("last_quarter"), WON],
        by_product,
        1,
        summed,
        last_quarter_won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "3 products with the fewest lost deals",
        [LOST],
        by_product,
        3,
        None,
        lost,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "Dustin Brinkmann那组签单最少的两个人",
        [equals(MANAGER, "Dustin Brinkmann"), WON],
        by_rep,
        2,
        None,
        where(won, "manager", "Dustin Brinkmann"),
        lowest_first=True,
    )
    top(
        "bottom_n",
        "which region has the smallest average win",
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
        "成交金额高于15000的单子有几笔",
        {"filters": [amount_is("gt", 15000), WON]},
        [[len(amounts(won, lambda v: v > 15000))]],
    )
    add(
        "amount_range",
        "how many won deals came in under 200 dollars",
        {"filters": [amount_is("lt", 200), WON]},
        [[len(amounts(won, lambda v: v < 200))]],
    )
    add(
        "amount_range",
        "金额在500到1000之间的赢单数量",
        {"filters": [amount_is("between", [500, 1000]), WON]},
        [[len(amounts(won, lambda v: 500 <= v <= 1000))]],
    )
    add(
        "amount_range",
        "total won from deals of at least 8k",
        {"filters": [amount_is("gte", 8000), WON], "measures": [SUM]},
        nonempty_total(amounts(won, lambda v: v >= 8000)),
    )
    add(
        "amount_range",
        "不到300块的成交单有几笔",
        {"filters": [amount_is("lt", 300), WON]},
        [[len(amounts(won, lambda v: v < 300))]],
    )
    add(
        "amount_range",
        "avg won deal between 1k and 5k",
        {"filters": [amount_is("between", [1000, 5000]), WON], "measures": [AVG]},
        [[won_average(amounts(won, lambda v: 1000 <= v <= 5000))]],
    )
    add(
        "amount_range",
        "West区单笔超过一万的赢单数",
        {"filters": [amount_is("gt", 10000), equals(REGION, "West"), WON]},
        [[len(amounts(where(won, "regional_office", "West"), lambda v: v > 10000))]],
    )
    add(
        "amount_range",
        "won deals over 5,500, by manager",
        {"filters": [amount_is("gt", 5500), WON], "group_by": [group(MANAGER)]},
        by(amounts(won, lambda v: v > 5500), "manager", count),
    )
    add(
        "amount_range",
        "金额不超过1000的赢单平均多少钱",
        {"filters": [amount_is("lte", 1000), WON], "measures": [AVG]},
        [[won_average(amounts(won, lambda v: v <= 1000))]],
    )
    add(
        "amount_range",
        "MG Advanced wins worth more than $4,000 - how many?",
        {"filters": [amount_is("gt", 4000), equals(PRODUCT, "MG Advanced"), WON]},
        [[len(amounts(where(won, "product", "MG Advanced"), lambda v: v > 4000))]],
    )

    # Explicit dates.
    add(
        "date_range",
        "17年3月份的赢单笔数",
        {"filters": [closed_in("2017-03-01", "2017-03-31"), WON]},
        [[len(closed_from(won, date(2017, 3, 1), date(2017, 3, 31)))]],
    )
    add(
        "date_range",
        "Oct 2017 lost deal count",
        {"filters": [closed_in("2017-10-01", "2017-10-31"), LOST]},
        [[len(closed_from(lost, date(2017, 10, 1), date(2017, 10, 31)))]],
    )
    # The fourth quarter of 2017 is also the current quarter. The question names it, so the
    # set expects a ``between`` filter on its dates rather than ``this_quarter``.
    add(
        "date_range",
        "2017年Q4签了多少钱",
        {"filters": [closed_in("2017-10-01", "2017-12-31"), WON], "measures": [SUM]},
        nonempty_total(closed_from(won, date(2017, 10, 1), date(2017, 12, 31))),
    )
    add(
        "date_range",
        "number of opportunities engaged in November 2016",
        {"filters": [engaged_in("2016-11-01", "2016-11-30")]},
        [[len(engaged_from(date(2016, 11, 1), date(2016, 11, 30)))]],
    )
    add(
        "date_range",
        "17年5月到7月的赢单金额",
        {"filters": [closed_in("2017-05-01", "2017-07-31"), WON], "measures": [SUM]},
        nonempty_total(closed_from(won, date(2017, 5, 1), date(2017, 7, 31))),
    )
    add(
        "date_range",
        "average won deal, August 2017",
        {"filters": [closed_in("2017-08-01", "2017-08-31"), WON], "measures": [AVG]},
        [[won_average(closed_from(won, date(2017, 8, 1), date(2017, 8, 31)))]],
    )
    # 上半年 is the first half of the year, January to June.
    add(
        "date_range",
        "2017年上半年成交了多少单",
        {"filters": [closed_in("2017-01-01", "2017-06-30"), WON]},
        [[len(closed_from(won, date(2017, 1, 1), date(2017, 6, 30)))]],
    )
    add(
        "date_range",
        "won amount by product for H2 2017",
        {
            "filters": [closed_in("2017-07-01", "2017-12-31"), WON],
            "group_by": [group(PRODUCT)],
            "measures": [SUM],
        },
        by(closed_from(won, date(2017, 7, 1), date(2017, 12, 31)), "product", won_total),
    )
    add(
        "date_range",
        "2017年9月1日到10月15日丢了多少单",
        {"filters": [closed_in("2017-09-01", "2017-10-15"), LOST]},
        [[len(closed_from(lost, date(2017, 9, 1), date(2017, 10, 15)))]],
    )
    add(
        "date_range",
        "new opportunities from Feb through Apr 2017",
        {"filters": [engaged_in("2017-02-01", "2017-04-30")]},
        [[len(engaged_from(date(2017, 2, 1), date(2017, 4, 30)))]],
    )

    # Relative periods, counted from as_of. "This month", "this quarter" and "this year"
    # are the whole calendar period, as the report reads them.
    add(
        "relative_period",
        "本月丢单数量",
        {"filters": [closed_relative("this_month"), LOST]},
        [[len(closed_during(lost, "this_month"))]],
    )
    add(
        "relative_period",
        "won revenue this month",
        {"filters": [closed_relative("this_month"), WON], "measures": [SUM]},
        nonempty_total(closed_during(won, "this_month")),
    )
    add(
        "relative_period",
        "上个月新增了几个opp",
        {"filters": [engaged_relative("last_month")]},
        [[len(engaged_from(*ranges["last_month"]))]],
    )
    add(
        "relative_period",
        "wins over the past 30 days - how many?",
        {"filters": [closed_relative("last_30_days"), WON]},
        [[len(closed_during(won, "last_30_days"))]],
    )
    add(
        "relative_period",
        "近7天一共成交了多少钱",
        {"filters": [closed_relative("last_7_days"), WON], "measures": [SUM]},
        nonempty_total(closed_during(won, "last_7_days")),
    )
    add(
        "relative_period",
        "lost deals last week",
        {"filters": [closed_relative("last_week"), LOST]},
        [[len(closed_during(lost, "last_week"))]],
    )
    add(
        "relative_period",
        "本季度各销售经理的成交额",
        {
            "filters": [closed_relative("this_quarter"), WON],
            "group_by": [group(MANAGER)],
            "measures": [SUM],
        },
        by(closed_during(won, "this_quarter"), "manager", won_total),
    )
    add(
        "relative_period",
        "deals won last quarter by region",
        {"filters": [closed_relative("last_quarter"), WON], "group_by": [group(REGION)]},
        by(last_quarter_won, "regional_office", count),
    )
    add(
        "relative_period",
        "过去60天输了多少单",
        {"filters": [closed_relative("last_60_days"), LOST]},
        [[len(closed_during(lost, "last_60_days"))]],
    )
    add(
        "relative_period",
        "what did we book this year by product series",
        {
            "filters": [closed_relative("this_year"), WON],
            "group_by": [group(SERIES)],
            "measures": [SUM],
        },
        by(this_year_won, "series", won_total),
    )

    # Exclusions. Won and lost deals all have an account, so a condition on the
    # account never meets a deal without one.
    add(
        "exclusion",
        "GTK 500不算的话，赢单有多少笔",
        {"filters": [excluding(PRODUCT, "GTK 500"), WON]},
        [[len(outside(won, "product", ["GTK 500"]))]],
    )
    add(
        "exclusion",
        "won $ from every region but West",
        {"filters": [excluding(REGION, "West"), WON], "measures": [SUM]},
        nonempty_total(outside(won, "regional_office", ["West"])),
    )
    retail_medical = ["retail", "medical"]
    add(
        "exclusion",
        "不含零售和医疗行业的成交额",
        {"filters": [excluding(INDUSTRY, retail_medical), WON], "measures": [SUM]},
        nonempty_total(outside(won, "industry", retail_medical)),
    )
    add(
        "exclusion",
        "how many deals did everyone besides Jonathan Berthelot win",
        {"filters": [excluding(REP, "Jonathan Berthelot"), WON]},
        [[len(outside(won, "sales_agent", ["Jonathan Berthelot"]))]],
    )
    # 刨掉 ("dig out") means leaving out.
    add(
        "exclusion",
        "刨掉Summer Sewald团队，剩下的赢单总额",
        {"filters": [excluding(MANAGER, "Summer Sewald"), WON], "measures": [SUM]},
        nonempty_total(outside(won, "manager", ["Summer Sewald"])),
    )
    add(
        "exclusion",
        "average won deal outside the GTX series",
        {"filters": [excluding(SERIES, "GTX"), WON], "measures": [AVG]},
        [[won_average(outside(won, "series", ["GTX"]))]],
    )
    add(
        "exclusion",
        "美国以外的客户丢了几单",
        {"filters": [excluding(COUNTRY, "United States"), LOST]},
        [[len(outside(lost, "country", ["United States"]))]],
    )
    two_accounts = ["Kan-code", "Hottechi"]
    add(
        "exclusion",
        "won deals not from Kan-code or Hottechi",
        {"filters": [excluding(ACCOUNT, two_accounts), WON]},
        [[len(outside(won, "account", two_accounts))]],
    )
    # A filter region in [Central, West] selects the same deals. The question names the
    # region it leaves out, so the set expects ``ne``.
    add(
        "exclusion",
        "除East区外各区的赢单数",
        {"filters": [excluding(REGION, "East"), WON], "group_by": [group(REGION)]},
        by(outside(won, "regional_office", ["East"]), "regional_office", count),
    )
    add(
        "exclusion",
        "median win, MG Special excluded",
        {"filters": [excluding(PRODUCT, "MG Special"), WON], "measures": [MEDIAN]},
        [[won_median(outside(won, "product", ["MG Special"]))]],
    )

    # Several values of one field.
    account_pair = ["Kan-code", "Konex"]
    add(
        "several_values",
        "Kan-code和Konex两家的成交额合计",
        {"filters": [one_of(ACCOUNT, account_pair), WON], "measures": [SUM]},
        nonempty_total(within(won, "account", account_pair)),
    )
    product_pair = ["GTX Basic", "MG Special"]
    add(
        "several_values",
        "wins for GTX Basic and MG Special, by product",
        {"filters": [one_of(PRODUCT, product_pair), WON], "group_by": [group(PRODUCT)]},
        by(within(won, "product", product_pair), "product", count),
    )
    # A filter region ne Central selects the same deals. The question names two regions,
    # so the set expects ``in``.
    east_west = ["East", "West"]
    add(
        "several_values",
        "East、West两个区分别丢了多少单",
        {"filters": [one_of(REGION, east_west), LOST], "group_by": [group(REGION)]},
        by(within(lost, "regional_office", east_west), "regional_office", count),
    )
    rep_pair = ["Boris Faz", "Daniell Hammack"]
    add(
        "several_values",
        "Boris Faz + Daniell Hammack combined won total",
        {"filters": [one_of(REP, rep_pair), WON], "measures": [SUM]},
        nonempty_total(within(won, "sales_agent", rep_pair)),
    )
    three_industries = ["retail", "telecommunications", "entertainment"]
    add(
        "several_values",
        "零售、电信、娱乐三个行业一共赢了几单",
        {"filters": [one_of(INDUSTRY, three_industries), WON]},
        [[len(within(won, "industry", three_industries))]],
    )
    gtx_pair = ["GTX Pro", "GTX Plus Pro"]
    add(
        "several_values",
        "GTX Pro and GTX Plus Pro together: median won deal?",
        {"filters": [one_of(PRODUCT, gtx_pair), WON], "measures": [MEDIAN]},
        [[won_median(within(won, "product", gtx_pair))]],
    )
    manager_pair = ["Cara Losch", "Celia Rouche"]
    add(
        "several_values",
        "Cara Losch和Celia Rouche两个团队各签了多少钱",
        {
            "filters": [one_of(MANAGER, manager_pair), WON],
            "group_by": [group(MANAGER)],
            "measures": [SUM],
        },
        by(within(won, "manager", manager_pair), "manager", won_total),
    )
    three_accounts = ["Condax", "Isdom", "Finhigh"]
    add(
        "several_values",
        "open opps at Condax, Isdom or Finhigh",
        {"filters": [*OPEN, one_of(ACCOUNT, three_accounts)]},
        [[len(within(open_deals, "account", three_accounts))]],
    )
    two_countries = ["Japan", "Korea"]
    add(
        "several_values",
        "Japan和Korea的客户赢单金额合计",
        {"filters": [one_of(COUNTRY, two_countries), WON], "measures": [SUM]},
        nonempty_total(within(won, "country", two_countries)),
    )
    three_reps = ["Violet Mclelland", "Garret Kinder", "Wilburn Farren"]
    add(
        "several_values",
        "lost deals for Violet Mclelland, Garret Kinder and Wilburn Farren",
        {"filters": [one_of(REP, three_reps), LOST]},
        [[len(within(lost, "sales_agent", three_reps))]],
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

    # 成交率 ("closing rate") is the win rate.
    win_rate("我们的成交率是多少", [], closed)
    win_rate("of the deals that closed, what share did we win", [], closed)
    win_rate(
        "West大区的赢率怎么样",
        [equals(REGION, "West")],
        where(closed, "regional_office", "West"),
    )
    win_rate_by("win rate for each region", REGION, "regional_office")
    win_rate_by("想看下各产品的胜率", PRODUCT, "product")
    win_rate(
        "Gladys Colclough win rate?",
        [equals(REP, "Gladys Colclough")],
        where(closed, "sales_agent", "Gladys Colclough"),
    )
    win_rate_ranked("哪个消售的赢单率最低", by_rep, lowest_first=True)
    win_rate_ranked("product series with the worst win rate", by_series, lowest_first=True)
    win_rate(
        "Rocco Neubert手下整体赢率多少",
        [equals(MANAGER, "Rocco Neubert")],
        where(closed, "manager", "Rocco Neubert"),
    )
    win_rate(
        "win rate in the software industry",
        [equals(INDUSTRY, "software")],
        where(closed, "industry", "software"),
    )

    # Accounts as the base object, and account fields on deals.
    def accounts_query(**parts: Any) -> dict[str, Any]:
        return {"object": "accounts", **parts}

    add_object("accounts", "现在库里有多少家客户公司", accounts_query(), [[len(accounts)]])
    add_object(
        "accounts",
        "US-based customers: how many?",
        accounts_query(filters=[equals("country", "United States")]),
        [[int((accounts["office_location"] == "United States").sum())]],
    )
    add_object(
        "accounts",
        "1980年到1989年之间成立的客户数量",
        accounts_query(filters=[{"field": "founded_year", "op": "between", "value": [1980, 1989]}]),
        [[int(accounts["founded"].between(1980, 1989).sum())]],
    )
    add_object(
        "accounts",
        "mean yearly revenue of accounts, per industry",
        accounts_query(
            group_by=[group("industry")],
            measures=[{"aggregate": "avg", "field": "annual_revenue"}],
        ),
        by(accounts, "industry", lambda part: average(part["annual_revenue"])),
    )
    add_object(
        "accounts",
        "每个行业客户加起来有多少员工",
        accounts_query(
            group_by=[group("industry")],
            measures=[{"aggregate": "sum", "field": "employee_count"}],
        ),
        by(accounts, "industry", lambda part: int(part["employees"].sum())),
    )
    add_object(
        "accounts",
        "accounts under 1000 employees, how many",
        accounts_query(filters=[{"field": "employee_count", "op": "lt", "value": 1000}]),
        [[int((accounts["employees"] < 1000).sum())]],
    )
    add_object(
        "accounts",
        "年营收不到5亿美元的客户多少家",
        accounts_query(filters=[{"field": "annual_revenue", "op": "lt", "value": 500_000_000}]),
        [[int((accounts["annual_revenue"] < 500_000_000).sum())]],
    )
    add_object(
        "accounts",
        "industry with the smallest number of accounts",
        accounts_query(group_by=[group("industry")], sort=ascending("count"), limit=1),
        ranked(by(accounts, "industry", count), 1, lowest_first=True),
        ordered=True,
    )
    big_accounts = won[won["employees"].map(lambda value: not pd.isna(value) and value > 5000)]
    add(
        "accounts",
        "员工超过5000人的客户签了多少单",
        {"filters": [{"field": "account.employee_count", "op": "gt", "value": 5000}, WON]},
        [[len(big_accounts)]],
    )
    old_accounts = won[won["founded"].map(lambda value: not pd.isna(value) and value < 1980)]
    add(
        "accounts",
        "won $ from custmers established before 1980",
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

    gtx_products = products[products["series"] == "GTX"]
    add_object(
        "products",
        "MG这个系列一共几个产品",
        products_query(filters=[equals("series", "MG")]),
        [[int((products["series"] == "MG").sum())]],
    )
    add_object(
        "products",
        "max list price among GTX products",
        products_query(filters=[equals("series", "GTX")], measures=[list_price("max")]),
        [[cents(max(gtx_products["list_price"]))]],
    )
    # 目录价 ("catalogue price") is the list price.
    add_object(
        "products",
        "产品目录价平均是多少",
        products_query(measures=[list_price("avg")]),
        [[average(products["list_price"])]],
    )
    add_object(
        "products",
        "how many products cost more than 2,000",
        products_query(filters=[{"field": "list_price", "op": "gt", "value": 2000}]),
        [[int((products["list_price"] > 2000).sum())]],
    )
    add_object(
        "products",
        "每个系列产品标价总和",
        products_query(group_by=[group("series")], measures=[list_price("sum")]),
        by(products, "series", lambda part: cents(sum(part["list_price"]))),
    )
    add_object(
        "products",
        "GTX products: what's the cheapest list price?",
        products_query(filters=[equals("series", "GTX")], measures=[list_price("min")]),
        [[cents(min(gtx_products["list_price"]))]],
    )
    add_object(
        "products",
        "价格介于500和3000之间的产品数量",
        products_query(filters=[{"field": "list_price", "op": "between", "value": [500, 3000]}]),
        [[int(products["list_price"].map(lambda price: 500 <= price <= 3000).sum())]],
    )
    add_object(
        "products",
        "product count per series",
        products_query(group_by=[group("series")]),
        by(products, "series", count),
    )
    add_object(
        "products",
        "产品一共分几个系列",
        products_query(measures=[{"aggregate": "count_distinct", "field": "series"}]),
        [[int(products["series"].nunique())]],
    )

    # Open pipeline: deals neither won nor lost. They carry no amount, so only
    # counts are asked. 在途 ("in transit") means the deal is still open.
    add(
        "open_pipeline",
        "East区在途商机有多少",
        {"filters": [*OPEN, equals(REGION, "East")]},
        [[len(where(open_deals, "regional_office", "East"))]],
    )
    add(
        "open_pipeline",
        "how many opps each rep still has open",
        {"filters": OPEN, "group_by": [group(REP)]},
        by(open_deals, "sales_agent", count),
    )
    add(
        "open_pipeline",
        "跟进中的MG Advanced商机有几个",
        {"filters": [*OPEN, equals(PRODUCT, "MG Advanced")]},
        [[len(where(open_deals, "product", "MG Advanced"))]],
    )
    add(
        "open_pipeline",
        "Melvin Marxen's team: open opp count",
        {"filters": [*OPEN, equals(MANAGER, "Melvin Marxen")]},
        [[len(where(open_deals, "manager", "Melvin Marxen"))]],
    )
    # Open deals without an account form their own group, as the report returns it.
    add(
        "open_pipeline",
        "还没关单的商机按行业分一下",
        {"filters": OPEN, "group_by": [group(INDUSTRY)]},
        by(open_deals, "industry", count),
    )
    add(
        "open_pipeline",
        "open deal count for Maureen Marcano",
        {"filters": [*OPEN, equals(REP, "Maureen Marcano")]},
        [[len(where(open_deals, "sales_agent", "Maureen Marcano"))]],
    )
    add(
        "open_pipeline",
        "按产品系列看在途商机",
        {"filters": OPEN, "group_by": [group(SERIES)]},
        by(open_deals, "series", count),
    )
    top(
        "open_pipeline",
        "manager whose team holds the most open opps",
        OPEN,
        by_manager,
        1,
        None,
        open_deals,
    )
    # 结案 ("close the case") means the deal is won or lost.
    add(
        "open_pipeline",
        "Hottechi还有几个没结案的商机",
        {"filters": [*OPEN, equals(ACCOUNT, "Hottechi")]},
        [[len(where(open_deals, "account", "Hottechi"))]],
    )
    add(
        "open_pipeline",
        "open pipeline in the finance sector, count",
        {"filters": [*OPEN, equals(INDUSTRY, "finance")]},
        [[len(where(open_deals, "industry", "finance"))]],
    )

    # Several conditions at once.
    add(
        "combined",
        "今年Central区GTX Basic成交了多少钱",
        {
            "filters": [
                closed_relative("this_year"),
                equals(PRODUCT, "GTX Basic"),
                equals(REGION, "Central"),
                WON,
            ],
            "measures": [SUM],
        },
        nonempty_total(
            where(where(this_year_won, "regional_office", "Central"), "product", "GTX Basic")
        ),
    )
    west_software_lost = where(where(lost, "regional_office", "West"), "industry", "software")
    add(
        "combined",
        "how many software deals did the West lose last quarter",
        {
            "filters": [
                closed_relative("last_quarter"),
                equals(INDUSTRY, "software"),
                equals(REGION, "West"),
                LOST,
            ]
        },
        [[len(closed_during(west_software_lost, "last_quarter"))]],
    )
    add(
        "combined",
        "上个月Cara Losch团队各销售的成交额",
        {
            "filters": [closed_relative("last_month"), equals(MANAGER, "Cara Losch"), WON],
            "group_by": [group(REP)],
            "measures": [SUM],
        },
        by(
            closed_during(where(won, "manager", "Cara Losch"), "last_month"),
            "sales_agent",
            won_total,
        ),
    )
    james_mg_special = where(where(won, "sales_agent", "James Ascencio"), "product", "MG Special")
    add(
        "combined",
        "James Ascencio's MG Special wins in 2017",
        {
            "filters": [
                closed_in("2017-01-01", "2017-12-31"),
                equals(PRODUCT, "MG Special"),
                equals(REP, "James Ascencio"),
                WON,
            ]
        },
        [[len(closed_from(james_mg_special, *year_2017))]],
    )
    east_q2 = closed_from(where(won, "regional_office", "East"), *q2_2017)
    add(
        "combined",
        "2017年Q2 East区超过5000的赢单数",
        {
            "filters": [
                amount_is("gt", 5000),
                closed_in("2017-04-01", "2017-06-30"),
                equals(REGION, "East"),
                WON,
            ]
        },
        [[len(amounts(east_q2, lambda v: v > 5000))]],
    )
    retail_plus_pro = where(where(this_year_won, "industry", "retail"), "product", "GTX Plus Pro")
    add(
        "combined",
        "average retail win for GTX Plus Pro this year",
        {
            "filters": [
                closed_relative("this_year"),
                equals(INDUSTRY, "retail"),
                equals(PRODUCT, "GTX Plus Pro"),
                WON,
            ],
            "measures": [AVG],
        },
        [[won_average(retail_plus_pro)]],
    )
    add(
        "combined",
        "本季度各产品在West区的成交额",
        {
            "filters": [closed_relative("this_quarter"), equals(REGION, "West"), WON],
            "group_by": [group(PRODUCT)],
            "measures": [SUM],
        },
        by(
            closed_during(where(won, "regional_office", "West"), "this_quarter"),
            "product",
            won_total,
        ),
    )
    add(
        "combined",
        "medical lost deals by rep in Q3 2017",
        {
            "filters": [closed_in("2017-07-01", "2017-09-30"), equals(INDUSTRY, "medical"), LOST],
            "group_by": [group(REP)],
        },
        by(closed_from(where(lost, "industry", "medical"), *q3_2017), "sales_agent", count),
    )
    finance_mg_advanced = where(
        where(this_year_won, "industry", "finance"), "product", "MG Advanced"
    )
    add(
        "combined",
        "今年金融行业MG Advanced的成交单数",
        {
            "filters": [
                closed_relative("this_year"),
                equals(INDUSTRY, "finance"),
                equals(PRODUCT, "MG Advanced"),
                WON,
            ]
        },
        [[len(finance_mg_advanced)]],
    )
    central_recent = closed_during(where(won, "regional_office", "Central"), "last_90_days")
    add(
        "combined",
        "Central wins under 500 in the last 90 days",
        {
            "filters": [
                amount_is("lt", 500),
                closed_relative("last_90_days"),
                equals(REGION, "Central"),
                WON,
            ]
        },
        [[len(amounts(central_recent, lambda v: v < 500))]],
    )
    return cases
