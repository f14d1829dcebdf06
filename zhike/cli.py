"""The ``zhike`` command line."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from zhike.ai.agents.cli import agent_app
from zhike.ai.ask.cli import ask_command
from zhike.ai.models.cli import models_app
from zhike.analytics.cli import report_app
from zhike.audit.cli import audit_app
from zhike.core.db import Database, set_database
from zhike.core.errors import ZhikeError
from zhike.core.logging import configure_logging
from zhike.core.settings import get_settings
from zhike.customers.dedup_cli import dedup_app
from zhike.demo.command import demo_command
from zhike.ingestion.commands import export_command, import_command
from zhike.knowledge.cli import kb_app
from zhike.marketing.cli import marketing_app
from zhike.sales.pool_cli import pool_app
from zhike.sales.process_cli import sales_app
from zhike.security.context import Actor

app = typer.Typer(help="Zhike (知客) CRM", no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema management", no_args_is_help=True)
tenants_app = typer.Typer(help="Tenant administration", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenants_app, name="tenants")
app.add_typer(models_app, name="models")
privacy_app = typer.Typer(help="Personal data detection", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")
app.add_typer(audit_app, name="audit")
app.add_typer(report_app, name="report")
keys_app = typer.Typer(help="Encryption keys of highly sensitive fields", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(dedup_app, name="dedup")
app.add_typer(kb_app, name="kb")
app.add_typer(marketing_app, name="marketing")
app.add_typer(pool_app, name="pool")
app.add_typer(sales_app, name="sales")
app.add_typer(agent_app, name="agent")
app.command("demo")(demo_command)
app.command("import")(import_command)
app.command("export")(export_command)
app.command("ask")(ask_command)

console = Console(stderr=True)
logger = logging.getLogger(__name__)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error for a person and return the exit to raise."""
    console.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(code)


def acting_user(session: Session, tenant: str, user: str) -> Actor:
    """The actor for ``--tenant``/``--user``, with the session bound to that tenant."""
    from sqlalchemy import select

    from zhike.security.actors import actor_for
    from zhike.security.models import Tenant, User
    from zhike.security.tenancy import bind_tenant

    found = session.scalar(select(Tenant).where(Tenant.slug == tenant))
    if found is None:
        raise fail(f"tenant {tenant} does not exist")
    person = session.scalar(
        select(User).where(
            User.tenant_id == found.id, User.email == user, User.deleted_at.is_(None)
        )
    )
    if person is None or not person.is_active:
        raise fail(f"no active user {user} in tenant {tenant}")
    bind_tenant(session, found.id)
    return actor_for(found, person, session)


def open_database() -> Database:
    settings = get_settings()
    try:
        settings.check_production_ready()
    except ValueError as error:
        raise fail(str(error)) from error
    configure_logging(settings.log_level, settings.log_json)
    database = Database(settings.database_url, settings)
    set_database(database)
    return database


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database in ZHIKE_DATABASE_URL to this version's schema."""
    from zhike.core.migrate import NewerDatabaseError, upgrade

    settings = get_settings()
    database = open_database()
    try:
        before, after, backup = upgrade(database.engine, settings.database_url)
    except NewerDatabaseError as error:
        raise fail(
            f"the database is at revision {error}, which this version of Zhike does not know; "
            "it was written by a newer Zhike. Upgrade Zhike instead of the database."
        ) from error
    if backup:
        console.print(f"backup written to {backup}")
    console.print(f"database at revision {after} (was {before or 'empty'})")


@tenants_app.command("create")
def tenants_create(
    slug: str = typer.Argument(help="short unique name: lower-case letters, digits and hyphens"),
    name: str = typer.Option(..., help="company name shown in the UI"),
    admin_email: str = typer.Option(..., help="email of the first administrator"),
    admin_password: str = typer.Option(..., help="password of the first administrator"),
    timezone: str = typer.Option("Asia/Shanghai", help="IANA time zone of the tenant"),
    currency: str = typer.Option("CNY", help="ISO 4217 default currency"),
) -> None:
    """Create a tenant and its administrator."""
    from zhike.security.tenants import create_tenant

    database = open_database()
    try:
        with database.session() as session:
            tenant, admin = create_tenant(
                session,
                slug,
                name,
                admin_email,
                admin_password,
                timezone=timezone,
                currency=currency,
            )
            console.print(f"tenant {tenant.slug} created; administrator {admin.email}")
    except ZhikeError as error:
        raise fail(error.message("en")) from error


