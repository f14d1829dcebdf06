"""Questions about future periods, rates and stages, and warnings about words an answer leaves out.

The pipeline questions run over the imported MavenTech pipeline, as of 2017-11-15,
and their expected rows are computed with pandas from the CSV files. Every question
is a paraphrase a sales manager might type; none is taken from the accuracy sets.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from ask_support import AS_OF, ask_as, pipeline_tenant
from fastapi.testclient import TestClient
from nl_dev import build_dev_cases
from nl_questions import between, build_cases, load_frame, total
from small_tenant import seed_small_tenant
from test_nl_accuracy import _canonical, _rows
from testkit import TenantInfo

from zhike.ai.ask.schemas import AskAnswer
from zhike.ai.ask.service import ask
from zhike.ai.ask.timeparse import find_time, leftover_time
from zhike.analytics.periods import resolve_period
from zhike.analytics.query import ReportQuery
from zhike.core.db import Database
from zhike.core.errors import InvalidInput
from zhike.security.actors import actor_for
from zhike.security.models import Tenant, User

WON = {"field": "stage.key", "op": "eq", "value": "won"}
CLOSED = {"field": "closed_on", "op": "is_not_empty"}
WIN_RATE = {
    "aggregate": "share",
    "alias": "win_rate",
    "where": [{"field": "stage.is_won", "value": True}],
}
SUM_AMOUNT = [{"aggregate": "sum", "field": "amount"}]
RATIO = Decimal("0.0001")


def _folder(data_dir: Path) -> Path:
    return data_dir / "crm_sales_opportunities"


def _ask_in(database: Database, tenant: TenantInfo, question: str, locale: str) -> AskAnswer:
    with database.session() as session:
        found = session.get(Tenant, tenant.tenant.id)
        user = session.get(User, tenant.admin.id)
        assert found is not None
        assert user is not None
        actor = actor_for(found, user, session).with_locale(locale)
        return ask(session, actor, question, as_of=AS_OF)


def _query(query: dict[str, Any]) -> ReportQuery:
    return _canonical(query)


# Future periods: the parser reads them, the report service resolves them.


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("下个月的赢单", "next_month"),
        ("下月签了多少", "next_month"),
        ("won deals next month", "next_month"),
        ("下周要跟进的商机", "next_week"),
        ("next week", "next_week"),
        ("下季度的业绩", "next_quarter"),
        ("下一季度", "next_quarter"),
        ("coming quarter", "next_quarter"),
        ("明年", "next_year"),
        ("next year", "next_year"),
        ("下个财年", "next_fiscal_year"),
        ("明天", "tomorrow"),
        ("未来30天", "next_30_days"),
        ("接下来两周", "next_14_days"),
        ("in the next 30 days", "next_30_days"),
        ("over the coming 7 days", "next_7_days"),
    ],
)
def test_future_period_phrases(text: str, period: str) -> None:
    found = find_time(text, AS_OF, 1)

    assert found.filter is not None
    assert found.filter.op == "relative"
    assert found.filter.value == period


def test_future_months_are_a_date_range() -> None:
    found = find_time("未来3个月的商机", AS_OF, 1)

    assert found.filter is not None
    assert found.filter.op == "between"
    assert found.filter.value == ["2017-11-15", "2018-02-14"]


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("tomorrow", date(2017, 11, 16), date(2017, 11, 17)),
        ("next_week", date(2017, 11, 20), date(2017, 11, 27)),
        ("next_month", date(2017, 12, 1), date(2018, 1, 1)),
        ("next_quarter", date(2018, 1, 1), date(2018, 4, 1)),
        ("next_year", date(2018, 1, 1), date(2019, 1, 1)),
        ("next_30_days", date(2017, 11, 15), date(2017, 12, 15)),
    ],
)
def test_future_periods_resolve(name: str, start: date, end: date) -> None:
    assert resolve_period(name, AS_OF, 1) == (start, end)


def test_next_fiscal_year_follows_the_start_month() -> None:
    assert resolve_period("next_fiscal_year", AS_OF, 4) == (date(2018, 4, 1), date(2019, 4, 1))


def test_next_zero_days_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        resolve_period("next_0_days", AS_OF, 1)


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("下下个月的商机", ["下下个月"]),
        ("上上周的赢单", ["上上周"]),
        ("上个月和本月的赢单", ["上个月"]),
        ("前年的赢单", ["前年"]),
        ("三月份的赢单金额", ["三月份"]),
        ("春节期间签了多少", ["春节", "期间"]),
        ("deals won in the last 3 quarters", ["last 3 quarters"]),
        ("deals closed before 2017", ["before"]),
    ],
)
def test_unread_time_phrases_are_found(text: str, left: list[str]) -> None:
    found = find_time(text, AS_OF, 1)

    assert leftover_time(found.text, AS_OF, 1) == left


@pytest.mark.parametrize(
    "text", ["帮我看下上个季度的业绩", "年收入最高的客户", "排除GTK 500之后的签单金额"]
)
def test_embedded_time_words_not_leftover(text: str) -> None:
    found = find_time(text.lower(), AS_OF, 1)

    assert leftover_time(found.text, AS_OF, 1) == []


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("下个月的赢单金额是多少", "下个月"),
        ("下月一共签了多少钱", "下月"),
        ("how much did we win next month", "next month"),
        ("next month's won revenue", "next month"),
    ],
)
def test_next_month_questions(
    database: Database, data_dir: Path, question: str, words: str
) -> None:
    """No deal is won yet next month: the open deals expected to close then answer."""
    tenant = pipeline_tenant(database, data_dir)

    answer = ask_as(database, tenant, question)

    assert answer.query == _query(
        {
            "object": "opportunities",
            "filters": [
                {"field": "expected_close_date", "op": "relative", "value": "next_month"},
                {"field": "stage.is_lost", "op": "eq", "value": False},
                {"field": "stage.is_won", "op": "eq", "value": False},
            ],
            "measures": SUM_AMOUNT,
        }
    )
    assert _warnings(answer) == [("assistant_future_outcome", [words])]


@pytest.mark.parametrize(
    "question", ["未来30天的赢单金额", "接下来30天能签多少钱", "won amount in the next 30 days"]
)
def test_next_days_questions(database: Database, data_dir: Path, question: str) -> None:
    tenant = pipeline_tenant(database, data_dir)
    frame = load_frame(_folder(data_dir))
    ahead = between(
        frame[frame["stage"] == "won"], "closed", date(2017, 11, 15), date(2017, 12, 14)
    )

    answer = ask_as(database, tenant, question)

    assert answer.query == _query(
        {
            "object": "opportunities",
            "filters": [{"field": "closed_on", "op": "relative", "value": "next_30_days"}, WON],
            "measures": SUM_AMOUNT,
        }
    )
    assert answer.rows == [[total(ahead["amount"])]]
    assert answer.warnings == []


@pytest.mark.parametrize(
    ("question", "period"),
    [
        ("下周的赢单金额", "next_week"),
        ("下季度的赢单金额", "next_quarter"),
        ("明年赢单金额", "next_year"),
        ("won amount next quarter", "next_quarter"),
    ],
)
def test_other_future_periods(
    database: Database, data_dir: Path, question: str, period: str
) -> None:
    tenant = pipeline_tenant(database, data_dir)

    answer = ask_as(database, tenant, question)

    assert answer.query is not None
    assert {"field": "expected_close_date", "op": "relative", "value": period} in [
        item.model_dump() for item in answer.query.filters
    ]
    assert [warning.code for warning in answer.warnings] == ["assistant_future_outcome"]


@pytest.mark.parametrize(
    ("question", "period"),
    [
        ("下个月预计成交的商机有多少个", "next_month"),
        ("下季度的商机数量", "next_quarter"),
        ("how many deals are expected to close next month", "next_month"),
        ("how many deals are closing next quarter", "next_quarter"),
        # Phrased without a question word, these read like plans to the intent model.
        ("deals closing in the next 30 days", "next_30_days"),
        ("opportunities closing next month", "next_month"),
    ],
)
def test_future_deals_use_expected_close(
    database: Database, data_dir: Path, question: str, period: str
) -> None:
    tenant = pipeline_tenant(database, data_dir)

    answer = ask_as(database, tenant, question)

    assert answer.query == _query(
        {
            "object": "opportunities",
            "filters": [{"field": "expected_close_date", "op": "relative", "value": period}],
        }
    )
    assert answer.warnings == []


def test_expected_close_this_month(database: Database, data_dir: Path) -> None:
    tenant = pipeline_tenant(database, data_dir)

    answer = ask_as(database, tenant, "本月预计成交的商机金额")

    assert answer.query == _query(
        {
            "object": "opportunities",
            "filters": [{"field": "expected_close_date", "op": "relative", "value": "this_month"}],
            "measures": SUM_AMOUNT,
        }
    )


# Rates by time grain and by dimension.


def _win_rates(frame: pd.DataFrame, key: Any) -> list[list[Any]]:
    closed = frame[frame["stage"].isin(["won", "lost"]) & frame["closed"].notna()]
    rows = []
    for name, group in closed.groupby(key):
        won = int((group["stage"] == "won").sum())
        rows.append([name, (Decimal(won) / len(group)).quantize(RATIO)])
    return rows


@pytest.mark.parametrize(
    "question",
    [
        "按月的赢单率",
        "每月赢率",
        "每个月的成交率是多少",
        "逐月看一下胜率",
        "win rate by month",
        "monthly win rate",
        "what's our close rate each month",
    ],
)
def test_win_rate_by_month(database: Database, data_dir: Path, question: str) -> None:
    tenant = pipeline_tenant(database, data_dir)
    frame = load_frame(_folder(data_dir))
    month = frame["closed"].map(lambda day: None if day is None else f"{day:%Y-%m}")

    answer = ask_as(database, tenant, question)

    assert answer.query == _query(
        {
            "object": "opportunities",
            "filters": [CLOSED],
            "group_by": [{"field": "closed_on", "bucket": "month"}],
            "measures": [WIN_RATE],
        }
    )
    assert _rows(answer.rows, False) == _rows(_win_rates(frame, month), False)
    assert answer.chart is not None
    assert answer.chart.type == "line"
    assert answer.warnings == []


@pytest.mark.parametrize(
    "question",
    ["各销售的赢单率", "每个销售的赢率", "win rate by rep", "win rate for each sales rep"],
)
def test_win_rate_by_rep(database: Database, data_dir: Path, question: str) -> None:
    tenant = pipeline_tenant(database, data_dir)
    frame = load_frame(_folder(data_dir))

    answer = ask_as(database, tenant, question)

    assert answer.query == _query(
        {
            "object": "opportunities",
            "filters": [CLOSED],
            "group_by": [{"field": "owner.display_name"}],
            "measures": [WIN_RATE],
        }
    )
    assert _rows(answer.rows, False) == _rows(_win_rates(frame, "sales_agent"), False)


@pytest.mark.parametrize("question", ["赢单率最高的三个销售", "top 3 reps by win rate"])
def test_top_reps_by_win_rate(database: Database, data_dir: Path, question: str) -> None:
    tenant = pipeline_tenant(database, data_dir)

    answer = ask_as(database, tenant, question)

    assert answer.query is not None
    assert answer.query.sort[0].column == "win_rate"
    assert answer.query.sort[0].descending is True
    assert answer.query.limit == 3
    assert len(answer.rows) == 3


@pytest.mark.parametrize("question", ["上季度的赢单率", "what was the win rate last quarter"])
def test_win_rate_last_quarter(database: Database, data_dir: Path, question: str) -> None:
    tenant = pipeline_tenant(database, data_dir)
    frame = load_frame(_folder(data_dir))
    quarter = between(frame, "closed", date(2017, 7, 1), date(2017, 9, 30))
    closed = quarter[quarter["stage"].isin(["won", "lost"])]
    expected = (Decimal(int((closed["stage"] == "won").sum())) / len(closed)).quantize(RATIO)

    answer = ask_as(database, tenant, question)

    assert answer.query == _query(
        {
            "object": "opportunities",
            "filters": [CLOSED, {"field": "closed_on", "op": "relative", "value": "last_quarter"}],
            "measures": [WIN_RATE],
        }
    )
    assert answer.rows == [[expected]]


def test_loss_rate(database: Database, data_dir: Path) -> None:
    tenant = pipeline_tenant(database, data_dir)

    answer = ask_as(database, tenant, "丢单率是多少")

    assert answer.query == _query(
        {
            "object": "opportunities",
            "filters": [CLOSED],
            "measures": [
                {
                    "aggregate": "share",
                    "alias": "loss_rate",
                    "where": [{"field": "stage.is_lost", "value": True}],
                }
            ],
        }
    )


# Stage labels in answers.


@pytest.mark.parametrize(
    "question", ["按阶段统计商机数量", "各阶段分别有多少个商机", "deal count by stage"]
)
def test_stage_keys_are_labelled_in_chinese(
    database: Database, data_dir: Path, question: str
) -> None:
    tenant = pipeline_tenant(database, data_dir)

    answer = _ask_in(database, tenant, question, "zh-CN")

    assert answer.query is not None
    assert [group.field for group in answer.query.group_by] == ["stage.key"]
    assert answer.value_labels == {
        "stage.key": {
            "engaging": "方案沟通",
            "lost": "输单",
            "prospecting": "初步接洽",
            "won": "赢单",
        }
    }


def test_stage_keys_are_labelled_in_english(database: Database, data_dir: Path) -> None:
    tenant = pipeline_tenant(database, data_dir)

    answer = _ask_in(database, tenant, "how many deals are in each stage", "en")

    assert answer.value_labels == {
        "stage.key": {
            "engaging": "Engaging",
            "lost": "Lost",
            "prospecting": "Prospecting",
            "won": "Won",
        }
    }


def test_no_labels_without_choice_values(database: Database, data_dir: Path) -> None:
    tenant = pipeline_tenant(database, data_dir)

    answer = ask_as(database, tenant, "每个销售的赢单金额")

    assert answer.value_labels == {}


# Warnings about recognised words that the answer leaves out.


def _warnings(answer: AskAnswer) -> list[tuple[str, list[str]]]:
    return [(warning.code, warning.words) for warning in answer.warnings]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("下下个月的赢单金额", [("assistant_ignored_time", ["下下个月"])]),
        ("前年一共签了多少钱", [("assistant_ignored_time", ["前年"])]),
        ("春节期间的赢单金额", [("assistant_ignored_time", ["春节", "期间"])]),
        ("上个月和本月的赢单金额", [("assistant_ignored_time", ["上个月"])]),
        ("won amount over the last 3 quarters", [("assistant_ignored_time", ["last 3 quarters"])]),
        # "after" is left out, so the answer is about next week, when no deal is won yet.
        (
            "won revenue the week after next week",
            [("assistant_future_outcome", ["next week"]), ("assistant_ignored_time", ["after"])],
        ),
        ("按阶段统计客户数量", [("assistant_ignored_group", ["阶段"])]),
        ("top 5 deals this year", [("assistant_ignored_filter", ["top 5"])]),
        ("不是紧急的工单有多少", [("assistant_ignored_filter", ["不是紧急"])]),
        ("从方案沟通开始的转化率", [("assistant_ignored_measure", ["转化率"])]),
    ],
)
def test_ignored_words_are_named(
    database: Database, data_dir: Path, question: str, expected: list[tuple[str, list[str]]]
) -> None:
    tenant = pipeline_tenant(database, data_dir)

    answer = ask_as(database, tenant, question)

    assert answer.query is not None
    assert _warnings(answer) == expected


def test_warning_message_in_both_languages(database: Database, data_dir: Path) -> None:
    tenant = pipeline_tenant(database, data_dir)

    chinese = _ask_in(database, tenant, "下下个月的赢单金额", "zh-CN")
    english = _ask_in(database, tenant, "won revenue the month after next month", "en")

    assert chinese.warnings[0].message == (
        "注意：时间条件“下下个月”没有用上，结果没有按它筛选。"
        "请换个说法，例如“下个月”、“未来30天”或“2027年3月”。"
    )
    assert [warning.code for warning in english.warnings] == [
        "assistant_future_outcome",
        "assistant_ignored_time",
    ]
    assert english.warnings[1].words == ["after"]
    assert english.warnings[1].message == (
        'Note: the time phrase "after" was not applied, so the result is not limited to '
        'that period. Rephrase it, for example "next month", "next 30 days" or "March 2027".'
    )


def test_no_warning_on_answered_questions(database: Database, data_dir: Path) -> None:
    """Every question of the main and development sets that is answered right carries no warning."""
    tenant = pipeline_tenant(database, data_dir)
    cases = [
        *build_cases(_folder(data_dir), AS_OF),
        *build_dev_cases(_folder(data_dir), AS_OF),
    ]
    false_alarms = []

    for case in cases:
        answer = ask_as(database, tenant, case.question)
        right = answer.query == _canonical(case.query) and _rows(
            answer.rows, case.ordered
        ) == _rows(case.rows, case.ordered)
        if right and answer.warnings:
            false_alarms.append((case.question, _warnings(answer)))

    assert false_alarms == []


def test_api_returns_warnings_and_labels(
    database: Database, tenant: TenantInfo, client: TestClient
) -> None:
    seed_small_tenant(database, tenant, ("华北", "华南"))

    response = client.post("/api/v1/assistant/ask", json={"question": "下下个月各阶段的商机数量"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"]["group_by"] == [{"field": "stage.key", "bucket": None, "alias": None}]
    assert body["value_labels"] == {
        "stage.key": {"engaging": "方案沟通", "lost": "输单", "won": "赢单"}
    }
    assert [warning["code"] for warning in body["warnings"]] == ["assistant_ignored_time"]
    assert body["warnings"][0]["words"] == ["下下个月"]
