"""Alembic environment: the URL comes from the caller, the target from our models."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops
from sqlalchemy import ForeignKeyConstraint, TypeDecorator, engine_from_config, pool

from zhike.core.registry import load_models

config = context.config
target_metadata = load_models().metadata


def render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our column types as the plain types they store, so migrations never import them."""
    if (
        kind == "type"
        and isinstance(item, TypeDecorator)
        and type(item).__module__.startswith("zhike")
    ):
        rendered = getattr(item, "migration_type", None)
        return str(rendered) if rendered else f"sa.{item.impl_instance!r}"
    return False


def defer_cyclic_foreign_keys(context: Any, revision: Any, directives: list[Any]) -> None:
    """Create foreign keys marked use_alter after all tables exist.

    They break reference cycles (teams and users name each other), and
    CREATE TABLE would silently leave them out.
    """
    script = directives[0]
    deferred: list[ops.ModifyTableOps] = []
    dropped: list[ops.ModifyTableOps] = []
    for operation in script.upgrade_ops.ops:
        if not isinstance(operation, ops.CreateTableOp):
            continue
        kept = []
        for item in operation.columns:
            if isinstance(item, ForeignKeyConstraint) and item.use_alter:
                create = ops.CreateForeignKeyOp.from_constraint(item)
                deferred.append(ops.ModifyTableOps(operation.table_name, [create]))
                dropped.append(ops.ModifyTableOps(operation.table_name, [create.reverse()]))
            else:
                kept.append(item)
        operation.columns = kept
    script.upgrade_ops.ops.extend(deferred)
    script.downgrade_ops.ops[:0] = dropped


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
        render_item=render_item,
        process_revision_directives=defer_cyclic_foreign_keys,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
