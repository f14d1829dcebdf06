"""Local stand-ins for the outside services escalation messages go to: WeCom and an SMTP server.

Both listen on 127.0.0.1 and speak the real protocols. The WeCom server replies to
``gettoken`` and ``message/send`` with WeCom's JSON and error codes, and the SMTP
server is aiosmtpd.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller


@dataclass
class FakeWeCom:
    """State of the fake WeCom server; tests change it to expire tokens or fail sends."""

    corp_id: str
    corp_secret: str
    port: int = 0
    token_fetches: int = 0
    tokens: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    # Error codes returned by the next message/send calls, first one first.
    failures: list[tuple[int, str]] = field(default_factory=list)
    known_users: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def expire_tokens(self) -> None:
        """Invalidate every issued token, as WeCom does after ``expires_in`` seconds."""
        with self.lock:
            self.tokens.clear()


@contextmanager
def wecom_server(corp_id: str, corp_secret: str) -> Iterator[FakeWeCom]:
    state = FakeWeCom(corp_id, corp_secret)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def _reply(self, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = parse_qs(url.query)
            if url.path != "/cgi-bin/gettoken":
                self._reply({"errcode": 404, "errmsg": "not found"})
                return
            if query.get("corpid") != [state.corp_id] or query.get("corpsecret") != [
                state.corp_secret
            ]:
                self._reply({"errcode": 40001, "errmsg": "invalid credential"})
                return
            token = secrets.token_hex(16)
            with state.lock:
                state.token_fetches += 1
                state.tokens.append(token)
            self._reply({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})

        def do_POST(self) -> None:
            url = urlparse(self.path)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if url.path != "/cgi-bin/message/send":
                self._reply({"errcode": 404, "errmsg": "not found"})
                return
            token = parse_qs(url.query).get("access_token", [""])[0]
            with state.lock:
                issued = list(state.tokens)
                failure = state.failures.pop(0) if state.failures else None
            if token not in issued:
                # WeCom returns 42001 for a token past its lifetime.
                self._reply({"errcode": 42001, "errmsg": "access_token expired"})
                return
            if failure is not None:
                self._reply({"errcode": failure[0], "errmsg": failure[1]})
                return
            if body.get("touser") not in state.known_users:
                self._reply(
                    {"errcode": 0, "errmsg": "ok", "invaliduser": body.get("touser"), "msgid": ""}
                )
                return
            with state.lock:
                state.sent.append(body)
            self._reply({"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "msg-1"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Inbox:
    messages: list[dict[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - the name aiosmtpd calls
        parsed = message_from_bytes(envelope.content)
        payload = parsed.get_payload(decode=True)
        self.messages.append(
            {
                "to": ",".join(envelope.rcpt_tos),
                "subject": str(make_header(decode_header(parsed["Subject"]))),
                "message_id": str(parsed["Message-ID"]),
                "text": payload.decode("utf-8") if isinstance(payload, bytes) else "",
            }
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
