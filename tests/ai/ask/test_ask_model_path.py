"""The model path of questions, against an OpenAI-compatible server on 127.0.0.1.

The server replies with function calls; the answer must come from the validated
typed query, and any call outside the schema must fall back to the offline parser.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from ask_support import ask_as
from small_tenant import seed_small_tenant
from testkit import TenantInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "llm"))

from llm_fake_server import FakeLLMServer, chat_reply
from llm_support import add_provider, set_policy

from zhike.ai.llm.cache import ResponseCache
from zhike.ai.llm.gateway import LLMGateway
from zhike.ai.llm.names import NameMatcherCache
from zhike.core.db import Database

QUESTION = "按销售统计赢单金额"
WON_BY_REP = {
    "object": "opportunities",
    "filters": [{"field": "stage.key", "op": "eq", "value": "won"}],
    "group_by": [{"field": "owner.display_name"}],
    "measures": [{"aggregate": "sum", "field": "amount"}],
}


def _call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"call-{name}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
    }


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer().start()
    yield server
    server.stop()


@pytest.fixture
def gateway() -> Iterator[LLMGateway]:
    with httpx.Client() as client:
        yield LLMGateway(
            http_client=client,
            cache=ResponseCache(),
            names=NameMatcherCache(),
            sleep=lambda _: None,
        )


def _connect(database: Database, tenant: TenantInfo, server: FakeLLMServer) -> None:
    set_policy(database, tenant.tenant.id)
    add_provider(database, tenant.tenant.id, server.base_url)


def test_model_fills_the_typed_query(
    database: Database, tenant: TenantInfo, llm_server: FakeLLMServer, gateway: LLMGateway
) -> None:
    seed_small_tenant(database, tenant, ("华北", "华南"))
    _connect(database, tenant, llm_server)
    llm_server.script.extend(
        [
            chat_reply(None, [_call("set_intent", {"intent": "query_data"})]),
            chat_reply(None, [_call("run_report_query", WON_BY_REP)]),
        ]
    )

    answer = ask_as(database, tenant, QUESTION, gateway=gateway)

    assert answer.source == "llm"
    assert answer.intent == "query_data"
    assert answer.intent_confidence == 1.0
    assert answer.query is not None
    assert answer.query.model_dump(exclude_defaults=True)["group_by"] == [
        {"field": "owner.display_name"}
    ]
    assert answer.rows == [["赵磊", Decimal("200000.00")], ["钱敏", Decimal("230000.00")]]
    sent = llm_server.requests[1]["json"]
    assert [tool["function"]["name"] for tool in sent["tools"]] == [
        "run_report_query",
        "ask_clarification",
    ]
    assert "sql" not in json.dumps(sent["tools"]).lower()


def test_call_outside_schema_falls_back_offline(
    database: Database, tenant: TenantInfo, llm_server: FakeLLMServer, gateway: LLMGateway
) -> None:
    seed_small_tenant(database, tenant, ("华北", "华南"))
    _connect(database, tenant, llm_server)
    llm_server.script.extend(
        [
            chat_reply(None, [_call("set_intent", {"intent": "query_data"})]),
            chat_reply(None, [_call("run_report_query", {"sql": "SELECT * FROM opportunities"})]),
        ]
    )

    answer = ask_as(database, tenant, QUESTION, gateway=gateway)

    assert answer.source == "offline"
    assert answer.query is not None
    assert answer.query.model_dump(exclude_defaults=True) == WON_BY_REP | {
        "filters": [{"field": "stage.key", "value": "won"}]
    }
    assert answer.rows == [["赵磊", Decimal("200000.00")], ["钱敏", Decimal("230000.00")]]


def test_query_with_unknown_field_falls_back_offline(
    database: Database, tenant: TenantInfo, llm_server: FakeLLMServer, gateway: LLMGateway
) -> None:
    seed_small_tenant(database, tenant, ("华北", "华南"))
    _connect(database, tenant, llm_server)
    unknown_field = WON_BY_REP | {"group_by": [{"field": "owner.password_hash"}]}
    llm_server.script.extend(
        [
            chat_reply(None, [_call("set_intent", {"intent": "query_data"})]),
            chat_reply(None, [_call("run_report_query", unknown_field)]),
        ]
    )

    answer = ask_as(database, tenant, QUESTION, gateway=gateway)

    assert answer.source == "offline"
    assert answer.rows == [["赵磊", Decimal("200000.00")], ["钱敏", Decimal("230000.00")]]


def test_model_question_back_is_passed_on(
    database: Database, tenant: TenantInfo, llm_server: FakeLLMServer, gateway: LLMGateway
) -> None:
    _connect(database, tenant, llm_server)
    llm_server.script.extend(
        [
            chat_reply(None, [_call("set_intent", {"intent": "query_data"})]),
            chat_reply(
                None,
                [
                    _call(
                        "ask_clarification",
                        {"question": "要看哪个区域？", "options": ["华北", "华南"]},
                    )
                ],
            ),
        ]
    )

    answer = ask_as(database, tenant, "华东的业绩怎么样", gateway=gateway)

    assert answer.query is None
    assert answer.clarification is not None
    assert answer.clarification.code == "assistant_model_question"
    assert answer.clarification.message == "要看哪个区域？"
    assert answer.clarification.options == ["华北", "华南"]


def test_unreachable_model_falls_back_offline(
    database: Database, tenant: TenantInfo, gateway: LLMGateway
) -> None:
    seed_small_tenant(database, tenant, ("华北", "华南"))
    set_policy(database, tenant.tenant.id)
    add_provider(database, tenant.tenant.id, "http://127.0.0.1:9/v1", max_retries=0)

    answer = ask_as(database, tenant, QUESTION, gateway=gateway)

    assert answer.source == "offline"
    assert answer.intent == "query_data"
    assert answer.rows == [["赵磊", Decimal("200000.00")], ["钱敏", Decimal("230000.00")]]
