"""``zhike report``: run a report query from a JSON file as a given user."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

report_app = typer.Typer(help="Reports on the CRM's data", no_args_is_help=True)
console = Console(stderr=True)


@report_app.command("run")
def report_run(
    tenant: str = typer.Option(..., help="tenant slug"),
    user: str = typer.Option(..., help="email of the user whose permissions apply"),
    query: Path = typer.Option(..., help="JSON file holding a report query"),
    as_json: bool = typer.Option(False, "--json", help="print columns and rows as JSON"),
) -> None:
    """Run the report query in FILE as USER and print its result."""

    from zhike.analytics.query import ReportQuery
    from zhike.analytics.service import run_report
    from zhike.cli import acting_user, fail, open_database
    from zhike.core.errors import ZhikeError

    try:
        parsed = ReportQuery.model_validate_json(query.read_text(encoding="utf-8"))
    except OSError as error:
        raise fail(f"cannot read {query}: {error.strerror}") from error
    except ValidationError as error:
        raise fail(f"{query} is not a valid report query:\n{error}") from error
    database = open_database()
    with database.session() as session:
        actor = acting_user(session, tenant, user)
        try:
            result = run_report(session, actor, parsed)
        except ZhikeError as error:
            raise fail(error.message("en")) from error
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
        return
    table = Table(*(column.name for column in result.columns))
    for row in result.rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    Console().print(table)
