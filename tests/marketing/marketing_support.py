"""Local servers and helpers for the marketing tests: SMTP, an SMS gateway and WeCom.

Every server listens on 127.0.0.1 on a free port and speaks the protocol the
channel uses, so the channels run unchanged against them.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import secrets
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi.testclient import TestClient

from zhike.core.db import Database

PASSWORD = "Zhike-marketing-2026"


@dataclass
class SmtpSink:
    """Collects accepted messages; recipients starting with ``bounce`` get a permanent 550."""

    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802  # aiosmtpd calls handlers by this name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("bounce"):
            return "550 5.1.1 mailbox does not exist"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        with self.lock:
            self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [message for message in self.messages if message["To"] == address]


@contextmanager
def smtp_server() -> Iterator[tuple[SmtpSink, int]]:
    sink = SmtpSink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@dataclass
class HttpLog:
    requests: list[dict[str, Any]] = field(default_factory=list)


def _http_server(handler_class: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@contextmanager
def sms_server(secret: str) -> Iterator[tuple[HttpLog, int]]:
    """An SMS gateway: checks the HMAC signature; numbers starting 1700 are invalid."""
    log = HttpLog()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            payload = json.loads(body)
            if self.headers.get("X-Signature") != expected:
                reply = {"Code": "SignatureDoesNotMatch", "Message": "bad signature"}
            elif payload["PhoneNumbers"].startswith("1700"):
                reply = {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "invalid number"}
            else:
                log.requests.append(payload)
                reply = {"Code": "OK", "BizId": secrets.token_hex(8), "Message": "OK"}
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server, port = _http_server(Handler)
    try:
        yield log, port
    finally:
        server.shutdown()


@contextmanager
def wecom_server(corp_id: str, corp_secret: str) -> Iterator[tuple[HttpLog, int]]:
    """WeCom: ``gettoken`` for the right secret, ``message/send`` with that token only."""
    log = HttpLog()
    token = secrets.token_hex(16)

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
            elif query.get("corpid") == [corp_id] and query.get("corpsecret") == [corp_secret]:
                self._reply(
                    {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
                )
            else:
                self._reply({"errcode": 40001, "errmsg": "invalid credential"})

        def do_POST(self) -> None:
            url = urlparse(self.path)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if parse_qs(url.query).get("access_token") != [token]:
                self._reply({"errcode": 40014, "errmsg": "invalid access_token"})
                return
            log.requests.append(body)
            invalid = body["touser"] if body["touser"].startswith("gone") else ""
            self._reply(
                {
                    "errcode": 0,
                    "errmsg": "ok",
                    "invaliduser": invalid,
                    "msgid": secrets.token_hex(6),
                }
            )

    server, port = _http_server(Handler)
    try:
        yield log, port
    finally:
        server.shutdown()


def configure_email(client: TestClient, port: int, **settings: Any) -> None:
    body = {
        "quiet_hours_start": None,
        "quiet_hours_end": None,
        "frequency_cap": 0,
        "public_base_url": "http://testserver",
        "channels": {
            "email": {"host": "127.0.0.1", "port": port, "from_address": "market@zhike.example.com"}
        },
    }
    body.update(settings)
    response = client.patch("/api/v1/marketing/settings", json=body)
    assert response.status_code == 200, response.text


def create_contact(client: TestClient, name: str, **fields: Any) -> str:
    response = client.post("/api/v1/contacts", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def grant(
    client: TestClient, contact_id: str, channel: str = "email", purpose: str = "marketing"
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/marketing/consents",
        json={
            "contact_id": contact_id,
            "channel": channel,
            "purpose": purpose,
            "source": "web_form",
            "wording_version": "2026-01",
            "proof": {"ip": "203.0.113.7", "form": "newsletter"},
        },
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def run_cycle(database: Database) -> dict[str, int]:
    from zhike.marketing.jobs import run_cycle as cycle

    return cycle(database)


def tenant_uuid(tenant: Any) -> uuid.UUID:
    value: uuid.UUID = tenant.tenant.id
    return value