@keys_app.command("rotate")
def keys_rotate(
    reencrypt_now: bool = typer.Option(
        True, "--reencrypt/--no-reencrypt", help="re-encrypt stored values under the new key now"
    ),
) -> None:
    """Make a new data key current and re-encrypt stored values under it."""
    from zhike.security.encryption import get_key_provider
    from zhike.security.keys import reencrypt

    database = open_database()
    key_id = get_key_provider().rotate()
    console.print(f"new key {key_id} is current")
    if not reencrypt_now:
        console.print("stored values keep their old keys until `zhike keys reencrypt` runs")
        return
    result = reencrypt(database)
    console.print(
        f"checked {result.rows_checked} values, re-encrypted {result.rows_reencrypted}, "
        f"failed {result.rows_failed}"
    )
    if result.rows_failed:
        raise fail("some values could not be decrypted; see the log for their ids")


@keys_app.command("reencrypt")
def keys_reencrypt() -> None:
    """Re-encrypt values still under an older key; safe to run again after an interruption."""
    from zhike.security.keys import reencrypt

    result = reencrypt(open_database())
    console.print(
        f"checked {result.rows_checked} values, re-encrypted {result.rows_reencrypted}, "
        f"failed {result.rows_failed}"
    )
    if result.rows_failed:
        raise fail("some values could not be decrypted; see the log for their ids")


@app.command("serve")
def serve(
    host: str = typer.Option(None, help="address to listen on (default ZHIKE_HOST)"),
    port: int = typer.Option(None, help="TCP port (default ZHIKE_PORT)"),
) -> None:
    """Serve the web UI and the REST API."""
    import uvicorn

    from zhike.api.app import create_app
    from zhike.core.inuse import hold_shared, sqlite_file
    from zhike.jobs.embedded import start_embedded_worker, stop_embedded_worker

    settings = get_settings()
    open_database()
    served = sqlite_file(settings.database_url)
    if served is not None:
        hold_shared(served)
    consumer = start_embedded_worker()
    try:
        uvicorn.run(
            create_app(), host=host or settings.host, port=port or settings.port, log_config=None
        )
    finally:
        stop_embedded_worker(consumer)


@app.command("worker")
def worker(
    workers: int = typer.Option(2, min=1, help="worker threads in this process"),
) -> None:
    """Run background jobs (journeys, agents, scoring, reminders) until stopped."""
    from huey.consumer import Consumer

    from zhike.jobs import load_task_modules
    from zhike.jobs.queue import get_queue

    open_database()
    load_task_modules()
    Consumer(get_queue(), workers=workers, worker_type="thread").run()


@privacy_app.command("scan")
def privacy_scan(
    file: Path = typer.Argument(help="UTF-8 text file, one message per line"),
    as_json: bool = typer.Option(False, "--json", help="print JSON lines instead of a table"),
    tenant: str | None = typer.Option(None, help="tenant slug whose CRM names are matched too"),
) -> None:
    """Detect personal data in each line of FILE and print the spans and the redacted text."""
    import json

    from zhike.ai.llm.names import NameMatcher, load_crm_names
    from zhike.ai.llm.scan import scan_lines

    if not file.is_file():
        raise fail(f"{file} is not a file")
    names: NameMatcher | None = None
    if tenant is not None:
        from sqlalchemy import select

        from zhike.security.models import Tenant

        database = open_database()
        with database.session() as session:
            tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == tenant))
            if tenant_id is None:
                raise fail(f"tenant {tenant} does not exist")
            names = NameMatcher(load_crm_names(session, tenant_id))
    try:
        results = scan_lines(file, names)
    except UnicodeDecodeError as error:
        raise fail(f"{file} is not UTF-8 text ({error.reason} at byte {error.start})") from error
    for result in results:
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False))
        else:
            found = ", ".join(
                f"{span['category']}[{span['start']}:{span['end']}]" for span in result["spans"]
            )
            typer.echo(f"{result['line']}: {found or '-'}")
            typer.echo(f"   {result['redacted']}")


def main() -> None:
    try:
        app()
    except ZhikeError as error:
        console.print(f"[red]error:[/red] {error.message('en')}", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
