"""``zhike ask``: answer a question in Chinese or English as a given user."""

from __future__ import annotations

import json
from datetime import date

import typer
from rich.console import Console
from rich.table import Table


def ask_command(
    question: str = typer.Argument(..., help="the question, in Chinese or English"),
    tenant: str = typer.Option(..., help="tenant slug"),
    user: str = typer.Option(..., help="email of the user whose permissions apply"),
    as_of: str = typer.Option(
        None, "--as-of", help="day that relative periods count from (YYYY-MM-DD; default today)"
    ),
    offline: bool = typer.Option(
        False, "--offline", help="never call a language model, even when one is configured"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the whole answer as JSON"),
) -> None:
    """Parse QUESTION into a report query, run it as USER and print the answer."""

    from zhike.ai.ask.service import ask, default_gateway
    from zhike.cli import acting_user, fail, open_database
    from zhike.core.errors import ZhikeError

    day = None
    if as_of:
        try:
            day = date.fromisoformat(as_of)
        except ValueError as error:
            raise fail(f"--as-of {as_of} is not a date; write it as YYYY-MM-DD") from error
    database = open_database()
    with database.session() as session:
        actor = acting_user(session, tenant, user)
        actor = actor
        try:
            answer = ask(
                session, actor, question, as_of=day, gateway=None if offline else default_gateway()
            )
        except ZhikeError as error:
            raise fail(error.message("en")) from error
    if as_json:
        typer.echo(json.dumps(answer.model_dump(mode="json"), ensure_ascii=False))
        return
    console = Console()
    if answer.clarification is not None:
        console.print(answer.clarification.message)
        return
    if answer.query is None:
        console.print(answer.message or answer.intent)
        return
    for warning in answer.warnings:
        console.print(warning.message, style="yellow")
    labels = [answer.value_labels.get(column.name, {}) for column in answer.columns]
    headings = (answer.column_labels.get(column.name, column.name) for column in answer.columns)
    table = Table(*headings)
    for row in answer.rows:
        table.add_row(
            *(
                "" if value is None else labels[index].get(str(value), str(value))
                for index, value in enumerate(row)
            )
        )
    console.print(table)
