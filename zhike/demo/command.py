"""``zhike demo``: a fresh instance with a Chinese demo tenant, optionally served at once.

The default database is ``var/demo.db`` under the current folder, recreated on
every run because it holds nothing but demo data. When ZHIKE_DATABASE_URL is
set (environment or .env), that database is migrated and used but never wiped:
if it already has a ``demo`` tenant the command stops and says so.
"""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from zhike.core.db import Database, set_database
from zhike.core.errors import ZhikeError
from zhike.core.i18n import translate
from zhike.core.inuse import hold_shared, in_use_elsewhere, sqlite_file
from zhike.core.logging import configure_logging
from zhike.core.settings import Settings, get_settings
from zhike.demo.generator import (
    DEFAULT_SEED,
    DEMO_ADMIN_EMAIL,
    DEMO_PASSWORD,
    DEMO_TENANT_SLUG,
    STEP_NAMES,
    create_demo_tenant,
    generate_demo,
)
from zhike.security.models import Tenant, User

logger = logging.getLogger(__name__)
console = Console(stderr=True, highlight=False, soft_wrap=True)

DEMO_DATABASE_FILE = Path("var") / "demo.db"
# (shipped import profile, folder of the public data set it reads)
DATASETS = (
    ("crm-pipeline", "crm_sales_opportunities"),
    ("telco-churn", "telco_customer_churn"),
    ("lead-funnel", "olist_marketing_funnel"),
    ("bank-campaign", "bank_marketing"),
)


def demo_command(
    no_serve: bool = typer.Option(False, "--no-serve", help="generate the demo and exit"),
    datasets: Path | None = typer.Option(
        None, "--datasets", help="folder of public data sets to import into the demo tenant too"
    ),
    host: str | None = typer.Option(None, help="address to listen on (default ZHIKE_HOST)"),
    port: int | None = typer.Option(None, help="TCP port (default ZHIKE_PORT)"),
    seed: int = typer.Option(DEFAULT_SEED, help="random seed; the same seed gives the same data"),
) -> None:
    """Create a demo instance with a Chinese sample company, then serve it."""
    settings = get_settings()
    locale = settings.default_locale
    say = _Printer(locale)
    stop = say.error

    try:
        settings.check_production_ready()
    except ValueError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from error
    if settings.environment == "production":
        raise stop("cli.demo.production_refused")
    configure_logging(settings.log_level, settings.log_json)

    database = _open_demo_database(settings, say)
    from zhike.core.migrate import NewerDatabaseError, upgrade

    try:
        upgrade(database.engine, database.engine.url.render_as_string(hide_password=False))
    except NewerDatabaseError as error:
        raise stop("cli.newer_database", revision=str(error)) from error

    started = time.perf_counter()
    with database.session() as session:
        if session.scalar(select(Tenant.id).where(Tenant.slug == DEMO_TENANT_SLUG)) is not None:
            raise stop("cli.demo.tenant_exists", slug=DEMO_TENANT_SLUG)
        tenant, admin = create_demo_tenant(session)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            task = progress.add_task(
                translate("cli.demo.generating", locale), total=len(STEP_NAMES)
            )

            def on_step(name: str) -> None:
                if progress.tasks[task].description != translate("cli.demo.generating", locale):
                    progress.advance(task)
                progress.update(task, description=translate(f"demo.step.{name}", locale))

            counts = generate_demo(session, tenant, admin, seed=seed, on_step=on_step)
            progress.update(task, completed=len(STEP_NAMES))
        tenant_id = tenant.id
    say(
        "cli.demo.generated",
        rows=sum(counts.values()),
        seconds=f"{time.perf_counter() - started:.1f}",
    )
    for table, count in counts.items():
        console.print(f"  {table:<28}{count:>8}", markup=False)

    if datasets is not None:
        _import_datasets(database, datasets, say)
    # The demo rows are written in bulk, around the record service, so one batch
    # re-clustering gives them their global customers.
    from zhike.customers.jobs import run_recluster

    run_recluster(database, tenant_id)

    listen_host = host or settings.host
    listen_port = port or settings.port
    url = f"http://{listen_host}:{listen_port}/"
    say("cli.demo.ready")
    say("cli.demo.url", url=url)
    say("cli.demo.api_docs", url=f"{url}api/v1/docs")
    say("cli.demo.tenant", slug=DEMO_TENANT_SLUG)
    say("cli.demo.email", email=DEMO_ADMIN_EMAIL)
    say("cli.demo.password", password=DEMO_PASSWORD)
    for role, email in sample_logins(database, tenant_id):
        say(f"cli.demo.other_login.{role}", email=email)
    if no_serve:
        return
    import uvicorn

    from zhike.api.app import create_app

    served = sqlite_file(database.engine.url.render_as_string(hide_password=False))
    if served is not None:
        hold_shared(served)
    from zhike.jobs.embedded import start_embedded_worker, stop_embedded_worker

    consumer = start_embedded_worker()
    try:
        uvicorn.run(create_app(), host=listen_host, port=listen_port, log_config=None)
    finally:
        stop_embedded_worker(consumer)


