"""Words the parser does not know, and wordings the grammar reads by general rules.

The questions run over the imported MavenTech pipeline as of 2017-11-15, on SQLite
and PostgreSQL. None is taken from the accuracy sets. They are paraphrases written
for the rules they check: two dimensions in one list, ranges without "between",
counts before a lowest-ranking word and the largest value of an account or product
field. Founding years, country names and counts of related records are checked too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ask_support import ask_as, pipeline_tenant
from test_ask_coverage import _ask_in
from test_nl_accuracy import _canonical

from zhike.core.db import Database

WON = {"field": "stage.key", "op": "eq", "value": "won"}
CLOSED = {"field": "closed_on", "op": "is_not_empty"}
WIN_RATE = {
    "aggregate": "share",
    "alias": "win_rate",
    "where": [{"field": "stage.is_won", "value": True}],
}
SUM_AMOUNT = {"aggregate": "sum", "field": "amount"}


def _warnings(database: Database, data_dir: Path, question: str) -> list[tuple[str, list[str]]]:
    answer = ask_as(database, pipeline_tenant(database, data_dir), question)
    return [(warning.code, warning.words) for warning in answer.warnings]


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("top 5 customers by churn risk", ["churn risk"]),
        ("流失风险最高的5个客户", ["流失风险"]),
        ("how many customers have a high NPS score", ["high nps score"]),
        ("客户满意度最高的产品", ["满意度"]),
    ],
)
def test_unknown_words_are_named(
    database: Database, data_dir: Path, question: str, words: list[str]
) -> None:
    assert _warnings(database, data_dir, question) == [("assistant_unknown_words", words)]


@pytest.mark.parametrize(
    "question",
    [
        "请帮我看看一下上个月的赢单金额",
        "麻烦统计一下各区域的赢单金额吧",
        "could you please show me the won amount by region right now?",
        "I'd like to know how many deals we won last quarter",
    ],
)
def test_filler_words_do_not_warn(database: Database, data_dir: Path, question: str) -> None:
    assert _warnings(database, data_dir, question) == []


def test_unknown_words_lower_confidence(database: Database, data_dir: Path) -> None:
    tenant = pipeline_tenant(database, data_dir)

    understood = ask_as(database, tenant, "top 5 customers by won amount")
    unknown = ask_as(database, tenant, "top 5 customers by churn risk")

    # The classifier's probability of the answered intent is intent_confidence, or at most
    # one minus it when the parser overrode the classifier's choice.
    intent_bound = max(unknown.intent_confidence, 1 - unknown.intent_confidence)
    assert understood.confidence == round(understood.intent_confidence, 3)
    assert unknown.confidence > 0
    assert unknown.confidence <= round(0.75 * intent_bound, 3)


def test_unknown_words_message_in_both_languages(database: Database, data_dir: Path) -> None:
    tenant = pipeline_tenant(database, data_dir)

    chinese = _ask_in(database, tenant, "流失风险最高的5个客户", "zh-CN")
    english = _ask_in(database, tenant, "top 5 customers by churn risk", "en")

    assert chinese.warnings[0].message == (
        "注意：没有读懂“流失风险”，结果没有考虑它，回答的可能是另一个问题。"
        "请使用字段名和字段值来提问，或在报表中构建。"
    )
    assert english.warnings[0].message == (
        'Note: "churn risk" was not understood and played no part in the result, which may '
        "answer a different question. Use the names of fields and values, or build the "
        "report in the report builder."
    )


def test_unread_time_words_warn_once(database: Database, data_dir: Path) -> None:
    """Words that an unread time phrase already names get no second warning."""
    assert _warnings(database, data_dir, "春节期间的赢单金额") == [
        ("assistant_ignored_time", ["春节", "期间"])
    ]


@pytest.mark.parametrize(
    ("question", "query"),
    [
        (
            "win rate by region and product",
            {
                "object": "opportunities",
                "filters": [CLOSED],
                "group_by": [{"field": "owner.team.region"}, {"field": "product.name"}],
                "measures": [WIN_RATE],
            },
        ),
        (
            "按区域和产品统计赢单金额",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "owner.team.region"}, {"field": "product.name"}],
                "measures": [SUM_AMOUNT],
            },
        ),
        (
            "各行业的客户数量",
            {"object": "accounts", "group_by": [{"field": "industry"}]},
        ),
        (
            "won deals worth 2k-5k",
            {
                "object": "opportunities",
                "filters": [{"field": "amount", "op": "between", "value": [2000, 5000]}, WON],
            },
        ),
        (
            "金额从1000到5000的赢单",
            {
                "object": "opportunities",
                "filters": [{"field": "amount", "op": "between", "value": [1000, 5000]}, WON],
            },
        ),
        (
            "the 3 reps with the lowest won revenue",
            {
                "object": "opportunities",
                "filters": [WON],
                "group_by": [{"field": "owner.display_name"}],
                "measures": [SUM_AMOUNT],
                "sort": [{"column": "sum:amount", "descending": False}],
                "limit": 3,
            },
        ),
        (
            "lowest win rate by rep",
            {
                "object": "opportunities",
                "filters": [CLOSED],
                "group_by": [{"field": "owner.display_name"}],
                "measures": [WIN_RATE],
                "sort": [{"column": "win_rate", "descending": False}],
                "limit": 1,
            },
        ),
        (
            "产品的最高价格是多少",
            {"object": "products", "measures": [{"aggregate": "max", "field": "list_price"}]},
        ),
        (
            "smallest headcount of any customer",
            {"object": "accounts", "measures": [{"aggregate": "min", "field": "employee_count"}]},
        ),
        (
            "the account with the highest annual revenue",
            {
                "object": "accounts",
                "group_by": [{"field": "name"}],
                "measures": [{"aggregate": "sum", "field": "annual_revenue"}],
                "sort": [{"column": "sum:annual_revenue", "descending": True}],
                "limit": 1,
            },
        ),
        (
            "the 3 least expensive products",
            {
                "object": "products",
                "group_by": [{"field": "name"}],
                "measures": [{"aggregate": "sum", "field": "list_price"}],
                "sort": [{"column": "sum:list_price", "descending": False}],
                "limit": 3,
            },
        ),
        (
            "2000年以后成立的客户有多少",
            {
                "object": "accounts",
                "filters": [{"field": "founded_year", "op": "gt", "value": 2000}],
            },
        ),
        (
            "how many companies were established in 1995",
            {
                "object": "accounts",
                "filters": [{"field": "founded_year", "op": "eq", "value": 1995}],
            },
        ),
        (
            "how many customers are based in the US",
            {
                "object": "accounts",
                "filters": [{"field": "country", "op": "eq", "value": "United States"}],
            },
        ),
        (
            "accounts with revenue above 1 billion",
            {
                "object": "accounts",
                "filters": [{"field": "annual_revenue", "op": "gt", "value": 1_000_000_000}],
            },
        ),
        (
            "number of employees at finance accounts",
            {
                "object": "accounts",
                "filters": [{"field": "industry", "op": "eq", "value": "finance"}],
                "measures": [{"aggregate": "sum", "field": "employee_count"}],
            },
        ),
        (
            "有几个销售赢过单",
            {
                "object": "opportunities",
                "filters": [WON],
                "measures": [{"aggregate": "count_distinct", "field": "owner_id"}],
            },
        ),
        (
            "how many accounts have we won deals with",
            {
                "object": "opportunities",
                "filters": [WON],
                "measures": [{"aggregate": "count_distinct", "field": "account_id"}],
            },
        ),
        (
            "how many unique customers bought GTX Pro",
            {
                "object": "opportunities",
                "filters": [{"field": "product.name", "op": "eq", "value": "GTX Pro"}, WON],
                "measures": [{"aggregate": "count_distinct", "field": "account_id"}],
            },
        ),
    ],
)
def test_general_wordings(
    database: Database, data_dir: Path, question: str, query: dict[str, Any]
) -> None:
    answer = ask_as(database, pipeline_tenant(database, data_dir), question)

    assert answer.clarification is None
    assert answer.query == _canonical(query)
    assert answer.warnings == []
