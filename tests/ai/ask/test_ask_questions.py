"""Questions on a small tenant: answers, clarifications, intents and permissions."""

from __future__ import annotations

from decimal import Decimal

from ask_support import ask_as
from small_tenant import seed_small_tenant
from testkit import TenantInfo

from zhike.ai.ask.lexicon import forget_lexicons
from zhike.core.db import Database
from zhike.platform.fields import FieldDefinitionCreate, create_field
from zhike.security.actors import actor_for
from zhike.security.models import Tenant, User
from zhike.service.models import Ticket

TOP_THREE_EAST = "上季度华东区赢单金额最高的三个销售是谁？"


def _define_field(database: Database, tenant: TenantInfo, **values: object) -> None:
    with database.session() as session:
        found = session.get(Tenant, tenant.tenant.id)
        admin = session.get(User, tenant.admin.id)
        assert found is not None
        assert admin is not None
        create_field(session, actor_for(found, admin, session), FieldDefinitionCreate(**values))
    forget_lexicons()


def test_region_question_answers_top_reps(database: Database, tenant: TenantInfo) -> None:
    seed_small_tenant(database, tenant, ("华东", "华南"))

    answer = ask_as(database, tenant, TOP_THREE_EAST)

    assert answer.intent == "query_data"
    assert answer.clarification is None
    assert answer.query is not None
    assert answer.query.model_dump(exclude_defaults=True) == {
        "object": "opportunities",
        "filters": [
            {"field": "closed_on", "op": "relative", "value": "last_quarter"},
            {"field": "owner.team.region", "value": "华东"},
            {"field": "stage.key", "value": "won"},
        ],
        "group_by": [{"field": "owner.display_name"}],
        "measures": [{"aggregate": "sum", "field": "amount"}],
        "sort": [{"column": "sum:amount", "descending": True}],
        "limit": 3,
    }
    assert answer.rows == [["赵磊", Decimal("200000.00")]]
    assert [column.name for column in answer.columns] == ["owner.display_name", "sum:amount"]
    assert answer.chart is not None
    assert answer.chart.type == "bar"


def test_plural_after_top_ranks_every_group(database: Database, tenant: TenantInfo) -> None:
    # "top reps" without a number asks for the ranking, "top rep" for the leader only.
    seed_small_tenant(database, tenant, ("华东", "华南"))

    plural = ask_as(database, tenant, "top reps by won amount")
    singular = ask_as(database, tenant, "top rep by won amount")

    assert plural.query is not None
    assert singular.query is not None
    assert plural.query.sort == singular.query.sort
    assert plural.query.limit > 1
    assert singular.query.limit == 1
    assert len(plural.rows) > 1


def test_unknown_region_is_asked_back(database: Database, tenant: TenantInfo) -> None:
    seed_small_tenant(database, tenant, ("华北", "华南"))

    answer = ask_as(database, tenant, TOP_THREE_EAST)

    assert answer.query is None
    assert answer.rows == []
    assert answer.clarification is not None
    assert answer.clarification.code == "assistant_region_unknown"
    assert answer.clarification.options == ["华北", "华南"]
    assert "华东" in answer.clarification.message


def test_region_without_region_field_is_asked_back(database: Database, tenant: TenantInfo) -> None:
    seed_small_tenant(database, tenant, ("", ""))

    answer = ask_as(database, tenant, TOP_THREE_EAST)

    assert answer.clarification is not None
    assert answer.clarification.code == "assistant_region_field_missing"
    assert answer.query is None


def test_amount_with_two_money_fields_is_asked_back(database: Database, tenant: TenantInfo) -> None:
    seed_small_tenant(database, tenant, ("华北", "华南"))
    _define_field(
        database,
        tenant,
        object="opportunities",
        name="contract_amount",
        field_type="money",
        label_zh="合同金额",
        label_en="Contract amount",
    )

    ambiguous = ask_as(database, tenant, "赢单的平均金额是多少")
    named = ask_as(database, tenant, "赢单的平均合同金额是多少")

    assert ambiguous.clarification is not None
    assert ambiguous.clarification.code == "assistant_money_field_ambiguous"
    assert ambiguous.clarification.options == ["amount", "custom.contract_amount"]
    assert named.clarification is None
    assert named.query is not None
    assert [measure.field for measure in named.query.measures] == ["custom.contract_amount"]


def test_sla_question_needs_a_breach_field(database: Database, tenant: TenantInfo) -> None:
    question = "how many open tickets breached SLA this week?"
    with database.session() as session:
        for breached in (True, True, False):
            session.add(
                Ticket(
                    tenant_id=tenant.tenant.id,
                    subject="物流延迟",
                    status="open",
                    custom={"sla_breached": breached},
                )
            )
        session.add(
            Ticket(
                tenant_id=tenant.tenant.id,
                subject="已处理",
                status="closed",
                custom={"sla_breached": True},
            )
        )

    before = ask_as(database, tenant, question, as_of=None)
    _define_field(
        database,
        tenant,
        object="tickets",
        name="sla_breached",
        field_type="boolean",
        label_zh="已超SLA",
        label_en="SLA breached",
    )
    after = ask_as(database, tenant, question, as_of=None)

    assert before.clarification is not None
    assert before.clarification.code == "assistant_sla_field_missing"
    assert after.clarification is None
    assert after.query is not None
    assert after.query.model_dump(exclude_defaults=True)["filters"] == [
        {"field": "custom.sla_breached", "value": True},
        {"field": "opened_at", "op": "relative", "value": "this_week"},
        {"field": "status", "op": "in", "value": ["new", "open", "pending", "on_hold"]},
    ]


def test_action_request_gets_a_hint_not_a_query(database: Database, tenant: TenantInfo) -> None:
    answer = ask_as(database, tenant, "帮我给华为的王经理发一封跟进邮件")

    assert answer.intent == "take_action"
    assert answer.query is None
    assert answer.clarification is None
    assert answer.message is not None


def test_same_question_rep_and_director_see_their_share(
    database: Database, tenant: TenantInfo
) -> None:
    small = seed_small_tenant(database, tenant, ("华北", "华南"))
    question = "每个销售的赢单金额"

    rep = ask_as(database, tenant, question, user_id=small.north_rep)
    director = ask_as(database, tenant, question, user_id=small.director)

    assert rep.query == director.query
    assert rep.rows == [["赵磊", Decimal("200000.00")]]
    assert director.rows == [["赵磊", Decimal("200000.00")], ["钱敏", Decimal("230000.00")]]


def test_rep_asking_about_colleague_sees_nothing(database: Database, tenant: TenantInfo) -> None:
    small = seed_small_tenant(database, tenant, ("华北", "华南"))

    rep = ask_as(database, tenant, "how many won deals did 钱敏 close?", user_id=small.north_rep)
    director = ask_as(
        database, tenant, "how many won deals did 钱敏 close?", user_id=small.director
    )

    assert rep.query is not None
    assert {"field": "owner.display_name", "op": "eq", "value": "钱敏"} in [
        item.model_dump() for item in rep.query.filters
    ]
    assert rep.rows == [[0]]
    assert director.rows == [[2]]