class _Printer:
    """Prints catalog messages in the CLI's locale."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __call__(self, key: str, **params: object) -> None:
        console.print(translate(key, self.locale, **params), markup=False)

    def error(self, key: str, **params: object) -> typer.Exit:
        console.print(f"[red]error:[/red] {translate(key, self.locale, **params)}")
        return typer.Exit(1)


def _open_demo_database(settings: Settings, say: _Printer) -> Database:
    if "database_url" in settings.model_fields_set:
        url = settings.database_url
    else:
        path = DEMO_DATABASE_FILE.resolve()
        if in_use_elsewhere(path):
            raise say.error("cli.demo.database_in_use", path=str(path))
        if path.exists():
            # Only demo data lives in this file, so a fresh one beats a half-migrated one.
            for leftover in (
                path,
                path.with_name(path.name + "-wal"),
                path.with_name(path.name + "-shm"),
            ):
                leftover.unlink(missing_ok=True)
            say("cli.demo.database_recreated", path=str(path))
        url = f"sqlite:///{path}"
        settings = settings.model_copy(update={"database_url": url})
    database = Database(url, settings)
    set_database(database)
    return database


def _import_datasets(database: Database, folder: Path, say: _Printer) -> None:
    try:
        from zhike.ingestion.importer import run_import
    except ImportError:
        say("cli.demo.importer_missing")
        return
    for profile, name in DATASETS:
        source = folder / name
        if not source.is_dir():
            say("cli.demo.dataset_missing", profile=profile, path=str(source))
            continue
        say("cli.demo.dataset_importing", profile=profile, path=str(source))
        try:
            result = run_import(
                database,
                DEMO_TENANT_SLUG,
                profile,
                source,
                mode="skip-invalid",
                user_email=DEMO_ADMIN_EMAIL,
            )
        except ZhikeError as error:
            say("cli.demo.dataset_failed", profile=profile, reason=error.message(say.locale))
            continue
        say(
            "cli.demo.dataset_imported",
            profile=profile,
            read=result.rows_read,
            created=result.rows_created,
            updated=result.rows_updated,
            rejected=result.rows_rejected,
            status=result.status,
        )


def sample_logins(database: Database, tenant_id: uuid.UUID) -> list[tuple[str, str]]:
    """Return a sales manager's e-mail and that of a rep who reports to them.

    The two are a pair so that the rep's discount or stage approvals reach this manager.
    """
    logins: list[tuple[str, str]] = []
    with database.session() as session:
        manager = session.execute(
            select(User.id, User.email)
            .where(
                User.tenant_id == tenant_id,
                User.role == "sales_manager",
                User.is_active.is_(True),
            )
            .order_by(User.email)
            .limit(1)
        ).first()
        if manager is None:
            return logins
        logins.append(("sales_manager", manager.email))
        rep = session.scalar(
            select(User.email)
            .where(
                User.tenant_id == tenant_id,
                User.role == "sales_rep",
                User.manager_id == manager.id,
                User.is_active.is_(True),
            )
            .order_by(User.email)
            .limit(1)
        )
        if rep is not None:
            logins.append(("sales_rep", rep))
    return logins
