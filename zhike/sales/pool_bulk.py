"""Set-based writes of pool events: one INSERT ... SELECT per action instead of a row loop.

The event ids are UUIDv7 like every other id, but made inside the database so
that no id travels through Python. PostgreSQL builds them from
``gen_random_uuid()`` (built in since version 13) with the millisecond clock
laid over the first 48 bits and the version nibble set to 7. SQLite calls
``uuid_utils.uuid7()`` through a function registered on the connection, and
stores the 32-digit hex form that SQLAlchemy's ``Uuid`` type uses there.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

import uuid_utils
from sqlalchemy import Connection, Table, Uuid, insert, literal, literal_column, null, select

from zhike.sales.pool_models import PoolEntry, PoolEvent
from zhike.security.context import Actor

SQLITE_ID_FUNCTION = "zhike_uuid7"

# Overlay the epoch milliseconds on a random v4 UUID, then turn version 4 (0100)
# into version 7 (0111) by setting bits 52 and 53.
_POSTGRES_UUID7 = (
    "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing "
    "substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) "
    "from 3) from 1 for 6), 52, 1), 53, 1), 'hex')::uuid"
)


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def _sqlite_uuid7() -> str:
    return uuid_utils.uuid7().hex


def sql_new_id(connection: Connection) -> Any:
    """Return a column expression that yields a fresh UUIDv7 for every selected row."""
    if connection.dialect.name == "postgresql":
        return literal_column(_POSTGRES_UUID7, type_=Uuid())
    driver = connection.connection.driver_connection
    # Registering again replaces the same function, so no bookkeeping is needed.
    driver.create_function(SQLITE_ID_FUNCTION, 0, _sqlite_uuid7)  # type: ignore[union-attr]
    return literal_column(f"{SQLITE_ID_FUNCTION}()", type_=Uuid())


def insert_events_from_entries(
    connection: Connection,
    actor: Actor,
    *,
    pool_id: uuid.UUID,
    object_name: str,
    action: str,
    reason: Any,
    user_column: Any,
    condition: Any,
    now: datetime,
) -> int:
    """Insert one pool event per entry matching ``condition``; return how many were written.

    ``reason`` is a plain string or a SQL expression evaluated per entry, and
    ``user_column`` names the entry column holding the owner concerned.
    """
    events = _table(PoolEvent)
    reason_expression = (
        literal(reason, type_=events.c.reason.type) if isinstance(reason, str) else reason
    )
    actor_expression = (
        literal(actor.user_id, type_=events.c.actor_id.type)
        if actor.user_id is not None
        else null()
    )
    rows = select(
        sql_new_id(connection),
        literal(actor.tenant_id, type_=events.c.tenant_id.type),
        literal(pool_id, type_=events.c.pool_id.type),
        literal(object_name, type_=events.c.object_name.type),
        PoolEntry.record_id,
        literal(action, type_=events.c.action.type),
        reason_expression,
        null(),
        user_column,
        actor_expression,
        literal(now, type_=events.c.occurred_at.type),
    ).where(condition)
    result = connection.execute(
        insert(events).from_select(
            [
                "id",
                "tenant_id",
                "pool_id",
                "object_name",
                "record_id",
                "action",
                "reason",
                "note",
                "user_id",
                "actor_id",
                "occurred_at",
            ],
            rows,
        )
    )
    return int(result.rowcount)
