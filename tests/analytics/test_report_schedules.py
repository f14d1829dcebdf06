"""Scheduled report delivery: periods in the tenant's zone, recipients' permissions, idempotency.

E-mail goes to a real SMTP server (aiosmtpd) that the test starts on 127.0.0.1;
the clock is the ``now`` passed to ``deliver_due_reports``.
"""

from __future__ import annotations

import io
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from analytics_support import add_opportunity, add_team, log_in_user, stage_ids
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from testkit import TenantInfo

from zhike.analytics.saved_models import ReportDelivery, ReportSchedule
from zhike.analytics.schedules import deliver_due_reports, due_period
from zhike.core.db import Database
from zhike.core.settings import Settings, reset_settings_cache
from zhike.sales.process_models import Notification

WON_BY_OWNER: dict[str, Any] = {
    "object": "opportunities",
    "filters": [{"field": "stage.key", "op": "eq", "value": "won"}],
    "group_by": [{"field": "owner.display_name", "alias": "owner"}],
    "measures": [{"aggregate": "sum", "field": "amount", "alias": "won"}],
}


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802  # aiosmtpd calls handlers by this name
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp_configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Name an SMTP server in the process settings, which the schedule API checks."""
    monkeypatch.setenv("ZHIKE_SMTP_HOST", "127.0.0.1")
    reset_settings_cache()
    yield
    monkeypatch.undo()
    reset_settings_cache()


def _mail_settings(database: Database, port: int) -> Settings:
    return database.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_from": "reports@zhike.test"}
    )


def _save(client: TestClient, sharing: dict[str, Any]) -> str:
    response = client.post(
        "/api/v1/reports/saved",
        json={"name": "赢单周报", "query": WON_BY_OWNER, "sharing": sharing},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _notifications(database: Database, user_id: uuid.UUID) -> list[Notification]:
    with database.session() as session:
        return list(
            session.scalars(
                select(Notification)
                .where(Notification.user_id == user_id)
                .order_by(Notification.created_at)
            )
        )


def test_daily_in_app_delivery_runs_as_recipient(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    won = stage_ids(database, tenant)["won"]
    rep, rep_headers = log_in_user(client, database, tenant, "zheng", "sales_rep")
    other, _ = log_in_user(client, database, tenant, "feng", "sales_rep")
    add_opportunity(database, tenant, rep, won, "300.00")
    add_opportunity(database, tenant, other, won, "999.00")
    report_id = _save(client, {"roles": ["sales_rep"]})
    created = client.post(
        f"/api/v1/reports/saved/{report_id}/schedules",
        json={"frequency": "daily", "hour": 8, "channel": "in_app"},
        headers=rep_headers,
    )
    # 2030-03-04 07:59 and 08:00 in Shanghai.
    before = datetime(2030, 3, 3, 23, 59, tzinfo=UTC)
    due = datetime(2030, 3, 4, 0, 0, tzinfo=UTC)
    next_day = datetime(2030, 3, 5, 0, 1, tzinfo=UTC)

    early = deliver_due_reports(database, before, tenant_ids=[tenant.tenant.id])
    first = deliver_due_reports(database, due, tenant_ids=[tenant.tenant.id])
    again = deliver_due_reports(database, due, tenant_ids=[tenant.tenant.id])
    later = deliver_due_reports(database, next_day, tenant_ids=[tenant.tenant.id])

    assert created.status_code == 201, created.text
    assert created.json()["recipient_id"] == str(rep)
    assert early == {"sent": 0, "failed": 0, "skipped": 0}
    assert first == {"sent": 1, "failed": 0, "skipped": 0}
    assert again == {"sent": 0, "failed": 0, "skipped": 1}
    assert later == {"sent": 1, "failed": 0, "skipped": 0}
    notices = _notifications(database, rep)
    assert [notice.kind for notice in notices] == ["report_ready", "report_ready"]
    # Only the recipient's own row: one row, not the other rep's.
    assert notices[0].params == {"report": "赢单周报", "period": "2030-03-04", "rows": 1}
    assert notices[1].params["period"] == "2030-03-05"
    assert _notifications(database, other) == []
    listed = client.get("/api/v1/notifications", headers=rep_headers)
    assert listed.status_code == 200, listed.text
    assert "赢单周报" in listed.json()["items"][0]["message"]


def test_weekly_email_with_xlsx_for_manager(
    client: TestClient,
    database: Database,
    tenant: TenantInfo,
    smtp_server: tuple[_Inbox, int],
    smtp_configured: None,
) -> None:
    inbox, port = smtp_server
    won = stage_ids(database, tenant)["won"]
    east = add_team(database, tenant, "华东区")
    north = add_team(database, tenant, "华北区")
    manager, _ = log_in_user(client, database, tenant, "chu", "sales_manager", east)
    east_rep, _ = log_in_user(client, database, tenant, "wei", "sales_rep", east)
    north_rep, _ = log_in_user(client, database, tenant, "jiang", "sales_rep", north)
    add_opportunity(database, tenant, east_rep, won, "1200.50")
    add_opportunity(database, tenant, north_rep, won, "8000.00")
    report_id = _save(client, {"roles": ["sales_manager"]})
    created = client.post(
        f"/api/v1/reports/saved/{report_id}/schedules",
        json={
            "recipient_id": str(manager),
            "frequency": "weekly",
            "weekday": 0,
            "hour": 9,
            "channel": "email",
            "file_format": "xlsx",
        },
    )
    settings = _mail_settings(database, port)
    # Monday 2030-03-04 08:59 and 09:00 in Shanghai.
    sunday_night = datetime(2030, 3, 4, 0, 59, tzinfo=UTC)
    monday = datetime(2030, 3, 4, 1, 0, tzinfo=UTC)
    tuesday = datetime(2030, 3, 5, 3, 0, tzinfo=UTC)

    early = deliver_due_reports(database, sunday_night, settings, [tenant.tenant.id])
    sent = deliver_due_reports(database, monday, settings, [tenant.tenant.id])
    repeated = deliver_due_reports(database, tuesday, settings, [tenant.tenant.id])

    assert created.status_code == 201, created.text
    assert early["sent"] == 0
    assert sent == {"sent": 1, "failed": 0, "skipped": 0}
    assert repeated == {"sent": 0, "failed": 0, "skipped": 1}
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == f"chu@{tenant.slug}.example.com"
    assert str(make_header(decode_header(message["Subject"]))) == "报表 赢单周报（2030-W10）"
    attachments = [part for part in message.walk() if part.get_filename()]
    assert len(attachments) == 1
    assert attachments[0].get_filename() == "赢单周报-2030-W10.xlsx"
    payload = attachments[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    sheet = load_workbook(io.BytesIO(payload)).active
    assert sheet is not None
    # The manager's department tree holds the east rep only.
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["负责人", "赢单金额 (CNY)"],
        ["wei", 1200.5],
    ]


def test_failed_email_is_retried_once(
    client: TestClient, database: Database, tenant: TenantInfo, smtp_configured: None
) -> None:
    report_id = _save(client, {})
    created = client.post(
        f"/api/v1/reports/saved/{report_id}/schedules",
        json={"frequency": "monthly", "day_of_month": 1, "hour": 0, "channel": "email"},
    )
    port = _free_port()
    closed = _mail_settings(database, port)
    # 2030-04-01 00:30 in Shanghai is still March in UTC.
    moment = datetime(2030, 3, 31, 16, 30, tzinfo=UTC)

    failed = deliver_due_reports(database, moment, closed, [tenant.tenant.id])
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        retried = deliver_due_reports(database, moment, closed, [tenant.tenant.id])
        settled = deliver_due_reports(database, moment, closed, [tenant.tenant.id])
    finally:
        controller.stop()

    assert created.status_code == 201, created.text
    assert failed == {"sent": 0, "failed": 1, "skipped": 0}
    assert retried == {"sent": 1, "failed": 0, "skipped": 0}
    assert settled == {"sent": 0, "failed": 0, "skipped": 1}
    assert len(inbox.messages) == 1
    with database.session() as session:
        deliveries = list(
            session.scalars(
                select(ReportDelivery)
                .join(ReportSchedule, ReportSchedule.id == ReportDelivery.schedule_id)
                .where(ReportSchedule.report_id == uuid.UUID(report_id))
            )
        )
    assert [(row.period_key, row.status) for row in deliveries] == [("2030-04", "sent")]


def test_schedule_for_others_needs_owner_and_share(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    rep, rep_headers = log_in_user(client, database, tenant, "yang", "sales_rep")
    colleague, _ = log_in_user(client, database, tenant, "zhu", "sales_rep")
    agent, _ = log_in_user(client, database, tenant, "qin", "service_agent")
    private = _save(client, {})
    shared = _save(client, {"roles": ["sales_rep"]})
    in_app = {"frequency": "daily", "channel": "in_app"}

    not_shared = client.post(
        f"/api/v1/reports/saved/{private}/schedules", json={**in_app, "recipient_id": str(agent)}
    )
    by_reader = client.post(
        f"/api/v1/reports/saved/{shared}/schedules",
        json={**in_app, "recipient_id": str(colleague)},
        headers=rep_headers,
    )
    rep_email = client.post(
        f"/api/v1/reports/saved/{shared}/schedules",
        json={"frequency": "daily", "channel": "email"},
        headers=rep_headers,
    )
    own = client.post(f"/api/v1/reports/saved/{shared}/schedules", json=in_app, headers=rep_headers)
    owner_view = client.get(f"/api/v1/reports/saved/{shared}/schedules")
    rep_view = client.get(f"/api/v1/reports/saved/{shared}/schedules", headers=rep_headers)

    assert not_shared.status_code == 400
    assert not_shared.json()["code"] == "report_not_shared_with_recipient"
    assert by_reader.status_code == 403
    # A rep may not export opportunities, so no file by e-mail either.
    assert rep_email.status_code == 403
    assert own.status_code == 201, own.text
    assert [item["recipient_id"] for item in owner_view.json()["items"]] == [str(rep)]
    assert [item["id"] for item in rep_view.json()["items"]] == [own.json()["id"]]


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        (
            "zh-CN",
            "未配置 SMTP 服务器，无法通过邮件发送报表。"
            "请管理员在服务器设置中配置 ZHIKE_SMTP_HOST，或改用站内通知。",
        ),
        (
            "en",
            "E-mail delivery needs an SMTP server and none is configured. Ask an administrator "
            "to set ZHIKE_SMTP_HOST in the server settings, or choose in-app delivery.",
        ),
    ],
)
def test_email_schedule_needs_smtp_server(
    client: TestClient, database: Database, language: str, detail: str
) -> None:
    report_id = _save(client, {})

    response = client.post(
        f"/api/v1/reports/saved/{report_id}/schedules",
        json={"frequency": "daily", "channel": "email"},
        headers={"Accept-Language": language},
    )
    in_app = client.post(
        f"/api/v1/reports/saved/{report_id}/schedules",
        json={"frequency": "daily", "channel": "in_app"},
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "report_schedule_needs_smtp"
    assert response.json()["detail"] == detail
    assert in_app.status_code == 201, in_app.text
    with database.session() as session:
        channels = session.scalars(
            select(ReportSchedule.channel).where(ReportSchedule.report_id == uuid.UUID(report_id))
        ).all()
    assert channels == ["in_app"]


def test_due_period_keys() -> None:
    schedule = ReportSchedule(
        frequency="weekly",
        hour=8,
        weekday=4,
        day_of_month=1,
        created_at=datetime(2029, 1, 1, tzinfo=UTC),
    )
    friday = datetime(2030, 1, 4, 0, 0, tzinfo=UTC)  # Friday 08:00 in Shanghai

    weekly = due_period(schedule, friday, "Asia/Shanghai")
    thursday = due_period(schedule, datetime(2030, 1, 3, 23, 0, tzinfo=UTC), "Asia/Shanghai")
    schedule.frequency = "daily"
    # New York is 13 hours behind Shanghai: still 2030-01-03 19:00 there.
    new_york = due_period(schedule, friday, "America/New_York")
    schedule.created_at = datetime(2030, 1, 4, 0, 30, tzinfo=UTC)
    created_after = due_period(schedule, datetime(2030, 1, 4, 1, 0, tzinfo=UTC), "Asia/Shanghai")

    assert weekly is not None
    assert weekly.key == "2030-W01"
    assert thursday is None
    assert new_york is not None
    assert new_york.key == "2030-01-03"
    assert created_after is None
    assert date(2030, 1, 4).weekday() == 4
