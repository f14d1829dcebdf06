"""Agent endpoints under /agents: start runs, follow them live, approve, reject and cancel."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import StreamingResponse

from zhike.ai.agents.models import FINISHED_RUN_STATUSES, AgentRun
from zhike.ai.agents.schemas import (
    AgentInfo,
    Decision,
    PersonResult,
    RunCreate,
    RunDetail,
    RunPage,
    RunRead,
    SettingUpdate,
    StepRead,
    TraceEventRead,
)
from zhike.ai.agents.service import AgentService
from zhike.ai.agents.trace import events_after, mask_data
from zhike.api.deps import ActorDep, SessionDep
from zhike.core.db import get_database
from zhike.security.context import Actor
from zhike.security.tenancy import bind_tenant

router = APIRouter(prefix="/agents", tags=["agents"])

STREAM_POLL_SECONDS = 0.5
# A stream ends after this many polls without news, so idle connections do not pile up;
# EventSource clients reconnect on their own and resume after Last-Event-ID.
STREAM_IDLE_POLLS = 240


def run_detail(service: AgentService, run: AgentRun) -> RunDetail:
    """Build the run with its steps and trace, masking step inputs and outputs like the trace."""
    steps = []
    for step in service.steps(run):
        read = StepRead.model_validate(step)
        read.inputs = mask_data(read.inputs)
        read.output = mask_data(read.output)
        steps.append(read)
    trace = [
        TraceEventRead.model_validate(event)
        for event in events_after(service.session, run.id, 0, 5000)
    ]
    base = RunRead.model_validate(run).model_dump()
    return RunDetail(**base, plan=run.plan, steps=steps, trace=trace)


@router.get("", response_model=list[AgentInfo])
def list_agents(session: SessionDep, actor: ActorDep) -> Any:
    """List the agents with whether each is enabled and its settings (secrets hidden)."""
    return AgentService(session, actor).agents()


@router.put("/settings/{agent}", response_model=AgentInfo)
def update_settings(agent: str, body: SettingUpdate, session: SessionDep, actor: ActorDep) -> Any:
    """Enable or disable an agent and change its settings; administrators only."""
    return AgentService(session, actor).update_setting(agent, body.is_enabled, body.config)


@router.post("/runs", response_model=RunRead, status_code=status.HTTP_201_CREATED)
def create_run(body: RunCreate, session: SessionDep, actor: ActorDep) -> Any:
    """Start an agent for the calling user; ``is_dry_run`` shows the plan without doing it."""
    return AgentService(session, actor).start(body)


@router.get("/runs", response_model=RunPage)
def list_runs(
    session: SessionDep,
    actor: ActorDep,
    status_filter: Annotated[str | None, Query(alias="status", max_length=30)] = None,
    agent: Annotated[str | None, Query(max_length=50)] = None,
    sort: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Any:
    """List the runs the caller may see, newest first."""
    rows, next_cursor = AgentService(session, actor).list_runs(
        status=status_filter, agent=agent, limit=limit, cursor=cursor, sort=sort
    )
    return RunPage(items=[RunRead.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/runs/{run_id}", response_model=RunDetail)
def get_run(run_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    """Return a run with its plan, steps and complete trace."""
    service = AgentService(session, actor)
    return run_detail(service, service.get(run_id))


@router.post("/runs/{run_id}/steps/{step_id}/approve", response_model=RunRead)
def approve_step(
    run_id: uuid.UUID, step_id: uuid.UUID, body: Decision, session: SessionDep, actor: ActorDep
) -> Any:
    """Approve a step that waits for approval (sending to a customer, a destructive change)."""
    return AgentService(session, actor).decide(run_id, step_id, True, body.note)


@router.post("/runs/{run_id}/steps/{step_id}/reject", response_model=RunRead)
def reject_step(
    run_id: uuid.UUID, step_id: uuid.UUID, body: Decision, session: SessionDep, actor: ActorDep
) -> Any:
    """Reject a waiting step; it is skipped, and steps that need its result are skipped too."""
    return AgentService(session, actor).decide(run_id, step_id, False, body.note)


@router.post("/runs/{run_id}/steps/{step_id}/result", response_model=RunRead)
def report_result(
    run_id: uuid.UUID,
    step_id: uuid.UUID,
    body: PersonResult,
    session: SessionDep,
    actor: ActorDep,
) -> Any:
    """Report the result of a task the agent gave a person; the run continues with it."""
    return AgentService(session, actor).report_result(run_id, step_id, body)


@router.post("/runs/{run_id}/cancel", response_model=RunRead)
def cancel_run(run_id: uuid.UUID, body: Decision, session: SessionDep, actor: ActorDep) -> Any:
    """Cancel a run; steps already done stay done and nothing else runs."""
    return AgentService(session, actor).cancel(run_id, body.note)


@router.post("/runs/{run_id}/resume", response_model=RunRead)
def resume_run(run_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    """Queue an unfinished run again, for example after its worker was lost."""
    return AgentService(session, actor).resume(run_id)


def _stream_batch(actor: Actor, run_id: uuid.UUID, after: int) -> tuple[list[dict[str, Any]], str]:
    with get_database().session() as session:
        bind_tenant(session, actor.tenant_id)
        service = AgentService(session, actor)
        run = service.get(run_id)
        events = [
            TraceEventRead.model_validate(event).model_dump(mode="json")
            for event in events_after(session, run_id, after)
        ]
        return events, run.status


@router.get("/runs/{run_id}/events")
def stream_events(
    run_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    last_event_id: Annotated[str | None, Header()] = None,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> StreamingResponse:
    """Stream the run's trace as server-sent events until the run finishes.

    Each event's ``id`` is its sequence number; a client that reconnects with
    ``Last-Event-ID`` (or ``?after=``) receives only what it has not seen.
    """
    AgentService(session, actor).get(run_id)
    start = after or 0
    if after is None and last_event_id is not None and last_event_id.isdigit():
        start = int(last_event_id)

    async def generate() -> AsyncIterator[str]:
        seen = start
        idle = 0
        while idle < STREAM_IDLE_POLLS:
            events, run_status = await asyncio.to_thread(_stream_batch, actor, run_id, seen)
            for item in events:
                seen = item["sequence"]
                data = json.dumps(item, ensure_ascii=False)
                yield f"id: {seen}\nevent: {item['kind']}\ndata: {data}\n\n"
            if run_status in FINISHED_RUN_STATUSES and not events:
                yield f"event: end\ndata: {json.dumps({'status': run_status})}\n\n"
                return
            idle = 0 if events else idle + 1
            if await request.is_disconnected():
                return
            await asyncio.sleep(STREAM_POLL_SECONDS)

    return StreamingResponse(
        generate(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
