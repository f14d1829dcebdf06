"""A small OpenAI-compatible server on 127.0.0.1 that records requests and replies from a script."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer: a JSON body, an SSE stream, or raw bytes, after an optional delay."""

    status: int = 200
    body: dict[str, Any] | None = None
    stream: list[str] | None = None
    raw: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # A stream stops after ``hold_after`` events until ``hold`` is set, so a test can
    # check what its client received while the model is still writing.
    hold: threading.Event | None = None
    hold_after: int = 0


def chat_reply(content: str | None, tool_calls: list[dict[str, Any]] | None = None) -> Reply:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return Reply(
        body={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "model": "fake-model",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        }
    )


def stream_reply(pieces: list[str]) -> Reply:
    events = [
        json.dumps(
            {
                "object": "chat.completion.chunk",
                "model": "fake-model",
                "choices": [{"index": 0, "delta": {"content": piece}}],
            },
            ensure_ascii=False,
        )
        for piece in pieces
    ]
    events.append(
        json.dumps(
            {
                "object": "chat.completion.chunk",
                "choices": [],
                "usage": {"prompt_tokens": 50, "completion_tokens": 9},
            }
        )
    )
    return Reply(stream=[*events, "[DONE]"])


class FakeLLMServer:
    """Replies from ``script`` in order; once it is empty, echoes the user message back."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: deque[Reply] = deque()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                with server._lock:
                    server.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "raw": raw,
                            "json": json.loads(raw),
                        }
                    )
                    reply = server.script.popleft() if server.script else None
                if reply is None:
                    reply = server.echo(json.loads(raw), self.path)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self._send(reply)
                except (BrokenPipeError, ConnectionResetError):
                    return

            def _send(self, reply: Reply) -> None:
                if reply.stream is not None:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for index, event in enumerate(reply.stream):
                        if reply.hold is not None and index == reply.hold_after:
                            reply.hold.wait(30)
                        self.wfile.write(f"data: {event}\n\n".encode())
                        self.wfile.flush()
                    self.close_connection = True
                    return
                payload = (
                    reply.raw
                    if reply.raw is not None
                    else json.dumps(reply.body or {}, ensure_ascii=False)
                ).encode("utf-8")
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def echo(self, body: dict[str, Any], path: str) -> Reply:
        if path.endswith("/embeddings"):
            inputs = body.get("input") or []
            return Reply(
                body={
                    "data": [
                        {"index": i, "embedding": [0.1, 0.2, 0.3]} for i in range(len(inputs))
                    ],
                    "usage": {"prompt_tokens": 10},
                }
            )
        user = next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), "")
        return chat_reply(user)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> FakeLLMServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def all_request_text(self) -> str:
        with self._lock:
            return "\n".join(request["raw"] for request in self.requests)

    def decoded_request_text(self) -> str:
        """Request bodies with JSON escapes decoded, so Chinese text is compared as written."""
        with self._lock:
            return "\n".join(
                json.dumps(request["json"], ensure_ascii=False) for request in self.requests
            )
