"""Web-chat bot endpoints under /bot, over HTTP and over a WebSocket.

A website's chat widget talks to these through its own back end with an API
key, or the signed-in web UI with its session. The WebSocket takes the same
bearer token in the ``Authorization`` header or, for browsers that cannot set
headers, the session cookie of a same-origin page.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from zhike.api.deps import ActorDep, SessionDep
from zhike.core.db import get_database
from zhike.core.errors import Unauthorized, ZhikeError
from zhike.core.timeutil import utc_now
from zhike.security.context import Actor
from zhike.security.tenancy import bind_tenant
from zhike.service.bot import BotReply, BotService
from zhike.service.bot_report import bot_report

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/bot", tags=["bot"])

CustomerText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]


class BotMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: CustomerText


class ReplyRead(BaseModel):
    conversation_id: uuid.UUID
    action: str
    text: str
    confidence: float | None = None
    citations: list[dict[str, Any]] = []
    options: list[dict[str, Any]] = []
    ticket_number: str | None = None
    reason: str | None = None


class TurnRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    role: str
    text: str
    action: str | None
    confidence: float | None
    citations: list[dict[str, Any]]
    created_at: datetime


class ConversationRead(BaseModel):
    id: uuid.UUID
    status: str
    handoff_reason: str | None
    ticket_id: uuid.UUID | None
    turns: list[TurnRead]


def _reply(reply: BotReply) -> ReplyRead:
    return ReplyRead.model_validate(asdict(reply))


@router.post("/conversations", response_model=ReplyRead, status_code=201)
def start(session: SessionDep, actor: ActorDep) -> ReplyRead:
    """Open a conversation; the reply carries its id and the greeting."""
    return _reply(BotService(session, actor).start())


@router.post("/conversations/{conversation_id}/messages", response_model=ReplyRead)
def message(
    conversation_id: uuid.UUID, body: BotMessage, session: SessionDep, actor: ActorDep
) -> ReplyRead:
    """Send the customer's message; the bot answers, clarifies, checks a ticket or hands off."""
    return _reply(BotService(session, actor).message(conversation_id, body.text))


@router.post("/conversations/{conversation_id}/handoff", response_model=ReplyRead)
def handoff(conversation_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> ReplyRead:
    """The customer pressed "talk to a person": file a ticket with the conversation so far."""
    service = BotService(session, actor)
    return _reply(service.hand_off(service.get(conversation_id), "customer_request"))


@router.post("/conversations/{conversation_id}/resolve", response_model=ConversationRead)
def resolve(conversation_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    """The customer confirmed the answer helped."""
    service = BotService(session, actor)
    service.resolve(conversation_id)
    return conversation_read(service, conversation_id)


@router.get("/conversations/{conversation_id}", response_model=ConversationRead)
def read(conversation_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    return conversation_read(BotService(session, actor), conversation_id)


def conversation_read(service: BotService, conversation_id: uuid.UUID) -> ConversationRead:
    conversation = service.get(conversation_id)
    return ConversationRead(
        id=conversation.id,
        status=conversation.status,
        handoff_reason=conversation.handoff_reason,
        ticket_id=conversation.ticket_id,
        turns=[TurnRead.model_validate(turn) for turn in service.turns(conversation)],
    )


@router.get("/report")
def report(
    session: SessionDep,
    actor: ActorDep,
    since: Annotated[
        datetime | None, Query(description="only conversations from this time")
    ] = None,
) -> dict[str, Any]:
    """For knowledge-base owners: share resolved without a person, hand-off reasons, gaps."""
    return bot_report(session, actor, since)


def _websocket_actor(websocket: WebSocket, session: Any) -> Actor:
    """Authenticate a WebSocket by bearer token, or by the session cookie of a same-origin page."""
    from zhike.api.deps import SESSION_COOKIE
    from zhike.security.actors import actor_for
    from zhike.security.api_keys import API_KEY_PREFIX, resolve_api_key
    from zhike.security.sessions import resolve_session

    now = utc_now()
    header = websocket.headers.get("authorization") or ""
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        if token.startswith(API_KEY_PREFIX):
            actor, _ = resolve_api_key(session, token, now=now, ip=None, user_agent=None)
            return actor
        record, user, tenant = resolve_session(session, token, now=now)
        if record.csrf_hash is not None:
            raise Unauthorized("invalid_token")
        return actor_for(tenant, user, session)
    cookie = websocket.cookies.get(SESSION_COOKIE)
    origin = websocket.headers.get("origin") or ""
    host = websocket.headers.get("host") or ""
    # A cookie rides along on cross-site handshakes too, so only a same-origin page may use it.
    if not cookie or origin.split("://", 1)[-1] != host:
        raise Unauthorized("missing_token")
    record, user, tenant = resolve_session(session, cookie, now=now)
    if record.csrf_hash is None:
        raise Unauthorized("invalid_token")
    return actor_for(tenant, user, session)


@router.websocket("/ws")
async def chat_socket(websocket: WebSocket) -> None:
    """Chat over one socket: send ``{"type": "start"}`` or ``{"type": "message", ...}`` frames.

    Every frame is answered with ``{"type": "reply", ...}`` carrying the same fields
    as the HTTP reply, or ``{"type": "error", "code": ...}``. Each frame runs in its
    own transaction, so what the bot said is stored before it is sent.
    """
    database = get_database()
    with database.session() as session:
        try:
            actor = _websocket_actor(websocket, session)
        except ZhikeError as error:
            await websocket.close(code=4401, reason=error.code)
            return
    await websocket.accept()
    try:
        while True:
            raw = await websocket.receive_text()
            await websocket.send_json(_handle_frame(database, actor, raw))
    except WebSocketDisconnect:
        logger.info("bot socket closed", extra={"tenant_id": str(actor.tenant_id)})


def _handle_frame(database: Any, actor: Actor, raw: str) -> dict[str, Any]:
    try:
        frame = json.loads(raw)
        kind = frame.get("type") if isinstance(frame, dict) else None
        with database.session() as session:
            bind_tenant(session, actor.tenant_id)
            service = BotService(session, actor)
            if kind == "start":
                reply = service.start()
            elif kind == "message":
                body = BotMessage.model_validate({"text": frame.get("text")})
                reply = service.message(uuid.UUID(str(frame.get("conversation_id"))), body.text)
            else:
                return {"type": "error", "code": "bot_unknown_frame", "detail": str(kind)}
            return {"type": "reply", **_reply(reply).model_dump(mode="json")}
    except (ValueError, ValidationError) as error:
        return {"type": "error", "code": "bot_invalid_frame", "detail": str(error)[:200]}
    except ZhikeError as error:
        return {"type": "error", "code": error.code, "detail": error.message(actor.locale)}
