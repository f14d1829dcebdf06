"""``zhike audit``: verify a tenant's chain and apply its retention rule."""

from __future__ import annotations

import typer
from rich.console import Console

from zhike.core.i18n import translate

audit_app = typer.Typer(help="Audit trail verification and retention", no_args_is_help=True)
output = Console(highlight=False)


@audit_app.command("verify")
def verify(
    tenant: str = typer.Option(..., "--tenant", help="slug of the tenant whose chain to check"),
    locale: str = typer.Option(
        None, help="language of the report: zh-CN or en (default: the tenant's)"
    ),
) -> None:
    """Recompute the tenant's hash chain; exit 1 and name the first broken event if there is one."""
    from zhike.audit.verify import verify_chain
    from zhike.cli import fail, open_database
    from zhike.security.tenants import get_tenant_by_slug

    database = open_database()
    with database.session() as session:
        found = get_tenant_by_slug(session, tenant)
        language = locale or found.locale
        result = verify_chain(session, found.id)
    if result.ok:
        output.print(
            "OK "
            + translate(
                "audit.verify.ok",
                language,
                tenant=tenant,
                count=result.checked,
                sequence=result.head_sequence,
                hash=result.head_hash,
            )
        )
        return
    assert result.problem is not None
    message = translate(
        f"audit.verify.{result.problem.value}",
        language,
        sequence=result.sequence,
        id=result.event_id,
        expected=result.expected,
        found=result.found,
    )
    raise fail(f"{result.problem.value}: {message}")


@audit_app.command("purge")
def purge(
    tenant: str = typer.Option(..., "--tenant", help="slug of the tenant to purge"),
    locale: str = typer.Option(
        None, help="language of the report: zh-CN or en (default: the tenant's)"
    ),
) -> None:
    """Remove events older than the tenant's audit_retention_days (default 1826)."""
    from zhike.audit.chain import format_time
    from zhike.audit.retention import purge_expired
    from zhike.cli import open_database
    from zhike.security.tenants import get_tenant_by_slug

    database = open_database()
    with database.session() as session:
        found = get_tenant_by_slug(session, tenant)
        result = purge_expired(session, found.id)
    output.print(
        translate(
            "audit.purge.done",
            locale or found.locale,
            count=result.purged,
            cutoff=format_time(result.cutoff),
            tenant=tenant,
            sequence=result.checkpoint_sequence,
        )
    )
