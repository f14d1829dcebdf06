"""The migrations build exactly the schema the models declare, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, String

from zhike.core.db import Database
from zhike.core.registry import load_models


def schema_differences(database: Database, metadata: MetaData) -> list[Any]:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_migrated_database_matches_the_models(database: Database) -> None:
    differences = schema_differences(database, load_models().metadata)

    assert differences == [], (
        "models and migrations differ; run `make migration` and commit the result"
    )


def test_drift_check_notices_a_column_the_migrations_lack(database: Database) -> None:
    changed = MetaData(naming_convention=load_models().metadata.naming_convention)
    for table in load_models().metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["accounts"].append_column(Column("wechat_id", String(64), nullable=True))

    differences = schema_differences(database, changed)

    added = [(item[2], item[3].name) for item in differences if item[0] == "add_column"]
    assert added == [("accounts", "wechat_id")]
