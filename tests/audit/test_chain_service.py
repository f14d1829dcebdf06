"""Appending, guarding, verifying and purging the audit chain on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import Connection, bindparam, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import Uuid
from testkit import TenantInfo

from zhike.audit.chain import hash_row
from zhike.audit.guards import AuditLogImmutableError, install_guards
from zhike.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from zhike.audit.retention import purge_expired
from zhike.audit.service import record_change, record_event
from zhike.audit.verify import Problem, verify_chain
from zhike.core.db import Database
from zhike.core.errors import InvalidInput
from zhike.security.masking import MaskKind
from zhike.security.models import Tenant

EVENTS = AuditEvent.__table__


def _append(database: Database, tenant: TenantInfo, count: int) -> list[AuditEvent]:
    with database.session() as session:
        return [
            record_event(session, tenant.actor, "config.change", details={"step": index})
            for index in range(count)
        ]


def _rows(database: Database, tenant: TenantInfo) -> list[AuditEvent]:
    with database.session() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.tenant_id == tenant.tenant.id)
                .order_by(AuditEvent.sequence)
            )
        )


def _verify(database: Database, tenant: TenantInfo):  # type: ignore[no-untyped-def]
    with database.session() as session:
        return verify_chain(session, tenant.tenant.id)


@contextmanager
def attacker(database: Database) -> Iterator[Connection]:
    """A raw connection with the guard triggers switched off, as a database owner could."""
    dialect = database.engine.dialect.name
    with database.engine.begin() as connection:
        if dialect == "postgresql":
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            connection.execute(text("ALTER TABLE audit_chain_heads DISABLE TRIGGER USER"))
        else:
            for name in (
                "audit_events_no_update",
                "audit_events_no_delete",
                "audit_chain_heads_forward_only",
            ):
                connection.execute(text(f"DROP TRIGGER {name}"))
        try:
            yield connection
        finally:
            if dialect == "postgresql":
                connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
                connection.execute(text("ALTER TABLE audit_chain_heads ENABLE TRIGGER USER"))
            else:
                install_guards(connection)


class TestAppend:
    def test_events_form_a_gap_free_chain(self, database: Database, tenant: TenantInfo) -> None:
        _append(database, tenant, 3)
        rows = _rows(database, tenant)
        assert [row.sequence for row in rows] == [1, 2, 3]
        assert rows[0].previous_hash == GENESIS_HASH
        assert [row.previous_hash for row in rows[1:]] == [row.hash for row in rows[:-1]]
        assert all(hash_row(row.__dict__) == row.hash for row in rows)
        with database.session() as session:
            head = session.get(AuditChainHead, tenant.tenant.id)
            assert head is not None
            assert (head.last_sequence, head.last_hash) == (3, rows[-1].hash)
        result = _verify(database, tenant)
        assert (result.ok, result.checked, result.head_sequence) == (True, 3, 3)

    def test_event_rolls_back_with_the_change_it_describes(
        self, database: Database, tenant: TenantInfo
    ) -> None:
        _append(database, tenant, 1)
        session = database.session_factory()
        record_event(session, tenant.actor, "config.change")
        session.rollback()
        session.close()
        assert [row.sequence for row in _rows(database, tenant)] == [1]
        assert _verify(database, tenant).ok

    def test_sensitive_values_are_stored_masked(
        self, database: Database, tenant: TenantInfo
    ) -> None:
        with database.session() as session:
            record_event(
                session,
                tenant.actor,
                "record.update",
                object_name="contact",
                record_id="c1",
                changes={"mobile": ["13812345678", "13987654321"], "name": ["张三", "张三丰"]},
                details={"id_number": "110101199003071234", "note": "ok"},
                sensitive_fields={"mobile": MaskKind.MOBILE, "id_number": MaskKind.ID_NUMBER},
            )
        (row,) = _rows(database, tenant)
        assert row.changes == {"mobile": ["138****5678", "139****4321"], "name": ["张三", "张三丰"]}
        assert row.details == {"id_number": "110***********1234", "note": "ok"}
        assert (row.actor_id, row.actor_kind) == (tenant.admin.id, "user")

    def test_record_change_computes_the_field_diff(
        self, database: Database, tenant: TenantInfo
    ) -> None:
        record_id = uuid.uuid4()
        before = {
            "name": "张三",
            "email": "zhang@example.com",
            "version": 1,
            "custom": {"level": "A"},
        }
        after = {"name": "张三", "email": "san@example.com", "version": 2, "custom": {"level": "B"}}
        with database.session() as session:
            created = record_change(
                session, tenant.actor, "contact", record_id, "create", None, before, {"email"}
            )
            updated = record_change(
                session,
                tenant.actor,
                "contact",
                record_id,
                "record.update",
                before,
                after,
                {"email"},
            )
            unchanged = record_change(
                session, tenant.actor, "contact", record_id, "update", after, after
            )
        assert created is not None
        assert updated is not None
        assert unchanged is None
        assert created.action == "record.create"
        assert created.changes == {
            "custom.level": [None, "A"],
            "email": [None, "z***@example.com"],
            "name": [None, "张三"],
        }
        assert updated.changes == {
            "custom.level": ["A", "B"],
            "email": ["z***@example.com", "s***@example.com"],
        }
        assert updated.record_id == str(record_id)
        assert len(_rows(database, tenant)) == 2

    def test_invalid_action_is_refused(self, database: Database, tenant: TenantInfo) -> None:
        with (
            pytest.raises(ValueError, match="is not a dotted lower-case name"),
            database.session() as session,
        ):
            record_event(session, tenant.actor, "Record Update")
        assert _rows(database, tenant) == []


class TestGuards:
    def test_orm_refuses_update_and_delete(self, database: Database, tenant: TenantInfo) -> None:
        _append(database, tenant, 1)
        mine = select(AuditEvent).where(AuditEvent.tenant_id == tenant.tenant.id)
        with database.session_factory() as session:
            session.scalars(mine).one().action = "login"
            with pytest.raises(AuditLogImmutableError, match="cannot be updated"):
                session.flush()
        with database.session_factory() as session:
            session.delete(session.scalars(mine).one())
            with pytest.raises(AuditLogImmutableError, match="cannot be deleted"):
                session.flush()
        with database.session_factory() as session:
            bulk = EVENTS.delete().where(EVENTS.c.tenant_id == tenant.tenant.id)
            with pytest.raises(AuditLogImmutableError, match="bulk UPDATE or DELETE"):
                session.execute(bulk)
        assert [row.action for row in _rows(database, tenant)] == ["config.change"]

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit_events SET action = 'login' WHERE tenant_id = :tenant",
            "DELETE FROM audit_events WHERE tenant_id = :tenant",
            "UPDATE audit_chain_heads SET last_sequence = 0 WHERE tenant_id = :tenant",
            "DELETE FROM audit_chain_heads WHERE tenant_id = :tenant",
        ],
    )
    def test_database_triggers_refuse_raw_sql(
        self, database: Database, tenant: TenantInfo, statement: str
    ) -> None:
        _append(database, tenant, 2)
        with (
            pytest.raises(DBAPIError, match=r"append-only|only move forward|cannot be deleted"),
            database.engine.begin() as connection,
        ):
            connection.execute(
                text(statement).bindparams(bindparam("tenant", tenant.tenant.id, type_=Uuid()))
            )
        assert [row.action for row in _rows(database, tenant)] == ["config.change", "config.change"]
        assert _verify(database, tenant).ok


class TestVerify:
    def test_finds_an_edited_event(self, database: Database, tenant: TenantInfo) -> None:
        events = _append(database, tenant, 5)
        with attacker(database) as connection:
            connection.execute(
                EVENTS.update().where(EVENTS.c.id == events[2].id).values(details={"step": 99})
            )
        result = _verify(database, tenant)
        assert (result.ok, result.problem, result.sequence, result.event_id) == (
            False,
            Problem.TAMPERED,
            3,
            events[2].id,
        )
        assert result.checked == 2
        assert result.found == events[2].hash

    def test_finds_an_edit_whose_hash_was_recomputed(
        self, database: Database, tenant: TenantInfo
    ) -> None:
        events = _append(database, tenant, 4)
        with attacker(database) as connection:
            row = dict(
                connection.execute(select(EVENTS).where(EVENTS.c.id == events[1].id))
                .mappings()
                .one()
            )
            row["details"] = {"step": 42}
            connection.execute(
                EVENTS.update()
                .where(EVENTS.c.id == events[1].id)
                .values(details={"step": 42}, hash=hash_row(row))
            )
        result = _verify(database, tenant)
        assert (result.problem, result.sequence, result.event_id) == (
            Problem.BROKEN_LINK,
            3,
            events[2].id,
        )
        assert result.found == events[1].hash

    def test_finds_an_event_deleted_from_the_middle(
        self, database: Database, tenant: TenantInfo
    ) -> None:
        events = _append(database, tenant, 5)
        with attacker(database) as connection:
            connection.execute(EVENTS.delete().where(EVENTS.c.id == events[2].id))
        result = _verify(database, tenant)
        assert (result.problem, result.sequence, result.event_id, result.found) == (
            Problem.MISSING,
            3,
            events[3].id,
            "4",
        )

    def test_finds_events_cut_from_the_end(self, database: Database, tenant: TenantInfo) -> None:
        events = _append(database, tenant, 3)
        with attacker(database) as connection:
            connection.execute(EVENTS.delete().where(EVENTS.c.id == events[2].id))
        result = _verify(database, tenant)
        assert (result.problem, result.sequence, result.checked) == (Problem.TRUNCATED, 3, 2)

    def test_tenant_without_events_is_ok(self, database: Database, tenant: TenantInfo) -> None:
        result = _verify(database, tenant)
        assert (result.ok, result.checked, result.head_hash) == (True, 0, GENESIS_HASH)


class TestRetention:
    def test_purge_removes_only_expired_events_and_keeps_the_chain_verifiable(
        self, database: Database, tenant: TenantInfo
    ) -> None:
        _append(database, tenant, 6)
        rows = _rows(database, tenant)
        with database.session() as session:
            session.get_one(Tenant, tenant.tenant.id).settings = {"audit_retention_days": 365}
        # "Now" is one year after the third event, so exactly the first three have expired.
        now = rows[2].occurred_at + timedelta(days=365, microseconds=1)
        with database.session() as session:
            result = purge_expired(session, tenant.tenant.id, now)
        assert (result.purged, result.checkpoint_sequence, result.checkpoint_hash) == (
            3,
            3,
            rows[2].hash,
        )
        remaining = _rows(database, tenant)
        assert [row.sequence for row in remaining] == [4, 5, 6, 7]
        assert remaining[-1].action == "audit.purge"
        assert remaining[-1].details == {
            "cutoff": result.cutoff.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "purged": 3,
            "through_hash": rows[2].hash,
            "through_sequence": 3,
        }
        verified = _verify(database, tenant)
        assert (verified.ok, verified.checked, verified.checkpoint_sequence) == (True, 4, 3)
        # Purging again at the same time finds nothing new and records nothing.
        with database.session() as session:
            assert purge_expired(session, tenant.tenant.id, now).purged == 0
        assert len(_rows(database, tenant)) == 4

    def test_default_retention_keeps_recent_events(
        self, database: Database, tenant: TenantInfo
    ) -> None:
        _append(database, tenant, 2)
        with database.session() as session:
            result = purge_expired(session, tenant.tenant.id)
        assert result.purged == 0
        assert len(_rows(database, tenant)) == 2

    def test_raw_delete_is_still_refused_beyond_the_checkpoint(
        self, database: Database, tenant: TenantInfo
    ) -> None:
        rows = _append(database, tenant, 3)
        with database.session() as session:
            purge_expired(
                session,
                tenant.tenant.id,
                rows[0].occurred_at + timedelta(days=1826, microseconds=1),
            )
        with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as connection:
            connection.execute(EVENTS.delete().where(EVENTS.c.id == rows[1].id))
        assert [row.sequence for row in _rows(database, tenant)] == [2, 3, 4]

    def test_moving_the_checkpoint_without_a_purge_is_found(
        self, database: Database, tenant: TenantInfo
    ) -> None:
        rows = _append(database, tenant, 4)
        heads = AuditChainHead.__table__
        with database.engine.begin() as connection:
            if database.engine.dialect.name == "postgresql":
                # Anyone with SQL access can raise the flag the purge function raises.
                connection.execute(text("SELECT set_config('zhike.audit_purge', 'on', true)"))
            connection.execute(
                heads.update()
                .where(heads.c.tenant_id == tenant.tenant.id)
                .values(checkpoint_sequence=2, checkpoint_hash=rows[1].hash)
            )
            connection.execute(
                EVENTS.delete().where(
                    EVENTS.c.tenant_id == tenant.tenant.id, EVENTS.c.sequence <= 2
                )
            )
        result = _verify(database, tenant)
        assert (result.problem, result.sequence, result.found) == (
            Problem.CHECKPOINT_UNRECORDED,
            2,
            None,
        )

    @pytest.mark.parametrize("days", [30, "five years", True])
    def test_invalid_retention_setting_is_refused(
        self, database: Database, tenant: TenantInfo, days: object
    ) -> None:
        _append(database, tenant, 1)
        with database.session() as session:
            session.get_one(Tenant, tenant.tenant.id).settings = {"audit_retention_days": days}
        with pytest.raises(InvalidInput) as caught, database.session() as session:
            purge_expired(session, tenant.tenant.id)
        assert caught.value.code == "audit_retention_invalid"
        assert caught.value.params == {"value": str(days), "minimum": 180}
        assert len(_rows(database, tenant)) == 1


def test_concurrent_writers_do_not_fork_the_chain(database: Database, tenant: TenantInfo) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite admits one writer at a time; the row lock matters on PostgreSQL")
    writers, per_writer = 4, 15
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            barrier.wait()
            for _ in range(per_writer):
                with database.session() as session:
                    record_event(session, tenant.actor, "api_key.use")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with database.session() as session:
        count = session.scalar(select(func.count()).where(EVENTS.c.tenant_id == tenant.tenant.id))
    assert count == writers * per_writer
    result = _verify(database, tenant)
    assert (result.ok, result.checked, result.head_sequence) == (
        True,
        writers * per_writer,
        writers * per_writer,
    )
