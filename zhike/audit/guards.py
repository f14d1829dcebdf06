"""Database-level guards that keep the audit trail append-only.

Three walls, from the inside out:

1. ORM events refuse to update or delete an ``AuditEvent`` through a session,
   and a session hook refuses bulk UPDATE/DELETE statements on the table
   (the retention purge passes an explicit execution option).
2. Triggers in the database reject UPDATE, and reject DELETE of any event that
   the tenant's retention checkpoint does not already cover. On PostgreSQL a
   DELETE is further allowed only inside ``zhike_audit_purge``, the retention
   function defined here; TRUNCATE is rejected too.
3. The hash chain itself: someone who bypasses the first two (a database owner can
   drop triggers) still cannot change an event without ``zhike audit verify``
   noticing, unless they rewrite every later event, which an externally kept
   copy of the head hash reveals.

Triggers are installed when the tables are created, whichever tool creates
them, and ``install_guards`` can be run again at any time: it is idempotent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, event, text
from sqlalchemy.orm import Mapper, ORMExecuteState, Session

from zhike.audit.models import AuditEvent

PURGE_OPTION = "audit_retention_purge"


class AuditLogImmutableError(RuntimeError):
    """Raised when code tries to change or remove an audit event outside the retention purge."""


_POSTGRES_EVENTS = [
    """
    CREATE OR REPLACE FUNCTION zhike_audit_events_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF current_setting('zhike.audit_purge', true) = 'on'
               AND OLD.sequence <= (SELECT checkpoint_sequence FROM audit_chain_heads
                                    WHERE tenant_id = OLD.tenant_id) THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'audit events are append-only; only zhike_audit_purge may delete them'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
    """
    CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION zhike_audit_events_guard()
    """,
    "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
    """
    CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION zhike_audit_events_guard()
    """,
    # The retention purge: removes the longest prefix of the tenant's chain whose
    # events all occurred before the cutoff, after moving the checkpoint past it.
    """
    CREATE OR REPLACE FUNCTION zhike_audit_purge(p_tenant uuid, p_cutoff timestamptz)
    RETURNS TABLE (purged_count bigint, through_sequence bigint, through_hash varchar)
    LANGUAGE plpgsql AS $$
    DECLARE
        v_last bigint;
        v_checkpoint bigint;
        v_checkpoint_hash varchar;
        v_keep bigint;
        v_through bigint;
        v_hash varchar;
        v_count bigint;
    BEGIN
        SELECT h.last_sequence, h.checkpoint_sequence, h.checkpoint_hash
          INTO v_last, v_checkpoint, v_checkpoint_hash
          FROM audit_chain_heads h WHERE h.tenant_id = p_tenant FOR UPDATE;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 0::bigint, 0::bigint, NULL::varchar;
            RETURN;
        END IF;
        SELECT min(e.sequence) INTO v_keep FROM audit_events e
         WHERE e.tenant_id = p_tenant AND e.occurred_at >= p_cutoff;
        v_through := coalesce(v_keep, v_last + 1) - 1;
        IF v_through <= v_checkpoint THEN
            RETURN QUERY SELECT 0::bigint, v_checkpoint, v_checkpoint_hash;
            RETURN;
        END IF;
        SELECT e.hash INTO v_hash FROM audit_events e
         WHERE e.tenant_id = p_tenant AND e.sequence = v_through;
        IF v_hash IS NULL THEN
            RAISE EXCEPTION 'audit event % is missing; run zhike audit verify', v_through;
        END IF;
        UPDATE audit_chain_heads
           SET checkpoint_sequence = v_through, checkpoint_hash = v_hash, checkpoint_at = now()
         WHERE tenant_id = p_tenant;
        PERFORM set_config('zhike.audit_purge', 'on', true);
        DELETE FROM audit_events e WHERE e.tenant_id = p_tenant AND e.sequence <= v_through;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        PERFORM set_config('zhike.audit_purge', 'off', true);
        RETURN QUERY SELECT v_count, v_through, v_hash;
    END $$
    """,
]

