"""The assistant's context and interaction memory over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, status

from zhike.ai.context.memory import remember_interaction
from zhike.ai.context.schemas import Context, ContextRequest, InteractionCreate, InteractionRead
from zhike.ai.context.service import build_context
from zhike.api.deps import ActorDep, SessionDep

router = APIRouter(prefix="/assistant", tags=["assistant"])


@router.post("/context", response_model=Context)
def get_context(body: ContextRequest, session: SessionDep, actor: ActorDep) -> Context:
    """Assemble the context of a request: the caller, the screen, the customer and their history.

    History covers ``window_days`` (default 30) plus older open tickets, deals and
    tasks, ordered in time, with cause-effect links and a priority rank. Only
    records the caller may read are included.
    """
    return build_context(session, actor, body.subject, body.where, window_days=body.window_days)


@router.post("/interactions", response_model=InteractionRead, status_code=status.HTTP_201_CREATED)
def post_interaction(
    body: InteractionCreate, session: SessionDep, actor: ActorDep
) -> InteractionRead:
    """Remember an exchange with a customer on any channel, as an activity of that customer.

    The customer is recognised by contact or account id, phone or email; 404
    ``assistant_unknown_customer`` when none of them matches a record the caller may read.
    """
    return remember_interaction(session, actor, body)
