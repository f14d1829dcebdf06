"""Questions about people: the asker's own records, shared names and the asker's data scope."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from ask_support import ask_as
from small_tenant import SmallTenant, seed_small_tenant
from testkit import TenantInfo

from zhike.ai.ask.schemas import AskAnswer
from zhike.ai.ask.service import ask
from zhike.core.db import Database
from zhike.security.actors import actor_for
from zhike.security.models import Tenant, User


def _owner_filter(answer: AskAnswer) -> object:
    assert answer.query is not None, answer.clarification
    return next((item.value for item in answer.query.filters if item.field == "owner_id"), None)


@pytest.mark.parametrize(
    "question",
    [
        "我本季度的赢单金额",
        "我今年的赢单金额",
        "我赢了多少单",
        "How many open deals do I have?",
        "what did I win this year",
        "I've closed how many deals this year",
        "my won revenue",
    ],
)
def test_own_records_with_the_time_between(
    database: Database, tenant: TenantInfo, question: str
) -> None:
    small = seed_small_tenant(database, tenant, ("华北", "华南"))

    answer = ask_as(database, tenant, question, user_id=small.north_rep)

    assert _owner_filter(answer) == str(small.north_rep)


@pytest.mark.parametrize("question", ["我们今年的赢单金额", "how much did we win this year"])
def test_we_is_not_me(database: Database, tenant: TenantInfo, question: str) -> None:
    small = seed_small_tenant(database, tenant, ("华北", "华南"))

    answer = ask_as(database, tenant, question, user_id=small.north_rep)

    assert _owner_filter(answer) is None


def _add_namesake(database: Database, small: SmallTenant, name: str) -> uuid.UUID:
    """Give another user of the tenant the display name of an existing rep."""
    with database.session() as session:
        namesake = User(
            tenant_id=small.tenant.tenant.id,
            email=f"namesake@{small.tenant.slug}.example.com",
            display_name=name,
            role="sales_rep",
        )
        session.add(namesake)
        session.flush()
        return namesake.id


def _ask_in(database: Database, tenant: TenantInfo, question: str, locale: str) -> AskAnswer:
    with database.session() as session:
        found = session.get(Tenant, tenant.tenant.id)
        user = session.get(User, tenant.admin.id)
        assert found is not None
        assert user is not None
        actor = actor_for(found, user, session).with_locale(locale)
        return ask(session, actor, question)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("zh-CN", "注意：名叫“赵磊”的同事不止一位"),
        ("en", 'Note: more than one colleague is called "赵磊"'),
    ],
)
def test_shared_name_is_warned(
    database: Database, tenant: TenantInfo, locale: str, expected: str
) -> None:
    small = seed_small_tenant(database, tenant, ("华北", "华南"))
    _add_namesake(database, small, "赵磊")

    answer = _ask_in(database, tenant, "赵磊的赢单金额", locale)

    warnings = [item for item in answer.warnings if item.code == "assistant_name_shared"]
    assert [item.words for item in warnings] == [["赵磊"]]
    assert warnings[0].message.startswith(expected)
    # Both people are counted; the namesake owns no deal, so the total is the rep's own.
    assert answer.rows == [[Decimal("200000.00")]]


def test_unique_name_has_no_warning(database: Database, tenant: TenantInfo) -> None:
    seed_small_tenant(database, tenant, ("华北", "华南"))

    answer = _ask_in(database, tenant, "赵磊的赢单金额", "zh-CN")

    assert answer.query is not None
    assert all(item.code != "assistant_name_shared" for item in answer.warnings)


def test_rep_answer_notes_data_scope(database: Database, tenant: TenantInfo) -> None:
    small = seed_small_tenant(database, tenant, ("华北", "华南"))

    rep = ask_as(database, tenant, "我们今年的赢单金额", user_id=small.north_rep)
    admin = ask_as(database, tenant, "我们今年的赢单金额")

    scoped = [item for item in rep.warnings if item.code == "assistant_scope_limited"]
    assert len(scoped) == 1
    assert scoped[0].words == ["商机"]
    assert "数据范围" in scoped[0].message
    assert all(item.code != "assistant_scope_limited" for item in admin.warnings)


def test_own_records_need_no_scope_note(database: Database, tenant: TenantInfo) -> None:
    small = seed_small_tenant(database, tenant, ("华北", "华南"))

    answer = ask_as(database, tenant, "我今年的赢单金额", user_id=small.north_rep)

    assert _owner_filter(answer) == str(small.north_rep)
    assert all(item.code != "assistant_scope_limited" for item in answer.warnings)
