"""``zhike agent``: start, inspect, approve and resume agent runs as a given user."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

agent_app = typer.Typer(help="AI agents: plans carried out step by step", no_args_is_help=True)
console = Console(stderr=True)


@contextmanager
def _as_user(tenant: str, user: str) -> Iterator[tuple[Any, Any, Any]]:
    """Open a session bound to TENANT and yield it with the actor of USER."""

    from zhike.cli import acting_user, open_database

    database = open_database()
    with database.session() as session:
        actor = acting_user(session, tenant, user)
        yield database, session, actor


def _print_run(detail: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(detail.model_dump(mode="json"), ensure_ascii=False))
        return
    console.print(f"run {detail.id} [{detail.agent}] {detail.status}", highlight=False)
    table = Table("#", "step", "tool", "executor", "status", "error")
    for step in detail.steps:
        table.add_row(
            str(step.position), step.key, step.tool, step.executor, step.status, step.error or ""
        )
    Console().print(table)


def _detail(database: Any, actor: Any, run_id: uuid.UUID) -> Any:
    from zhike.ai.agents.api import run_detail
    from zhike.ai.agents.service import AgentService
    from zhike.security.tenancy import bind_tenant

    with database.session() as session:
        bind_tenant(session, actor.tenant_id)
        service = AgentService(session, actor)
        return run_detail(service, service.get(run_id))


@agent_app.command("run")
def run_command(
    tenant: str = typer.Option(..., help="tenant slug"),
    user: str = typer.Option(..., help="email of the user the agent works for"),
    agent: str = typer.Option(
        ..., help="lead_conversion, stalled_deal, churn_rescue or service_triage"
    ),
    subject: str | None = typer.Option(None, help="id of the lead or ticket to work on"),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="show what the plan would do, change nothing"
    ),
    queue: bool = typer.Option(False, "--queue", help="leave the run to `zhike worker` instead"),
    as_json: bool = typer.Option(
        False, "--json", help="print the run with plan, steps and trace as JSON"
    ),
) -> None:
    """Start AGENT as USER and carry the run as far as it can go without a person."""
    from zhike.ai.agents.executor import advance_run
    from zhike.ai.agents.schemas import RunCreate
    from zhike.ai.agents.service import AgentService
    from zhike.cli import fail
    from zhike.core.errors import ZhikeError

    subject_id = None
    if subject is not None:
        try:
            subject_id = uuid.UUID(subject)
        except ValueError as error:
            raise fail(f"--subject {subject} is not an id; pass the record's UUID") from error
    queued: list[tuple[uuid.UUID, uuid.UUID]] = []
    with _as_user(tenant, user) as (database, session, actor):
        enqueue = None if queue else lambda tenant_id, run_id: queued.append((tenant_id, run_id))
        try:
            run = AgentService(session, actor, enqueue=enqueue).start(
                RunCreate(agent=agent, subject_id=subject_id, is_dry_run=dry_run), trigger="cli"
            )
        except ZhikeError as error:
            raise fail(error.message("en")) from error
        run_id = run.id
    if not queue:
        advance_run(database, actor.tenant_id, run_id)
    _print_run(_detail(database, actor, run_id), as_json)


@agent_app.command("show")
def show_command(
    run_id: str = typer.Argument(help="id of the run"),
    tenant: str = typer.Option(..., help="tenant slug"),
    user: str = typer.Option(..., help="email of a user who may see the run"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Print a run with its steps (and with --json its plan and trace)."""
    from zhike.cli import fail
    from zhike.core.errors import ZhikeError

    with _as_user(tenant, user) as (database, _session, actor):
        pass
    try:
        detail = _detail(database, actor, uuid.UUID(run_id))
    except (ValueError, ZhikeError) as error:
        raise fail(f"run {run_id} not found for {user}") from error
    _print_run(detail, as_json)


@agent_app.command("decide")
def decide_command(
    run_id: str = typer.Argument(help="id of the run"),
    step: str = typer.Argument(help="key of the step that waits for approval"),
    tenant: str = typer.Option(..., help="tenant slug"),
    user: str = typer.Option(..., help="email of the approving user"),
    reject: bool = typer.Option(False, "--reject", help="reject instead of approve"),
    note: str | None = typer.Option(None, help="reason recorded with the decision"),
    as_json: bool = typer.Option(False, "--json", help="print the run as JSON afterwards"),
) -> None:
    """Approve (or with --reject reject) a waiting step, then continue the run."""
    from zhike.ai.agents.executor import advance_run
    from zhike.ai.agents.service import AgentService
    from zhike.cli import fail
    from zhike.core.errors import ZhikeError

    with _as_user(tenant, user) as (database, session, actor):
        service = AgentService(session, actor, enqueue=lambda tenant_id, run_id: None)
        try:
            run = service.get(uuid.UUID(run_id), "update")
            found = next((item for item in service.steps(run) if item.key == step), None)
            if found is None:
                raise fail(f"run {run_id} has no step {step}")
            service.decide(run.id, found.id, not reject, note)
        except (ValueError, ZhikeError) as error:
            message = error.message("en") if isinstance(error, ZhikeError) else str(error)
            raise fail(message) from error
        identifier = run.id
    advance_run(database, actor.tenant_id, identifier)
    _print_run(_detail(database, actor, identifier), as_json)


@agent_app.command("resume")
def resume_command() -> None:
    """Advance every unfinished run whose worker was lost or whose retry is due."""
    from zhike.ai.agents.jobs import resume_runs
    from zhike.cli import open_database

    count = resume_runs(open_database())
    console.print(f"{count} runs resumed", highlight=False)
