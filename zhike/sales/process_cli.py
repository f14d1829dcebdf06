"""``zhike sales``: deliver sales reminders and print receivables from the command line."""

from __future__ import annotations

import json
from datetime import date, datetime

import typer

from zhike.core.timeutil import ensure_utc

sales_app = typer.Typer(help="Sales process: reminders and receivables", no_args_is_help=True)


@sales_app.command("reminders")
def reminders_command(
    tenant: str | None = typer.Option(None, help="tenant slug; every tenant when omitted"),
    now: str | None = typer.Option(None, help="run as of this ISO 8601 time (default: now)"),
) -> None:
    """Create due reminders, overdue-payment notices and nudges, then send the e-mail ones."""
    from zhike.cli import open_database
    from zhike.sales.reminder_jobs import deliver_reminders
    from zhike.security.tenants import get_tenant_by_slug

    moment: datetime | None = None
    if now is not None:
        try:
            moment = ensure_utc(datetime.fromisoformat(now))
        except ValueError as error:
            raise typer.BadParameter(
                f"invalid time {now!r}; write ISO 8601 such as 2026-05-01T09:00:00+08:00"
            ) from error
    database = open_database()
    tenant_ids = None
    if tenant is not None:
        with database.session() as session:
            tenant_ids = [get_tenant_by_slug(session, tenant).id]
    result = deliver_reminders(database, moment, tenant_ids=tenant_ids)
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


@sales_app.command("ageing")
def ageing_command(
    tenant: str = typer.Option(..., help="tenant slug"),
    as_of: str | None = typer.Option(None, help="date to age against, YYYY-MM-DD (default: today)"),
) -> None:
    """Print the receivables ageing per owner and per customer as JSON."""
    from zhike.cli import open_database
    from zhike.sales.payments import receivables_ageing
    from zhike.security.context import system_actor
    from zhike.security.tenants import get_tenant_by_slug

    day: date | None = None
    if as_of is not None:
        try:
            day = date.fromisoformat(as_of)
        except ValueError as error:
            raise typer.BadParameter(f"invalid date {as_of!r}; write YYYY-MM-DD") from error
    with open_database().session() as session:
        found = get_tenant_by_slug(session, tenant)
        actor = system_actor(found.id, locale=found.locale, timezone=found.timezone)
        report = receivables_ageing(session, actor, day)
    typer.echo(report.model_dump_json(indent=2))
