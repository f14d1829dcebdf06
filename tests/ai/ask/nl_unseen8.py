"""An eighth unseen question set over the MavenTech pipeline, written without reading the grammar.

Like the unseen sets before it, this set estimates how the offline grammar handles
wordings it was never tuned to. The grammar is not tuned against it, so its accuracy
on a first run is that estimate.

The questions cover the families of ``nl_unseen2.py`` in new wordings, typed the way
sales managers and reps at Chinese companies write them. Most are short plain
questions or bare report titles ("won $ by industry", 各大区的商机数, "top 3 West reps
by won $"). Chinese questions use words such as 累计, 加总, 均价, 去重, 拆, 还在跟,
还开着 and 没关的单, and end with 报一下 or 共几个. Chinese and English are mixed
(lost掉, open商机, opp数量, stage names such as Engaging). English questions use
abbreviations (opps, avg, $, 5k, 10k, $500M, H1, Q4, Aug, Sept, Oct '17, pls, x for
"by"), and some give the measure after a dash ("- count?", "- how many"). A few carry
typos of the kind a hurried thumb makes (overal, evr, revnue). No question repeats one
of the other sets, and a test checks that.

Expected rows are computed with pandas from the CSV files, independently of the
importer and the report engine. Expected queries take the forms of
``nl_unseen2.py``. Won and lost deals are filtered by ``stage.key``, open deals as
neither won nor lost, and revenue, won $ and 成交额 are the sum of won amounts. A win
rate is the ``share`` measure named ``win_rate`` over deals with a close date. New
deals are counted by their engage date, distinct counts go on the foreign key, and
top or bottom N is a sort on the measure with a limit. A named year, quarter or
month is a ``between`` filter on its dates, and 今年, "this quarter" or "this month" a
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
from nl_unseen7 import ENGAGED_YEAR


def build_unseen8_cases(folder: Path, as_of: date) -> list[Case]:
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
    add("stage_count", "CRM里商机总数报一下", {}, [[len(frame)]])
    add("stage_count", "opp count overall, every stage included", {}, [[len(frame)]])
    add("stage_count", "lost掉的商机数量", {"filters": [LOST]}, [[len(lost)]])
    add(
        "stage_count",
        "total number of lost opportunities to date",
        {"filters": [LOST]},
        [[len(lost)]],
    )
    add("stage_count", "已赢单的商机一共几个", {"filters": [WON]}, [[len(won)]])
    add(
        "stage_count",
        "how many opps are marked won?",
        {"filters": [WON]},
        [[len(won)]],
    )
    add(
        "stage_count",
        "Engaging阶段现在几个opp",
        {"filters": [equals(STAGE, "engaging")]},
        [[len(where(frame, "stage", "engaging"))]],
    )
    add(
        "stage_count",
        "prospecting stage - opp count pls",
        {"filters": [equals(STAGE, "prospecting")]},
        [[len(where(frame, "stage", "prospecting"))]],
    )
    add(
        "stage_count",
        "没赢没输、还在跟的商机共几个",
        {"filters": OPEN},
        [[len(open_deals)]],
    )
    add(
        "stage_count",
        "count of open opps (neither won nor lost)",
        {"filters": OPEN},
        [[len(open_deals)]],
    )

    # Sums of won amounts under one filter. "Telecom" is the telecommunications industry.
    def won_sum(column: str, value: str, field: str, question: str) -> None:
        add(
            "won_sum",
            question,
            {"filters": [equals(field, value), WON], "measures": [SUM]},
            nonempty_total(where(won, column, value)),
        )

    won_sum("sales_agent", "Darcel Schlecht", REP, "Darcel Schlecht累计赢单金额多少")
    won_sum("sales_agent", "Corliss Cosme", REP, "what's Corliss Cosme's total won amount?")
    won_sum("manager", "Rocco Neubert", MANAGER, "Rocco Neubert团队总业绩")
    won_sum("manager", "Melvin Marxen", MANAGER, "Melvin Marxen's team, total won $")
    won_sum("account", "Isdom", ACCOUNT, "Isdom这个客户一共给我们贡献了多少成交额")
    won_sum("product", "GTX Plus Basic", PRODUCT, "GTX Plus Basic total won revenue")
    won_sum("series", "MG", SERIES, "MG系列卖了多少钱（只算赢单）")
    won_sum("regional_office", "East", REGION, "how much revenue has the East office closed-won")
    won_sum("industry", "retail", INDUSTRY, "零售行业的赢单金额加总")
    won_sum("industry", "telecommunications", INDUSTRY, "telecom customers, total won deal value")

    # Averages.
    add(
        "average",
        "平均一单赢单多少钱",
        {"filters": [WON], "measures": [AVG]},
        [[won_average(won)]],
    )
    add(
        "average",
        "mean won deal size overal",
        {"filters": [WON], "measures": [AVG]},
        [[won_average(won)]],
    )
    add(
        "average",
        "East大区赢单平均金额",
        {"filters": [equals(REGION, "East"), WON], "measures": [AVG]},
        [[won_average(where(won, "regional_office", "East"))]],
    )
    add(
        "average",
        "Kary Hendrixson平均每单赢多少",
        {"filters": [equals(REP, "Kary Hendrixson"), WON], "measures": [AVG]},
        [[won_average(where(won, "sales_agent", "Kary Hendrixson"))]],
    )
    add(
        "average",
        "what's the avg won amount for GTX Basic",
        {"filters": [equals(PRODUCT, "GTX Basic"), WON], "measures": [AVG]},
        [[won_average(where(won, "product", "GTX Basic"))]],
    )
    add(
        "average",
        "软件行业赢单均价",
        {"filters": [equals(INDUSTRY, "software"), WON], "measures": [AVG]},
        [[won_average(where(won, "industry", "software"))]],
    )
    add_object(
        "average",
        "avg headcount per account?",
        {"object": "accounts", "measures": [{"aggregate": "avg", "field": "employee_count"}]},
        [[number_average(accounts["employees"])]],
    )
    add(
        "average",
        "2017年第三季度赢单平均金额",
        {"filters": [closed_in("2017-07-01", "2017-09-30"), WON], "measures": [AVG]},
        [[won_average(closed_from(won, *q3_2017))]],
    )
    add(
        "average",
        "avg won deal size, product by product",
        {"filters": [WON], "group_by": [group(PRODUCT)], "measures": [AVG]},
        by(won, "product", won_average),
    )
    finance_accounts = accounts[accounts["industry"] == "finance"]
    add_object(
        "average",
        "金融行业客户的平均年收入",
        {
            "object": "accounts",
            "filters": [equals("industry", "finance")],
            "measures": [{"aggregate": "avg", "field": "annual_revenue"}],
        },
        [[average(finance_accounts["annual_revenue"])]],
    )

    # Medians. "Last quarter" is the last calendar quarter.
    add(
        "median",
        "median won deal amount?",
        {"filters": [WON], "measures": [MEDIAN]},
        [[won_median(won)]],
    )
    add(
        "median",
        "Central区赢单金额的中位数是多少",
        {"filters": [equals(REGION, "Central"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "regional_office", "Central"))]],
    )
    add(
        "median",
        "Summer Sewald's team - median won deal",
        {"filters": [equals(MANAGER, "Summer Sewald"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "manager", "Summer Sewald"))]],
    )
    add(
        "median",
        "MG Advanced赢单中位数",
        {"filters": [equals(PRODUCT, "MG Advanced"), WON], "measures": [MEDIAN]},
        [[won_median(where(won, "product", "MG Advanced"))]],
    )
    add(
        "median",
        "median won amount by industry",
        {"filters": [WON], "group_by": [group(INDUSTRY)], "measures": [MEDIAN]},
        by(won, "industry", won_median),
    )
    add_object(
        "median",
        "客户的员工人数取个中位数",
        {"object": "accounts", "measures": [{"aggregate": "median", "field": "employee_count"}]},
        [[cents(statistics.median(accounts["employees"]))]],
    )
    add(
        "median",
        "median won deal last quarter",
        {"filters": [closed_relative("last_quarter"), WON], "measures": [MEDIAN]},
        [[won_median(last_quarter_won)]],
    )
    add(
        "median",
        "每个销售的赢单金额中位数",
        {"filters": [WON], "group_by": [group(REP)], "measures": [MEDIAN]},
        by(won, "sales_agent", won_median),
    )
    technology_accounts = accounts[accounts["industry"] == "technology"]
    add_object(
        "median",
        "median annual revenue for technology accounts",
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
        "单笔最大的赢单金额",
        {"filters": [WON], "measures": [MAX]},
        [[largest(won["amount"])]],
    )
    add(
        "min_max",
        "smallest won deal evr?",
        {"filters": [WON], "measures": [MIN]},
        [[smallest(won["amount"])]],
    )
    add(
        "min_max",
        "Central's smallest won deal amount",
        {"filters": [equals(REGION, "Central"), WON], "measures": [MIN]},
        [[smallest(where(won, "regional_office", "Central")["amount"])]],
    )
    add(
        "min_max",
        "每个产品系列最大的一笔赢单",
        {"filters": [WON], "group_by": [group(SERIES)], "measures": [MAX]},
        by(won, "series", lambda part: largest(part["amount"])),
    )
    add(
        "min_max",
        "max won deal per manager team",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [MAX]},
        by(won, "manager", lambda part: largest(part["amount"])),
    )
    add(
        "min_max",
        "Vicki Laflamme签过最大的单多少钱",
        {"filters": [equals(REP, "Vicki Laflamme"), WON], "measures": [MAX]},
        [[largest(where(won, "sales_agent", "Vicki Laflamme")["amount"])]],
    )
    add_object(
        "min_max",
        "fewest employees any account has?",
        {"object": "accounts", "measures": [{"aggregate": "min", "field": "employee_count"}]},
        [[int(accounts["employees"].min())]],
    )
    add_object(
        "min_max",
        "客户年收入最高的是多少",
        {"object": "accounts", "measures": [{"aggregate": "max", "field": "annual_revenue"}]},
        [[cents(max(accounts["annual_revenue"]))]],
    )
    add(
        "min_max",
        "largest win in Aug 2017",
        {"filters": [closed_in("2017-08-01", "2017-08-31"), WON], "measures": [MAX]},
        [[largest(closed_from(won, date(2017, 8, 1), date(2017, 8, 31))["amount"])]],
    )

    # Distinct counts, on the foreign key as in nl_unseen2.py. Selling to an account
    # reads as a won deal, because a lost or open deal sold nothing.
    add(
        "distinct",
        "how many different accounts has Rosalina Dieter won deals with",
        {"filters": [equals(REP, "Rosalina Dieter"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(where(won, "sales_agent", "Rosalina Dieter"))]],
    )
    # Open deals without an account add no account to the count.
    add(
        "distinct",
        "手上有open商机的客户一共几家",
        {"filters": OPEN, "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(open_deals)]],
    )
    add(
        "distinct",
        "how many East reps have at least one win",
        {"filters": [equals(REGION, "East"), WON], "measures": [OWNERS_COUNTED]},
        [[distinct("sales_agent")(where(won, "regional_office", "East"))]],
    )
    add(
        "distinct",
        "Konex买过几种产品",
        {"filters": [equals(ACCOUNT, "Konex"), WON], "measures": [PRODUCTS_COUNTED]},
        [[distinct("product")(where(won, "account", "Konex"))]],
    )
    add(
        "distinct",
        "per manager, how many reps have won a deal",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [OWNERS_COUNTED]},
        by(won, "manager", distinct("sales_agent")),
    )
    add(
        "distinct",
        "各区域赢过单的客户数（去重）",
        {"filters": [WON], "group_by": [group(REGION)], "measures": [ACCOUNTS_COUNTED]},
        by(won, "regional_office", distinct("account")),
    )
    add(
        "distinct",
        "how many distinct customers signed with us last week",
        {"filters": [closed_relative("last_week"), WON], "measures": [ACCOUNTS_COUNTED]},
        [[distinct("account")(closed_during(won, "last_week"))]],
    )
    add(
        "distinct",
        "手上还有open单的销售有几个人",
        {"filters": OPEN, "measures": [OWNERS_COUNTED]},
        [[distinct("sales_agent")(open_deals)]],
    )
    add(
        "distinct",
        "distinct accounts we lost deals with in Oct '17",
        {
            "filters": [closed_in("2017-10-01", "2017-10-31"), LOST],
            "measures": [ACCOUNTS_COUNTED],
        },
        [[distinct("account")(closed_from(lost, date(2017, 10, 1), date(2017, 10, 31)))]],
    )

    # Breakdowns by one dimension.
    add(
        "breakdown",
        "opp数量按销售分",
        {"group_by": [group(REP)]},
        by(frame, "sales_agent", count),
    )
    # Deals without an account form their own group, as the report returns it.
    add(
        "breakdown",
        "每个客户各有几个商机",
        {"group_by": [group(ACCOUNT)]},
        by(frame, "account", count),
    )
    add(
        "breakdown",
        "lost deals per region",
        {"filters": [LOST], "group_by": [group(REGION)]},
        by(lost, "regional_office", count),
    )
    add(
        "breakdown",
        "各产品赢单数",
        {"filters": [WON], "group_by": [group(PRODUCT)]},
        by(won, "product", count),
    )
    add(
        "breakdown",
        "won revenue per product series",
        {"filters": [WON], "group_by": [group(SERIES)], "measures": [SUM]},
        by(won, "series", won_total),
    )
    add(
        "breakdown",
        "每个经理团队的成交额",
        {"filters": [WON], "group_by": [group(MANAGER)], "measures": [SUM]},
        by(won, "manager", won_total),
    )
    add(
        "breakdown",
        "wins by customer country",
        {"filters": [WON], "group_by": [group(COUNTRY)]},
        by(won, "country", count),
    )
    add(
        "breakdown",
        "各大区的商机数",
        {"group_by": [group(REGION)]},
        by(frame, "regional_office", count),
    )
    add(
        "breakdown",
        "won $ by industry",
        {"filters": [WON], "group_by": [group(INDUSTRY)], "measures": [SUM]},
        by(won, "industry", won_total),
    )
    add(
        "breakdown",
        "各个产品分别lost了几单",
        {"filters": [LOST], "group_by": [group(PRODUCT)]},
        by(lost, "product", count),
    )

    # Time buckets. Deals not yet engaged have no engage date and form their own group.
    add(
        "time_bucket",
        "monthly won revenue trend",
        {"filters": [WON], "group_by": [CLOSED_MONTH], "measures": [SUM]},
        by(won, "closed_month", won_total),
    )
    add(
        "time_bucket",
        "每季度赢单数",
        {"filters": [WON], "group_by": [CLOSED_QUARTER]},
        by(won, "closed_quarter", count),
    )
    add(
        "time_bucket",
        "new opps per month",
        {"group_by": [ENGAGED_MONTH]},
        by(frame, "engaged_month", count),
    )
    add(
        "time_bucket",
        "West区每月丢单数",
        {"filters": [equals(REGION, "West"), LOST], "group_by": [CLOSED_MONTH]},
        by(where(lost, "regional_office", "West"), "closed_month", count),
    )
    add(
        "time_bucket",
        "GTX Pro won revenue by quarter",
        {
            "filters": [equals(PRODUCT, "GTX Pro"), WON],
            "group_by": [CLOSED_QUARTER],
            "measures": [SUM],
        },
        by(where(won, "product", "GTX Pro"), "closed_quarter", won_total),
    )
    add(
        "time_bucket",
        "Hayden Neloms每个月赢几单",
        {"filters": [equals(REP, "Hayden Neloms"), WON], "group_by": [CLOSED_MONTH]},
        by(where(won, "sales_agent", "Hayden Neloms"), "closed_month", count),
    )
    add(
        "time_bucket",
        "lost deals per month during 2017",
        {"filters": [closed_in("2017-01-01", "2017-12-31"), LOST], "group_by": [CLOSED_MONTH]},
        by(closed_from(lost, *year_2017), "closed_month", count),
    )
    add(
        "time_bucket",
        "每季度赢单平均金额",
        {"filters": [WON], "group_by": [CLOSED_QUARTER], "measures": [AVG]},
        by(won, "closed_quarter", won_average),
    )
    add(
        "time_bucket",
        "new opportunities by year",
        {"group_by": [ENGAGED_YEAR]},
        by(frame, "engaged_year", count),
    )
    add(
        "time_bucket",
        "Central区每季度新进商机数",
        {"filters": [equals(REGION, "Central")], "group_by": [ENGAGED_QUARTER]},
        by(where(frame, "regional_office", "Central"), "engaged_quarter", count),
    )

    # Two dimensions, in the order the question names them.
    add(
        "two_dimensions",
        "won revenue by rep by quarter",
        {"filters": [WON], "group_by": [group(REP), CLOSED_QUARTER], "measures": [SUM]},
        two_keys(won, "sales_agent", "closed_quarter", won_total),
    )
    add(
        "two_dimensions",
        "各区域各产品系列的赢单数",
        {"filters": [WON], "group_by": [group(REGION), group(SERIES)]},
        two_keys(won, "regional_office", "series", count),
    )
    add(
        "two_dimensions",
        "wins per product per month",
        {"filters": [WON], "group_by": [group(PRODUCT), CLOSED_MONTH]},
        two_keys(won, "product", "closed_month", count),
    )
    add(
        "two_dimensions",
        "每个经理每个产品的丢单数",
        {"filters": [LOST], "group_by": [group(MANAGER), group(PRODUCT)]},
        two_keys(lost, "manager", "product", count),
    )
    add(
        "two_dimensions",
        "won $ by region x industry",
        {"filters": [WON], "group_by": [group(REGION), group(INDUSTRY)], "measures": [SUM]},
        two_keys(won, "regional_office", "industry", won_total),
    )
    add(
        "two_dimensions",
        "各区域每个季度的平均赢单金额",
        {"filters": [WON], "group_by": [group(REGION), CLOSED_QUARTER], "measures": [AVG]},
        two_keys(won, "regional_office", "closed_quarter", won_average),
    )
    add(
        "two_dimensions",
        "win count by series and customer country",
        {"filters": [WON], "group_by": [group(SERIES), group(COUNTRY)]},
        two_keys(won, "series", "country", count),
    )
    add(
        "two_dimensions",
        "按阶段和产品统计商机数",
        {"group_by": [group(STAGE), group(PRODUCT)]},
        two_keys(frame, "stage", "product", count),
    )
    add(
        "two_dimensions",
        "lost deals by manager and series",
        {"filters": [LOST], "group_by": [group(MANAGER), group(SERIES)]},
        two_keys(lost, "manager", "series", count),
    )
    add(
        "two_dimensions",
        "按行业再按区域拆成交额",
        {"filters": [WON], "group_by": [group(INDUSTRY), group(REGION)], "measures": [SUM]},
        two_keys(won, "industry", "regional_office", won_total),
    )

    # Top N.
    top("top_n", "top 10 accounts by won revenue", [WON], by_account, 10, summed, won)
    top("top_n", "赢单数最多的三个经理团队", [WON], by_manager, 3, None, won)
    top("top_n", "which product brings in the most won revnue", [WON], by_product, 1, summed, won)
    top(
        "top_n",
        "丢单最多的客户是哪个",
        [LOST],
        by_account,
        1,
        None,
        lost,
    )
    top(
        "top_n",
        "top 5 reps by wins this year",
        [closed_relative("this_year"), WON],
        by_rep,
        5,
        None,
        this_year_won,
    )
    top("top_n", "平均赢单金额最高的两个行业", [WON], by_industry, 2, averaged, won)
    top(
        "top_n",
        "top 3 West reps by won $",
        [equals(REGION, "West"), WON],
        by_rep,
        3,
        summed,
        where(won, "regional_office", "West"),
    )
    top(
        "top_n",
        "上季度赢单数第一的销售",
        [closed_relative("last_quarter"), WON],
        by_rep,
        1,
        None,
        last_quarter_won,
    )
    top(
        "top_n",
        "which customer country has the highest won revenue",
        [WON],
        by_country,
        1,
        summed,
        won,
    )
    top("top_n", "成交额最高的产品系列", [WON], by_series, 1, summed, won)

    # Bottom N. Five reps own no deal at all, and the report groups only the deals there
    # are. So no question ranks reps from the bottom where such a rep would come first.
    top(
        "bottom_n",
        "bottom 3 industries by won revenue",
        [WON],
        by_industry,
        3,
        summed,
        won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "赢单最少的产品",
        [WON],
        by_product,
        1,
        None,
        won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "account with the fewest wins",
        [WON],
        by_account,
        1,
        None,
        won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "成交额最低的两个经理团队",
        [WON],
        by_manager,
        2,
        summed,
        won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "rep with the lowest avg won deal",
        [WON],
        by_rep,
        1,
        averaged,
        won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "平均赢单金额最小的客户",
        [WON],
        by_account,
        1,
        averaged,
        won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "last quarter, which product had the lowest won revenue",
        [closed_relative("last_quarter"), WON],
        by_product,
        1,
        summed,
        last_quarter_won,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "丢单最少的3个产品",
        [LOST],
        by_product,
        3,
        None,
        lost,
        lowest_first=True,
    )
    top(
        "bottom_n",
        "bottom 2 reps on Dustin Brinkmann's team by win count",
        [equals(MANAGER, "Dustin Brinkmann"), WON],
        by_rep,
        2,
        None,
        where(won, "manager", "Dustin Brinkmann"),
        lowest_first=True,
    )
    top(
        "bottom_n",
        "平均赢单金额最低的区域",
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
        "wins above 15,000 - count?",
        {"filters": [amount_is("gt", 15000), WON]},
        [[len(amounts(won, lambda v: v > 15000))]],
    )
    add(
        "amount_range",
        "赢单金额小于200的有几个",
        {"filters": [amount_is("lt", 200), WON]},
        [[len(amounts(won, lambda v: v < 200))]],
    )
    add(
        "amount_range",
        "won deals between $500 and $1,000, how many",
        {"filters": [amount_is("between", [500, 1000]), WON]},
        [[len(amounts(won, lambda v: 500 <= v <= 1000))]],
    )
    add(
        "amount_range",
        "单笔不少于8000的赢单总金额",
        {"filters": [amount_is("gte", 8000), WON], "measures": [SUM]},
        nonempty_total(amounts(won, lambda v: v >= 8000)),
    )
    add(
        "amount_range",
        "wins worth less than 300 - count",
        {"filters": [amount_is("lt", 300), WON]},
        [[len(amounts(won, lambda v: v < 300))]],
    )
    add(
        "amount_range",
        "1000到5000之间的赢单平均金额",
        {"filters": [amount_is("between", [1000, 5000]), WON], "measures": [AVG]},
        [[won_average(amounts(won, lambda v: 1000 <= v <= 5000))]],
    )
    add(
        "amount_range",
        "West wins over 10k, how many",
        {"filters": [amount_is("gt", 10000), equals(REGION, "West"), WON]},
        [[len(amounts(where(won, "regional_office", "West"), lambda v: v > 10000))]],
    )
    add(
        "amount_range",
        "各经理超过5500的赢单数",
        {"filters": [amount_is("gt", 5500), WON], "group_by": [group(MANAGER)]},
        by(amounts(won, lambda v: v > 5500), "manager", count),
    )
    add(
        "amount_range",
        "avg of won deals at or below 1,000",
        {"filters": [amount_is("lte", 1000), WON], "measures": [AVG]},
        [[won_average(amounts(won, lambda v: v <= 1000))]],
    )
    add(
        "amount_range",
        "MG Advanced超过4000的赢单几个",
        {"filters": [amount_is("gt", 4000), equals(PRODUCT, "MG Advanced"), WON]},
        [[len(amounts(where(won, "product", "MG Advanced"), lambda v: v > 4000))]],
    )

    # Explicit dates.
    add(
        "date_range",
        "how many wins in March 2017",
        {"filters": [closed_in("2017-03-01", "2017-03-31"), WON]},
        [[len(closed_from(won, date(2017, 3, 1), date(2017, 3, 31)))]],
    )
    add(
        "date_range",
        "2017年10月丢单数",
        {"filters": [closed_in("2017-10-01", "2017-10-31"), LOST]},
        [[len(closed_from(lost, date(2017, 10, 1), date(2017, 10, 31)))]],
    )
    # The fourth quarter of 2017 is also the current quarter. The question names it, so the
    # set expects a ``between`` filter on its dates rather than ``this_quarter``.
    add(
        "date_range",
        "won revenue for Q4 2017",
        {"filters": [closed_in("2017-10-01", "2017-12-31"), WON], "measures": [SUM]},
        nonempty_total(closed_from(won, date(2017, 10, 1), date(2017, 12, 31))),
    )
    add(
        "date_range",
        "2016年11月新进的商机数",
        {"filters": [engaged_in("2016-11-01", "2016-11-30")]},
        [[len(engaged_from(date(2016, 11, 1), date(2016, 11, 30)))]],
    )
    add(
        "date_range",
        "won $ May through July 2017",
        {"filters": [closed_in("2017-05-01", "2017-07-31"), WON], "measures": [SUM]},
        nonempty_total(closed_from(won, date(2017, 5, 1), date(2017, 7, 31))),
    )
    add(
        "date_range",
        "2017年8月的平均赢单金额",
        {"filters": [closed_in("2017-08-01", "2017-08-31"), WON], "measures": [AVG]},
        [[won_average(closed_from(won, date(2017, 8, 1), date(2017, 8, 31)))]],
    )
    # H1 is the first half of the year, January to June.
    add(
        "date_range",
        "wins in H1 2017",
        {"filters": [closed_in("2017-01-01", "2017-06-30"), WON]},
        [[len(closed_from(won, date(2017, 1, 1), date(2017, 6, 30)))]],
    )
    add(
        "date_range",
        "2017下半年各产品的成交额",
        {
            "filters": [closed_in("2017-07-01", "2017-12-31"), WON],
            "group_by": [group(PRODUCT)],
            "measures": [SUM],
        },
        by(closed_from(won, date(2017, 7, 1), date(2017, 12, 31)), "product", won_total),
    )
    add(
        "date_range",
        "lost deals from Sept 1 to Oct 15, 2017",
        {"filters": [closed_in("2017-09-01", "2017-10-15"), LOST]},
        [[len(closed_from(lost, date(2017, 9, 1), date(2017, 10, 15)))]],
    )
    add(
        "date_range",
        "2017年2月到4月新进商机数",
        {"filters": [engaged_in("2017-02-01", "2017-04-30")]},
        [[len(engaged_from(date(2017, 2, 1), date(2017, 4, 30)))]],
    )

    # Relative periods, counted from as_of. "This month", "this quarter" and "this year"
    # are the whole calendar period, as the report reads them.
    add(
        "relative_period",
        "how many deals lost this month",
        {"filters": [closed_relative("this_month"), LOST]},
        [[len(closed_during(lost, "this_month"))]],
    )
    add(
        "relative_period",
        "这个月赢单金额",
        {"filters": [closed_relative("this_month"), WON], "measures": [SUM]},
        nonempty_total(closed_during(won, "this_month")),
    )
    add(
        "relative_period",
        "new opps last month",
        {"filters": [engaged_relative("last_month")]},
        [[len(engaged_from(*ranges["last_month"]))]],
    )
    add(
        "relative_period",
        "最近30天赢了几单",
        {"filters": [closed_relative("last_30_days"), WON]},
        [[len(closed_during(won, "last_30_days"))]],
    )
    add(
        "relative_period",
        "won $ in the last 7 days",
        {"filters": [closed_relative("last_7_days"), WON], "measures": [SUM]},
        nonempty_total(closed_during(won, "last_7_days")),
    )
    add(
        "relative_period",
        "上周丢单数",
        {"filters": [closed_relative("last_week"), LOST]},
        [[len(closed_during(lost, "last_week"))]],
    )
    add(
        "relative_period",
        "this quarter's won revenue per manager",
        {
            "filters": [closed_relative("this_quarter"), WON],
            "group_by": [group(MANAGER)],
            "measures": [SUM],
        },
        by(closed_during(won, "this_quarter"), "manager", won_total),
    )
    add(
        "relative_period",
        "上季度各区域赢单数",
        {"filters": [closed_relative("last_quarter"), WON], "group_by": [group(REGION)]},
        by(last_quarter_won, "regional_office", count),
    )
    add(
        "relative_period",
        "lost deals in the past 60 days",
        {"filters": [closed_relative("last_60_days"), LOST]},
        [[len(closed_during(lost, "last_60_days"))]],
    )
    add(
        "relative_period",
        "今年各产品系列的成交额",
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
        "wins excluding GTK 500",
        {"filters": [excluding(PRODUCT, "GTK 500"), WON]},
        [[len(outside(won, "product", ["GTK 500"]))]],
    )
    add(
        "exclusion",
        "除了West区，其他区的总成交额",
        {"filters": [excluding(REGION, "West"), WON], "measures": [SUM]},
        nonempty_total(outside(won, "regional_office", ["West"])),
    )
    retail_medical = ["retail", "medical"]
    add(
        "exclusion",
        "won revenue excluding retail and medical",
        {"filters": [excluding(INDUSTRY, retail_medical), WON], "measures": [SUM]},
        nonempty_total(outside(won, "industry", retail_medical)),
    )
    add(
        "exclusion",
        "除了Jonathan Berthelot，其他人一共赢了几单",
        {"filters": [excluding(REP, "Jonathan Berthelot"), WON]},
        [[len(outside(won, "sales_agent", ["Jonathan Berthelot"]))]],
    )
    add(
        "exclusion",
        "won total without Summer Sewald's team",
        {"filters": [excluding(MANAGER, "Summer Sewald"), WON], "measures": [SUM]},
        nonempty_total(outside(won, "manager", ["Summer Sewald"])),
    )
    add(
        "exclusion",
        "非GTX系列的平均赢单金额",
        {"filters": [excluding(SERIES, "GTX"), WON], "measures": [AVG]},
        [[won_average(outside(won, "series", ["GTX"]))]],
    )
    add(
        "exclusion",
        "lost deals with non-US customers",
        {"filters": [excluding(COUNTRY, "United States"), LOST]},
        [[len(outside(lost, "country", ["United States"]))]],
    )
    two_accounts = ["Kan-code", "Hottechi"]
    add(
        "exclusion",
        "不算Kan-code和Hottechi的赢单数",
        {"filters": [excluding(ACCOUNT, two_accounts), WON]},
        [[len(outside(won, "account", two_accounts))]],
    )
    # A filter region in [Central, West] selects the same deals. The question names the
    # region it leaves out, so the set expects ``ne``.
    add(
        "exclusion",
        "wins by region, East excluded",
        {"filters": [excluding(REGION, "East"), WON], "group_by": [group(REGION)]},
        by(outside(won, "regional_office", ["East"]), "regional_office", count),
    )
    add(
        "exclusion",
        "除MG Special以外的赢单金额中位数",
        {"filters": [excluding(PRODUCT, "MG Special"), WON], "measures": [MEDIAN]},
        [[won_median(outside(won, "product", ["MG Special"]))]],
    )

    # Several values of one field.
    account_pair = ["Kan-code", "Konex"]
    add(
        "several_values",
        "won $ from Kan-code and Konex combined",
        {"filters": [one_of(ACCOUNT, account_pair), WON], "measures": [SUM]},
        nonempty_total(within(won, "account", account_pair)),
    )
    product_pair = ["GTX Basic", "MG Special"]
    add(
        "several_values",
        "GTX Basic和MG Special各赢了几单",
        {"filters": [one_of(PRODUCT, product_pair), WON], "group_by": [group(PRODUCT)]},
        by(within(won, "product", product_pair), "product", count),
    )
    # A filter region ne Central selects the same deals. The question names two regions,
    # so the set expects ``in``.
    east_west = ["East", "West"]
    add(
        "several_values",
        "lost deals in East vs West",
        {"filters": [one_of(REGION, east_west), LOST], "group_by": [group(REGION)]},
        by(within(lost, "regional_office", east_west), "regional_office", count),
    )
    rep_pair = ["Boris Faz", "Daniell Hammack"]
    add(
        "several_values",
        "Boris Faz和Daniell Hammack两人加起来的成交额",
        {"filters": [one_of(REP, rep_pair), WON], "measures": [SUM]},
        nonempty_total(within(won, "sales_agent", rep_pair)),
    )
    three_industries = ["retail", "telecommunications", "entertainment"]
    add(
        "several_values",
        "wins across retail, telecommunications and entertainment",
        {"filters": [one_of(INDUSTRY, three_industries), WON]},
        [[len(within(won, "industry", three_industries))]],
    )
    gtx_pair = ["GTX Pro", "GTX Plus Pro"]
    add(
        "several_values",
        "GTX Pro加GTX Plus Pro赢单金额中位数",
        {"filters": [one_of(PRODUCT, gtx_pair), WON], "measures": [MEDIAN]},
        [[won_median(within(won, "product", gtx_pair))]],
    )
    manager_pair = ["Cara Losch", "Celia Rouche"]
    add(
        "several_values",
        "won revenue for Cara Losch's and Celia Rouche's teams, each",
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
        "Condax、Isdom、Finhigh三家还有多少open的商机",
        {"filters": [*OPEN, one_of(ACCOUNT, three_accounts)]},
        [[len(within(open_deals, "account", three_accounts))]],
    )
    two_countries = ["Japan", "Korea"]
    add(
        "several_values",
        "won $ from customers in Japan or Korea",
        {"filters": [one_of(COUNTRY, two_countries), WON], "measures": [SUM]},
        nonempty_total(within(won, "country", two_countries)),
    )
    three_reps = ["Violet Mclelland", "Garret Kinder", "Wilburn Farren"]
    add(
        "several_values",
        "Violet Mclelland、Garret Kinder、Wilburn Farren三人一共丢了几单",
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

    win_rate("overall win rate?", [], closed)
    win_rate("赢单占已关闭商机的比例", [], closed)
    win_rate(
        "win rate for the West region",
        [equals(REGION, "West")],
        where(closed, "regional_office", "West"),
    )
    win_rate_by("各区域赢率", REGION, "regional_office")
    win_rate_by("win rate per product pls", PRODUCT, "product")
    win_rate(
        "Gladys Colclough的赢率",
        [equals(REP, "Gladys Colclough")],
        where(closed, "sales_agent", "Gladys Colclough"),
    )
    win_rate_ranked("rep with the lowest win rate", by_rep, lowest_first=True)
    win_rate_ranked("赢率最低的产品系列", by_series, lowest_first=True)
    win_rate(
        "win rate for Rocco Neubert's team",
        [equals(MANAGER, "Rocco Neubert")],
        where(closed, "manager", "Rocco Neubert"),
    )
    win_rate(
        "软件行业的赢率是多少",
        [equals(INDUSTRY, "software")],
        where(closed, "industry", "software"),
    )

    # Accounts as the base object, and account fields on deals.
    def accounts_query(**parts: Any) -> dict[str, Any]:
        return {"object": "accounts", **parts}

    add_object("accounts", "how many accounts in total", accounts_query(), [[len(accounts)]])
    add_object(
        "accounts",
        "办公地在美国的客户数",
        accounts_query(filters=[equals("country", "United States")]),
        [[int((accounts["office_location"] == "United States").sum())]],
    )
    add_object(
        "accounts",
        "accounts founded in the 1980s - count",
        accounts_query(filters=[{"field": "founded_year", "op": "between", "value": [1980, 1989]}]),
        [[int(accounts["founded"].between(1980, 1989).sum())]],
    )
    add_object(
        "accounts",
        "各行业客户平均年收入",
        accounts_query(
            group_by=[group("industry")],
            measures=[{"aggregate": "avg", "field": "annual_revenue"}],
        ),
        by(accounts, "industry", lambda part: average(part["annual_revenue"])),
    )
    add_object(
        "accounts",
        "total employees by industry across accounts",
        accounts_query(
            group_by=[group("industry")],
            measures=[{"aggregate": "sum", "field": "employee_count"}],
        ),
        by(accounts, "industry", lambda part: int(part["employees"].sum())),
    )
    add_object(
        "accounts",
        "员工不到1000人的客户有多少",
        accounts_query(filters=[{"field": "employee_count", "op": "lt", "value": 1000}]),
        [[int((accounts["employees"] < 1000).sum())]],
    )
    add_object(
        "accounts",
        "accounts with annual revenue below $500M",
        accounts_query(filters=[{"field": "annual_revenue", "op": "lt", "value": 500_000_000}]),
        [[int((accounts["annual_revenue"] < 500_000_000).sum())]],
    )
    add_object(
        "accounts",
        "客户数最少的行业",
        accounts_query(group_by=[group("industry")], sort=ascending("count"), limit=1),
        ranked(by(accounts, "industry", count), 1, lowest_first=True),
        ordered=True,
    )
    big_accounts = won[won["employees"].map(lambda value: not pd.isna(value) and value > 5000)]
    add(
        "accounts",
        "wins from accounts with more than 5,000 employees",
        {"filters": [{"field": "account.employee_count", "op": "gt", "value": 5000}, WON]},
        [[len(big_accounts)]],
    )
    old_accounts = won[won["founded"].map(lambda value: not pd.isna(value) and value < 1980)]
    add(
        "accounts",
        "1980年之前成立的客户带来的成交额",
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
        "how many products in the MG series",
        products_query(filters=[equals("series", "MG")]),
        [[int((products["series"] == "MG").sum())]],
    )
    add_object(
        "products",
        "GTX系列里标价最高的是多少",
        products_query(filters=[equals("series", "GTX")], measures=[list_price("max")]),
        [[cents(max(gtx_products["list_price"]))]],
    )
    add_object(
        "products",
        "what do our products list for on avg",
        products_query(measures=[list_price("avg")]),
        [[average(products["list_price"])]],
    )
    add_object(
        "products",
        "标价超过2000的产品有几个",
        products_query(filters=[{"field": "list_price", "op": "gt", "value": 2000}]),
        [[int((products["list_price"] > 2000).sum())]],
    )
    add_object(
        "products",
        "sum of list prices by series",
        products_query(group_by=[group("series")], measures=[list_price("sum")]),
        by(products, "series", lambda part: cents(sum(part["list_price"]))),
    )
    add_object(
        "products",
        "GTX系列最便宜的产品标价多少",
        products_query(filters=[equals("series", "GTX")], measures=[list_price("min")]),
        [[cents(min(gtx_products["list_price"]))]],
    )
    add_object(
        "products",
        "products priced between 500 and 3,000 - count",
        products_query(filters=[{"field": "list_price", "op": "between", "value": [500, 3000]}]),
        [[int(products["list_price"].map(lambda price: 500 <= price <= 3000).sum())]],
    )
    add_object(
        "products",
        "每个系列有几个产品",
        products_query(group_by=[group("series")]),
        by(products, "series", count),
    )
    add_object(
        "products",
        "how many product series are there",
        products_query(measures=[{"aggregate": "count_distinct", "field": "series"}]),
        [[int(products["series"].nunique())]],
    )

    # Open pipeline: deals neither won nor lost. They carry no amount, so only
    # counts are asked. 还开着 ("still open") and 没关 ("not closed") mean neither won nor lost.
    add(
        "open_pipeline",
        "open opps in East",
        {"filters": [*OPEN, equals(REGION, "East")]},
        [[len(where(open_deals, "regional_office", "East"))]],
    )
    add(
        "open_pipeline",
        "每个销售手上还有几个open商机",
        {"filters": OPEN, "group_by": [group(REP)]},
        by(open_deals, "sales_agent", count),
    )
    add(
        "open_pipeline",
        "open MG Advanced opps - how many",
        {"filters": [*OPEN, equals(PRODUCT, "MG Advanced")]},
        [[len(where(open_deals, "product", "MG Advanced"))]],
    )
    add(
        "open_pipeline",
        "Melvin Marxen团队还开着的商机数",
        {"filters": [*OPEN, equals(MANAGER, "Melvin Marxen")]},
        [[len(where(open_deals, "manager", "Melvin Marxen"))]],
    )
    # Open deals without an account form their own group, as the report returns it.
    add(
        "open_pipeline",
        "open opps by industry",
        {"filters": OPEN, "group_by": [group(INDUSTRY)]},
        by(open_deals, "industry", count),
    )
    add(
        "open_pipeline",
        "Maureen Marcano手上还有几个没关的单",
        {"filters": [*OPEN, equals(REP, "Maureen Marcano")]},
        [[len(where(open_deals, "sales_agent", "Maureen Marcano"))]],
    )
    add(
        "open_pipeline",
        "open pipeline by product series",
        {"filters": OPEN, "group_by": [group(SERIES)]},
        by(open_deals, "series", count),
    )
    top(
        "open_pipeline",
        "哪个经理团队的open商机最多",
        OPEN,
        by_manager,
        1,
        None,
        open_deals,
    )
    add(
        "open_pipeline",
        "open opps at Hottechi?",
        {"filters": [*OPEN, equals(ACCOUNT, "Hottechi")]},
        [[len(where(open_deals, "account", "Hottechi"))]],
    )
    add(
        "open_pipeline",
        "金融行业还没关单的商机数",
        {"filters": [*OPEN, equals(INDUSTRY, "finance")]},
        [[len(where(open_deals, "industry", "finance"))]],
    )

    # Several conditions at once.
    add(
        "combined",
        "GTX Basic this year in Central - won $?",
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
        "上季度West区软件行业丢了几单",
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
        "last month, won $ per rep on Cara Losch's team",
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
        "James Ascencio 2017年MG Special赢了几单",
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
        "East wins over 5k in Q2 2017",
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
        "今年零售行业GTX Plus Pro的平均赢单金额",
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
        "West's won revenue by product this quarter",
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
        "2017年三季度医疗行业各销售丢单数",
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
        "how many MG Advanced deals did we win in finance this year",
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
        "Central区近90天低于500的赢单数",
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
