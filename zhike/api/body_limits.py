"""Refuse request bodies larger than the server accepts, before anything reads them.

Without a limit a single request can make the server parse a 30 MB JSON
document or store a file of any size. JSON and form bodies get a small
limit; multipart uploads (imports, knowledge files) a larger one. A body
that announces its length is checked before it is read. A body sent in
chunks is read up to the limit, and the request ends as soon as it passes.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhike.core.errors import ZhikeError, problem_body
from zhike.core.i18n import negotiate_locale
from zhike.core.settings import get_settings


class RequestTooLarge(ZhikeError):
    status = 413


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
        }
        settings = get_settings()
        multipart = headers.get("content-type", "").startswith("multipart/form-data")
        limit = settings.max_upload_bytes if multipart else settings.max_request_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit():
            if int(declared) > limit:
                await _send_too_large(scope, send, headers, limit)
                return
            # The HTTP server stops a client that sends more than it announced.
            await self.app(scope, receive, send)
            return
        # A body sent in chunks announces no length: read it up to the limit
        # first, then hand the application what was read.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await _send_too_large(scope, send, headers, limit)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _send_too_large(scope: Scope, send: Send, headers: dict[str, str], limit: int) -> None:
    locale = negotiate_locale(headers.get("accept-language"))
    error = RequestTooLarge("request_too_large", limit_mb=round(limit / 1_048_576, 1))
    body: dict[str, Any] = problem_body(error, locale, instance=scope.get("path"))
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
