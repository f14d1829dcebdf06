"""Triggers that keep ``opportunity_rollups`` exact as opportunities change.

Every change is applied as additive deltas with one upsert per rollup row
(``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n``), so two writers
that touch the same row add up instead of overwriting each other: PostgreSQL
locks the conflicting row for the second writer until the first commits, and
SQLite runs one writer at a time. A row whose count falls to zero is deleted.

- PostgreSQL: statement-level triggers with transition tables. A bulk insert
  of thousands of rows costs one grouped upsert, not one per row, and the rows
  are upserted in key order so concurrent writers lock them in the same order.
- SQLite: row-level triggers, because SQLite has no statement-level ones.

Only an UPDATE that changes a grouping column, the amount or whether the row
is deleted moves anything. On PostgreSQL other updates net to zero and write
nothing. The triggers are installed when either table is created, once both
exist, and ``install_rollup_triggers`` may be run again at any time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, event, inspect, text

# The statements below are assembled from the constants of this module and fixed
# row names (NEW, OLD, transition tables). No outside value reaches them, so the
# string-built SQL is marked as safe (S608) where it occurs.

SOURCE_TABLE = "opportunities"
ROLLUP_TABLE = "opportunity_rollups"
ROLLUP_COLUMNS = (
    "tenant_id, bucket_key, owner_id, stage_id, currency, closed_month, "
    "record_count, amount_count, amount_sum"
)
_ADD_DELTAS = (
    "ON CONFLICT (tenant_id, bucket_key) DO UPDATE SET "
    "record_count = {target}.record_count + excluded.record_count, "
    "amount_count = {target}.amount_count + excluded.amount_count, "
    "amount_sum = {target}.amount_sum + excluded.amount_sum"
)


def closed_month_sql(dialect: str, row: str) -> str:
    """Return the SQL expression of the first day of the month of an opportunity's ``closed_on``."""
    if dialect == "postgresql":
        return f"date_trunc('month', {row}.closed_on)::date"
    return f"date({row}.closed_on, 'start of month')"


def bucket_key_sql(dialect: str, row: str, day: str = "closed_on") -> str:
    """Return the SQL expression of a row's ``bucket_key``; ``day`` is any day of the month."""
    if dialect == "postgresql":
        # to_char, not ::text, so the DateStyle setting cannot change the key.
        return (
            f"coalesce({row}.owner_id::text, '-') || ':' || {row}.stage_id::text || ':' || "
            f"{row}.currency || ':' || coalesce(to_char({row}.{day}, 'YYYY-MM'), '-')"
        )
    return (
        f"ifnull({row}.owner_id, '-') || ':' || {row}.stage_id || ':' || "
        f"{row}.currency || ':' || ifnull(strftime('%Y-%m', {row}.{day}), '-')"
    )


def _postgres_deltas(parts: list[tuple[str, int]]) -> str:
    """Build the signed rows of transition tables, grouped into one delta per rollup row."""
    month = closed_month_sql("postgresql", "t")
    selects = [
        f"SELECT t.tenant_id, t.owner_id, t.stage_id, t.currency, {month} AS month, "  # noqa: S608
        f"{sign} AS sign, t.amount FROM {table} t WHERE t.deleted_at IS NULL"
        for table, sign in parts
    ]
    key = bucket_key_sql("postgresql", "d", "month")
    return (
        f"INSERT INTO {ROLLUP_TABLE} AS r ({ROLLUP_COLUMNS}) "  # noqa: S608
        f"SELECT d.tenant_id, {key}, d.owner_id, d.stage_id, d.currency, d.month, "
        "sum(d.sign), sum(CASE WHEN d.amount IS NULL THEN 0 ELSE d.sign END), "
        "coalesce(sum(d.sign * d.amount), 0) "
        f"FROM ({' UNION ALL '.join(selects)}) d "
        "GROUP BY d.tenant_id, d.owner_id, d.stage_id, d.currency, d.month "
        "HAVING sum(d.sign) <> 0 "
        "OR sum(CASE WHEN d.amount IS NULL THEN 0 ELSE d.sign END) <> 0 "
        "OR coalesce(sum(d.sign * d.amount), 0) <> 0 "
        "ORDER BY 1, 2 " + _ADD_DELTAS.format(target="r") + ";"
    )


_POSTGRES_EMPTIED = (
    f"DELETE FROM {ROLLUP_TABLE} r USING (SELECT DISTINCT o.tenant_id, "  # noqa: S608
    f"{bucket_key_sql('postgresql', 'o')} AS bucket_key FROM old_rows o) touched "
    "WHERE r.tenant_id = touched.tenant_id AND r.bucket_key = touched.bucket_key "
    "AND r.record_count = 0;"
)

