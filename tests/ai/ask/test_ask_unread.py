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
        ("how many customers have a high NPS score", ["high nps score"]),
        ("top 5 enterprise customers by won amount", ["enterprise"]),
        ("麻烦老板要的上季度赢单金额", ["老板"]),
        ("服务类产品卖了多少", ["服务"]),
        # An English verb before a superlative whose measure follows it is no key word.
        ("who is hoarding the most open opps", ["hoarding"]),
    ],
)
def test_unknown_words_are_named(
    database: Database, data_dir: Path, question: str, words: list[str]
) -> None:
    """An unknown word outside the measure and the dimension leaves an answer with a warning."""
    assert _warnings(database, data_dir, question) == [("assistant_unknown_words", words)]


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("top 5 customers by churn risk", "churn risk"),
        ("流失风险最高的5个客户", "流失风险"),
        ("客户满意度最高的产品", "满意度"),
        ("按流失风险给客户排名", "流失风险"),
        ("which customers have the highest churn risk", "churn risk"),
        ("average churn risk per customer", "churn risk"),
        ("客户满意度分布", "满意度"),
        ("最活跃的客户", "活跃"),
    ],
)
def test_unknown_key_word_asks_back(
    database: Database, data_dir: Path, question: str, word: str
) -> None:
    """An unknown word that names the ranking measure or the dimension gets no rows."""
    answer = ask_as(database, pipeline_tenant(database, data_dir), question)

    assert answer.query is None
    assert answer.rows == []
    assert answer.clarification is not None
    assert answer.clarification.code == "assistant_key_word_unknown"
    assert f"“{word}”" in answer.clarification.message
    assert answer.confidence == 0


def test_unknown_key_word_message_in_both_languages(database: Database, data_dir: Path) -> None:
    tenant = pipeline_tenant(database, data_dir)

    chinese = _ask_in(database, tenant, "流失风险最高的5个客户", "zh-CN")
    english = _ask_in(database, tenant, "top 5 customers by churn risk", "en")

    assert chinese.clarification is not None
    assert chinese.clarification.message == (
        "没有读懂“流失风险”，而问题要按它排序或分组，所以没有用别的指标代替作答。"
        "请改用已知的字段，例如赢单金额、商机数、行业或区域，或在报表中构建。"
    )
    assert english.clarification is not None
    assert english.clarification.message == (
        'The question ranks or groups by "churn risk", which was not understood, so no other '
        "measure is put in its place. Name a known field instead, for example won amount, "
        "deal count, industry or region, or build the report in the report builder."
    )


@pytest.mark.parametrize(
    ("question", "query"),
    [
        (
            "服务行业的客户有多少家",
            {"object": "accounts", "filters": [{"field": "industry", "value": "services"}]},
        ),
        (
            "零售和服务的赢单金额",
            {
                "object": "opportunities",
                "filters": [
                    {"field": "account.industry", "op": "in", "value": ["retail", "services"]},
                    WON,
                ],
                "measures": [SUM_AMOUNT],
            },
        ),
        (
            "services industry won amount",
            {
                "object": "opportunities",
                "filters": [{"field": "account.industry", "value": "services"}, WON],
                "measures": [SUM_AMOUNT],
            },
        ),
    ],
)
def test_service_as_industry_needs_industry_context(
    database: Database, data_dir: Path, question: str, query: dict[str, Any]
) -> None:
    answer = ask_as(database, pipeline_tenant(database, data_dir), question)

    assert answer.query == _canonical(query)
    assert answer.warnings == []


@pytest.mark.parametrize(
    ("question", "query", "warnings"),
    [
        ("服务工单有多少", {"object": "tickets"}, []),
        ("how many service tickets are there", {"object": "tickets"}, []),
        (
            "每个销售服务了多少个不同的客户",
            {"object": "accounts", "group_by": [{"field": "owner.display_name"}]},
            [("assistant_unknown_words", ["服务"])],
        ),
    ],
)
def test_service_without_industry_context_is_no_industry(
    database: Database,
    data_dir: Path,
    question: str,
    query: dict[str, Any],
    warnings: list[tuple[str, list[str]]],
) -> None:
    answer = ask_as(database, pipeline_tenant(database, data_dir), question)

    assert answer.query == _canonical(query)
    assert [(warning.code, warning.words) for warning in answer.warnings] == warnings


@pytest.mark.parametrize(
    "question",
    [
        "请帮我看看一下上个月的赢单金额",
        "麻烦统计一下各区域的赢单金额吧",
        "could you please show me the won amount by region right now?",
        "I'd like to know how many deals we won last quarter",
        "有史以来最小的一笔赢单多少钱",
        "截至目前East那边赢了多少钱来着",
        "平均下来一单赢多少钱",
        "who's carrying the most open opps right now?",
    ],
)
def test_filler_words_do_not_warn(database: Database, data_dir: Path, question: str) -> None:
    assert _warnings(database, data_dir, question) == []


def test_unknown_words_lower_confidence(database: Database, data_dir: Path) -> None:
    tenant = pipeline_tenant(database, data_dir)

    understood = ask_as(database, tenant, "top 5 customers by won amount")
    unknown = ask_as(database, tenant, "top 5 enterprise customers by won amount")

    # The classifier's probability of the answered intent is intent_confidence, or at most
    # one minus it when the parser overrode the classifier's choice.
    intent_bound = max(unknown.intent_confidence, 1 - unknown.intent_confidence)
    assert understood.confidence == round(understood.intent_confidence, 3)
    assert unknown.confidence > 0
    assert unknown.confidence <= round(0.75 * intent_bound, 3)


def test_unknown_words_message_in_both_languages(database: Database, data_dir: Path) -> None:
    tenant = pipeline_tenant(database, data_dir)

    chinese = _ask_in(database, tenant, "麻烦老板要的上季度赢单金额", "zh-CN")
    english = _ask_in(database, tenant, "top 5 enterprise customers by won amount", "en")

    assert chinese.warnings[0].message == (
        "注意：没有读懂“老板”，结果没有考虑它，回答的可能是另一个问题。"
        "请使用字段名和字段值来提问，或在报表中构建。"
    )
    assert english.warnings[0].message == (
        'Note: "enterprise" was not understood and played no part in the result, which may '
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
