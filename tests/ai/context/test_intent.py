"""Intent recognition: offline accuracy on a separate test set, and the model path."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from intent_testset import build_test_set
from testkit import TenantInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "llm"))

from llm_fake_server import FakeLLMServer, chat_reply
from llm_support import add_provider, set_policy

from zhike.ai.context.intent import INTENT_PURPOSE, classify_offline, recognise_intent
from zhike.ai.context.intent_corpus import INTENTS, generate_corpus
from zhike.ai.llm.cache import ResponseCache
from zhike.ai.llm.gateway import LLMGateway
from zhike.ai.llm.names import NameMatcherCache
from zhike.core.db import Database
from zhike.security.actors import actor_for
from zhike.security.models import Tenant, User

TARGET_ACCURACY = 0.85


def test_test_set_is_large_and_apart_from_training() -> None:
    test_set = build_test_set()
    training = {text for text, _ in generate_corpus()}

    assert len(test_set) >= 300
    assert set(Counter(label for _, label in test_set)) == set(INTENTS)
    assert not training & {text for text, _ in test_set}


def test_offline_accuracy_per_intent() -> None:
    test_set = build_test_set()
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    wrong = []

    for text, label in test_set:
        found = classify_offline(text).intent
        total[label] += 1
        if found == label:
            right[label] += 1
        else:
            wrong.append(f"{label} -> {found}: {text}")

    accuracy = sum(right.values()) / len(test_set)
    per_intent = {label: round(right[label] / total[label], 3) for label in INTENTS}
    print(f"\nintent utterances={len(test_set)} accuracy={accuracy:.3f} per_intent={per_intent}")
    assert accuracy >= TARGET_ACCURACY, wrong
    assert min(per_intent.values()) >= 0.7, per_intent


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer().start()
    yield server
    server.stop()


def test_model_path_uses_function_call_and_validates(
    database: Database, tenant: TenantInfo, llm_server: FakeLLMServer
) -> None:
    set_policy(database, tenant.tenant.id)
    add_provider(database, tenant.tenant.id, llm_server.base_url)
    call = {
        "id": "call-1",
        "type": "function",
        "function": {"name": "set_intent", "arguments": json.dumps({"intent": "ask_advice"})},
    }
    invalid = dict(
        call, function={"name": "set_intent", "arguments": json.dumps({"intent": "dance"})}
    )
    llm_server.script.extend([chat_reply(None, [call]), chat_reply(None, [invalid])])

    with httpx.Client() as http, database.session() as session:
        gateway = LLMGateway(http_client=http, cache=ResponseCache(), names=NameMatcherCache())
        found = session.get(Tenant, tenant.tenant.id)
        admin = session.get(User, tenant.admin.id)
        assert found is not None
        assert admin is not None
        actor = actor_for(found, admin, session)
        by_model = recognise_intent(session, actor, "这个客户该怎么跟进", gateway)
        fallback = recognise_intent(session, actor, "上个月赢单金额是多少", gateway)

    assert (by_model.intent, by_model.source) == ("ask_advice", "llm")
    assert (fallback.intent, fallback.source) == ("query_data", "offline")
    sent = llm_server.requests[0]["json"]
    assert sent["tools"][0]["function"]["name"] == "set_intent"
    assert INTENT_PURPOSE == "classification"
