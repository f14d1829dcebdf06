"""The ``zhike`` command line."""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console

from zhike.core.db import Database, set_database
from zhike.core.errors import ZhikeError
from zhike.core.logging import configure_logging
from zhike.core.settings import get_settings

app = typer.Typer(help="Zhike (知客) CRM", no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema management", no_args_is_help=True)
tenants_app = typer.Typer(help="Tenant administration", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenants_app, name="tenants")

console = Console(stderr=True)
logger = logging.getLogger(__name__)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error for a person and return the exit to raise."""
    console.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(code)


def open_database() -> Database:
    settings = get_settings()
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
                session, slug, name, admin_email, admin_password, timezone=timezone, currency=currency
            )
            console.print(f"tenant {tenant.slug} created; administrator {admin.email}")
    except ZhikeError as error:
        raise fail(error.message("en")) from error


@app.command("serve")
def serve(
    host: str = typer.Option(None, help="address to listen on (default ZHIKE_HOST)"),
    port: int = typer.Option(None, help="TCP port (default ZHIKE_PORT)"),
) -> None:
    """Serve the web UI and the REST API."""
    import uvicorn

    from zhike.api.app import create_app

    settings = get_settings()
    open_database()
    uvicorn.run(create_app(), host=host or settings.host, port=port or settings.port, log_config=None)


def main() -> None:
    try:
        app()
    except ZhikeError as error:
        console.print(f"[red]error:[/red] {error.message('en')}", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
