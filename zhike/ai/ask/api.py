"""The assistant's questions: answers as JSON, or as a stream of server-sent events."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from zhike.ai.ask.schemas import AskAnswer, AskRequest
from zhike.ai.ask.service import ask, ask_events, default_gateway
from zhike.analytics.periods import check_supported_day
from zhike.api.deps import ActorDep, SessionDep
from zhike.core.db import get_database
from zhike.core.errors import InvalidInput, ZhikeError
from zhike.security.tenancy import bind_tenant

router = APIRouter(prefix="/assistant", tags=["assistant"])


@router.post("/ask", response_model=AskAnswer)
def ask_question(body: AskRequest, session: SessionDep, actor: ActorDep) -> AskAnswer:
    """Answer a question in Chinese or English with the caller's permissions.

    The answer holds the recognised ``intent``, the typed report ``query`` it was
    parsed into, the result ``columns`` and ``rows`` and a ``chart`` suggestion. An
    ambiguous question gets a ``clarification`` instead of a guess.
    """
    return ask(session, actor, body.question, as_of=body.as_of, gateway=default_gateway())


@router.post("/ask/stream")
def ask_question_stream(body: AskRequest, actor: ActorDep) -> StreamingResponse:
    """Stream the answer as server-sent events, each one sent as soon as its stage is done.

    Events: ``intent``, then ``query``, then ``clarification`` or ``result``, then,
    when a language model is configured for summaries, ``token`` events carrying a
    short written answer as the model writes it, and ``done`` last (with the
    summary's full text in ``summary``). An empty question or an ``as_of`` outside the
    supported dates is rejected with 400 before the stream starts. A failure after
    that arrives as a last ``error`` event with the problem's ``code`` and ``detail``.
    """
    if not body.question.strip():
        raise InvalidInput("assistant_empty_question")
    if body.as_of is not None:
        check_supported_day(body.as_of, "as_of")
    gateway = default_gateway()

    def stream() -> Iterator[str]:
        # The stream outlives the request's own session, which commits when the
        # handler returns, so the answer is computed in a session of the stream's own.
        try:
            with get_database().session() as session:
                bind_tenant(session, actor.tenant_id)
                for name, data in ask_events(
                    session, actor, body.question, as_of=body.as_of, gateway=gateway
                ):
                    yield _event(name, data)
        except ZhikeError as error:
            # The status line is already sent: the problem travels as the last event.
            yield _event("error", {"code": error.code, "detail": error.message(actor.locale)})

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _event(name: str, data: dict[str, object]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
