"""The last layer between the application and the server for unhandled exceptions."""

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class UnexpectedErrorMiddleware:
    """Respond to an unhandled exception with the handler's response, so it is logged once.

    Starlette's handler for ``Exception`` re-raises after responding so that the server
    logs the error as well, which logged every failure twice.
    """

    def __init__(self, app: ASGIApp, handler: Callable[[Request, Exception], Response]) -> None:
        self.app = app
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as error:
            # Once the status line is sent, no other response is possible, so the server closes it.
            if started:
                raise
            response = self.handler(Request(scope, receive), error)
            await response(scope, receive, send)
