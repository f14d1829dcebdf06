"""``zhike pool``: run the pool rules and lead assignment from the command line."""

from __future__ import annotations

import json
from datetime import datetime

import typer

from zhike.core.timeutil import ensure_utc

pool_app = typer.Typer(help="Public pools (公海) and lead assignment", no_args_is_help=True)


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return ensure_utc(datetime.fromisoformat(value))
    except ValueError as error:
        raise typer.BadParameter(
            f"invalid time {value!r}; write ISO 8601 such as 2026-05-01T09:00:00+08:00"
        ) from error


@pool_app.command("recycle")
def recycle_command(
    tenant: str = typer.Option(..., help="tenant slug"),
    now: str | None = typer.Option(None, help="run the rules as of this ISO 8601 time"),
) -> None:
    """Return neglected records to their pools, warn owners, hand on departed owners' leads."""
    from zhike.cli import open_database
    from zhike.sales.pool_jobs import run_pool_maintenance

    result = run_pool_maintenance(open_database(), tenant, _parse_now(now))
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


@pool_app.command("assign")
def assign_command(
    tenant: str = typer.Option(..., help="tenant slug"),
    dry_run: bool = typer.Option(False, "--dry-run", help="report the decision without writing"),
) -> None:
    """Assign every unowned open lead by the tenant's assignment rules."""
    from zhike.cli import open_database
    from zhike.sales.assignment import assign_leads
    from zhike.security.context import system_actor
    from zhike.security.tenants import get_tenant_by_slug

    database = open_database()
    with database.session() as session:
        found = get_tenant_by_slug(session, tenant)
        actor = system_actor(found.id, locale=found.locale, timezone=found.timezone)
        report = assign_leads(session, actor, None, None, dry_run)
    typer.echo(json.dumps(report.model_dump(), ensure_ascii=False, indent=2))
