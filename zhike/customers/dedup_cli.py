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
