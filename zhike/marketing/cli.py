"""``zhike marketing``: run the marketing cycle now, and compare attribution models."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

marketing_app = typer.Typer(help="Marketing automation", no_args_is_help=True)


@marketing_app.command("cycle")
def marketing_cycle() -> None:
    """Apply record changes to segments, advance due journeys and deliver due sends once."""
    from zhike.cli import open_database
    from zhike.marketing.jobs import run_cycle

    result = run_cycle(open_database())
    typer.echo(json.dumps(result))


@marketing_app.command("attribution")
def marketing_attribution(
    tenant: str = typer.Option(..., help="tenant slug"),
    user: str = typer.Option(..., help="email of the user whose permissions apply"),
    lookback_days: int = typer.Option(365, help="days of touches before a won deal that count"),
    as_json: bool = typer.Option(False, "--json", help="print the comparison as JSON"),
) -> None:
    """Print won revenue credited to campaigns by each attribution model, side by side."""

    from zhike.cli import acting_user, fail, open_database
    from zhike.core.errors import ZhikeError
    from zhike.marketing.attribution import MODELS, compare_models

    database = open_database()
    with database.session() as session:
        actor = acting_user(session, tenant, user)
        try:
            result = compare_models(session, actor, lookback_days)
        except ZhikeError as error:
            raise fail(error.message("en")) from error
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
        return
    table = Table("campaign", "currency", *MODELS)
    for row in result.rows:
        table.add_row(row.campaign, row.currency, *(str(getattr(row, model)) for model in MODELS))
    Console().print(table)
