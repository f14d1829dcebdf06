"""The auditor-facing API, the CLI, and the login events, end to end."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from testkit import ADMIN_PASSWORD, TenantInfo
from typer.testing import CliRunner

from zhike.api.app import create_app
from zhike.audit.models import AuditEvent
from zhike.audit.service import record_event
from zhike.cli import app as cli_app
from zhike.core.db import Database, set_database
from zhike.security.auth import hash_password
from zhike.security.models import User

EVENTS = AuditEvent.__table__


def _events(database: Database, tenant: TenantInfo) -> list[AuditEvent]:
    with database.session() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.tenant_id == tenant.tenant.id)
                .order_by(AuditEvent.sequence)
            )
        )


def _add_user(database: Database, tenant: TenantInfo, role: str) -> str:
    email = f"{role}@{tenant.slug}.example.com"
    with database.session() as session:
        session.add(
            User(
                tenant_id=tenant.tenant.id,
                email=email,
                display_name=role,
                password_hash=hash_password(ADMIN_PASSWORD),
                role=role,
            )
        )
    return email


def _login(
    client: TestClient, tenant: TenantInfo, email: str, password: str = ADMIN_PASSWORD
) -> int:
    client.headers["User-Agent"] = "audit-test/1.0"
    response = client.post(
        "/api/v1/auth/login", json={"tenant": tenant.slug, "email": email, "password": password}
    )
    if response.status_code == 200:
        client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return response.status_code


@pytest.fixture
def anonymous(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


class TestLoginEvents:
    def test_login_failures_and_logout_are_recorded(
        self, database: Database, tenant: TenantInfo, anonymous: TestClient
    ) -> None:
        assert _login(anonymous, tenant, tenant.admin_email, "wrong-password-1") == 401
        assert _login(anonymous, tenant, "nobody@example.com", "Secret-guess-2") == 401
        assert _login(anonymous, tenant, tenant.admin_email) == 200
        assert anonymous.post("/api/v1/auth/logout").status_code == 204
        events = _events(database, tenant)
        assert [(event.action, event.actor_id) for event in events] == [
            ("login_failed", tenant.admin.id),
            ("login_failed", None),
            ("login", tenant.admin.id),
            ("logout", tenant.admin.id),
        ]
        assert [event.details for event in events[:2]] == [
            {"email": "a***@" + f"{tenant.slug}.example.com", "reason": "wrong_password"},
            {"email": "n***@example.com", "reason": "unknown_user"},
        ]
        assert {event.user_agent for event in events} == {"audit-test/1.0"}
        assert {event.ip for event in events} == {"testclient"}
        stored = " ".join(str(event.details) for event in events)
        assert "wrong-password-1" not in stored
        assert "Secret-guess-2" not in stored

    def test_unknown_tenant_records_nothing(
        self, database: Database, anonymous: TestClient
    ) -> None:
        with database.session() as session:
            before = session.query(AuditEvent).count()
        response = anonymous.post(
            "/api/v1/auth/login",
            json={"tenant": "no-such-tenant", "email": "a@b.cn", "password": "x"},
        )
        assert response.status_code == 401
        with database.session() as session:
            assert session.query(AuditEvent).count() == before


class TestEventsApi:
    def test_lists_newest_first_with_filters_and_cursor(
        self, database: Database, tenant: TenantInfo, client: TestClient
    ) -> None:
        with database.session() as session:
            for index in range(5):
                record_event(
                    session,
                    tenant.actor,
                    "record.update",
                    object_name="contact",
                    record_id=f"c{index % 2}",
                )
        first = client.get("/api/v1/audit/events", params={"action": "record.update", "limit": 2})
        assert first.status_code == 200
        page = first.json()
        assert [item["sequence"] for item in page["items"]] == [6, 5]
        second = client.get(
            "/api/v1/audit/events",
            params={"action": "record.update", "limit": 2, "cursor": page["next_cursor"]},
        ).json()
        third = client.get(
            "/api/v1/audit/events",
            params={"action": "record.update", "limit": 2, "cursor": second["next_cursor"]},
        ).json()
        assert [item["sequence"] for item in second["items"]] == [4, 3]
        assert [item["sequence"] for item in third["items"]] == [2]
        assert third["next_cursor"] is None
        by_record = client.get(
            "/api/v1/audit/events", params={"object_name": "contact", "record_id": "c1"}
        ).json()
        assert [item["sequence"] for item in by_record["items"]] == [5, 3]
        by_actor = client.get(
            "/api/v1/audit/events", params={"actor_id": str(tenant.admin.id)}
        ).json()
        assert len(by_actor["items"]) == 6  # the fixture's login and the five updates
        login = by_actor["items"][-1]
        assert (login["action"], login["object_name"], login["record_id"]) == (
            "login",
            "user",
            str(tenant.admin.id),
        )

    def test_time_range(self, database: Database, tenant: TenantInfo, client: TestClient) -> None:
        with database.session() as session:
            events = [record_event(session, tenant.actor, "export") for _ in range(3)]
        window = {
            "from": events[1].occurred_at.isoformat(),
            "to": events[2].occurred_at.isoformat(),
        }
        response = client.get("/api/v1/audit/events", params=window)
        assert [item["sequence"] for item in response.json()["items"]] == [events[1].sequence]
        reversed_window = {"from": window["to"], "to": window["from"]}
        response = client.get(
            "/api/v1/audit/events", params=reversed_window, headers={"Accept-Language": "en"}
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_time_range"

    def test_bad_cursor(self, client: TestClient) -> None:
        response = client.get("/api/v1/audit/events", params={"cursor": "bm9wZQ"})
        assert (response.status_code, response.json()["code"]) == (400, "invalid_cursor")

    def test_export_is_csv_with_bom_and_is_itself_audited(
        self, database: Database, tenant: TenantInfo, client: TestClient
    ) -> None:
        with database.session() as session:
            record_event(
                session,
                tenant.actor,
                "record.update",
                object_name="contact",
                record_id="=1+1",
                changes={"name": ["张三", "=HYPERLINK(1)"]},
            )
        response = client.get("/api/v1/audit/events/export")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert [row["action"] for row in rows] == ["record.update", "login"]
        assert rows[0]["changes"] == '{"name": ["张三", "=HYPERLINK(1)"]}'
        assert rows[0]["user_agent"] == ""
        # A cell that a spreadsheet would run as a formula is quoted.
        assert rows[0]["record_id"] == "'=1+1"
        assert response.headers["x-total-count"] == "2"
        export = _events(database, tenant)[-1]
        assert (export.action, export.object_name, export.details) == (
            "export",
            "audit_event",
            {"filters": {}, "format": "csv", "rows": 2},
        )

    @pytest.mark.parametrize("role", ["auditor", "administrator"])
    def test_readers_may_read(
        self, database: Database, tenant: TenantInfo, anonymous: TestClient, role: str
    ) -> None:
        email = tenant.admin_email if role == "administrator" else _add_user(database, tenant, role)
        assert _login(anonymous, tenant, email) == 200
        assert anonymous.get("/api/v1/audit/events").status_code == 200
        assert anonymous.get("/api/v1/audit/events/export").status_code == 200

    @pytest.mark.parametrize("path", ["/api/v1/audit/events", "/api/v1/audit/events/export"])
    def test_other_roles_and_anonymous_are_refused(
        self, database: Database, tenant: TenantInfo, anonymous: TestClient, path: str
    ) -> None:
        assert anonymous.get(path).status_code == 401
        assert _login(anonymous, tenant, _add_user(database, tenant, "sales_rep")) == 200
        before = len(_events(database, tenant))
        response = anonymous.get(path)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
        assert len(_events(database, tenant)) == before


class TestCli:
    def test_verify_reports_ok_then_the_tampered_event(
        self, database: Database, tenant: TenantInfo
    ) -> None:
        with database.session() as session:
            events = [record_event(session, tenant.actor, "config.change") for _ in range(3)]
        runner = CliRunner()
        try:
            result = runner.invoke(
                cli_app, ["audit", "verify", "--tenant", tenant.slug, "--locale", "en"]
            )
            assert result.exit_code == 0, result.output
            assert result.output.startswith(
                f"OK Audit chain of tenant {tenant.slug} is intact: 3 events checked"
            )
            with database.engine.begin() as connection:
                if database.engine.dialect.name == "postgresql":
                    connection.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
                else:
                    connection.exec_driver_sql("DROP TRIGGER audit_events_no_update")
                connection.execute(
                    EVENTS.update().where(EVENTS.c.id == events[1].id).values(action="login")
                )
                if database.engine.dialect.name == "postgresql":
                    connection.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER USER")
                else:
                    from zhike.audit.guards import install_guards

                    install_guards(connection)
            result = runner.invoke(
                cli_app, ["audit", "verify", "--tenant", tenant.slug, "--locale", "en"]
            )
            assert result.exit_code == 1
            assert f"tampered: Event 2 ({events[1].id}) was altered" in " ".join(
                result.output.split()
            )
        finally:
            set_database(database)