_POSTGRES = [
    f"""
    CREATE OR REPLACE FUNCTION zhike_opportunity_rollups_apply() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {_postgres_deltas([("new_rows", 1)])}
        ELSIF TG_OP = 'UPDATE' THEN
            {_postgres_deltas([("new_rows", 1), ("old_rows", -1)])}
            {_POSTGRES_EMPTIED}
        ELSE
            {_postgres_deltas([("old_rows", -1)])}
            {_POSTGRES_EMPTIED}
        END IF;
        RETURN NULL;
    END $$
    """,
    f"DROP TRIGGER IF EXISTS opportunity_rollups_insert ON {SOURCE_TABLE}",
    f"""
    CREATE TRIGGER opportunity_rollups_insert AFTER INSERT ON {SOURCE_TABLE}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION zhike_opportunity_rollups_apply()
    """,
    f"DROP TRIGGER IF EXISTS opportunity_rollups_update ON {SOURCE_TABLE}",
    f"""
    CREATE TRIGGER opportunity_rollups_update AFTER UPDATE ON {SOURCE_TABLE}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION zhike_opportunity_rollups_apply()
    """,
    f"DROP TRIGGER IF EXISTS opportunity_rollups_delete ON {SOURCE_TABLE}",
    f"""
    CREATE TRIGGER opportunity_rollups_delete AFTER DELETE ON {SOURCE_TABLE}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION zhike_opportunity_rollups_apply()
    """,
]


def _sqlite_add(row: str, sign: int, condition: str) -> str:
    """Build the upsert of one row's delta.

    The WHERE clause is needed anyway: without one SQLite would read ON CONFLICT
    as the start of a join.
    """
    key = bucket_key_sql("sqlite", row)
    return (
        f"INSERT INTO {ROLLUP_TABLE} ({ROLLUP_COLUMNS}) "
        f"SELECT {row}.tenant_id, {key}, {row}.owner_id, {row}.stage_id, {row}.currency, "
        f"{closed_month_sql('sqlite', row)}, {sign}, {sign} * ({row}.amount IS NOT NULL), "
        f"{sign} * ifnull({row}.amount, 0) WHERE {condition} "
        + _ADD_DELTAS.format(target=ROLLUP_TABLE)
        + ";"
    )


_SQLITE_EMPTIED = (
    f"DELETE FROM {ROLLUP_TABLE} WHERE tenant_id = OLD.tenant_id "  # noqa: S608
    f"AND bucket_key = {bucket_key_sql('sqlite', 'OLD')} AND record_count = 0;"
)
_SQLITE_UNCHANGED = (
    "OLD.tenant_id IS NEW.tenant_id AND OLD.owner_id IS NEW.owner_id "
    "AND OLD.stage_id IS NEW.stage_id AND OLD.currency IS NEW.currency "
    "AND OLD.closed_on IS NEW.closed_on AND OLD.amount IS NEW.amount "
    "AND (OLD.deleted_at IS NULL) = (NEW.deleted_at IS NULL)"
)

_SQLITE = [
    f"""
    CREATE TRIGGER IF NOT EXISTS opportunity_rollups_insert AFTER INSERT ON {SOURCE_TABLE}
    WHEN NEW.deleted_at IS NULL
    BEGIN
        {_sqlite_add("NEW", 1, "TRUE")}
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS opportunity_rollups_update
    AFTER UPDATE OF tenant_id, owner_id, stage_id, currency, closed_on, amount, deleted_at
    ON {SOURCE_TABLE}
    WHEN NOT ({_SQLITE_UNCHANGED})
    BEGIN
        {_sqlite_add("OLD", -1, "OLD.deleted_at IS NULL")}
        {_sqlite_add("NEW", 1, "NEW.deleted_at IS NULL")}
        {_SQLITE_EMPTIED}
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS opportunity_rollups_delete AFTER DELETE ON {SOURCE_TABLE}
    WHEN OLD.deleted_at IS NULL
    BEGIN
        {_sqlite_add("OLD", -1, "TRUE")}
        {_SQLITE_EMPTIED}
    END
    """,
]

_STATEMENTS = {"postgresql": _POSTGRES, "sqlite": _SQLITE}


def install_rollup_triggers(connection: Connection) -> None:
    """Create or replace the triggers that maintain ``opportunity_rollups``."""
    for statement in _STATEMENTS.get(connection.dialect.name, []):
        connection.execute(text(statement))


def _after_create(target: Table, connection: Connection, **_: Any) -> None:
    # Listening on the Table class catches Alembic's op.create_table too. The
    # triggers need both tables, and the two may be created in either order.
    if target.name not in (SOURCE_TABLE, ROLLUP_TABLE):
        return
    other = ROLLUP_TABLE if target.name == SOURCE_TABLE else SOURCE_TABLE
    if inspect(connection).has_table(other):
        install_rollup_triggers(connection)


event.listen(Table, "after_create", _after_create)