_POSTGRES_HEADS = [
    """
    CREATE OR REPLACE FUNCTION zhike_audit_heads_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'audit chain heads cannot be deleted'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.tenant_id <> OLD.tenant_id
           OR NEW.last_sequence < OLD.last_sequence
           OR NEW.checkpoint_sequence < OLD.checkpoint_sequence THEN
            RAISE EXCEPTION 'audit chain heads only move forward'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END $$
    """,
    "DROP TRIGGER IF EXISTS audit_chain_heads_forward_only ON audit_chain_heads",
    """
    CREATE TRIGGER audit_chain_heads_forward_only BEFORE UPDATE OR DELETE ON audit_chain_heads
    FOR EACH ROW EXECUTE FUNCTION zhike_audit_heads_guard()
    """,
]

_SQLITE_EVENTS = [
    """
    CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)'); END
    """,
    # SQLite has no stored functions, so the checkpoint is the permit: only events
    # the retention purge has already covered with the checkpoint may be deleted.
    """
    CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events
    WHEN OLD.sequence > coalesce(
        (SELECT checkpoint_sequence FROM audit_chain_heads WHERE tenant_id = OLD.tenant_id), 0)
    BEGIN
        SELECT RAISE(ABORT, 'audit events are append-only; only the retention purge deletes');
    END
    """,
]

_SQLITE_HEADS = [
    """
    CREATE TRIGGER IF NOT EXISTS audit_chain_heads_forward_only BEFORE UPDATE ON audit_chain_heads
    WHEN NEW.tenant_id <> OLD.tenant_id
      OR NEW.last_sequence < OLD.last_sequence
      OR NEW.checkpoint_sequence < OLD.checkpoint_sequence
    BEGIN SELECT RAISE(ABORT, 'audit chain heads only move forward'); END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS audit_chain_heads_no_delete BEFORE DELETE ON audit_chain_heads
    BEGIN SELECT RAISE(ABORT, 'audit chain heads cannot be deleted'); END
    """,
]

_STATEMENTS = {
    ("postgresql", "audit_events"): _POSTGRES_EVENTS,
    ("postgresql", "audit_chain_heads"): _POSTGRES_HEADS,
    ("sqlite", "audit_events"): _SQLITE_EVENTS,
    ("sqlite", "audit_chain_heads"): _SQLITE_HEADS,
}


def install_guards(
    connection: Connection, table_names: tuple[str, ...] = ("audit_chain_heads", "audit_events")
) -> None:
    """Create or replace the triggers (and on PostgreSQL the purge function) of the audit tables."""
    for table_name in table_names:
        for statement in _STATEMENTS.get((connection.dialect.name, table_name), []):
            connection.execute(text(statement))


def _after_create(target: Table, connection: Connection, **_: Any) -> None:
    # Listening on the Table class catches Alembic's op.create_table too, which
    # builds its own Table objects rather than using the model's.
    if target.name in ("audit_events", "audit_chain_heads"):
        install_guards(connection, (target.name,))


event.listen(Table, "after_create", _after_create)


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(_mapper: Mapper[Any], _connection: Connection, target: AuditEvent) -> None:
    raise AuditLogImmutableError(
        f"audit event {target.id} cannot be updated; the audit log is append-only"
    )


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(_mapper: Mapper[Any], _connection: Connection, target: AuditEvent) -> None:
    raise AuditLogImmutableError(
        f"audit event {target.id} cannot be deleted; only the retention purge removes events"
    )


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    # The ORM may hand an annotated copy of the table, so compare by name.
    if getattr(getattr(state.statement, "table", None), "name", None) != AuditEvent.__tablename__:
        return
    if state.is_delete and state.execution_options.get(PURGE_OPTION):
        return
    raise AuditLogImmutableError(
        "bulk UPDATE or DELETE of audit events is refused; the log is append-only"
    )
