"""The assistant's questions: answers as JSON, or as a stream of server-sent events."""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from zhike.ai.ask.schemas import AskAnswer, AskRequest
from zhike.ai.ask.service import ask, ask_events, default_gateway
from zhike.api.deps import ActorDep, SessionDep

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
def ask_question_stream(
    body: AskRequest, session: SessionDep, actor: ActorDep
) -> StreamingResponse:
    """The same answer as server-sent events: ``intent``, ``query`` or ``clarification``,
    ``result`` and ``done``.

    The events are computed while the request's database session is open, then sent.
    """
    events = list(
        ask_events(session, actor, body.question, as_of=body.as_of, gateway=default_gateway())
    )

    def stream() -> list[str]:
        return [
            f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
            for name, data in events
        ]

    return StreamingResponse(
        iter(stream()),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
