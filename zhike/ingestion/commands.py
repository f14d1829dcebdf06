"""The ``zhike import`` and ``zhike export`` commands."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from zhike.core.errors import ZhikeError
from zhike.core.i18n import translate

console = Console(stderr=True)
CLI_LOCALE = "en"


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(1)


def import_command(
    tenant: str = typer.Option(..., help="slug of the tenant to import into"),
    profile: str = typer.Option(..., help="shipped profile name or path of a profile YAML file"),
    source: Path = typer.Option(..., help="the data set's folder, or a single file"),
    mode: str = typer.Option("all-or-nothing", help="all-or-nothing or skip-invalid"),
    user: str | None = typer.Option(None, help="email of the user the import acts for"),
    historical: bool | None = typer.Option(
        None,
        "--historical/--no-historical",
        help="skip the sales process's field and activity rules for each stage "
        "(administrators only); without either flag the profile's default applies",
    ),
) -> None:
    """Import files into a tenant with a mapping profile."""
    from zhike.cli import open_database
    from zhike.ingestion.importer import ImportProgress, run_import

    database = open_database()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:,} rows · {task.fields[rate]:,.0f} rows/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        tasks: dict[int, TaskID] = {}
        state = {"rows": 0, "started": 0.0}

        def report(event: ImportProgress) -> None:
            import time

            if not state["started"]:
                state["started"] = time.perf_counter()
            task = tasks.get(event.step_index)
            if task is None:
                task = bar.add_task(
                    f"{event.step_index + 1}/{event.steps} {event.step}",
                    total=max(event.bytes_total, 1),
                    rows=0,
                    rate=0.0,
                )
                tasks[event.step_index] = task
            elapsed = max(time.perf_counter() - state["started"], 1e-6)
            bar.update(
                task,
                completed=event.bytes_read,
                rows=event.rows_read,
                rate=event.rows_read / elapsed,
            )

        try:
            result = run_import(
                database, tenant, profile, source, mode, user, report, historical=historical
            )
        except ZhikeError as error:
            raise _fail(error.message(CLI_LOCALE)) from error
    console.print(
        translate(
            "import.cli.summary",
            result.locale,
            status=translate(f"import.cli.status.{result.status}", result.locale),
            read=result.rows_read,
            created=result.rows_created,
            updated=result.rows_updated,
            unchanged=result.rows_unchanged,
            rejected=result.rows_rejected,
            seconds=result.seconds,
            rate=result.rows_per_second,
        ),
        highlight=False,
    )
    if result.rejects_file:
        console.print(translate("import.cli.rejects", result.locale, path=result.rejects_file))
    if result.status != "succeeded":
        raise _fail(result.error or result.status)


def export_command(
    object_name: str = typer.Argument(help="object to export, e.g. contacts or accounts"),
    tenant: str = typer.Option(..., help="slug of the tenant"),
    format: str = typer.Option("csv", "--format", help="csv or xlsx"),
    output: Path = typer.Option(..., help="file to write"),
    filter: list[str] | None = typer.Option(
        None, "--filter", help="field=value or field__op=value, as in the list API; repeatable"
    ),
    user: str | None = typer.Option(None, help="email of the user whose view is exported"),
) -> None:
    """Export an object list as CSV or XLSX."""
    from sqlalchemy import select

    from zhike.cli import open_database
    from zhike.ingestion.export import check_format, export_to_file
    from zhike.platform.objects import get_object
    from zhike.platform.query import ListParams
    from zhike.security.actors import actor_for
    from zhike.security.models import User
    from zhike.security.tenants import get_tenant_by_slug

    filters: dict[str, str] = {}
    for item in filter or []:
        name, separator, value = item.partition("=")
        if not separator or not name:
            raise _fail(f"--filter {item!r} is not field=value")
        filters[name.strip()] = value
    database = open_database()
    try:
        check_format(format)
        spec = get_object(object_name)
        with database.session() as session:
            tenant_row = get_tenant_by_slug(session, tenant)
            person = None
            if user:
                person = session.scalar(
                    select(User).where(User.tenant_id == tenant_row.id, User.email == user.lower())
                )
                if person is None:
                    raise _fail(f"no user {user} in tenant {tenant}")
            actor = actor_for(tenant_row, person, session)
            count = export_to_file(
                session, actor, spec, ListParams(filters=filters), format, output
            )
    except ZhikeError as error:
        raise _fail(error.message(CLI_LOCALE)) from error
    console.print(
        translate("export.cli.done", CLI_LOCALE, count=count, object=object_name, path=str(output))
    )
