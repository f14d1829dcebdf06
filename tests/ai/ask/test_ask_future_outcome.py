"""Questions about won or lost deals in a period that has not begun.

Which deals will be won is not known before they close, so such a question is
answered with the open deals expected to close in the period, with a warning. The
tenant holds the small sales tenant's deals plus open deals expected to close in
December 2017 and in the first quarter of 2018; questions are asked as of 2017-11-15.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from ask_support import AS_OF
from small_tenant import seed_small_tenant
from sqlalchemy import select
from testkit import TenantInfo

from zhike.ai.ask.schemas import AskAnswer
from zhike.ai.ask.service import ask
from zhike.core.db import Database
from zhike.sales.models import Opportunity, PipelineStage
from zhike.security.actors import actor_for
from zhike.security.models import Tenant, User

OPEN = [
    {"field": "stage.is_lost", "op": "eq", "value": False},
    {"field": "stage.is_won", "op": "eq", "value": False},
]
# (stage, amount, expected close date, closed on)
EXTRA_DEALS = (
    ("engaging", "10000", date(2017, 12, 5), None),
    ("engaging", "25000", date(2017, 12, 20), None),
    ("engaging", "40000", date(2018, 2, 1), None),
    # A deal closed early keeps its expected date, but it is no open deal any more.
    ("won", "99000", date(2017, 12, 10), date(2017, 11, 2)),
)
ZH_WARNING = (
    "注意：“{words}”还没到，哪些商机会赢单或输单现在还不知道，"
    "所以结果显示的是预计在这段时间成交的进行中商机。"
    "要看预测，请打开“商机管道与预测”仪表盘。"
)
EN_WARNING = (
    'Note: won and lost deals in "{words}" are not known yet, because that period has not '
    "begun. The result shows the open deals expected to close in it instead. For a "
    'forecast, see the "Pipeline and forecast" dashboard.'
)


def _seed(database: Database, tenant: TenantInfo) -> None:
    seed_small_tenant(database, tenant, ("华北", "华南"))
    with database.session() as session:
        stages = {
            stage.key: stage.id
            for stage in session.scalars(
                select(PipelineStage).where(PipelineStage.tenant_id == tenant.tenant.id)
            )
        }
        for stage, amount, expected, closed_on in EXTRA_DEALS:
            session.add(
                Opportunity(
                    tenant_id=tenant.tenant.id,
                    name=f"预计{expected.isoformat()}成交",
                    owner_id=tenant.admin.id,
                    stage_id=stages[stage],
                    amount=Decimal(amount),
                    expected_close_date=expected,
                    closed_on=closed_on,
                )
            )


def _ask_in(database: Database, tenant: TenantInfo, question: str, locale: str) -> AskAnswer:
    with database.session() as session:
        found = session.get(Tenant, tenant.tenant.id)
        user = session.get(User, tenant.admin.id)
        assert found is not None
        assert user is not None
        actor = actor_for(found, user, session).with_locale(locale)
        return ask(session, actor, question, as_of=AS_OF)


def _filters(answer: AskAnswer) -> list[dict[str, Any]]:
    assert answer.query is not None
    return [item.model_dump(exclude_none=True) for item in answer.query.filters]


@pytest.mark.parametrize(
    ("question", "period", "words", "count"),
    [
        ("下个月会赢多少单", "next_month", "下个月", 2),
        ("how many deals will we win next quarter", "next_quarter", "next quarter", 1),
        ("下个月会丢多少单", "next_month", "下个月", 2),
        ("how many deals will we lose next month", "next_month", "next month", 2),
    ],
)
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_future_wins_count_open_deals(
    database: Database,
    tenant: TenantInfo,
    question: str,
    period: str,
    words: str,
    count: int,
    locale: str,
) -> None:
    _seed(database, tenant)

    answer = _ask_in(database, tenant, question, locale)

    assert _filters(answer) == [
        {"field": "expected_close_date", "op": "relative", "value": period},
        *OPEN,
    ]
    assert answer.rows == [[count]]
    assert [warning.code for warning in answer.warnings] == ["assistant_future_outcome"]
    assert answer.warnings[0].words == [words]
    template = ZH_WARNING if locale == "zh-CN" else EN_WARNING
    assert answer.warnings[0].message == template.format(words=words)


@pytest.mark.parametrize(
    ("question", "known_period"),
    [
        ("下个月会赢多少单", "这个月赢了多少单"),
        ("how many deals will we win next quarter", "how many deals did we win this quarter"),
    ],
)
def test_future_wins_lower_confidence(
    database: Database, tenant: TenantInfo, question: str, known_period: str
) -> None:
    _seed(database, tenant)

    future = _ask_in(database, tenant, question, "zh-CN")
    known = _ask_in(database, tenant, known_period, "zh-CN")

    # The open deals stand in for one of the question's phrases, so it counts as missed.
    assert future.confidence < future.intent_confidence
    assert known.warnings == []
    assert known.confidence > future.confidence


def test_future_won_amount_sums_open_deals(database: Database, tenant: TenantInfo) -> None:
    _seed(database, tenant)

    answer = _ask_in(database, tenant, "下个月的赢单金额是多少", "zh-CN")

    assert answer.query is not None
    assert [item.model_dump(exclude_none=True) for item in answer.query.measures] == [
        {"aggregate": "sum", "field": "amount", "where": []}
    ]
    assert _filters(answer) == [
        {"field": "expected_close_date", "op": "relative", "value": "next_month"},
        *OPEN,
    ]
    assert answer.rows == [[Decimal("35000.00")]]
    assert [warning.code for warning in answer.warnings] == ["assistant_future_outcome"]


@pytest.mark.parametrize(
    "question", ["未来30天的赢单金额", "这个月赢了多少单", "how many deals did we win last month"]
)
def test_periods_started_keep_won_deals(
    database: Database, tenant: TenantInfo, question: str
) -> None:
    """A period that has begun can hold won deals, so the won stage and close date stay."""
    _seed(database, tenant)

    answer = _ask_in(database, tenant, question, "en")

    filters = _filters(answer)
    assert {"field": "stage.key", "op": "eq", "value": "won"} in filters
    assert filters[0]["field"] == "closed_on"
    assert answer.warnings == []


ZH_RATE_WARNING = (
    "注意：“{words}”还没到，这段时间还没有商机结束，所以赢单率或丢单率还不知道，结果为空。"
    "要看预测，请打开“商机管道与预测”仪表盘。"
)
EN_RATE_WARNING = (
    'Note: the win or loss rate of "{words}" is not known yet, because that period has not '
    "begun and none of its deals has closed, so the result is empty. For a forecast, see the "
    '"Pipeline and forecast" dashboard.'
)


@pytest.mark.parametrize(
    ("question", "period", "words", "alias"),
    [
        ("下个季度赢单率会是多少", "next_quarter", "下个季度", "win_rate"),
        ("what will our win rate be next quarter", "next_quarter", "next quarter", "win_rate"),
        ("下个月的丢单率", "next_month", "下个月", "loss_rate"),
    ],
)
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_future_rate_is_empty_with_warning(
    database: Database,
    tenant: TenantInfo,
    question: str,
    period: str,
    words: str,
    alias: str,
    locale: str,
) -> None:
    """A rate counts closed deals by their close date, so a period to come has none yet.

    The deal that closed early and is expected in December stays out: the expected date
    does not stand in for the close date of a rate.
    """
    _seed(database, tenant)

    answer = _ask_in(database, tenant, question, locale)

    assert _filters(answer) == [
        {"field": "closed_on", "op": "is_not_empty"},
        {"field": "closed_on", "op": "relative", "value": period},
    ]
    assert answer.query is not None
    assert [measure.name for measure in answer.query.measures] == [alias]
    assert answer.rows == [[None]]
    assert [warning.code for warning in answer.warnings] == ["assistant_future_outcome"]
    assert answer.warnings[0].words == [words]
    template = ZH_RATE_WARNING if locale == "zh-CN" else EN_RATE_WARNING
    assert answer.warnings[0].message == template.format(words=words)
    assert answer.confidence < answer.intent_confidence


def test_rate_of_period_begun_has_no_warning(database: Database, tenant: TenantInfo) -> None:
    _seed(database, tenant)

    answer = _ask_in(database, tenant, "本月赢单率是多少", "zh-CN")

    assert _filters(answer) == [
        {"field": "closed_on", "op": "is_not_empty"},
        {"field": "closed_on", "op": "relative", "value": "this_month"},
    ]
    assert answer.warnings == []
