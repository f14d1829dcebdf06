"""The ``zhike kb`` commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

kb_app = typer.Typer(help="Knowledge base", no_args_is_help=True)


@kb_app.command("eval")
def eval_command(
    articles: Annotated[Path, typer.Option(help="CSV: id,title,body or id,question,answer")],
    questions: Annotated[Path, typer.Option(help="CSV: question,expected_id")],
    method: Annotated[str, typer.Option(help="bm25, fused, synonyms, reranked, reranked_pairs")] = (
        "reranked"
    ),
    pairs: Annotated[
        Path | None, typer.Option(help="labelled pairs TSV: sentence1, sentence2, label")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Load articles into a fresh index, answer every question and score the answers by id."""
    from zhike.core.errors import InvalidInput
    from zhike.knowledge.evaluation import (
        METHODS,
        build_index,
        evaluate,
        load_entries,
        load_pairs,
        load_questions,
    )

    if method not in METHODS:
        raise InvalidInput("kb_eval_method", method=method, known=", ".join(METHODS))
    entries = load_entries(articles)
    asked = load_questions(questions)
    # Pairs that contain an evaluated question would teach the answer; they are left out.
    labelled = load_pairs(pairs, {question for question, _ in asked}) if pairs else []
    started_index = build_index(entries, method, labelled)
    result = {"method": method, **evaluate(started_index, asked)}
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    for name, value in result.items():
        typer.echo(f"{name}: {value}")
