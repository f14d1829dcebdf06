"""The gateway against a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import re
import threading
from decimal import Decimal

import pytest
from llm_corpus import build_corpus
from llm_fake_server import FakeLLMServer, Reply, chat_reply, stream_reply
from llm_support import SleepRecorder, add_provider, set_policy
from pydantic import BaseModel
from sqlalchemy import select

from zhike.ai.llm.errors import LLMBudgetExhausted, LLMRefused
from zhike.ai.llm.gateway import LLMGateway, LLMRequest, RecordData, ToolSpec
from zhike.ai.llm.models import LLMUsage
from zhike.audit.models import AuditEvent
from zhike.core.db import Database
from zhike.customers.models import Account, Contact
from zhike.security.context import Actor

SUMMARY = "请总结客户的诉求。"


def usage_rows(database: Database, actor: Actor) -> list[LLMUsage]:
    with database.session() as session:
        return list(
            session.scalars(
                select(LLMUsage)
                .where(LLMUsage.tenant_id == actor.tenant_id)
                .order_by(LLMUsage.created_at)
            )
        )


def test_default_policy_keeps_everything_local(
    database: Database, tenant, gateway: LLMGateway, llm_server: FakeLLMServer
) -> None:
    add_provider(database, tenant.tenant.id, llm_server.base_url)
    request = LLMRequest(
        "summary", SUMMARY, documents=["客户要求退货。原因是尺寸不合适。希望本周处理。"]
    )
    with database.session() as session:
        result = gateway.complete(session, tenant.actor, request)
    assert result.provider == "local"
    assert result.text == "客户要求退货。原因是尺寸不合适。希望本周处理。"
    assert llm_server.requests == []
    assert [(row.provider_name, row.feature) for row in usage_rows(database, tenant.actor)] == [
        ("local", "summary")
    ]


def test_corpus_personal_data_never_sent(
    database: Database, tenant, gateway: LLMGateway, llm_server: FakeLLMServer
) -> None:
    corpus = build_corpus()
    with database.session() as session:
        for name in corpus.crm_people:
            session.add(Contact(tenant_id=tenant.tenant.id, name=name))
        for name in corpus.crm_companies:
            session.add(Account(tenant_id=tenant.tenant.id, name=name))
    add_provider(database, tenant.tenant.id, llm_server.base_url)
    set_policy(database, tenant.tenant.id)
    answers = []
    for start in range(0, len(corpus.messages), 10):
        batch = [message.text for message in corpus.messages[start : start + 10]]
        with database.session() as session:
            result = gateway.complete(
                session, tenant.actor, LLMRequest("summary", SUMMARY, documents=batch)
            )
        assert result.provider == "deepseek"
        answers.append(result.text)
    assert len(llm_server.requests) == 20
    sent = llm_server.decoded_request_text()
    sent_digits = re.sub(r"[\s\-+()]", "", sent)
    leaked = []
    for message in corpus.messages:
        for category in ("phone", "id_number", "bank_card", "email", "person"):
            for value in message.values(category):
                if category in ("phone", "bank_card"):
                    digits = re.sub(r"\D", "", value)
                    if digits in sent_digits or digits.removeprefix("86") in sent_digits:
                        leaked.append(value)
                elif value in sent:
                    leaked.append(value)
    assert leaked == []
    # The echoed answers come back with every value restored.
    restored = "".join(answers)
    assert all(message.text in restored for message in corpus.messages)
    # Company names are internal: they may go out under this policy, and the log says so.
    with database.session() as session:
        events = list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.tenant_id == tenant.tenant.id, AuditEvent.action == "ai.call"
                )
            )
        )
    assert len(events) == 20
    assert events[0].details is not None
    assert events[0].details["provider"] == "deepseek"
    assert "company" in events[0].details["disclosed_categories"]
    assert "phone" in events[0].details["redacted_categories"]


def test_record_fields_follow_their_classification(
    database: Database, tenant, gateway: LLMGateway, llm_server: FakeLLMServer
) -> None:
    add_provider(database, tenant.tenant.id, llm_server.base_url)
    add_provider(
        database, tenant.tenant.id, llm_server.base_url, name="vllm", is_private=True, priority=200
    )
    set_policy(database, tenant.tenant.id)
    contact = RecordData(
        "contacts", {"name": "欧阳娜娜", "mobile": "13900001111", "title": "采购经理"}
    )
    account = RecordData("accounts", {"name": "恒达科技有限公司", "industry": "制造业"})
    request = LLMRequest("email_draft", "写一封跟进邮件。", records=[contact, account])
    with database.session() as session:
        result = gateway.complete(session, tenant.actor, request)
    body = llm_server.decoded_request_text()
    assert "欧阳娜娜" not in body
    assert "13900001111" not in body
    assert "contacts.name: ⟦NAME_1⟧" in body
    assert "contacts.mobile: ⟦PHONE_1⟧" in body
    assert "accounts.name: 恒达科技有限公司" in body
    assert "contacts.title: 采购经理" in body
    assert "欧阳娜娜" in result.text
    assert result.redacted_categories == ["person", "phone"]

    # A highly sensitive field keeps the request on the private provider, unredacted.
    secret = RecordData("contacts", {"name": "欧阳娜娜", "id_number": "11010519491231002X"})
    with database.session() as session:
        result = gateway.complete(
            session, tenant.actor, LLMRequest("summary", SUMMARY, records=[secret])
        )
    assert result.provider == "vllm"
    assert "11010519491231002X" in json.dumps(llm_server.requests[-1]["json"], ensure_ascii=False)
    assert len(llm_server.requests) == 2


def test_highly_sensitive_data_is_refused_or_kept_local(
    database: Database, tenant, gateway: LLMGateway, llm_server: FakeLLMServer
) -> None:
    add_provider(database, tenant.tenant.id, llm_server.base_url)
    set_policy(database, tenant.tenant.id, highly_sensitive_route="refuse")
    request = LLMRequest(
        "summary", SUMMARY, records=[RecordData("contacts", {"id_number": "11010519491231002X"})]
    )
    with database.session() as session, pytest.raises(LLMRefused) as refused:
        gateway.complete(session, tenant.actor, request)
    assert refused.value.code == "llm_highly_sensitive_refused"
    assert refused.value.status == 403
    assert llm_server.requests == []
    assert usage_rows(database, tenant.actor) == []


def test_streaming_restores_placeholders_split_across_chunks(
    database: Database, tenant, gateway: LLMGateway, llm_server: FakeLLMServer
) -> None:
    add_provider(database, tenant.tenant.id, llm_server.base_url)
    set_policy(database, tenant.tenant.id)
    llm_server.script.append(stream_reply(["请联系⟦NA", "ME_1⟧，电话⟦", "PHONE_1", "⟧。"]))
    request = LLMRequest(
        "summary",
        SUMMARY,
        records=[RecordData("contacts", {"name": "王芳", "mobile": "13812345678"})],
    )
    with database.session() as session:
        chunks = list(gateway.stream(session, tenant.actor, request))
    assert "".join(chunks) == "请联系王芳，电话13812345678。"
    assert llm_server.requests[0]["json"]["stream"] is True
    assert "13812345678" not in llm_server.requests[0]["raw"]
    rows = usage_rows(database, tenant.actor)
    assert [(row.prompt_tokens, row.completion_tokens, row.outcome) for row in rows] == [
        (50, 9, "ok")
    ]


class CreateTask(BaseModel):
    subject: str
    contact_name: str


def test_tool_calls_are_validated_and_denied_by_default(
    database: Database, tenant, gateway: LLMGateway, llm_server: FakeLLMServer
) -> None:
    add_provider(database, tenant.tenant.id, llm_server.base_url)
    set_policy(database, tenant.tenant.id, cache_seconds=0)
    calls = [
        {
            "id": "c1",
            "type": "function",
            "function": {
                "name": "create_task",
                "arguments": json.dumps(
                    {"subject": "回访", "contact_name": "⟦NAME_1⟧"}, ensure_ascii=False
                ),
            },
        },
        {
            "id": "c2",
            "type": "function",
            "function": {"name": "create_task", "arguments": '{"subject": 3'},
        },
        {"id": "c3", "type": "function", "function": {"name": "delete_all", "arguments": "{}"}},
    ]
    tool = ToolSpec("create_task", "Create a follow-up task", CreateTask)
    request = LLMRequest(
        "summary", SUMMARY, records=[RecordData("contacts", {"name": "王芳"})], tools=[tool]
    )
    llm_server.script.extend([chat_reply(None, calls), chat_reply(None, calls)])
    with database.session() as session:
        denied = gateway.complete(session, tenant.actor, request)
        allowed = gateway.complete(
            session,
            tenant.actor,
            request,
            tool_permission=lambda actor, name, args: name == "create_task",
        )
    assert [(call.name, call.is_accepted, call.reason) for call in denied.tool_calls] == [
        ("create_task", False, "not permitted for this user"),
        ("create_task", False, "arguments do not match the schema"),
        ("delete_all", False, "unknown tool"),
    ]
    assert allowed.tool_calls[0].is_accepted
    assert allowed.tool_calls[0].arguments == CreateTask(subject="回访", contact_name="王芳")
    assert llm_server.requests[0]["json"]["tools"][0]["function"]["parameters"]["required"] == [
        "subject",
        "contact_name",
    ]


class Intent(BaseModel):
    intent: str
    confidence: float


def test_structured_output_is_retried_then_rejected(
    database: Database, tenant, gateway: LLMGateway, llm_server: FakeLLMServer
) -> None:
    add_provider(database, tenant.tenant.id, llm_server.base_url)
    set_policy(database, tenant.tenant.id)
    llm_server.script.extend(
        [
            chat_reply("{not json"),
            chat_reply('```json\n{"intent": "refund", "confidence": 0.9}\n```'),
        ]
    )
    request = LLMRequest(
        "classification", "判断意图。", documents=["我要退款"], response_model=Intent
    )
    with database.session() as session:
        result = gateway.complete(session, tenant.actor, request)
    assert result.parsed == Intent(intent="refund", confidence=0.9)
    assert llm_server.requests[0]["json"]["response_format"] == {"type": "json_object"}
    assert llm_server.requests[1]["json"]["messages"][-1]["content"].startswith(
        "The answer was rejected: the answer is not valid JSON"
    )

    llm_server.script.extend([chat_reply('{"intent": 1}'), chat_reply("still not json")])
    other = LLMRequest(
        "classification", "判断意图。", documents=["我要换货"], response_model=Intent
    )
    with database.session() as session:
        fallback = gateway.complete(session, tenant.actor, other)
    assert (fallback.provider, fallback.is_no_parse, fallback.parsed) == ("local", True, None)
    assert fallback.skipped == ["deepseek: no valid answer after 2 attempts"]
    outcomes = [row.outcome for row in usage_rows(database, tenant.actor)]
    assert sorted(outcomes) == [
        "invalid_output",
        "invalid_output",
        "invalid_output",
        "no_parse",
        "ok",
    ]


def test_retries_and_fallback_chain(
    database: Database,
    tenant,
    gateway: LLMGateway,
    llm_server: FakeLLMServer,
    sleeps: SleepRecorder,
) -> None:
    add_provider(database, tenant.tenant.id, llm_server.base_url, max_retries=2)
    add_provider(
        database, tenant.tenant.id, llm_server.base_url, name="qwen", priority=200, max_retries=0
    )
    set_policy(database, tenant.tenant.id, cache_seconds=0)
    llm_server.script.extend(
        [
            Reply(status=429, body={}, headers={"Retry-After": "7"}),
            Reply(status=503, body={}),
            chat_reply("好的"),
        ]
    )
    with database.session() as session:
        result = gateway.complete(
            session, tenant.actor, LLMRequest("summary", SUMMARY, documents=["a"])
        )
    assert (result.provider, result.text) == ("deepseek", "好的")
    assert sleeps.calls[0] == 7.0
    assert len(sleeps.calls) == 2
    assert llm_server.requests[0]["headers"]["Authorization"] == "Bearer sk-test-0123456789"

    # Three timeouts exhaust deepseek; the next provider in the chain answers.
    llm_server.script.extend(
        [
            Reply(delay=0.6, body={}),
            Reply(delay=0.6, body={}),
            Reply(delay=0.6, body={}),
            chat_reply("来自备用"),
        ]
    )
    with database.session() as session:
        from zhike.ai.llm.models import LLMProvider

        for row in session.scalars(
            select(LLMProvider).where(LLMProvider.tenant_id == tenant.tenant.id)
        ):
            row.timeout_seconds = 0.2
    with database.session() as session:
        result = gateway.complete(
            session, tenant.actor, LLMRequest("summary", SUMMARY, documents=["b"])
        )
    assert (result.provider, result.text) == ("qwen", "来自备用")
    assert result.skipped == ["deepseek: timeout after 3 attempt(s)"]


def test_cache_and_in_flight_sharing(
    database: Database, tenant, gateway: LLMGateway, llm_server: FakeLLMServer
) -> None:
    add_provider(database, tenant.tenant.id, llm_server.base_url)
    set_policy(database, tenant.tenant.id)
    first = LLMRequest("summary", SUMMARY, documents=["请回电13812345678"])
    second = LLMRequest("summary", SUMMARY, documents=["请回电13999998888"])
    with database.session() as session:
        one = gateway.complete(session, tenant.actor, first)
        two = gateway.complete(session, tenant.actor, second)
    assert len(llm_server.requests) == 1
    assert (one.is_cache_hit, two.is_cache_hit) == (False, True)
    assert "13999998888" in two.text
    assert "13812345678" not in two.text

    llm_server.script.append(Reply(delay=0.4, body=chat_reply("并发").body))
    results: list[str] = []

    def ask() -> None:
        with database.session() as session:
            results.append(
                gateway.complete(
                    session, tenant.actor, LLMRequest("summary", SUMMARY, documents=["同时提问"])
                ).text
            )

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["并发", "并发", "并发"]
    assert len(llm_server.requests) == 2


def test_budgets_stop_calls_when_spent(
    database: Database, tenant, gateway: LLMGateway, llm_server: FakeLLMServer
) -> None:
    add_provider(
        database,
        tenant.tenant.id,
        llm_server.base_url,
        monthly_budget=Decimal("0.10"),
        input_price_per_1k=Decimal("1"),
        output_price_per_1k=Decimal("2"),
    )
    set_policy(database, tenant.tenant.id, cache_seconds=0)
    with database.session() as session:
        first = gateway.complete(
            session, tenant.actor, LLMRequest("summary", SUMMARY, documents=["第一次。"])
        )
        second = gateway.complete(
            session, tenant.actor, LLMRequest("summary", SUMMARY, documents=["第二次。"])
        )
    assert (first.provider, first.skipped) == ("deepseek", [])
    assert second.provider == "local"
    assert second.skipped == ["deepseek: monthly budget 0.10 spent (0.140000)"]
    assert len(llm_server.requests) == 1

    with database.session() as session:
        from zhike.ai.llm.models import LLMPolicy

        session.scalars(
            select(LLMPolicy).where(LLMPolicy.tenant_id == tenant.tenant.id)
        ).one().monthly_budget = Decimal("0.10")
    with database.session() as session, pytest.raises(LLMBudgetExhausted) as exhausted:
        gateway.complete(
            session, tenant.actor, LLMRequest("summary", SUMMARY, documents=["第三次。"])
        )
    assert exhausted.value.status == 429
    assert exhausted.value.message("en").startswith(
        "The monthly language-model budget of the tenant (0.10) is spent (0.14"
    )
    assert len(llm_server.requests) == 1


def test_embeddings_are_redacted(
    database: Database, tenant, gateway: LLMGateway, llm_server: FakeLLMServer
) -> None:
    add_provider(
        database, tenant.tenant.id, llm_server.base_url, embedding_model="text-embedding-v3"
    )
    set_policy(database, tenant.tenant.id)
    with database.session() as session:
        vectors = gateway.embed(session, tenant.actor, ["客户邮箱 a@qq.com", "普通文本"])
    assert vectors == [[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]]
    assert llm_server.requests[0]["json"]["input"] == ["客户邮箱 ⟦EMAIL_1⟧", "普通文本"]
