"""A development set of question wordings over the MavenTech pipeline, with answers.

The main set (``nl_questions.py``) has two or three phrasings per family. This set
has many per intent: colloquial Chinese, synonyms for won deals (业绩, 成交,
签单, 赢单, 拿下, "closed", "booked"), rank words before or after the
dimension, polite openers, English contractions and informal questions. It is
the set the grammar is tuned on; accuracy on wordings nobody tuned to is
measured on a separate held-out set. Expected rows are computed with pandas
from the CSV files, as in the main set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from nl_questions import (
    LOST,
    WON,
    Case,
    average,
    between,
    grouped,
    load_accounts,
    load_frame,
    median,
    top,
    total,
)

LAST_QUARTER = {"field": "closed_on", "op": "relative", "value": "last_quarter"}
LAST_MONTH = {"field": "closed_on", "op": "relative", "value": "last_month"}
THIS_YEAR = {"field": "closed_on", "op": "relative", "value": "this_year"}
OPEN = [
    {"field": "stage.is_lost", "op": "eq", "value": False},
    {"field": "stage.is_won", "op": "eq", "value": False},
]
BY_REP = [{"field": "owner.display_name"}]
SUM_AMOUNT = [{"aggregate": "sum", "field": "amount"}]
BY_SUM = [{"column": "sum:amount", "descending": True}]
BY_COUNT = [{"column": "count", "descending": True}]
ACCOUNT_KAN_CODE = {"field": "account.name", "op": "eq", "value": "Kan-code"}


@dataclass
class Target:
    """One intended query, its answer, and the wordings that must all parse into it."""

    family: str
    query: dict[str, Any]
    rows: list[list[Any]]
    zh: list[str]
    en: list[str]
    ordered: bool = False


def _named(rows: list[list[Any]]) -> list[list[Any]]:
    return [[None if pd.isna(name) else name, *rest] for name, *rest in rows]


def build_dev_cases(folder: Path, as_of: date) -> list[Case]:
    targets = [
        *_targets(folder, as_of),
        *_general_targets(folder),
        *_word_class_targets(folder, as_of),
        *_shorthand_targets(folder),
        *_colloquial_targets(folder),
    ]
    cases = []
    for target in targets:
        for question in (*target.zh, *target.en):
            cases.append(Case(question, target.query, target.rows, target.ordered, target.family))
    return cases


def _targets(folder: Path, as_of: date) -> list[Target]:
    frame = load_frame(folder)
    accounts = load_accounts(folder)
    won = frame[frame["stage"] == "won"]
    lost = frame[frame["stage"] == "lost"]
    q3 = between(won, "closed", date(2017, 7, 1), date(2017, 9, 30))
    october = between(won, "closed", date(2017, 10, 1), date(2017, 10, 31))
    this_year = between(won, "closed", date(2017, 1, 1), date(2017, 12, 31))
    by_rep_q3 = grouped(q3, "sales_agent", lambda g: total(g["amount"]))
    by_rep = grouped(won, "sales_agent", lambda g: total(g["amount"]))
    open_deals = frame[~frame["stage"].isin(["won", "lost"])]
    assert as_of == date(2017, 11, 15), "the periods below count from 2017-11-15"

    return [
        Target(
            "top3_reps_last_quarter",
            {
                "object": "opportunities",
                "filters": [LAST_QUARTER, WON],
                "group_by": BY_REP,
                "measures": SUM_AMOUNT,
                "sort": BY_SUM,
                "limit": 3,
            },
            top(by_rep_q3, 3),
            [
                "上季度业绩前三的销售",
                "上季度业绩排名前三的销售是哪几位",
                "上个季度签单金额最多的3个销售",
                "请问上季度成交额排前三的销售都有谁",
                "上季度销售业绩top3",
                "帮我看下上个季度赢单金额前3名的销售",
                "上季度拿下金额最多的三位销售",
                "上季度销售业绩排行前三名",
                "可以帮我列一下上季度成交金额最高的前三个销售吗",
                "上季度签约额前3的业务员",
                "上一季度赢单金额top 3销售",
                "上季度哪三位销售的签单额最高",
                "麻烦帮我查下上季度业绩排前三的同事",
                "上季度赢单金额最多的前三名销售代表",
            ],
            [
                "top three reps by revenue closed last quarter",
                "who are the 3 best sellers by won revenue last quarter?",
                "who were our top 3 salespeople last quarter by closed revenue",
                "could you show me the top 3 reps by won amount for last quarter",
                "which three reps closed the most revenue last quarter?",
                "last quarter's top 3 sales reps by bookings",
                "top-3 agents by won deal value last quarter",
                "I'd like to see the 3 highest-performing reps last quarter by won revenue",
                "what're the top 3 reps by won amount last quarter?",
                "give me last quarter's 3 biggest closers by revenue",
                "show the three sales agents with the highest won revenue in the last quarter",
                "who're the three top-performing reps by won amount last quarter",
                "list last quarter's top 3 reps ranked by won revenue",
                "top 3 sellers last quarter (won amount)",
            ],
            ordered=True,
        ),
        Target(
            "best_rep_last_quarter",
            {
                "object": "opportunities",
                "filters": [LAST_QUARTER, WON],
                "group_by": BY_REP,
                "measures": SUM_AMOUNT,
                "sort": BY_SUM,
                "limit": 1,
            },
            top(by_rep_q3, 1),
            [
                "上个季度业绩最好的销售是谁",
                "上季度谁的业绩最高",
                "上季度谁签单金额最多",
                "上季度成交额最高的销售是哪位",
                "上季度哪个销售赢单金额最多",
                "请问上季度的销冠是谁",
                "上季度谁拿下的金额最多",
                "上季度成交最多钱的是哪位销售",
                "上季度哪位业务员签的金额最大",
                "上个季度谁是签单金额第一名",
                "上季度成交金额第一的销售是谁",
            ],
            [
                "who closed the most revenue last quarter?",
                "who was the best rep last quarter by won amount?",
                "which rep had the highest bookings last quarter",
                "who's our top seller by won revenue last quarter?",
                "which salesperson won the most money last quarter",
                "who brought in the most won revenue last quarter",
                "which rep closed the biggest won amount last quarter",
                "who topped the won revenue chart last quarter?",
                "which agent had the largest won amount last quarter?",
                "who won the most money last quarter?",
            ],
            ordered=True,
        ),
        Target(
            "rank_all_reps",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": BY_REP,
                "measures": SUM_AMOUNT,
                "sort": BY_SUM,
            },
            top(by_rep, 1000),
            [
                "销售排行榜（按赢单金额）",
                "按赢单金额给销售排个名",
                "销售的业绩排名",
                "所有销售按成交金额排序",
                "把销售按签单金额排一下",
                "销售业绩排行",
                "所有业务员赢单金额从高到低排列",
                "给我一个按成交额的销售排名",
                "销售赢单金额排行榜",
                "业务员的成交额排名",
            ],
            [
                "rank all reps by won amount",
                "rank the sales reps by won revenue",
                "sales rep leaderboard by won amount",
                "reps ranked by closed revenue",
                "sort reps by won amount",
                "ranking of salespeople by bookings",
                "rank every agent by won revenue",
                "order the reps by won amount",
                "show reps sorted by won revenue",
                "leaderboard of reps by won amount",
            ],
            ordered=True,
        ),
        Target(
            "won_total_last_quarter",
            {"object": "opportunities", "filters": [LAST_QUARTER, WON], "measures": SUM_AMOUNT},
            [[total(q3["amount"])]],
            [
                "上季度签单总额是多少",
                "上个季度一共成交了多少钱",
                "上季度的业绩总额",
                "上季度赢单金额合计",
                "麻烦查一下上季度总共拿下了多少金额",
                "上季度总业绩多少",
                "能告诉我上季度赢单的总金额吗",
                "上季度一共签了多少金额的单",
                "上季度赢单总金额是多少呢",
                "上季度成交了多少金额",
            ],
            [
                "how much revenue did we close last quarter?",
                "what's the total won amount for last quarter",
                "total bookings last quarter",
                "how much did we win in total last quarter",
                "can you tell me last quarter's won revenue",
                "sum of won deal value last quarter",
                "what was our total closed revenue last quarter?",
                "I want to know how much we won last quarter",
                "what did we book in won revenue last quarter",
                "how much was won in total last quarter",
            ],
        ),
        Target(
            "won_count_last_month",
            {"object": "opportunities", "filters": [LAST_MONTH, WON]},
            [[len(october)]],
            [
                "上个月签了几单",
                "上个月成交了多少单",
                "上月赢单数量",
                "上个月一共赢了几个单子",
                "请问上个月拿下了多少单",
                "上个月成交的商机有多少个",
                "上月拿下几个单",
                "上个月赢单的数量是多少",
                "上个月有几单赢了",
                "上月签单数",
            ],
            [
                "how many deals did we close last month?",
                "how many deals were won last month",
                "number of won deals last month",
                "count of deals won last month",
                "how many opportunities did we win last month?",
                "what's the number of deals we won last month",
                "how many wins did we have last month?",
                "deals won last month: how many?",
                "how many deals closed won last month",
                "last month's won deal count",
            ],
        ),
        Target(
            "won_amount_by_region",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "owner.team.region"}],
                "measures": SUM_AMOUNT,
            },
            _named(grouped(won, "regional_office", lambda g: total(g["amount"]))),
            [
                "各区域的业绩",
                "每个大区的成交额",
                "各地区签单金额分别是多少",
                "按区域看一下赢单金额",
                "不同区域的赢单金额",
                "区域业绩分布",
                "每个区域赢了多少钱",
                "各个办事处的成交金额",
                "每个区分别签了多少钱",
                "各大区赢单金额",
            ],
            [
                "won revenue by region",
                "what's each region's won amount",
                "bookings per regional office",
                "how much has each region won",
                "won amount broken down by region",
                "break down won revenue by regional office",
                "what did each region book in won revenue",
                "won amount split by region",
                "regional breakdown of won revenue",
                "how much revenue did each office close",
            ],
        ),
        Target(
            "won_amount_by_product",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "product.name"}],
                "measures": SUM_AMOUNT,
            },
            grouped(won, "product", lambda g: total(g["amount"])),
            [
                "每个产品的成交金额",
                "各产品业绩",
                "按产品统计签单金额",
                "每款产品赢单金额分别多少",
                "各个产品卖了多少钱",
                "产品维度的赢单金额",
                "不同产品的签单金额",
                "按产品分的业绩",
                "产品业绩分布",
            ],
            [
                "won amount per product",
                "won revenue for each product",
                "how much did each product win",
                "bookings by product",
                "product breakdown of won revenue",
                "what's the won revenue of each product",
                "won amount grouped by product",
                "how much won revenue per product?",
                "what has each product brought in won revenue",
            ],
        ),
        Target(
            "best_product_by_count",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "product.name"}],
                "sort": BY_COUNT,
                "limit": 1,
            },
            top(grouped(won, "product", len), 1),
            [
                "哪个产品赢单数量最多",
                "签单数最多的是哪款产品",
                "成交单数最多的产品",
                "哪款产品卖出的单子最多",
                "赢单最多的是哪个产品",
            ],
            [
                "which product won the most deals?",
                "what product has the most won deals",
                "which product closed the most deals",
                "the product with the highest number of won deals",
                "which product has won the most opportunities",
            ],
            ordered=True,
        ),
        Target(
            "top_products_by_amount",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "product.name"}],
                "measures": SUM_AMOUNT,
                "sort": BY_SUM,
                "limit": 3,
            },
            top(grouped(won, "product", lambda g: total(g["amount"])), 3),
            [
                "成交金额最高的三个产品",
                "业绩前三的产品",
                "赢单金额排名前3的产品有哪些",
                "哪三款产品签单金额最多",
                "签单金额排前三的产品",
            ],
            [
                "top 3 products by won revenue",
                "which 3 products brought in the most won revenue",
                "the three best-selling products by won amount",
                "top three products ranked by bookings",
                "what are the 3 top-selling products by won revenue",
            ],
            ordered=True,
        ),
        Target(
            "most_lost_products",
            {
                "object": "opportunities",
                "filters": [LOST],
                "group_by": [{"field": "product.name"}],
                "sort": BY_COUNT,
                "limit": 3,
            },
            top(grouped(lost, "product", len), 3),
            [
                "丢单最多的三个产品",
                "输单数量前三的产品",
                "哪三个产品丢的单最多",
                "丢单数排名前三的产品",
                "输单最多的前3个产品",
            ],
            [
                "which 3 products lost the most deals",
                "top 3 products by number of lost deals",
                "the three products with the most losses",
                "what are the 3 products we lose most deals on",
                "top three products by lost deals",
            ],
            ordered=True,
        ),
        Target(
            "top_reps_by_won_count_this_year",
            {
                "object": "opportunities",
                "filters": [THIS_YEAR, WON],
                "group_by": BY_REP,
                "sort": BY_COUNT,
                "limit": 5,
            },
            top(grouped(this_year, "sales_agent", len), 5),
            [
                "今年签单数量最多的五个销售",
                "今年赢单数前五的销售",
                "今年成交单数排名前5的销售是谁",
                "今年哪5个销售赢的单最多",
                "今年赢单数量排名前五的销售",
            ],
            [
                "which 5 reps closed the most deals this year",
                "top 5 reps by number of won deals this year",
                "who won the most deals this year? top five",
                "the five reps with the most won deals this year",
                "who are the top 5 reps by won deal count this year",
            ],
            ordered=True,
        ),
        Target(
            "open_deal_count",
            {"object": "opportunities", "filters": OPEN},
            [[len(open_deals)]],
            [
                "还有多少在跟的单子",
                "目前进行中的商机有几个",
                "未关闭的商机数量",
                "还没结束的商机有多少",
                "在途商机有多少个",
                "有几个商机还在进行中",
                "还有几个单子没关闭",
                "正在跟进的商机数量",
            ],
            [
                "how many deals are still open?",
                "how many open opportunities do we have",
                "number of active deals",
                "count the deals in progress",
                "how many opportunities are still active?",
                "what's the count of ongoing deals",
                "open deal count",
                "how many deals are still in progress",
            ],
        ),
        Target(
            "open_by_stage",
            {"object": "opportunities", "filters": OPEN, "group_by": [{"field": "stage.key"}]},
            grouped(open_deals, "stage", len),
            [
                "各阶段在跟的商机数",
                "进行中的商机在每个阶段有多少",
                "按阶段统计未关闭的商机",
            ],
            [
                "open deals per stage",
                "how many open deals are in each stage",
                "breakdown of active opportunities by stage",
            ],
        ),
        Target(
            "won_count_by_region_this_year",
            {
                "object": "opportunities",
                "filters": [THIS_YEAR, WON],
                "group_by": [{"field": "owner.team.region"}],
            },
            _named(grouped(this_year, "regional_office", len)),
            [
                "今年各区域赢了多少单",
                "今年每个大区签单数量",
                "今年按区域统计成交单数",
            ],
            [
                "how many deals did each region win this year",
                "number of won deals per region this year",
                "this year's won deal count by region",
            ],
        ),
        Target(
            "monthly_won_2017",
            {
                "object": "opportunities",
                "filters": [
                    {"field": "closed_on", "op": "between", "value": ["2017-01-01", "2017-12-31"]},
                    WON,
                ],
                "group_by": [{"field": "closed_on", "bucket": "month"}],
                "measures": SUM_AMOUNT,
            },
            grouped(
                this_year.assign(m=this_year["closed"].map(lambda d: f"{d.year}-{d.month:02d}")),
                "m",
                lambda g: total(g["amount"]),
            ),
            [
                "2017年每个月的业绩",
                "2017年各月签单金额",
                "2017年逐月成交额",
                "2017年每月赢单金额趋势",
            ],
            [
                "monthly revenue closed in 2017",
                "won amount per month in 2017",
                "2017 won revenue month by month",
                "monthly won amount for 2017",
            ],
        ),
        Target(
            "best_manager",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "owner.manager.display_name"}],
                "measures": SUM_AMOUNT,
                "sort": BY_SUM,
                "limit": 1,
            },
            top(grouped(won, "manager", lambda g: total(g["amount"])), 1),
            [
                "哪个销售经理的团队业绩最好",
                "赢单金额最高的销售经理是谁",
                "哪位经理手下成交金额最多",
                "成交金额最高的经理是谁",
            ],
            [
                "which manager's team won the most revenue",
                "which sales manager has the highest won amount",
                "whose team closed the most revenue? by manager",
                "which manager has the most won revenue",
            ],
            ordered=True,
        ),
        Target(
            "accounts_in_software",
            {
                "object": "accounts",
                "filters": [{"field": "industry", "op": "eq", "value": "software"}],
            },
            [[int((accounts["industry"] == "software").sum())]],
            [
                "软件行业的客户一共有几家",
                "我们有多少家软件公司客户",
                "软件行业客户数",
                "属于软件行业的客户有几个",
            ],
            [
                "how many software accounts do we have",
                "how many customers are in software?",
                "number of accounts in the software industry",
                "count of software customers",
            ],
        ),
        Target(
            "accounts_by_industry",
            {"object": "accounts", "group_by": [{"field": "industry"}]},
            grouped(accounts, "industry", len),
            [
                "每个行业有多少家客户",
                "客户的行业分布",
                "按行业统计客户数",
                "各行业客户数量",
            ],
            [
                "how many accounts per industry",
                "customer count by industry",
                "breakdown of accounts by sector",
                "accounts grouped by industry",
            ],
        ),
        Target(
            "region_product_won",
            {
                "object": "opportunities",
                "filters": [
                    {"field": "owner.team.region", "op": "eq", "value": "West"},
                    {"field": "product.name", "op": "eq", "value": "GTX Pro"},
                    WON,
                ],
                "measures": SUM_AMOUNT,
            },
            [
                [
                    total(
                        won[(won["regional_office"] == "West") & (won["product"] == "GTX Pro")][
                            "amount"
                        ]
                    )
                ]
            ],
            [
                "West区GTX Pro卖了多少钱",
                "GTX Pro在西区的业绩",
                "西部大区GTX Pro签单金额",
                "West区GTX Pro的成交额是多少",
            ],
            [
                "how much GTX Pro revenue did the West region close",
                "GTX Pro bookings in the West",
                "won amount of GTX Pro in West",
                "what did GTX Pro win in the West region",
            ],
        ),
        Target(
            "won_excluding_product",
            {
                "object": "opportunities",
                "filters": [{"field": "product.name", "op": "ne", "value": "GTK 500"}, WON],
                "measures": SUM_AMOUNT,
            },
            [[total(won[won["product"] != "GTK 500"]["amount"])]],
            [
                "除GTK 500外的业绩总额",
                "不算GTK 500的话一共成交了多少钱",
                "排除GTK 500之后的签单金额",
                "除了GTK 500以外一共赢了多少钱",
            ],
            [
                "won revenue excluding GTK 500",
                "total bookings not counting GTK 500",
                "how much did we win apart from GTK 500",
                "won amount except GTK 500",
            ],
        ),
        Target(
            "average_won_by_rep",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": BY_REP,
                "measures": [{"aggregate": "avg", "field": "amount"}],
            },
            grouped(won, "sales_agent", lambda g: average(g["amount"])),
            [
                "每个销售的平均成交金额",
                "各销售赢单的平均金额",
                "每个销售平均每单签多少钱",
                "按销售统计平均赢单金额",
            ],
            [
                "average won deal size per rep",
                "what's the average won amount for each rep",
                "mean won deal value by sales agent",
                "average won amount by rep",
            ],
        ),
        Target(
            "median_won_central",
            {
                "object": "opportunities",
                "filters": [{"field": "owner.team.region", "op": "eq", "value": "Central"}, WON],
                "measures": [{"aggregate": "median", "field": "amount"}],
            },
            [[median(won[won["regional_office"] == "Central"]["amount"])]],
            [
                "中区成交金额的中位数",
                "Central区签单金额中位数是多少",
            ],
            [
                "what's the median won deal in Central",
                "median bookings per deal in the Central region",
            ],
        ),
        Target(
            "lost_count",
            {"object": "opportunities", "filters": [LOST]},
            [[len(lost)]],
            ["一共丢了多少单", "输掉的商机有几个", "丢单总数是多少", "总共输了几个单"],
            [
                "how many deals have we lost?",
                "what's the number of lost opportunities",
                "total lost deals",
                "how many opportunities did we lose",
            ],
        ),
        Target(
            "won_over_10k",
            {
                "object": "opportunities",
                "filters": [{"field": "amount", "op": "gt", "value": 10000}, WON],
            },
            [[int(won["amount"].map(lambda v: v is not None and v > 10000).sum())]],
            [
                "超过一万的成交有几单",
                "金额大于1万的赢单数量",
                "单笔超过10000的签单有多少个",
                "大于一万块的赢单有几个",
            ],
            [
                "how many won deals are bigger than 10k?",
                "number of won deals over 10,000",
                "won deals above $10,000: how many",
                "count won deals worth more than 10000",
            ],
        ),
        Target(
            "accounts_over_5000_employees",
            {
                "object": "accounts",
                "filters": [{"field": "employee_count", "op": "gt", "value": 5000}],
            },
            [[int((accounts["employees"] > 5000).sum())]],
            [
                "员工规模超过5000人的公司有几家",
                "员工数大于5000的客户有多少",
                "规模超过5000人的客户数量",
            ],
            [
                "how many companies have more than 5,000 employees",
                "customers with over 5000 staff: how many?",
                "count of accounts with a headcount above 5000",
            ],
        ),
        Target(
            "top_industries",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "account.industry"}],
                "measures": SUM_AMOUNT,
                "sort": BY_SUM,
                "limit": 3,
            },
            top(
                grouped(won.dropna(subset=["industry"]), "industry", lambda g: total(g["amount"])),
                3,
            ),
            [
                "业绩最好的三个行业",
                "哪三个行业成交金额最高",
                "签单金额前三的行业",
                "业绩排名前三的行业是哪些",
            ],
            [
                "top 3 sectors by bookings",
                "which three industries closed the most revenue",
                "the 3 industries with the highest won amount",
                "what are the top three industries by won revenue?",
            ],
            ordered=True,
        ),
        Target(
            "q3_top5_reps",
            {
                "object": "opportunities",
                "filters": [
                    {"field": "closed_on", "op": "between", "value": ["2017-07-01", "2017-09-30"]},
                    WON,
                ],
                "group_by": BY_REP,
                "measures": SUM_AMOUNT,
                "sort": BY_SUM,
                "limit": 5,
            },
            top(by_rep_q3, 5),
            [
                "2017年第三季度业绩前五的销售",
                "2017年Q3成交金额排名前5的销售",
                "2017年三季度签单金额最多的5个业务员",
            ],
            [
                "Q3 2017 top 5 reps by won amount",
                "who were the top five closers by revenue in Q3 2017?",
                "top 5 sales agents by won revenue in the third quarter of 2017",
            ],
            ordered=True,
        ),
        Target(
            "quarterly_won_count",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "closed_on", "bucket": "quarter"}],
            },
            grouped(
                won.assign(q=won["closed"].map(lambda d: f"{d.year}-Q{(d.month - 1) // 3 + 1}")),
                "q",
                len,
            ),
            ["按季度看成交数量", "每个季度签了多少单", "各季度赢单数", "每季度成交多少单"],
            [
                "won deals per quarter",
                "how many deals did we win each quarter",
                "quarterly count of won deals",
                "number of wins by quarter",
            ],
        ),
        Target(
            "won_by_industry",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "account.industry"}],
                "measures": SUM_AMOUNT,
            },
            _named(grouped(won, "industry", lambda g: total(g["amount"]))),
            ["各行业业绩", "每个行业的签单金额", "按行业统计成交额"],
            ["won revenue by industry", "bookings per sector", "how much did each industry win"],
        ),
        Target(
            "engaging_count",
            {
                "object": "opportunities",
                "filters": [{"field": "stage.key", "op": "eq", "value": "engaging"}],
            },
            [[int((frame["stage"] == "engaging").sum())]],
            ["处于方案沟通阶段的商机有多少", "方案沟通阶段的单子数量"],
            ["how many deals are in the engaging stage", "number of engaging opportunities"],
        ),
    ]


def _quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _two_keys(
    frame: pd.DataFrame, first: str, second: str, measure: Callable[[pd.DataFrame], Any]
) -> list[list[Any]]:
    return [[*keys, measure(part)] for keys, part in frame.groupby([first, second])]


def _won_total(part: pd.DataFrame) -> Decimal:
    return total(part["amount"])


def _general_targets(folder: Path) -> list[Target]:
    """Wordings of rules that hold across families: account names, closing verbs, bucket order,
    distinct counts, ranges with one scale, comparisons beside an aggregate, date spans, the
    owner of a field ("客户所在行业"), product prices, selling superlatives and relative "who".
    """
    frame = load_frame(folder)
    accounts = load_accounts(folder)
    products = pd.read_csv(folder / "products.csv", dtype=str)
    prices = products["sales_price"].map(Decimal)
    won = frame[frame["stage"] == "won"]
    amounts = won["amount"].map(lambda value: value if value is not None else Decimal(0))
    last_quarter = between(won, "closed", date(2017, 7, 1), date(2017, 9, 30))
    months = won.assign(month=won["closed"].map(lambda day: f"{day.year}-{day.month:02d}"))
    quarters = won.assign(quarter=won["closed"].map(_quarter))
    all_amounts = frame["amount"]
    return [
        Target(
            "account_won_total",
            {"object": "opportunities", "filters": [ACCOUNT_KAN_CODE, WON], "measures": SUM_AMOUNT},
            [[total(won[won["account"] == "Kan-code"]["amount"])]],
            ["Kan-code这家公司一共给我们带来了多少业绩", "Kan-code的成交额有多少"],
            ["how much has Kan-code spent with us", "how much revenue did Kan-code bring in"],
        ),
        Target(
            "accounts_won_total",
            {
                "object": "opportunities",
                "filters": [
                    {"field": "account.name", "op": "in", "value": ["Condax", "Konex"]},
                    WON,
                ],
                "measures": SUM_AMOUNT,
            },
            [[total(won[won["account"].isin(["Condax", "Konex"])]["amount"])]],
            ["Konex和Condax的赢单金额一共多少"],
            ["won revenue from Konex and Condax combined"],
        ),
        Target(
            "rep_brought_in",
            {
                "object": "opportunities",
                "filters": [
                    LAST_QUARTER,
                    {"field": "owner.display_name", "op": "eq", "value": "Darcel Schlecht"},
                    WON,
                ],
                "measures": SUM_AMOUNT,
            },
            [[total(last_quarter[last_quarter["sales_agent"] == "Darcel Schlecht"]["amount"])]],
            ["Darcel Schlecht上季度带来了多少业绩"],
            ["how much revenue did Darcel Schlecht bring in last quarter"],
        ),
        Target(
            "series_then_month",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [
                    {"field": "product.series"},
                    {"field": "closed_on", "bucket": "month"},
                ],
                "measures": SUM_AMOUNT,
            },
            _two_keys(months, "series", "month", _won_total),
            ["各产品系列每月的赢单金额", "每个产品系列按月的成交额"],
            ["won amount per series each month", "won revenue by product line by month"],
        ),
        Target(
            "region_then_quarter",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [
                    {"field": "owner.team.region"},
                    {"field": "closed_on", "bucket": "quarter"},
                ],
            },
            _two_keys(quarters, "regional_office", "quarter", len),
            ["各区域每季度赢了多少单"],
            ["won count by region by quarter", "how many deals did each region win per quarter"],
        ),
        Target(
            "distinct_accounts_per_rep",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": BY_REP,
                "measures": [{"aggregate": "count_distinct", "field": "account_id"}],
            },
            grouped(won, "sales_agent", lambda part: int(part["account"].nunique())),
            ["每个销售跟多少个不同的客户签过单"],
            ["how many distinct accounts did each rep win"],
        ),
        Target(
            "distinct_reps_per_manager",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "owner.manager.display_name"}],
                "measures": [{"aggregate": "count_distinct", "field": "owner_id"}],
            },
            grouped(won, "manager", lambda part: int(part["sales_agent"].nunique())),
            ["每个经理手下有几个不同的销售赢过单"],
            ["number of unique reps with a win per manager"],
        ),
        Target(
            "distinct_buyers_of_product",
            {
                "object": "opportunities",
                "filters": [{"field": "product.name", "op": "eq", "value": "GTX Pro"}, WON],
                "measures": [{"aggregate": "count_distinct", "field": "account_id"}],
            },
            [[int(won[won["product"] == "GTX Pro"]["account"].nunique())]],
            ["买过GTX Pro的不同客户有多少家"],
            ["how many different customers who bought GTX Pro are there"],
        ),
        Target(
            "deals_500_to_2k",
            {
                "object": "opportunities",
                "filters": [{"field": "amount", "op": "between", "value": [500, 2000]}],
            },
            [[int(all_amounts.map(lambda v: v is not None and 500 <= v <= 2000).sum())]],
            ["金额在500到2千之间的商机有多少"],
            ["how many deals between 500 and 2k", "deals worth 500-2k, how many?"],
        ),
        Target(
            "average_won_over_3k",
            {
                "object": "opportunities",
                "filters": [{"field": "amount", "op": "gt", "value": 3000}, WON],
                "measures": [{"aggregate": "avg", "field": "amount"}],
            },
            [[average(won[amounts > 3000]["amount"])]],
            ["金额大于3000的赢单平均金额", "超过3千的赢单平均多少钱"],
            ["average won deal above 3k", "what's the avg size of won deals over 3000"],
        ),
        Target(
            "total_won_over_10k",
            {
                "object": "opportunities",
                "filters": [{"field": "amount", "op": "gt", "value": 10000}, WON],
                "measures": SUM_AMOUNT,
            },
            [[total(won[amounts > 10000]["amount"])]],
            ["单笔超过1万的赢单总共多少钱"],
            ["what's the total value of won deals over 10k"],
        ),
        Target(
            "won_march_to_may",
            {
                "object": "opportunities",
                "filters": [
                    {"field": "closed_on", "op": "between", "value": ["2017-03-01", "2017-05-31"]},
                    WON,
                ],
                "measures": SUM_AMOUNT,
            },
            [[total(between(won, "closed", date(2017, 3, 1), date(2017, 5, 31))["amount"])]],
            ["2017年3月到5月的赢单金额", "2017年3月至5月之间签单金额是多少"],
            ["won revenue from march through may 2017", "won amount, March-May 2017"],
        ),
        Target(
            "won_day_span",
            {
                "object": "opportunities",
                "filters": [
                    {"field": "closed_on", "op": "between", "value": ["2017-03-10", "2017-04-20"]},
                    WON,
                ],
                "measures": SUM_AMOUNT,
            },
            [[total(between(won, "closed", date(2017, 3, 10), date(2017, 4, 20))["amount"])]],
            ["2017年3月10日到4月20日的成交额"],
            [
                "won amount between March 10 and April 20, 2017",
                "bookings from 10 March to 20 April 2017",
            ],
        ),
        Target(
            "won_by_account_industry",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "account.industry"}],
                "measures": SUM_AMOUNT,
            },
            _named(grouped(won, "industry", _won_total)),
            ["赢单金额按客户所在行业统计", "按客户行业看签单金额"],
            ["won amount by account industry", "bookings by customer sector"],
        ),
        Target(
            "cheapest_price",
            {"object": "products", "measures": [{"aggregate": "min", "field": "list_price"}]},
            [[min(prices)]],
            ["最便宜的产品的价格是多少"],
            ["what's the cheapest product's price"],
        ),
        Target(
            "priciest_price",
            {"object": "products", "measures": [{"aggregate": "max", "field": "list_price"}]},
            [[max(prices)]],
            ["最贵的那款产品售价多少"],
            ["the most expensive product's list price"],
        ),
        Target(
            "catalogue_size",
            {"object": "products"},
            [[len(products)]],
            ["目录里一共列了几款产品"],
            ["how many products are in the catalogue", "how many products does our catalog have"],
        ),
        Target(
            "best_selling_product",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "product.name"}],
                "sort": BY_COUNT,
                "limit": 1,
            },
            top(grouped(won, "product", len), 1),
            ["最畅销的产品是哪个"],
            ["what's our best-selling product", "top selling product"],
            ordered=True,
        ),
        Target(
            "won_quarter_without_year",
            {
                "object": "opportunities",
                "filters": [
                    {"field": "closed_on", "op": "between", "value": ["2017-07-01", "2017-09-30"]},
                    WON,
                ],
                "measures": SUM_AMOUNT,
            },
            [[total(between(won, "closed", date(2017, 7, 1), date(2017, 9, 30))["amount"])]],
            ["第三季度的赢单金额", "三季度签单金额"],
            ["Q3 won revenue", "won amount in Q3"],
        ),
        Target(
            "made_from_product",
            {
                "object": "opportunities",
                "filters": [
                    {"field": "closed_on", "op": "between", "value": ["2017-01-01", "2017-12-31"]},
                    {"field": "product.name", "op": "eq", "value": "GTX Basic"},
                    WON,
                ],
                "measures": SUM_AMOUNT,
            },
            [
                [
                    total(
                        between(won, "closed", date(2017, 1, 1), date(2017, 12, 31)).query(
                            "product == 'GTX Basic'"
                        )["amount"]
                    )
                ]
            ],
            ["2017年GTX Basic赚了多少钱"],
            ["how much did we make from GTX Basic in 2017"],
        ),
        Target(
            "products_priced_over",
            {"object": "products", "filters": [{"field": "list_price", "op": "gt", "value": 1000}]},
            [[int((prices > 1000).sum())]],
            ["价格超过1000的产品有几个"],
            ["products priced over 1000", "how many products are priced above 1k"],
        ),
        Target(
            "most_employees",
            {"object": "accounts", "measures": [{"aggregate": "max", "field": "employee_count"}]},
            [[int(accounts["employees"].max())]],
            ["一个客户最多有多少员工"],
            ["what's the most employees any single customer has"],
        ),
    ]


def _win_share(frame: pd.DataFrame) -> Decimal:
    closed = frame[frame["stage"].isin(["won", "lost"])]
    return (Decimal(int((closed["stage"] == "won").sum())) / len(closed)).quantize(
        Decimal("0.0001")
    )


def _single_top(rows: list[list[Any]], ascending: bool = False) -> list[list[Any]]:
    """Return the first row by the last value, asserting that no other row ties with it."""
    ordered = top(rows, 2, ascending)
    assert ordered[0][-1] != ordered[1][-1], ordered
    return ordered[:1]


def _word_class_targets(folder: Path, as_of: date) -> list[Target]:
    """Wordings of colloquial word classes and patterns, one to three per rule.

    They cover 成单 and 成单数, the 1w scale, "X or more", two-digit years, open-deal words
    (还挂着, the typo 根进) and "loose" for lose. Further targets cover a bare "won total",
    exclusions after or before the value (以外, "leave out"), a manager's reps, 均价 and
    "how big", and founding decades. The rest rank groups by a counted object or by a rate,
    count a field's values, end a group list with a bucket, and read 倒数前N, "earned",
    "at least one", 最大的一笔 with 赢了多少, and the founding-year extremes.
    """
    assert as_of == date(2017, 11, 15), "the periods below count from 2017-11-15"
    frame = load_frame(folder)
    accounts = load_accounts(folder)
    accounts["founded"] = accounts["year_established"].astype(int)
    countries = accounts.set_index("account")["office_location"]
    frame["country"] = frame["account"].map(countries)
    won = frame[frame["stage"] == "won"]
    lost = frame[frame["stage"] == "lost"]
    closed = frame[frame["closed"].map(lambda day: day is not None)]
    open_deals = frame[~frame["stage"].isin(["won", "lost"])]
    amounts = won[won["amount"].map(lambda value: value is not None)]
    last_quarter = between(won, "closed", date(2017, 7, 1), date(2017, 9, 30))
    win_rate = {
        "aggregate": "share",
        "alias": "win_rate",
        "where": [{"field": "stage.is_won", "op": "eq", "value": True}],
    }
    closed_filter = {"field": "closed_on", "op": "is_not_empty"}
    outside_us = {"field": "account.country", "op": "ne", "value": "United States"}
    return [
        Target(
            "manager_most_wins_chengdan",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "owner.manager.display_name"}],
                "sort": BY_COUNT,
                "limit": 1,
            },
            _single_top(grouped(won, "manager", len)),
            ["哪个经理手下成单最多", "成单数最多的经理是哪位"],
            [],
            ordered=True,
        ),
        Target(
            "win_rate_by_region_words",
            {
                "object": "opportunities",
                "filters": [closed_filter],
                "group_by": [{"field": "owner.team.region"}],
                "measures": [win_rate],
            },
            grouped(closed, "regional_office", _win_share),
            ["各大区成单率"],
            ["win % by region"],
        ),
        Target(
            "won_over_1w",
            {
                "object": "opportunities",
                "filters": [{"field": "amount", "op": "gt", "value": 10000}, WON],
            },
            [[int((amounts["amount"] > 10000).sum())]],
            ["金额高于1w的赢单数量", "赢单里超过1w的有几笔"],
            [],
        ),
        Target(
            "won_5k_or_more",
            {
                "object": "opportunities",
                "filters": [{"field": "amount", "op": "gte", "value": 5000}, WON],
            },
            [[int((amounts["amount"] >= 5000).sum())]],
            [],
            ["won deals of 5k or more", "how many wins were 5000 or above"],
        ),
        Target(
            "won_two_digit_year_month",
            {
                "object": "opportunities",
                "filters": [
                    {"field": "closed_on", "op": "between", "value": ["2017-06-01", "2017-06-30"]},
                    WON,
                ],
                "measures": SUM_AMOUNT,
            },
            [[total(between(won, "closed", date(2017, 6, 1), date(2017, 6, 30))["amount"])]],
            ["17年6月的赢单金额", "17年6月份一共签了多少钱"],
            [],
        ),
        Target(
            "lost_misspelled",
            {"object": "opportunities", "filters": [LAST_QUARTER, LOST]},
            [[len(between(lost, "closed", date(2017, 7, 1), date(2017, 9, 30)))]],
            [],
            ["how many deals did we loose last quarter", "number of deals we loose last quarter"],
        ),
        Target(
            "bare_won_total",
            {"object": "opportunities", "filters": [LAST_MONTH, WON], "measures": SUM_AMOUNT},
            [[total(between(won, "closed", date(2017, 10, 1), date(2017, 10, 31))["amount"])]],
            ["上个月成交合计"],
            ["what's the won total for last month", "last month's won total"],
        ),
        Target(
            "won_leaving_out_product",
            {
                "object": "opportunities",
                "filters": [{"field": "product.name", "op": "ne", "value": "GTX Pro"}, WON],
                "measures": SUM_AMOUNT,
            },
            [[total(won[won["product"] != "GTX Pro"]["amount"])]],
            ["GTX Pro以外的成交金额", "刨除GTX Pro的赢单金额"],
            ["won amount, leave out GTX Pro"],
        ),
        Target(
            "accounts_outside_country",
            {
                "object": "accounts",
                "filters": [{"field": "country", "op": "ne", "value": "United States"}],
            },
            [[int((accounts["office_location"] != "United States").sum())]],
            ["美国之外的客户有多少家", "除开美国的客户数量"],
            [],
        ),
        Target(
            "won_count_outside_country",
            {"object": "opportunities", "filters": [outside_us, WON]},
            [[int((won["country"] != "United States").sum())]],
            ["美国以外的客户成交了多少单"],
            [],
        ),
        Target(
            "manager_reps_won",
            {
                "object": "opportunities",
                "filters": [
                    {"field": "owner.manager.display_name", "op": "eq", "value": "Melvin Marxen"},
                    WON,
                ],
                "measures": SUM_AMOUNT,
            },
            [[total(won[won["manager"] == "Melvin Marxen"]["amount"])]],
            ["Melvin Marxen组员的赢单金额"],
            ["how much did Melvin Marxen's reps win", "won revenue of Melvin Marxen's salespeople"],
        ),
        Target(
            "open_deal_words",
            {"object": "opportunities", "filters": OPEN},
            [[len(open_deals)]],
            ["还没关的单子有多少", "还挂着的商机数量", "正在根进的商机有几个"],
            ["how many deals are neither won nor lost"],
        ),
        Target(
            "average_deal_words",
            {
                "object": "opportunities",
                "filters": [{"field": "owner.team.region", "op": "eq", "value": "West"}, WON],
                "measures": [{"aggregate": "avg", "field": "amount"}],
            },
            [[average(won[won["regional_office"] == "West"]["amount"])]],
            ["West区成交均价", "West区平均一单签多少钱"],
            ["how big are the West region's wins on average"],
        ),
        Target(
            "founded_in_decade",
            {
                "object": "accounts",
                "filters": [{"field": "founded_year", "op": "between", "value": [1980, 1989]}],
            },
            [[int(accounts["founded"].between(1980, 1989).sum())]],
            ["80年代成立的客户有多少家"],
            ["accounts established in the 1980s", "how many customers were founded in the 80s"],
        ),
        Target(
            "sector_most_accounts",
            {
                "object": "accounts",
                "group_by": [{"field": "industry"}],
                "sort": BY_COUNT,
                "limit": 1,
            },
            _single_top(grouped(accounts, "industry", len)),
            ["客户数最多的行业是哪个"],
            ["which sector has the most accounts"],
            ordered=True,
        ),
        Target(
            "industry_count",
            {
                "object": "accounts",
                "measures": [{"aggregate": "count_distinct", "field": "industry"}],
            },
            [[int(accounts["industry"].nunique())]],
            ["一共有几个行业"],
            ["how many sectors are there"],
        ),
        Target(
            "sector_best_win_rate",
            {
                "object": "opportunities",
                "filters": [closed_filter],
                "group_by": [{"field": "account.industry"}],
                "measures": [win_rate],
                "sort": [{"column": "win_rate", "descending": True}],
                "limit": 1,
            },
            _single_top(
                [row for row in grouped(closed, "industry", _win_share) if not pd.isna(row[0])]
            ),
            [],
            ["sector with the highest win rate", "industry with the best win rate"],
            ordered=True,
        ),
        Target(
            "won_by_region_and_quarter",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [
                    {"field": "owner.team.region"},
                    {"field": "closed_on", "bucket": "quarter"},
                ],
            },
            [
                [region, quarter, len(part)]
                for (region, quarter), part in won.assign(
                    quarter=won["closed"].map(lambda day: f"{day.year}-Q{(day.month - 1) // 3 + 1}")
                ).groupby(["regional_office", "quarter"])
            ],
            ["按大区和季度统计赢单数"],
            ["won deals by region and quarter"],
        ),
        Target(
            "bottom_three_products",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "product.name"}],
                "measures": SUM_AMOUNT,
                "sort": [{"column": "sum:amount", "descending": False}],
                "limit": 3,
            },
            top(grouped(won, "product", lambda part: total(part["amount"])), 3, ascending=True),
            ["成交额倒数前三的产品"],
            [],
            ordered=True,
        ),
        Target(
            "product_earned_most",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "product.name"}],
                "measures": SUM_AMOUNT,
                "sort": BY_SUM,
                "limit": 1,
            },
            _single_top(grouped(won, "product", lambda part: total(part["amount"]))),
            [],
            ["which product earned the most", "which product has earned us the most"],
            ordered=True,
        ),
        Target(
            "accounts_with_a_win",
            {
                "object": "opportunities",
                "filters": [WON],
                "measures": [{"aggregate": "count_distinct", "field": "account_id"}],
            },
            [[int(won["account"].nunique())]],
            [],
            ["how many accounts have won at least one deal"],
        ),
        Target(
            "largest_win_how_much",
            {
                "object": "opportunities",
                "filters": [LAST_QUARTER, WON],
                "measures": [{"aggregate": "max", "field": "amount"}],
            },
            [[max(value for value in last_quarter["amount"] if value is not None)]],
            ["上季度最大的一笔单子赢了多少"],
            [],
        ),
        Target(
            "latest_founding_year",
            {"object": "accounts", "measures": [{"aggregate": "max", "field": "founded_year"}]},
            [[int(accounts["founded"].max())]],
            ["最晚成立的客户是哪年成立的"],
            [],
        ),
        Target(
            "chengdan_total_over",
            {
                "object": "opportunities",
                "filters": [{"field": "amount", "op": "gt", "value": 3000}, WON],
                "measures": SUM_AMOUNT,
            },
            [[total(amounts[amounts["amount"] > 3000]["amount"])]],
            ["金额超过3000的成单总额"],
            [],
        ),
    ]


def _shorthand_targets(folder: Path) -> list[Target]:
    """Wordings of abbreviations, short years and colloquial words, two or three per rule.

    They cover "rev", "amt", "$", "mgr", "qtr" and "yr", years written "'17" and "17年",
    month ranges such as "4-6月", and hyphenated words ("software-sector", "highest-earning").
    Further targets cover "non-US", "X excluded", "or later" and "或更早", open-deal words
    (还在谈, 没出结果, undecided), people who won deals and a field named twice in a row.
    The rest read "what year" after "founded", earners, "won totals", 客单价 and "average
    order value", "across" before values, "sum of wins", a count of wins filtered by
    customers, and the typo "wich".
    """
    frame = load_frame(folder)
    accounts = load_accounts(folder)
    accounts["founded"] = accounts["year_established"].astype(int)
    won = frame[frame["stage"] == "won"]
    lost = frame[frame["stage"] == "lost"]
    open_deals = frame[~frame["stage"].isin(["won", "lost"])]
    by_region = [{"field": "owner.team.region"}]
    by_product = [{"field": "product.name"}]
    avg_amount = [{"aggregate": "avg", "field": "amount"}]
    last_quarter = between(won, "closed", date(2017, 7, 1), date(2017, 9, 30))
    june = between(won, "closed", date(2017, 6, 1), date(2017, 6, 30))
    q3_lost = between(lost, "closed", date(2017, 7, 1), date(2017, 9, 30))
    april_to_june = between(won, "closed", date(2017, 4, 1), date(2017, 6, 30))
    year_2017 = between(won, "closed", date(2017, 1, 1), date(2017, 12, 31))
    june_range = {"field": "closed_on", "op": "between", "value": ["2017-06-01", "2017-06-30"]}
    q3_range = {"field": "closed_on", "op": "between", "value": ["2017-07-01", "2017-09-30"]}
    software = frame[frame["industry"] == "software"]
    won_products = ["GTX Pro", "MG Special"]
    return [
        Target(
            "won_revenue_by_region_abbreviated",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": by_region,
                "measures": SUM_AMOUNT,
            },
            grouped(won, "regional_office", _won_total),
            [],
            ["won rev by region", "won $ per region", "won amt by region"],
        ),
        Target(
            "won_count_per_manager_abbreviated",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "owner.manager.display_name"}],
            },
            grouped(won, "manager", len),
            [],
            ["# of won deals per mgr", "wins by mgr"],
        ),
        Target(
            "won_revenue_last_quarter_abbreviated",
            {"object": "opportunities", "filters": [LAST_QUARTER, WON], "measures": SUM_AMOUNT},
            [[total(last_quarter["amount"])]],
            [],
            ["won rev last qtr", "last qtr won amt"],
        ),
        Target(
            "won_count_short_year_month",
            {"object": "opportunities", "filters": [june_range, WON]},
            [[len(june)]],
            ["17年6月赢了几单"],
            ["wins in Jun '17", "how many deals did we win in June ’17"],
        ),
        Target(
            "lost_count_short_year_quarter",
            {"object": "opportunities", "filters": [q3_range, LOST]},
            [[len(q3_lost)]],
            ["17年Q3丢了多少单"],
            ["lost deals in Q3 '17"],
        ),
        Target(
            "won_amount_month_range_one_month_word",
            {
                "object": "opportunities",
                "filters": [
                    {
                        "field": "closed_on",
                        "op": "between",
                        "value": ["2017-04-01", "2017-06-30"],
                    },
                    WON,
                ],
                "measures": SUM_AMOUNT,
            },
            [[total(april_to_june["amount"])]],
            ["2017年4-6月赢单金额", "17年4到6月签了多少钱"],
            [],
        ),
        Target(
            "won_count_two_digit_year_by_quarter",
            {
                "object": "opportunities",
                "filters": [
                    {
                        "field": "closed_on",
                        "op": "between",
                        "value": ["2017-01-01", "2017-12-31"],
                    },
                    WON,
                ],
                "group_by": [{"field": "closed_on", "bucket": "quarter"}],
            },
            grouped(year_2017.assign(q=year_2017["closed"].map(_quarter)), "q", len),
            ["17年按季度统计赢单数", "17年每个季度的赢单数"],
            [],
        ),
        Target(
            "won_revenue_hyphenated_sector",
            {
                "object": "opportunities",
                "filters": [{"field": "account.industry", "op": "eq", "value": "software"}, WON],
                "measures": SUM_AMOUNT,
            },
            [[total(software[software["stage"] == "won"]["amount"])]],
            [],
            ["software-sector won revenue", "won revenue, software-sector customers only"],
        ),
        Target(
            "accounts_non_us",
            {
                "object": "accounts",
                "filters": [{"field": "country", "op": "ne", "value": "United States"}],
            },
            [[int((accounts["office_location"] != "United States").sum())]],
            [],
            ["non-US accounts count", "how many accounts are non US"],
        ),
        Target(
            "avg_won_product_excluded_after",
            {
                "object": "opportunities",
                "filters": [
                    {"field": "product.name", "op": "ne", "value": "MG Special"},
                    WON,
                ],
                "measures": avg_amount,
            },
            [[average(won[won["product"] != "MG Special"]["amount"])]],
            ["平均赢单金额，MG Special不计在内"],
            ["avg won deal with MG Special excluded", "average won amount, MG Special left out"],
        ),
        Target(
            "accounts_founded_or_later",
            {
                "object": "accounts",
                "filters": [{"field": "founded_year", "op": "gte", "value": 2010}],
            },
            [[int((accounts["founded"] >= 2010).sum())]],
            ["2010年或之后成立的客户数量"],
            ["accounts founded in 2010 or later", "how many accounts were founded 2010 onwards"],
        ),
        Target(
            "accounts_founded_or_earlier",
            {
                "object": "accounts",
                "filters": [{"field": "founded_year", "op": "lte", "value": 1985}],
            },
            [[int((accounts["founded"] <= 1985).sum())]],
            ["成立于1985年或更早的客户有多少"],
            ["accounts founded in 1985 or earlier"],
        ),
        Target(
            "open_count_colloquial",
            {"object": "opportunities", "filters": OPEN},
            [[len(open_deals)]],
            ["还在谈的单子有多少", "没出结果的商机数量"],
            ["how many deals are still undecided"],
        ),
        Target(
            "people_with_a_win",
            {
                "object": "opportunities",
                "filters": [WON],
                "measures": [{"aggregate": "count_distinct", "field": "owner_id"}],
            },
            [[int(won["sales_agent"].nunique())]],
            ["有多少人成过单", "几个人赢过单"],
            ["how many people have won a deal"],
        ),
        Target(
            "median_headcount_named_twice",
            {
                "object": "accounts",
                "measures": [{"aggregate": "median", "field": "employee_count"}],
            },
            [[median(accounts["employees"].map(Decimal))]],
            ["客户规模(员工人数)的中位数"],
            ["median employee count (headcount) of accounts"],
        ),
        Target(
            "earliest_founding_year_what_year",
            {"object": "accounts", "measures": [{"aggregate": "min", "field": "founded_year"}]},
            [[int(accounts["founded"].min())]],
            [],
            [
                "earliest founded customer, what year?",
                "which year was the earliest founded account",
            ],
        ),
        Target(
            "top_earners",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": BY_REP,
                "measures": SUM_AMOUNT,
                "sort": BY_SUM,
                "limit": 3,
            },
            top(grouped(won, "sales_agent", _won_total), 3),
            [],
            ["top 3 earners", "the 3 highest-earning reps"],
            ordered=True,
        ),
        Target(
            "products_smallest_won_totals",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": by_product,
                "measures": SUM_AMOUNT,
                "sort": [{"column": "sum:amount", "descending": False}],
                "limit": 2,
            },
            top(grouped(won, "product", _won_total), 2, ascending=True),
            [],
            ["the 2 products with the lowest won totals", "bottom 2 products by won totals"],
            ordered=True,
        ),
        Target(
            "won_average_by_region",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": by_region,
                "measures": avg_amount,
            },
            grouped(won, "regional_office", lambda part: average(part["amount"])),
            ["各大区的客单价", "按区域看平均成交价"],
            ["average order value by region", "aov per region"],
        ),
        Target(
            "won_revenue_across_values",
            {
                "object": "opportunities",
                "filters": [{"field": "product.name", "op": "in", "value": won_products}, WON],
                "measures": SUM_AMOUNT,
            },
            [[total(won[won["product"].isin(won_products)]["amount"])]],
            [],
            ["won revenue across GTX Pro and MG Special", "won amt across MG Special and GTX Pro"],
        ),
        Target(
            "sum_of_wins_over",
            {
                "object": "opportunities",
                "filters": [{"field": "amount", "op": "gt", "value": 5000}, WON],
                "measures": SUM_AMOUNT,
            },
            [[total(won[won["amount"].map(lambda value: value > 5000)]["amount"])]],
            [],
            ["sum of wins over 5k", "the sum of won deals above 5000"],
        ),
        Target(
            "win_count_from_sector_customers",
            {
                "object": "opportunities",
                "filters": [{"field": "account.industry", "op": "eq", "value": "retail"}, WON],
            },
            [[int((won["industry"] == "retail").sum())]],
            [],
            ["how many wins came from retail customers", "number of wins from retail accounts"],
        ),
        Target(
            "open_by_region_typo",
            {
                "object": "opportunities",
                "filters": OPEN,
                "group_by": by_region,
                "sort": BY_COUNT,
                "limit": 1,
            },
            _single_top(grouped(open_deals, "regional_office", len)),
            [],
            ["wich region has the most open deals", "whcih region has the most deals still open"],
            ordered=True,
        ),
    ]


def _colloquial_targets(folder: Path) -> list[Target]:
    """Colloquial words, typos, exclusions and superlatives, two or three wordings per rule.

    They cover 黄了 for lost and 开单 for won deals, 上礼拜, fillers that name no field
    (截至目前, 有史以来, 下来, 那边) and Chinese month numerals after a year. Further
    targets cover "去重" and "卖给过" for distinct customers, typos of average, revenue
    and 赢单率, "what percent of deals do we win", "weren't from" and "anyone but",
    weakest and tiniest, and a second group term after "then" or after a period. The
    rest read "still working", headcount asked as "几个人", the oldest account and
    "list at" for the list price.
    """
    frame = load_frame(folder)
    accounts = load_accounts(folder)
    accounts["founded"] = accounts["year_established"].astype(int)
    countries = accounts.set_index("account")["office_location"]
    frame["country"] = frame["account"].map(countries)
    products = pd.read_csv(folder / "products.csv", dtype=str)
    prices = products["sales_price"].map(Decimal)
    won = frame[frame["stage"] == "won"]
    lost = frame[frame["stage"] == "lost"]
    open_deals = frame[~frame["stage"].isin(["won", "lost"])]
    closed = frame[frame["closed"].map(lambda day: day is not None)]
    amounts = won[won["amount"].map(lambda value: value is not None)]["amount"]
    last_week = between(won, "closed", date(2017, 11, 6), date(2017, 11, 12))
    june = between(won, "closed", date(2017, 6, 1), date(2017, 6, 30))
    last_quarter = between(won, "closed", date(2017, 7, 1), date(2017, 9, 30))
    quarters = won.assign(quarter=won["closed"].map(_quarter))
    win_rate = {
        "aggregate": "share",
        "alias": "win_rate",
        "where": [{"field": "stage.is_won", "op": "eq", "value": True}],
    }
    closed_filter = {"field": "closed_on", "op": "is_not_empty"}
    distinct_accounts = [{"aggregate": "count_distinct", "field": "account_id"}]
    gtx_pro = {"field": "product.name", "op": "eq", "value": "GTX Pro"}
    not_software = {"field": "account.industry", "op": "ne", "value": "software"}
    not_darcel = {"field": "owner.display_name", "op": "ne", "value": "Darcel Schlecht"}
    outside_us = {"field": "account.country", "op": "ne", "value": "United States"}
    by_region = [{"field": "owner.team.region"}]
    return [
        Target(
            "lost_count_huangle",
            {"object": "opportunities", "filters": [LOST]},
            [[len(lost)]],
            ["迄今为止一共黄掉了几单", "截止目前搞黄了多少单"],
            [],
        ),
        Target(
            "won_count_kaidan",
            {"object": "opportunities", "filters": [WON]},
            [[len(won)]],
            ["到目前为止总共开单多少笔", "有史以来开过单的商机有多少"],
            [],
        ),
        Target(
            "won_count_last_week_libai",
            {
                "object": "opportunities",
                "filters": [{"field": "closed_on", "op": "relative", "value": "last_week"}, WON],
            },
            [[len(last_week)]],
            ["上个礼拜赢了几单", "上礼拜成交了多少单"],
            [],
        ),
        Target(
            "won_average_fillers_and_typos",
            {
                "object": "opportunities",
                "filters": [WON],
                "measures": [{"aggregate": "avg", "field": "amount"}],
            },
            [[average(won["amount"])]],
            ["平均下来一张赢单能有多少钱"],
            ["avarage won deal size", "averge amount of a won deal"],
        ),
        Target(
            "largest_win_fillers",
            {
                "object": "opportunities",
                "filters": [WON],
                "measures": [{"aggregate": "max", "field": "amount"}],
            },
            [[max(amounts)]],
            ["有史以来最大的一笔赢单是多少钱", "截至目前最大的一单赢单多少钱来着"],
            [],
        ),
        Target(
            "won_amount_region_nabian",
            {
                "object": "opportunities",
                "filters": [{"field": "owner.team.region", "op": "eq", "value": "West"}, WON],
                "measures": SUM_AMOUNT,
            },
            [[total(won[won["regional_office"] == "West"]["amount"])]],
            ["West那边一共赢了多少钱", "West这块的成交额"],
            [],
        ),
        Target(
            "won_count_month_numerals",
            {
                "object": "opportunities",
                "filters": [
                    {"field": "closed_on", "op": "between", "value": ["2017-06-01", "2017-06-30"]},
                    WON,
                ],
            },
            [[len(june)]],
            ["2017年六月份签了多少单", "17年六月赢了几单"],
            [],
        ),
        Target(
            "distinct_won_accounts_dedup",
            {"object": "opportunities", "filters": [WON], "measures": distinct_accounts},
            [[int(won["account"].nunique())]],
            ["成交过的客户数去重后是多少", "赢过单的客户（不重复）有几家"],
            ["deduplicated count of customers we won"],
        ),
        Target(
            "distinct_buyers_sold_to",
            {"object": "opportunities", "filters": [gtx_pro, WON], "measures": distinct_accounts},
            [[int(won[won["product"] == "GTX Pro"]["account"].nunique())]],
            ["GTX Pro卖给过多少家客户", "GTX Pro一共卖给了几家客户"],
            [],
        ),
        Target(
            "distinct_reps_kaidan_last_quarter",
            {
                "object": "opportunities",
                "filters": [LAST_QUARTER, WON],
                "measures": [{"aggregate": "count_distinct", "field": "owner_id"}],
            },
            [[int(last_quarter["sales_agent"].nunique())]],
            ["上季度开过单的销售有几个", "上季度有多少个销售开了单"],
            [],
        ),
        Target(
            "lost_count_outside_country",
            {"object": "opportunities", "filters": [outside_us, LOST]},
            [[int((lost["country"] != "United States").sum())]],
            ["美国以外客户的丢单数", "除了美国客户以外的输单数"],
            [],
        ),
        Target(
            "won_revenue_typos_by_region",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": by_region,
                "measures": SUM_AMOUNT,
            },
            grouped(won, "regional_office", _won_total),
            [],
            ["won revenew by region", "won reveune per region"],
        ),
        Target(
            "win_rate_typos_and_percent",
            {"object": "opportunities", "filters": [closed_filter], "measures": [win_rate]},
            [[_win_share(closed)]],
            ["咱们的赢单律是多少", "成单律多少"],
            ["what percentage of our deals do we win", "what share of closed opps did we win"],
        ),
        Target(
            "won_count_not_from_sector",
            {"object": "opportunities", "filters": [not_software, WON]},
            [[int((won["industry"] != "software").sum())]],
            ["不属于软件行业的赢单数"],
            ["how many won deals aren't from software", "count of wins that weren't from software"],
        ),
        Target(
            "won_count_anyone_but_rep",
            {"object": "opportunities", "filters": [not_darcel, WON]},
            [[int((won["sales_agent"] != "Darcel Schlecht").sum())]],
            [],
            ["won deals for everyone but Darcel Schlecht", "wins by anybody but Darcel Schlecht"],
        ),
        Target(
            "weakest_region_by_won_amount",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": by_region,
                "measures": SUM_AMOUNT,
                "sort": [{"column": "sum:amount"}],
                "limit": 1,
            },
            _single_top(grouped(won, "regional_office", _won_total), ascending=True),
            ["赢单金额倒数第一的区域"],
            ["weakest region by won amount"],
            ordered=True,
        ),
        Target(
            "tiniest_win",
            {
                "object": "opportunities",
                "filters": [WON],
                "measures": [{"aggregate": "min", "field": "amount"}],
            },
            [[min(amounts)]],
            [],
            ["tiniest won deal amount", "what was our tiniest win"],
        ),
        Target(
            "won_count_quarter_and_region",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "closed_on", "bucket": "quarter"}, *by_region],
            },
            _two_keys(quarters, "quarter", "regional_office", len),
            ["按季度和区域统计赢了多少单"],
            ["won deals by quarter and region"],
        ),
        Target(
            "won_amount_region_then_series",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [*by_region, {"field": "product.series"}],
                "measures": SUM_AMOUNT,
            },
            _two_keys(won, "regional_office", "series", _won_total),
            [],
            ["won amount by region, then product series", "bookings per region then by series"],
        ),
        Target(
            "open_still_working",
            {"object": "opportunities", "filters": OPEN},
            [[len(open_deals)]],
            [],
            ["how many deals are we still working on", "number of opps still in the works"],
        ),
        Target(
            "open_product_weijie",
            {"object": "opportunities", "filters": [gtx_pro, *OPEN]},
            [[int((open_deals["product"] == "GTX Pro").sum())]],
            ["GTX Pro未结的商机有几个", "GTX Pro现在还未结的单子数"],
            [],
        ),
        Target(
            "most_open_deals_unknown_verb",
            {
                "object": "opportunities",
                "filters": OPEN,
                "group_by": BY_REP,
                "sort": BY_COUNT,
                "limit": 1,
            },
            _single_top(grouped(open_deals, "sales_agent", len)),
            [],
            ["who is juggling the most open deals", "which rep is sitting on the most open opps"],
            ordered=True,
        ),
        Target(
            "largest_headcount_jigeren",
            {"object": "accounts", "measures": [{"aggregate": "max", "field": "employee_count"}]},
            [[int(accounts["employees"].max())]],
            ["员工最多的公司有多少人", "员工人数最多的客户有几个人"],
            [],
        ),
        Target(
            "oldest_account_founding_year",
            {"object": "accounts", "measures": [{"aggregate": "min", "field": "founded_year"}]},
            [[int(accounts["founded"].min())]],
            ["最老的客户是哪年成立的"],
            ["founding year of our oldest customer"],
        ),
        Target(
            "cheapest_list_at",
            {"object": "products", "measures": [{"aggregate": "min", "field": "list_price"}]},
            [[min(prices)]],
            [],
            [
                "what does the cheapest product list at",
                "what does our least expensive product retail for",
            ],
        ),
        Target(
            "total_headcount_across_sector",
            {
                "object": "accounts",
                "filters": [{"field": "industry", "op": "eq", "value": "retail"}],
                "measures": [{"aggregate": "sum", "field": "employee_count"}],
            },
            [[int(accounts[accounts["industry"] == "retail"]["employees"].sum())]],
            [],
            ["total headcount across retail accounts", "sum of employees across retail customers"],
        ),
    ]
