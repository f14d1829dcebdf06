"""``zhike report``: run or explain a report query from a JSON file, and maintain the rollups."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from zhike.analytics.query import ReportQuery
    from zhike.security.context import Actor

ResultT = TypeVar("ResultT")

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

    from zhike.analytics.service import run_report

    result = _with_query_as_user(tenant, user, query, run_report)
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
        return
    from zhike.analytics.currencies import currency_text

    table = Table(*(column.name for column in result.columns))
    for row in result.rows:
        table.add_row(
            *(
                ""
                if value is None
                else currency_text(value)
                if isinstance(value, list)
                else str(value)
                for value in row
            )
        )
    Console().print(table)


@report_app.command("explain")
def report_explain(
    tenant: str = typer.Option(..., help="tenant slug"),
    user: str = typer.Option(..., help="email of the user whose permissions apply"),
    query: Path = typer.Option(..., help="JSON file holding a report query"),
) -> None:
    """Show how the report query in FILE would run for USER: the table it reads and its SQL."""

    from zhike.analytics.service import explain_report

    explanation = _with_query_as_user(tenant, user, query, explain_report)
    typer.echo(json.dumps(explanation.model_dump(mode="json"), ensure_ascii=False, indent=2))


def _with_query_as_user(
    tenant: str,
    user: str,
    query: Path,
    action: Callable[[Session, Actor, ReportQuery], ResultT],
) -> ResultT:
    """Read the report query in ``query`` and pass it to ``action`` with ``user``'s actor.

    A ``ZhikeError`` from ``action`` (a field the user may not read, an invalid
    filter) exits with its English message.
    """
    from zhike.cli import acting_user, fail, open_database
    from zhike.core.errors import ZhikeError

    parsed = _read_query(query)
    database = open_database()
    with database.session() as session:
        actor = acting_user(session, tenant, user)
        try:
            return action(session, actor, parsed)
        except ZhikeError as error:
            raise fail(error.message("en")) from error


def _tenant_id(session: Session, slug: str | None) -> uuid.UUID | None:
    """Look up the tenant ``slug`` and bind the session to it; None means every tenant."""
    from sqlalchemy import select

    from zhike.cli import fail
    from zhike.security.models import Tenant
    from zhike.security.tenancy import bind_tenant

    if slug is None:
        return None
    found = session.scalar(select(Tenant.id).where(Tenant.slug == slug))
    if found is None:
        raise fail(f"tenant {slug} does not exist; check the slug")
    bind_tenant(session, found)
    return found


@report_app.command("rebuild-rollups")
def report_rebuild_rollups(
    tenant: str | None = typer.Option(None, help="tenant slug; default: every tenant"),
) -> None:
    """Recompute the opportunity rollup that grouped reports read, from the opportunities."""

    from zhike.analytics.rollups import rebuild_rollups
    from zhike.cli import open_database

    database = open_database()
    with database.session() as session:
        rows = rebuild_rollups(session, _tenant_id(session, tenant))
    console.print(f"opportunity rollup rebuilt: {rows} rows")


@report_app.command("check-rollups")
def report_check_rollups(
    tenant: str | None = typer.Option(None, help="tenant slug; default: every tenant"),
    repair: bool = typer.Option(False, "--repair", help="rebuild the rollup when it differs"),
) -> None:
    """Compare the opportunity rollup with the opportunities; exit 1 when they differ."""

    from zhike.analytics.rollups import check_rollups, rebuild_rollups
    from zhike.cli import fail, open_database

    database = open_database()
    with database.session() as session:
        tenant_id = _tenant_id(session, tenant)
        check = check_rollups(session, tenant_id)
        if not check.is_consistent and repair:
            rebuild_rollups(session, tenant_id)
    console.print(
        f"opportunity rollup: {check.actual_rows} rows, {check.expected_rows} expected, "
        f"{check.differing_rows} differ"
    )
    for tenant_key, bucket_key in check.examples:
        console.print(f"  differs: tenant {tenant_key}, bucket {bucket_key}", highlight=False)
    if check.is_consistent:
        return
    if repair:
        console.print("rebuilt from the opportunities")
        return
    raise fail("the rollup differs from the opportunities; run again with --repair to rebuild it")


def _read_query(path: Path) -> ReportQuery:
    """Read and validate the report query in ``path``, or exit with the reason."""
    from zhike.analytics.query import ReportQuery
    from zhike.cli import fail

    try:
        return ReportQuery.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise fail(f"cannot read {path}: {error.strerror}") from error
    except ValidationError as error:
        raise fail(f"{path} is not a valid report query:\n{error}") from error
