"""``zhike models``: train, list, promote, roll back and evaluate private models."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import typer
from rich.console import Console

from zhike.core.errors import ZhikeError

models_app = typer.Typer(help="Private predictive models", no_args_is_help=True)
console = Console(stderr=True)
output = Console(highlight=False)


def _fail(error: ZhikeError) -> typer.Exit:
    console.print(f"[red]error:[/red] {error.message('en')}", highlight=False)
    return typer.Exit(1)


@models_app.command("train")
def train(
    template: str = typer.Argument(help="lead_score, win_probability, churn_risk, ..."),
    tenant: str = typer.Option(..., help="tenant slug"),
) -> None:
    """Train a template on the tenant's records; promoted only when it beats production."""
    from zhike.ai.models.jobs import system_actor
    from zhike.ai.models.training import train_template
    from zhike.cli import open_database
    from zhike.security.tenants import get_tenant_by_slug

    database = open_database()
    try:
        with database.session() as session:
            actor = system_actor(get_tenant_by_slug(session, tenant))
            with console.status(f"training {template}"):
                version = train_template(session, actor, template)
            metrics = {
                key: value for key, value in version.metrics.items() if not isinstance(value, dict)
            }
            output.print(
                f"{version.id} {template} v{version.number} {version.status} {version.learner} "
                + json.dumps(metrics, ensure_ascii=False)
            )
    except ZhikeError as error:
        raise _fail(error) from error


@models_app.command("list")
def list_versions(
    tenant: str | None = typer.Option(None, help="tenant slug (default: all)"),
) -> None:
    """List model versions with status and headline metrics."""
    from sqlalchemy import select

    from zhike.ai.models.models import ModelVersion
    from zhike.cli import open_database
    from zhike.security.models import Tenant

    database = open_database()
    with database.session() as session:
        statement = select(Tenant.slug, ModelVersion).join(
            Tenant, Tenant.id == ModelVersion.tenant_id
        )
        if tenant:
            statement = statement.where(Tenant.slug == tenant)
        rows = session.execute(
            statement.order_by(Tenant.slug, ModelVersion.template, ModelVersion.number)
        )
        for slug, version in rows:
            headline = version.metrics.get("roc_auc", version.metrics.get("accuracy"))
            output.print(
                f"{version.id}  {slug}  {version.template}  v{version.number}  {version.status}  "
                f"{version.learner}  {headline if headline is None else round(headline, 4)}"
            )


@models_app.command("promote")
def promote(
    version_id: str = typer.Argument(help="id of the version to put into production"),
) -> None:
    """Put a version into production (audited); the previous one is archived."""
    from zhike.ai.models import registry
    from zhike.ai.models.jobs import system_actor
    from zhike.ai.models.models import ModelVersion
    from zhike.cli import open_database
    from zhike.security.models import Tenant

    database = open_database()
    try:
        identifier = uuid.UUID(version_id)
    except ValueError:
        console.print(f"[red]error:[/red] {version_id!r} is not a version id (a UUID)")
        raise typer.Exit(2) from None
    try:
        with database.session() as session:
            version = session.get(ModelVersion, identifier)
            tenant = session.get(Tenant, version.tenant_id) if version else None
            if version is None or tenant is None:
                console.print(f"[red]error:[/red] no model version {version_id}")
                raise typer.Exit(1)
            registry.promote(session, system_actor(tenant), identifier)
            output.print(f"{version.id} {version.template} v{version.number} is in production")
    except ZhikeError as error:
        raise _fail(error) from error


@models_app.command("rollback")
def rollback(
    template: str = typer.Argument(help="template to roll back"),
    tenant: str = typer.Option(..., help="tenant slug"),
) -> None:
    """Return a template to its previous production version (audited)."""
    from zhike.ai.models import registry
    from zhike.ai.models.jobs import system_actor
    from zhike.cli import open_database
    from zhike.security.tenants import get_tenant_by_slug

    database = open_database()
    try:
        with database.session() as session:
            actor = system_actor(get_tenant_by_slug(session, tenant))
            version = registry.rollback(session, actor, template)
            output.print(f"{version.id} {template} v{version.number} is in production again")
    except ZhikeError as error:
        raise _fail(error) from error


@models_app.command("eval")
def evaluate(
    template: str = typer.Option(..., help="template whose learner is evaluated"),
    train: Path = typer.Option(..., help="labelled CSV to train on"),
    test: Path = typer.Option(..., help="labelled CSV to measure on"),
    label: str = typer.Option(..., help="label column"),
    text: str | None = typer.Option(None, help="text column (text templates)"),
    drop: list[str] = typer.Option([], help="column to leave out, e.g. an identifier; repeatable"),
    baseline: bool = typer.Option(
        False, help="also measure the reference baseline (text templates)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Train on one file and print held-out metrics on the other (no database needed)."""
    from zhike.ai.models.evaluation import evaluate_files

    try:
        metrics = evaluate_files(template, train, test, label, text, tuple(drop), baseline)
    except ZhikeError as error:
        raise _fail(error) from error
    if as_json:
        output.print(json.dumps(metrics, ensure_ascii=False, indent=2))
    else:
        for key, value in metrics.items():
            output.print(f"{key}: {value}")
