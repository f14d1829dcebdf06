"""The answer stream read incrementally from a live server, with a model on 127.0.0.1 writing.

The model server holds its reply halfway, so the test sees which events had
reached the client while the model was still writing: the table must already
be there, followed by the first pieces of the written answer.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from small_tenant import seed_small_tenant
from testkit import TenantInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "llm"))

from llm_fake_server import FakeLLMServer, chat_reply, stream_reply
from llm_support import add_provider, set_policy

from zhike.api.app import create_app
from zhike.core.db import Database

QUESTION = "按销售统计赢单金额"
WON_BY_REP = {
    "object": "opportunities",
    "filters": [{"field": "stage.key", "op": "eq", "value": "won"}],
    "group_by": [{"field": "owner.display_name"}],
    "measures": [{"aggregate": "sum", "field": "amount"}],
}
PIECES = ["钱敏赢单", "230000.00 元，", "赵磊 200000.00 元，", "合计 430000.00 元。"]


class LiveApp:
    """The application under uvicorn on a free port of 127.0.0.1, in a thread."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(
            create_app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the test server on port {self.port} did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer().start()
    yield server
    server.stop()


def _call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"call-{name}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
    }


def _read_events(lines: Iterator[str], stop: str, count: int = 1) -> list[tuple[str, Any]]:
    """Read events until ``count`` events named ``stop`` have arrived; later ones stay unread."""
    events: list[tuple[str, Any]] = []
    name = None
    for line in lines:
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            assert name is not None
            events.append((name, json.loads(line[len("data: ") :])))
            if sum(1 for item, _ in events if item == stop) == count:
                return events
    return events


def _log_in(base: str, tenant: TenantInfo) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/v1/auth/login",
        json={
            "tenant": tenant.slug,
            "email": tenant.admin_email,
            "password": tenant.admin_password,
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_model_answer_streams_while_written(
    database: Database, tenant: TenantInfo, llm_server: FakeLLMServer
) -> None:
    seed_small_tenant(database, tenant, ("华北", "华南"))
    set_policy(database, tenant.tenant.id)
    add_provider(database, tenant.tenant.id, llm_server.base_url)
    release = threading.Event()
    written = stream_reply(PIECES)
    written.hold, written.hold_after = release, 2
    llm_server.script.extend(
        [
            chat_reply(None, [_call("set_intent", {"intent": "query_data"})]),
            chat_reply(None, [_call("run_report_query", WON_BY_REP)]),
            written,
        ]
    )

    try:
        with LiveApp() as base, httpx.Client(timeout=60) as client:
            headers = _log_in(base, tenant)
            with client.stream(
                "POST",
                f"{base}/api/v1/assistant/ask/stream",
                json={"question": QUESTION},
                headers=headers,
            ) as response:
                assert response.status_code == 200
                lines = response.iter_lines()
                early = _read_events(lines, "token", count=2)
                release.set()
                late = _read_events(lines, "done")
    finally:
        release.set()

    assert [name for name, _ in early] == ["intent", "query", "result", "token", "token"]
    assert early[1][1]["source"] == "llm"
    assert early[2][1]["rows"] == [["赵磊", "200000.00"], ["钱敏", "230000.00"]]
    assert [data["text"] for name, data in early if name == "token"] == PIECES[:2]
    assert [name for name, _ in late] == ["token", "token", "done"]
    assert "".join(data["text"] for name, data in early + late if name == "token") == "".join(
        PIECES
    )
    assert late[-1][1] == {"summary": "".join(PIECES)}
    summary_request = llm_server.requests[2]["json"]
    assert summary_request["stream"] is True
    assert "230000.00" in json.dumps(summary_request, ensure_ascii=False)
