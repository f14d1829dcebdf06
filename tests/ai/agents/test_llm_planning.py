"""Plans and drafts from a language model: validated against the tool registry before use."""

from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from agents_support import (
    DemoTenant,
    actor_of,
    advance,
    detail,
    new_lead,
    start_run,
    user_with_role,
)

from zhike.ai.llm.models import LLMPolicy, LLMProvider
from zhike.ai.llm.secrets import encrypt_secret
from zhike.core.db import Database

DRAFT = "王明您好，感谢您关注我们的设备联网平台，期待与您交流。"


class ChatServer:
    """An OpenAI-compatible chat endpoint: queued plan proposals, else a fixed draft."""

    def __init__(self) -> None:
        self.proposals: deque[dict[str, Any]] = deque()
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length))
                server.requests.append(body)
                message: dict[str, Any] = {"role": "assistant", "content": DRAFT}
                if body.get("tools") and server.proposals:
                    proposal = server.proposals.popleft()
                    message = {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call-1",
                                "type": "function",
                                "function": {
                                    "name": "propose_plan",
                                    "arguments": json.dumps(proposal, ensure_ascii=False),
                                },
                            }
                        ],
                    }
                payload = json.dumps(
                    {
                        "id": "chat-1",
                        "object": "chat.completion",
                        "model": "planner-model",
                        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                    },
                    ensure_ascii=False,
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    server = ChatServer()
    yield server
    server.close()


def connect_provider(database: Database, tenant_id: uuid.UUID, url: str) -> None:
    with database.session() as session:
        provider = LLMProvider(
            tenant_id=tenant_id,
            name="planner",
            base_url=url,
            chat_model="planner-model",
            timeout_seconds=5.0,
            max_retries=0,
        )
        provider.api_key_encrypted = encrypt_secret("sk-test-planner-0001", tenant_id)
        session.add(provider)
        session.add(
            LLMPolicy(
                tenant_id=tenant_id,
                allow_external=True,
                external_purposes=[],
                highly_sensitive_route="private_or_local",
                redact_company_names=False,
                fallback_to_local=True,
                cache_seconds=0,
                monthly_budget=None,
            )
        )


def quick_plan(lead_id: uuid.UUID, tool: str = "score_lead") -> dict[str, Any]:
    return {
        "key": "quick",
        "title": "快速评分",
        "rationale": "先评分再决定",
        "estimate": {"benefit": 1.0, "cost": 0.0, "risk": 0.0, "hours": 1},
        "tasks": [
            {
                "key": "analyse",
                "title": "分析",
                "tool": "analyse_lead",
                "inputs": {"lead_id": str(lead_id)},
            },
            {
                "key": "score",
                "title": "评分",
                "tool": tool,
                "inputs": {"lead_id": str(lead_id)},
                "depends_on": ["analyse"],
            },
        ],
    }


def test_model_plans_are_validated_then_ranked(
    database: Database, demo: DemoTenant, chat_server: ChatServer
) -> None:
    connect_provider(database, demo.tenant_id, chat_server.url)
    rep = user_with_role(database, demo.tenant_id, "sales_rep", 11)
    actor = actor_of(database, demo.tenant_id, rep.email)

    valid_lead = new_lead(database, actor, name="王明", email="wang.ming2@example.com")
    chat_server.proposals.append(quick_plan(valid_lead))
    run_id = start_run(database, actor, "lead_conversion", valid_lead)
    finished = advance(database, actor, run_id)

    run = detail(database, actor, run_id)
    assert finished.status == "done"
    assert run.plan["chosen"] == "llm_quick"
    chosen = run.plan["candidates"][0]
    assert chosen["source"] == "llm"
    assert [step.key for step in run.steps] == ["analyse", "score"]
    planning = [request for request in chat_server.requests if request.get("tools")]
    assert len(planning) == 1
    assert planning[0]["tools"][0]["function"]["name"] == "propose_plan"

    invalid_lead = new_lead(database, actor, name="李雷", email="li.lei@example.com")
    chat_server.proposals.append(quick_plan(invalid_lead, tool="drop_all_leads"))
    second = start_run(database, actor, "lead_conversion", invalid_lead)
    advance(database, actor, second)

    run = detail(database, actor, second)
    assert run.plan["chosen"] == "email_and_call"
    assert [item["key"] for item in run.plan["rejected"]] == ["llm_quick"]
    assert run.plan["rejected"][0]["problems"] == ["score: unknown tool drop_all_leads"]
    draft = next(step for step in run.steps if step.key == "draft")
    assert draft.output["source"] == "planner"
    assert draft.output["body"] == DRAFT
