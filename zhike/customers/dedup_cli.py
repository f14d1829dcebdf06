"""``zhike dedup``: score the production matcher on labelled person records."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from zhike.customers.matching import febrl

dedup_app = typer.Typer(help="Duplicate detection", no_args_is_help=True)


@dedup_app.command("eval")
def dedup_eval(
    records: Path = typer.Option(
        ..., exists=True, dir_okay=False, help="CSV of records (rec_id, ...)"
    ),
    truth: Path = typer.Option(..., exists=True, dir_okay=False, help="CSV of true pairs"),
    as_json: bool = typer.Option(False, "--json", help="print the scores as JSON"),
) -> None:
    """Deduplicate a FEBRL-layout CSV and score the pairs found against the true pairs."""
    ids, rows = febrl.read_records(records)
    evaluation = febrl.evaluate(ids, rows, febrl.read_truth(truth))
    if as_json:
        typer.echo(json.dumps(evaluation.as_dict()))
        return
    for name, value in evaluation.as_dict().items():
        typer.echo(f"{name}: {value}")


@dedup_app.command("recluster")
def dedup_recluster(
    tenant: str = typer.Option(..., help="slug of the tenant to re-cluster"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Link every contact, lead and account of a tenant to global customers, in one batch.

    Records never linked get their global customer here, so this is also the backfill.
    """
    from sqlalchemy import select

    from zhike.cli import fail, open_database
    from zhike.customers.jobs import run_recluster
    from zhike.security.models import Tenant

    database = open_database()
    with database.session() as session:
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == tenant))
    if tenant_id is None:
        raise fail(f"tenant {tenant} does not exist; check the slug")
    result = run_recluster(database, tenant_id)
    if as_json:
        typer.echo(json.dumps(result))
        return
    for name, value in result.items():
        typer.echo(f"{name}: {value}")
