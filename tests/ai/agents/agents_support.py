"""Helpers of the agent tests: a company-information server, an SMTP sink and run helpers."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller
from sqlalchemy import select

from zhike.ai.agents.api import run_detail
from zhike.ai.agents.connectors import Connectors, HttpCompanyInfo, SmtpMailer
from zhike.ai.agents.executor import Advanced, advance_run
from zhike.ai.agents.models import AgentRun, AgentStep
from zhike.ai.agents.schemas import RunCreate, RunDetail
from zhike.ai.agents.service import AgentService
from zhike.core.db import Database
from zhike.customers.objects import CONTACTS
from zhike.marketing.consent import ConsentInput, record_consent, tenant_settings
from zhike.platform.records import RecordService
from zhike.sales.objects import LEADS
from zhike.security.actors import actor_for
from zhike.security.context import Actor
from zhike.security.models import Tenant, User

COMPANY = "杭州云启智能科技有限公司"
PROFILE = {"name": COMPANY, "industry": "智能制造", "employee_count": 320, "city": "杭州"}


def new_lead(database: Database, actor: Actor, **values: object) -> uuid.UUID:
    fields = {
        "name": "王明",
        "company": COMPANY,
        "title": "技术总监",
        "email": "wang.ming@yunqi.example.com",
        "mobile": "13812345678",
        "lead_source": "转介绍",
        "description": "需要设备联网与预测性维护平台",
        "status": "new",
    }
    fields.update(values)
    with database.session() as session:
        return RecordService(session, actor, LEADS).create(fields).id


def consenting_contact(
    database: Database, admin: Actor, email: str, status: str = "granted", name: str = "客户联系人"
) -> uuid.UUID:
    """Create a contact with ``email`` and an email consent line for marketing in ``status``.

    Quiet hours are turned off for the tenant too, so the send gate's decision does
    not depend on the hour the test runs at.
    """
    with database.session() as session:
        contact = RecordService(session, admin, CONTACTS).create({"name": name, "email": email})
        record_consent(
            session,
            admin,
            ConsentInput(
                contact_id=contact.id,
                channel="email",
                purpose="marketing",
                status=status,
                source="web_form",
                wording_version="2026-01",
                proof={"form": "test"},
            ),
        )
        settings = tenant_settings(session, admin.tenant_id)
        settings.quiet_hours_start = None
        settings.quiet_hours_end = None
        created: uuid.UUID = contact.id
        return created


@dataclass
class DemoTenant:
    tenant_id: uuid.UUID
    slug: str
    admin_email: str


class CompanyInfoServer:
    """Serve ``GET /companies?name=`` from ``profiles``; statuses queued in ``failures`` come first.

    With ``hold`` set, a request waits until the test releases it, after setting
    ``arrived``: the test can kill a worker while the worker waits for the answer.
    """

    def __init__(self, profiles: dict[str, dict[str, Any]]) -> None:
        self.profiles = profiles
        self.failures: deque[int] = deque()
        self.requests: list[str] = []
        self.hold = False
        self.arrived = threading.Event()
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                name = parse_qs(urlparse(self.path).query).get("name", [""])[0]
                server.requests.append(name)
                if server.hold:
                    server.arrived.set()
                    server.release.wait(60)
                status = server.failures.popleft() if server.failures else None
                profile = server.profiles.get(name)
                if status is None:
                    status = 200 if profile is not None else 404
                body = json.dumps(profile if status == 200 else {"error": "x"}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class SmtpSink:
    """A local SMTP server that keeps every message it accepts.

    With ``hold`` set, the server takes the message in, sets ``arrived`` and
    waits for ``release`` before it replies, so a sender can be killed after
    delivery but before it learns the outcome.
    """

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.hold = False
        self.arrived = threading.Event()
        self.release = threading.Event()
        sink = self

        class Handler:
            async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
                self, server: Any, session: Any, envelope: Any
            ) -> str:
                import asyncio

                sink.messages.append(
                    {
                        "to": list(envelope.rcpt_tos),
                        "content": envelope.content.decode("utf-8", "replace"),
                    }
                )
                if sink.hold:
                    sink.arrived.set()
                    await asyncio.to_thread(sink.release.wait, 60)
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self) -> None:
        self.release.set()
        self.controller.stop()


def connectors(
    company: CompanyInfoServer | None = None, smtp: SmtpSink | None = None
) -> Connectors:
    return Connectors(
        company_info=HttpCompanyInfo(company.url, timeout=5.0) if company else None,
        mailer=SmtpMailer("127.0.0.1", smtp.port, "sales@demo.example.com", timeout=5.0)
        if smtp
        else None,
    )


def actor_of(database: Database, tenant_id: uuid.UUID, email: str) -> Actor:
    with database.session() as session:
        tenant = session.get(Tenant, tenant_id)
        user = session.scalar(select(User).where(User.tenant_id == tenant_id, User.email == email))
        assert tenant is not None
        assert user is not None
        return actor_for(tenant, user, session)


def user_with_role(database: Database, tenant_id: uuid.UUID, role: str, index: int = 0) -> User:
    with database.session() as session:
        users = list(
            session.scalars(
                select(User)
                .where(User.tenant_id == tenant_id, User.role == role, User.is_active.is_(True))
                .order_by(User.email)
            )
        )
        return users[index]


def start_run(
    database: Database,
    actor: Actor,
    agent: str,
    subject_id: uuid.UUID | None = None,
    *,
    is_dry_run: bool = False,
) -> uuid.UUID:
    """Create a run through the service; the test advances it itself instead of a queue."""
    with database.session() as session:
        service = AgentService(session, actor, enqueue=lambda tenant_id, run_id: None)
        run = service.start(RunCreate(agent=agent, subject_id=subject_id, is_dry_run=is_dry_run))
        return run.id


def advance(
    database: Database,
    actor: Actor,
    run_id: uuid.UUID,
    tools: Connectors | None = None,
    now: datetime | None = None,
) -> Advanced:
    return advance_run(database, actor.tenant_id, run_id, connectors=tools or Connectors(), now=now)


def detail(database: Database, actor: Actor, run_id: uuid.UUID) -> RunDetail:
    with database.session() as session:
        service = AgentService(session, actor)
        return run_detail(service, service.get(run_id))


def step_of(database: Database, run_id: uuid.UUID, key: str) -> AgentStep:
    with database.session() as session:
        step = session.scalar(
            select(AgentStep).where(AgentStep.run_id == run_id, AgentStep.key == key)
        )
        assert step is not None, f"run has no step {key}"
        return step


def decide(
    database: Database, actor: Actor, run_id: uuid.UUID, key: str, approve: bool = True
) -> None:
    step = step_of(database, run_id, key)
    with database.session() as session:
        AgentService(session, actor, enqueue=lambda tenant_id, run_id: None).decide(
            run_id, step.id, approve, "checked by the test"
        )


def run_row(database: Database, run_id: uuid.UUID) -> AgentRun:
    with database.session() as session:
        run = session.get(AgentRun, run_id)
        assert run is not None
        return run


def statuses(run: RunDetail) -> dict[str, str]:
    return {step.key: step.status for step in run.steps}
