"""Adds the RateLimit-* and Retry-After headers that a request's rate-limit check left behind.

A pure ASGI middleware rather than a response dependency, because many
handlers return their own Response objects and errors are rendered by
exception handlers: both pass through here on their way out.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhike.security.ratelimit import RateLimitResult


class RateLimitHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Created here so that every copy of the scope further in shares this one dict.
        scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state") or {}
                result = state.get("rate_limit")
                if isinstance(result, RateLimitResult):
                    headers = list(message.get("headers", []))
                    headers.extend(
                        (name.lower().encode("latin-1"), value.encode("latin-1"))
                        for name, value in result.headers().items()
                    )
                    message["headers"] = headers
                elif isinstance(state.get("retry_after"), int):
                    message["headers"] = [
                        *message.get("headers", []),
                        (b"retry-after", str(state["retry_after"]).encode("latin-1")),
                    ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
