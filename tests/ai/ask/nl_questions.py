"""A labelled set of Chinese and English questions over the MavenTech pipeline, with answers.

Each case holds the question, the report query it must parse into, and the rows
expected, computed here with pandas straight from the CSV files, independently
of the importer and the report engine. Phrasings are picked per case from
several variants, so the set exercises word order, synonyms and mixed
Chinese-English product names rather than one template per pattern.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

CENT = Decimal("0.01")
WON = {"field": "stage.key", "op": "eq", "value": "won"}
LOST = {"field": "stage.key", "op": "eq", "value": "lost"}


@dataclass
class Case:
    question: str
    query: dict[str, Any]
    rows: list[list[Any]]
    ordered: bool = False
    family: str = ""


def load_frame(folder: Path) -> pd.DataFrame:
    """One row per opportunity with its rep, manager, region, industry and product series."""
    pipeline = pd.read_csv(folder / "sales_pipeline.csv", dtype=str)
    pipeline["product"] = pipeline["product"].replace({"GTXPro": "GTX Pro"})
    teams = pd.read_csv(folder / "sales_teams.csv", dtype=str)
    accounts = pd.read_csv(folder / "accounts.csv", dtype=str)
    accounts["industry"] = accounts["sector"].replace({"technolgy": "technology"})
    products = pd.read_csv(folder / "products.csv", dtype=str)
    frame = (
        pipeline.merge(teams, on="sales_agent", how="left")
        .merge(accounts[["account", "industry"]], on="account", how="left")
        .merge(products[["product", "series"]], on="product", how="left")
    )
    frame["stage"] = frame["deal_stage"].str.lower()
    frame["amount"] = frame["close_value"].map(lambda v: None if pd.isna(v) else Decimal(v))
    frame["engaged"] = frame["engage_date"].map(
        lambda v: None if pd.isna(v) else date.fromisoformat(v)
    )
    frame["closed"] = frame["close_date"].map(
        lambda v: None if pd.isna(v) else date.fromisoformat(v)
    )
    return frame


def load_accounts(folder: Path) -> pd.DataFrame:
    accounts = pd.read_csv(folder / "accounts.csv", dtype=str)
    accounts["industry"] = accounts["sector"].replace({"technolgy": "technology"})
    accounts["employees"] = accounts["employees"].astype(int)
    return accounts


def total(values: pd.Series) -> Decimal:
    return sum((value for value in values if value is not None), Decimal(0)).quantize(CENT)


def average(values: pd.Series) -> Decimal | None:
    present = [value for value in values if value is not None]
    return (sum(present, Decimal(0)) / len(present)).quantize(CENT) if present else None


def median(values: pd.Series) -> Decimal | None:
    present = [value for value in values if value is not None]
    return Decimal(statistics.median(present)).quantize(CENT) if present else None


def between(frame: pd.DataFrame, column: str, start: date, end: date) -> pd.DataFrame:
    return frame[frame[column].map(lambda day: day is not None and start <= day <= end)]


def grouped(
    frame: pd.DataFrame, key: str, measure: Callable[[pd.DataFrame], Any]
) -> list[list[Any]]:
    return [[name, measure(group)] for name, group in frame.groupby(key, dropna=False)]


def top(rows: list[list[Any]], count: int, ascending: bool = False) -> list[list[Any]]:
    present = [row for row in rows if row[-1] is not None]
    return sorted(present, key=lambda row: row[-1], reverse=not ascending)[:count]


QUARTER_NAMES_ZH = {1: "一", 2: "二", 3: "三", 4: "四"}
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
INDUSTRY_ZH = {
    "retail": "零售",
    "medical": "医疗",
    "technology": "科技",
    "software": "软件",
    "finance": "金融",
    "marketing": "营销",
    "telecommunications": "电信",
    "entertainment": "娱乐",
    "employment": "人力资源",
    "services": "服务",
}
STAGE_WORDS = {
    "won": (["赢单", "成交"], ["won", "closed-won"]),
    "lost": (["输单", "丢单"], ["lost", "closed-lost"]),
    "engaging": (["方案沟通阶段"], ["engaging"]),
    "prospecting": (["初步接洽阶段"], ["prospecting"]),
}


def _periods(as_of: date) -> list[tuple[str, str, dict[str, Any], tuple[date, date]]]:
    """(zh words, en words, filter value part, inclusive range) for the periods the set uses."""
    quarter_start = date(as_of.year, (as_of.month - 1) // 3 * 3 + 1, 1)
    last_quarter_end = quarter_start - timedelta(days=1)
    last_quarter_start = date(last_quarter_end.year, (last_quarter_end.month - 1) // 3 * 3 + 1, 1)
    month_start = as_of.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    return [
        (
            "上季度",
            "last quarter",
            {"op": "relative", "value": "last_quarter"},
            (last_quarter_start, last_quarter_end),
        ),
        (
            "上个月",
            "last month",
            {"op": "relative", "value": "last_month"},
            (last_month_end.replace(day=1), last_month_end),
        ),
        (
            "今年",
            "this year",
            {"op": "relative", "value": "this_year"},
            (date(as_of.year, 1, 1), date(as_of.year, 12, 31)),
        ),
        (
            "2017年第二季度",
            "Q2 2017",
            {"op": "between", "value": ["2017-04-01", "2017-06-30"]},
            (date(2017, 4, 1), date(2017, 6, 30)),
        ),
        (
            "2017年6月",
            "June 2017",
            {"op": "between", "value": ["2017-06-01", "2017-06-30"]},
            (date(2017, 6, 1), date(2017, 6, 30)),
        ),
    ]


def build_cases(folder: Path, as_of: date, seed: int = 20171115) -> list[Case]:
    rng = random.Random(seed)
    frame = load_frame(folder)
    accounts = load_accounts(folder)
    won = frame[frame["stage"] == "won"]
    cases: list[Case] = []

    def add(
        family: str,
        zh: list[str],
        en: list[str],
        query: dict[str, Any],
        rows: list[list[Any]],
        ordered: bool = False,
    ) -> None:
        for text in (rng.choice(zh), rng.choice(en)):
            cases.append(Case(text, query, rows, ordered, family))

    # Counts by stage.
    for stage, (zh_words, en_words) in STAGE_WORDS.items():
        count = int((frame["stage"] == stage).sum())
        zh_word, en_word = rng.choice(zh_words), rng.choice(en_words)
        add(
            "stage_count",
            [
                f"有多少个{zh_word}的商机？",
                f"{zh_word}的商机一共有几个",
                f"统计一下{zh_word}商机的数量",
            ],
            [
                f"how many {en_word} deals are there?",
                f"count the {en_word} opportunities",
                f"number of {en_word} deals",
            ],
            {
                "object": "opportunities",
                "filters": [{"field": "stage.key", "op": "eq", "value": stage}],
            },
            [[count]],
        )

    # Won amount by a dimension.
    dimensions = [
        ("product.name", "product", ["产品"], ["product"]),
        ("owner.team.region", "regional_office", ["区域", "地区"], ["region", "regional office"]),
        ("account.industry", "industry", ["行业"], ["industry", "sector"]),
        ("product.series", "series", ["产品系列"], ["product series"]),
        ("owner.manager.display_name", "manager", ["销售经理"], ["manager"]),
    ]
    for path, column, zh_names, en_names in dimensions:
        rows = grouped(won, column, lambda g: total(g["amount"]))
        rows = [[None if pd.isna(name) else name, value] for name, value in rows]
        zh, en = rng.choice(zh_names), rng.choice(en_names)
        add(
            "won_amount_by",
            [f"按{zh}统计赢单金额", f"每个{zh}的成交金额是多少", f"各{zh}的赢单金额"],
            [
                f"won amount by {en}",
                f"show won revenue per {en}",
                f"total won amount for each {en}",
            ],
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": path}],
                "measures": [{"aggregate": "sum", "field": "amount"}],
            },
            rows,
        )
        count_rows = grouped(won, column, len)
        count_rows = [[None if pd.isna(name) else name, value] for name, value in count_rows]
        add(
            "won_count_by",
            [f"各{zh}赢了多少单", f"按{zh}统计赢单数量"],
            [f"number of won deals per {en}", f"how many deals did each {en} win"],
            {"object": "opportunities", "filters": [WON], "group_by": [{"field": path}]},
            count_rows,
        )

    # Top reps by won amount in a period.
    for zh_period, en_period, period_filter, (start, end) in _periods(as_of):
        for count in (3, 5):
            scoped = between(won, "closed", start, end)
            rows = top(grouped(scoped, "sales_agent", lambda g: total(g["amount"])), count)
            zh_count = {3: "三", 5: "五"}[count] if rng.random() < 0.5 else str(count)
            add(
                "top_reps",
                [
                    f"{zh_period}赢单金额最高的{zh_count}个销售是谁？",
                    f"{zh_period}成交金额排名前{count}的销售",
                    f"{zh_period}谁的赢单金额最高？列出前{zh_count}名",
                ],
                [
                    f"top {count} reps by won amount {en_period}",
                    f"who were the top {count} sales agents by won revenue {en_period}?",
                    f"{en_period}, which {count} reps had the highest won amount",
                ],
                {
                    "object": "opportunities",
                    "filters": [{"field": "closed_on", **period_filter}, WON],
                    "group_by": [{"field": "owner.display_name"}],
                    "measures": [{"aggregate": "sum", "field": "amount"}],
                    "sort": [{"column": "sum:amount", "descending": True}],
                    "limit": count,
                },
                rows,
                ordered=True,
            )
        scoped = between(won, "closed", start, end)
        add(
            "period_won_total",
            [f"{zh_period}的赢单总金额是多少", f"{zh_period}一共成交了多少金额"],
            [f"total won amount {en_period}", f"how much did we win {en_period}?"],
            {
                "object": "opportunities",
                "filters": [{"field": "closed_on", **period_filter}, WON],
                "measures": [{"aggregate": "sum", "field": "amount"}],
            },
            [[total(scoped["amount"])]],
        )
        add(
            "period_won_count",
            [f"{zh_period}赢了多少单？", f"{zh_period}赢单数量"],
            [f"how many deals did we win {en_period}?", f"number of deals won {en_period}"],
            {"object": "opportunities", "filters": [{"field": "closed_on", **period_filter}, WON]},
            [[len(scoped)]],
        )

    # Per agent.
    agents = sorted(frame["sales_agent"].unique())
    for agent in rng.sample(agents, 8):
        mine = won[won["sales_agent"] == agent]
        add(
            "agent_won_count",
            [f"{agent}赢了多少单", f"{agent}的赢单数量是多少"],
            [f"how many deals did {agent} win?", f"number of won deals for {agent}"],
            {
                "object": "opportunities",
                "filters": [{"field": "owner.display_name", "op": "eq", "value": agent}, WON],
            },
            [[len(mine)]],
        )
    for agent in rng.sample(agents, 4):
        mine = won[won["sales_agent"] == agent]
        add(
            "agent_won_average",
            [f"{agent}的平均成交金额", f"{agent}赢单的平均金额是多少"],
            [f"average won deal size for {agent}", f"what is {agent}'s average won amount"],
            {
                "object": "opportunities",
                "filters": [{"field": "owner.display_name", "op": "eq", "value": agent}, WON],
                "measures": [{"aggregate": "avg", "field": "amount"}],
            },
            [[average(mine["amount"])]],
        )

    # Products.
    products = sorted(frame["product"].unique())
    for product in products:
        mine = won[won["product"] == product]
        add(
            "product_average",
            [f"{product}的平均赢单金额", f"{product}平均每单成交多少钱"],
            [
                f"average won amount for {product}",
                f"what's the average deal size of won {product} deals",
            ],
            {
                "object": "opportunities",
                "filters": [{"field": "product.name", "op": "eq", "value": product}, WON],
                "measures": [{"aggregate": "avg", "field": "amount"}],
            },
            [[average(mine["amount"])]],
        )
    for product in rng.sample(products, 3):
        mine = won[won["product"] == product].copy()
        mine["quarter"] = mine["closed"].map(lambda d: f"{d.year}-Q{(d.month - 1) // 3 + 1}")
        add(
            "product_quarterly",
            [f"{product}每季度的赢单数", f"按季度统计{product}的成交数量"],
            [f"quarterly won deals for {product}", f"number of {product} deals won per quarter"],
            {
                "object": "opportunities",
                "filters": [{"field": "product.name", "op": "eq", "value": product}, WON],
                "group_by": [{"field": "closed_on", "bucket": "quarter"}],
            },
            grouped(mine, "quarter", len),
        )
    for product in rng.sample(products, 3):
        rest = won[won["product"] != product]
        add(
            "product_excluded",
            [f"除了{product}以外的赢单金额", f"不包括{product}的赢单总金额"],
            [f"won amount excluding {product}", f"total won revenue except {product}"],
            {
                "object": "opportunities",
                "filters": [{"field": "product.name", "op": "ne", "value": product}, WON],
                "measures": [{"aggregate": "sum", "field": "amount"}],
            },
            [[total(rest["amount"])]],
        )

    # Regions.
    for region in sorted(frame["regional_office"].unique()):
        mine = won[won["regional_office"] == region]
        add(
            "region_won_total",
            [f"{region}区的赢单金额是多少", f"{region}大区一共赢了多少钱"],
            [f"won amount in the {region} region", f"how much revenue did the {region} office win"],
            {
                "object": "opportunities",
                "filters": [{"field": "owner.team.region", "op": "eq", "value": region}, WON],
                "measures": [{"aggregate": "sum", "field": "amount"}],
            },
            [[total(mine["amount"])]],
        )
        add(
            "region_median",
            [f"{region}区赢单金额的中位数", f"{region}区成交金额中位数是多少"],
            [
                f"median won amount in the {region} region",
                f"what is the median won deal in {region}",
            ],
            {
                "object": "opportunities",
                "filters": [{"field": "owner.team.region", "op": "eq", "value": region}, WON],
                "measures": [{"aggregate": "median", "field": "amount"}],
            },
            [[median(mine["amount"])]],
        )
        product = rng.choice(products)
        both = mine[mine["product"] == product]
        add(
            "region_product",
            [f"{region}区{product}的赢单金额", f"{product}在{region}区的成交额"],
            [
                f"won amount for {product} in the {region} region",
                f"{product} won revenue in {region}",
            ],
            {
                "object": "opportunities",
                "filters": [
                    {"field": "owner.team.region", "op": "eq", "value": region},
                    {"field": "product.name", "op": "eq", "value": product},
                    WON,
                ],
                "measures": [{"aggregate": "sum", "field": "amount"}],
            },
            [[total(both["amount"])]],
        )

    # Open deals.
    open_deals = frame[~frame["stage"].isin(["won", "lost"])]
    add(
        "open_by_stage",
        ["进行中的商机按阶段统计", "各阶段进行中的商机数量"],
        ["open deals by stage", "number of open opportunities per stage"],
        {
            "object": "opportunities",
            "filters": [
                {"field": "stage.is_lost", "op": "eq", "value": False},
                {"field": "stage.is_won", "op": "eq", "value": False},
            ],
            "group_by": [{"field": "stage.key"}],
        },
        grouped(open_deals, "stage", len),
    )
    add(
        "open_by_region",
        ["各地区进行中的商机数量", "每个区域还有多少在跟的商机"],
        ["open deals per region", "how many active deals does each region have"],
        {
            "object": "opportunities",
            "filters": [
                {"field": "stage.is_lost", "op": "eq", "value": False},
                {"field": "stage.is_won", "op": "eq", "value": False},
            ],
            "group_by": [{"field": "owner.team.region"}],
        },
        grouped(open_deals, "regional_office", len),
    )

    # Thresholds.
    for threshold in (1000, 5000, 10000):
        above = won[[value is not None and value > threshold for value in won["amount"]]]
        zh_threshold = "1万" if threshold == 10000 and rng.random() < 0.5 else str(threshold)
        add(
            "threshold",
            [f"金额超过{zh_threshold}的赢单有多少个", f"赢单金额大于{zh_threshold}的商机数量"],
            [
                f"how many won deals are over {threshold}?",
                f"number of won deals with amount above {threshold}",
            ],
            {
                "object": "opportunities",
                "filters": [{"field": "amount", "op": "gt", "value": threshold}, WON],
            },
            [[len(above)]],
        )

    # Superlatives without a group.
    add(
        "largest_won",
        ["最大的一笔赢单金额是多少", "单笔最高的成交金额"],
        ["what is the largest won deal amount", "biggest single won deal value"],
        {
            "object": "opportunities",
            "filters": [WON],
            "measures": [{"aggregate": "max", "field": "amount"}],
        },
        [[max(value for value in won["amount"] if value is not None).quantize(CENT)]],
    )
    add(
        "smallest_won",
        ["最小的一笔赢单金额是多少", "成交金额最低的一单是多少钱"],
        ["what is the smallest won deal amount", "lowest won deal value"],
        {
            "object": "opportunities",
            "filters": [WON],
            "measures": [{"aggregate": "min", "field": "amount"}],
        },
        [[min(value for value in won["amount"] if value is not None).quantize(CENT)]],
    )

    # Which product or industry is best.
    product_counts = grouped(won, "product", len)
    add(
        "best_product",
        ["哪个产品的赢单数量最多", "赢单最多的产品是哪个"],
        ["which product has the most won deals", "what product won the most deals"],
        {
            "object": "opportunities",
            "filters": [WON],
            "group_by": [{"field": "product.name"}],
            "sort": [{"column": "count", "descending": True}],
            "limit": 1,
        },
        top(product_counts, 1),
        ordered=True,
    )
    for count in (3, 4):
        rows = top(
            grouped(won.dropna(subset=["industry"]), "industry", lambda g: total(g["amount"])),
            count,
        )
        add(
            "top_industries",
            [f"赢单金额最高的{count}个行业", f"成交金额排名前{count}的行业"],
            [
                f"top {count} industries by won revenue",
                f"which {count} industries have the highest won amount",
            ],
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "account.industry"}],
                "measures": [{"aggregate": "sum", "field": "amount"}],
                "sort": [{"column": "sum:amount", "descending": True}],
                "limit": count,
            },
            rows,
            ordered=True,
        )
    lost_by_series = grouped(frame[frame["stage"] == "lost"], "series", len)
    add(
        "lost_by_series",
        ["每个产品系列输了多少单", "按产品系列统计丢单数量"],
        ["lost deals by product series", "how many deals were lost per product series"],
        {"object": "opportunities", "filters": [LOST], "group_by": [{"field": "product.series"}]},
        lost_by_series,
    )

    # Monthly trend and new deals per month.
    won_2017 = between(won, "closed", date(2017, 1, 1), date(2017, 12, 31)).copy()
    won_2017["month"] = won_2017["closed"].map(lambda d: f"{d.year}-{d.month:02d}")
    add(
        "monthly_won",
        ["2017年每月的赢单金额", "2017年按月统计成交金额"],
        ["monthly won amount in 2017", "won revenue by month in 2017"],
        {
            "object": "opportunities",
            "filters": [
                {"field": "closed_on", "op": "between", "value": ["2017-01-01", "2017-12-31"]},
                WON,
            ],
            "group_by": [{"field": "closed_on", "bucket": "month"}],
            "measures": [{"aggregate": "sum", "field": "amount"}],
        },
        grouped(won_2017, "month", lambda g: total(g["amount"])),
    )
    for month in (3, 7, 10):
        end = date(2017, month + 1, 1) - timedelta(days=1)
        engaged = between(frame, "engaged", date(2017, month, 1), end)
        add(
            "engaged_month",
            [f"2017年{month}月新增了多少商机", f"2017年{month}月新接触的商机有几个"],
            [
                f"how many new deals were engaged in {MONTHS_EN[month - 1]} 2017",
                f"number of deals started in {MONTHS_EN[month - 1]} 2017",
            ],
            {
                "object": "opportunities",
                "filters": [
                    {
                        "field": "engaged_on",
                        "op": "between",
                        "value": [f"2017-{month:02d}-01", end.isoformat()],
                    }
                ],
            },
            [[len(engaged)]],
        )

    # Accounts.
    for industry in sorted(accounts["industry"].unique()):
        count = int((accounts["industry"] == industry).sum())
        zh = INDUSTRY_ZH.get(industry, industry)
        add(
            "accounts_in_industry",
            [f"{zh}行业有多少家客户", f"有几个客户属于{zh}行业"],
            [f"how many accounts are in the {industry} sector", f"count of {industry} accounts"],
            {
                "object": "accounts",
                "filters": [{"field": "industry", "op": "eq", "value": industry}],
            },
            [[count]],
        )
    add(
        "accounts_by_industry",
        ["客户按行业分布", "各行业的客户数量"],
        ["accounts by industry", "number of customers per industry"],
        {"object": "accounts", "group_by": [{"field": "industry"}]},
        grouped(accounts, "industry", len),
    )
    for threshold in (1000, 5000):
        big = accounts[accounts["employees"] > threshold]
        add(
            "accounts_employees",
            [f"员工超过{threshold}人的客户有多少家", f"员工人数大于{threshold}的客户数量"],
            [
                f"how many accounts have more than {threshold} employees",
                f"number of customers with over {threshold} employees",
            ],
            {
                "object": "accounts",
                "filters": [{"field": "employee_count", "op": "gt", "value": threshold}],
            },
            [[len(big)]],
        )
    return cases


def build_fresh_cases(folder: Path, as_of: date) -> list[Case]:
    """Phrasings written after the grammar was frozen, measured once and never tuned against.

    The figure they give is reported next to the main set's, as a check of how the
    grammar generalises to wordings it was not developed on.
    """
    frame = load_frame(folder)
    accounts = load_accounts(folder)
    won = frame[frame["stage"] == "won"]
    lost = frame[frame["stage"] == "lost"]
    q3 = (date(2017, 7, 1), date(2017, 9, 30))
    won_q3 = between(won, "closed", *q3)
    by_agent = grouped(won, "sales_agent", lambda g: total(g["amount"]))
    by_agent_q3 = grouped(won_q3, "sales_agent", lambda g: total(g["amount"]))
    last_quarter = {"field": "closed_on", "op": "relative", "value": "last_quarter"}
    cases = [
        Case(
            "上个季度业绩最好的销售是谁",
            {
                "object": "opportunities",
                "filters": [last_quarter, WON],
                "group_by": [{"field": "owner.display_name"}],
                "measures": [{"aggregate": "sum", "field": "amount"}],
                "sort": [{"column": "sum:amount", "descending": True}],
                "limit": 1,
            },
            top(by_agent_q3, 1),
            True,
        ),
        Case(
            "who closed the most revenue last quarter?",
            {
                "object": "opportunities",
                "filters": [last_quarter, WON],
                "group_by": [{"field": "owner.display_name"}],
                "measures": [{"aggregate": "sum", "field": "amount"}],
                "sort": [{"column": "sum:amount", "descending": True}],
                "limit": 1,
            },
            top(by_agent_q3, 1),
            True,
        ),
        Case(
            "销售排行榜（按赢单金额）",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "owner.display_name"}],
                "measures": [{"aggregate": "sum", "field": "amount"}],
                "sort": [{"column": "sum:amount", "descending": True}],
            },
            top(by_agent, 1000),
            True,
        ),
        Case(
            "rank all reps by won amount",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "owner.display_name"}],
                "measures": [{"aggregate": "sum", "field": "amount"}],
                "sort": [{"column": "sum:amount", "descending": True}],
            },
            top(by_agent, 1000),
            True,
        ),
        Case(
            "丢单最多的三个产品",
            {
                "object": "opportunities",
                "filters": [LOST],
                "group_by": [{"field": "product.name"}],
                "sort": [{"column": "count", "descending": True}],
                "limit": 3,
            },
            top(grouped(lost, "product", len), 3),
            True,
        ),
        Case(
            "which 2 products lost the most deals",
            {
                "object": "opportunities",
                "filters": [LOST],
                "group_by": [{"field": "product.name"}],
                "sort": [{"column": "count", "descending": True}],
                "limit": 2,
            },
            top(grouped(lost, "product", len), 2),
            True,
        ),
        Case(
            "每个季度赢了多少钱",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "closed_on", "bucket": "quarter"}],
                "measures": [{"aggregate": "sum", "field": "amount"}],
            },
            grouped(
                won.assign(q=won["closed"].map(lambda d: f"{d.year}-Q{(d.month - 1) // 3 + 1}")),
                "q",
                lambda g: total(g["amount"]),
            ),
        ),
        Case(
            "won deals per month",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "closed_on", "bucket": "month"}],
            },
            grouped(won.assign(m=won["closed"].map(lambda d: f"{d.year}-{d.month:02d}")), "m", len),
        ),
        Case(
            "软件行业的客户一共有几家",
            {
                "object": "accounts",
                "filters": [{"field": "industry", "op": "eq", "value": "software"}],
            },
            [[int((accounts["industry"] == "software").sum())]],
        ),
        Case(
            "how many customers do we have in medical?",
            {
                "object": "accounts",
                "filters": [{"field": "industry", "op": "eq", "value": "medical"}],
            },
            [[int((accounts["industry"] == "medical").sum())]],
        ),
        Case(
            "GTK 500一共卖了多少单",
            {
                "object": "opportunities",
                "filters": [{"field": "product.name", "op": "eq", "value": "GTK 500"}, WON],
            },
            [[int((won["product"] == "GTK 500").sum())]],
        ),
        Case(
            "total sales of MG Advanced",
            {
                "object": "opportunities",
                "filters": [{"field": "product.name", "op": "eq", "value": "MG Advanced"}],
                "measures": [{"aggregate": "sum", "field": "amount"}],
            },
            [[total(frame[frame["product"] == "MG Advanced"]["amount"])]],
        ),
        Case(
            "West区和East区的赢单金额分别是多少",
            {
                "object": "opportunities",
                "filters": [
                    {"field": "owner.team.region", "op": "in", "value": ["East", "West"]},
                    WON,
                ],
                "group_by": [{"field": "owner.team.region"}],
                "measures": [{"aggregate": "sum", "field": "amount"}],
            },
            grouped(
                won[won["regional_office"].isin(["East", "West"])],
                "regional_office",
                lambda g: total(g["amount"]),
            ),
        ),
        Case(
            "average won amount by manager",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "owner.manager.display_name"}],
                "measures": [{"aggregate": "avg", "field": "amount"}],
            },
            grouped(won, "manager", lambda g: average(g["amount"])),
        ),
        Case(
            "今年每个行业赢了多少单",
            {
                "object": "opportunities",
                "filters": [{"field": "closed_on", "op": "relative", "value": "this_year"}, WON],
                "group_by": [{"field": "account.industry"}],
            },
            [
                [None if pd.isna(k) else k, v]
                for k, v in grouped(
                    between(won, "closed", date(2017, 1, 1), date(2017, 12, 31)), "industry", len
                )
            ],
        ),
        Case(
            "how many deals are still open?",
            {
                "object": "opportunities",
                "filters": [
                    {"field": "stage.is_lost", "op": "eq", "value": False},
                    {"field": "stage.is_won", "op": "eq", "value": False},
                ],
            },
            [[int((~frame["stage"].isin(["won", "lost"])).sum())]],
        ),
        Case(
            "单笔超过2万的赢单有几个",
            {
                "object": "opportunities",
                "filters": [{"field": "amount", "op": "gt", "value": 20000}, WON],
            },
            [[int(won["amount"].map(lambda v: v is not None and v > 20000).sum())]],
        ),
        Case(
            "won deals under 100 dollars",
            {
                "object": "opportunities",
                "filters": [{"field": "amount", "op": "lt", "value": 100}, WON],
            },
            [[int(won["amount"].map(lambda v: v is not None and v < 100).sum())]],
        ),
        Case(
            "2017年第三季度平均每单赢多少钱",
            {
                "object": "opportunities",
                "filters": [
                    {"field": "closed_on", "op": "between", "value": ["2017-07-01", "2017-09-30"]},
                    WON,
                ],
                "measures": [{"aggregate": "avg", "field": "amount"}],
            },
            [[average(won_q3["amount"])]],
        ),
        Case(
            "number of accounts per country",
            {"object": "accounts", "group_by": [{"field": "country"}]},
            grouped(accounts, "office_location", len),
        ),
    ]
    for case in cases:
        case.family = "fresh"
    return cases
