"""A worker process killed in the middle of a run: the run resumes and repeats nothing.

The test starts ``zhike worker`` on the shared job queue and lets it pick up a
run. It holds the outside call the run makes (the company-information lookup,
then the SMTP delivery) until the worker is inside it, then kills the worker
with SIGKILL. The run is resumed once its lease has lapsed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from agents_support import (
    COMPANY,
    PROFILE,
    CompanyInfoServer,
    DemoTenant,
    SmtpSink,
    actor_of,
    consenting_contact,
    decide,
    detail,
    new_lead,
    start_run,
    step_of,
    user_with_role,
)
from sqlalchemy import func, select

from zhike.ai.agents.executor import LEASE, advance_run
from zhike.ai.agents.jobs import enqueue_advance
from zhike.ai.agents.models import AgentToolEffect
from zhike.ai.agents.schemas import PersonResult
from zhike.ai.agents.service import AgentService
from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.jobs.queue import get_queue
from zhike.sales.models import Activity

# A generous wait: on a loaded machine the worker takes a while just to import.
WAIT_SECONDS = 180


@pytest.fixture
def worker_env(database: Database) -> dict[str, str]:
    storage = get_queue().storage
    filename = getattr(storage, "filename", None)
    if filename is None:
        pytest.skip("the crash test drives the SQLite job queue; this run uses Redis")
    # Messages other tests left in the queue would only make the worker busy elsewhere.
    get_queue().flush()
    env = dict(os.environ)
    env["ZHIKE_DATABASE_URL"] = database.engine.url.render_as_string(hide_password=False)
    env["ZHIKE_DATA_DIR"] = str(Path(filename).resolve().parent)
    env["ZHIKE_LOG_LEVEL"] = "WARNING"
    return env


@pytest.fixture
def worker_log(tmp_path: Path) -> Path:
    return tmp_path / "worker.log"


@pytest.fixture
def start_worker(worker_env: dict[str, str], worker_log: Path) -> Iterator[object]:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        # Two threads, so the resume sweep that runs every minute cannot hold up the run.
        command = [str(Path(sys.executable).parent / "zhike"), "worker", "--workers", "2"]
        with worker_log.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 - our own command, no shell
                command, env=worker_env, stdout=log, stderr=subprocess.STDOUT
            )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def tool_calls(run: object, key: str) -> int:
    steps = {step.key: step.id for step in run.steps}  # type: ignore[attr-defined]
    return sum(
        1
        for event in run.trace  # type: ignore[attr-defined]
        if event.kind == "tool_call" and event.step_id == steps[key]
    )


def test_killed_worker_resumes_without_repeating(
    database: Database,
    demo: DemoTenant,
    company_server: CompanyInfoServer,
    smtp_sink: SmtpSink,
    start_worker: object,
    worker_log: Path,
) -> None:
    admin = actor_of(database, demo.tenant_id, demo.admin_email)
    rep = user_with_role(database, demo.tenant_id, "sales_rep", 9)
    actor = actor_of(database, demo.tenant_id, rep.email)
    company_server.profiles[COMPANY] = PROFILE
    with database.session() as session:
        AgentService(session, admin).update_setting(
            "lead_conversion",
            None,
            {
                "company_info": {"base_url": company_server.url, "timeout_seconds": 60},
                "smtp": {"host": "127.0.0.1", "port": smtp_sink.port, "sender": "s@example.com"},
            },
        )
    lead_id = new_lead(database, actor, name="郑华", email="zheng.hua@example.com")
    consenting_contact(database, admin, "zheng.hua@example.com")
    run_id = start_run(database, actor, "lead_conversion", lead_id)

    # First crash: inside the company-information call, after three steps are done.
    company_server.hold = True
    enqueue_advance(demo.tenant_id, run_id)
    worker = start_worker()  # type: ignore[operator]
    assert company_server.arrived.wait(WAIT_SECONDS), worker_log.read_text()[-3000:]
    kill(worker)
    company_server.hold = False
    company_server.release.set()

    enrich = step_of(database, run_id, "enrich")
    assert enrich.status == "running"
    assert enrich.attempts == 1
    assert [step_of(database, run_id, key).status for key in ("analyse", "products", "score")] == [
        "done",
        "done",
        "done",
    ]

    later = utc_now() + LEASE + timedelta(seconds=1)
    resumed = advance_run(database, demo.tenant_id, run_id, now=later)
    run = detail(database, actor, run_id)
    assert resumed.status == "waiting_approval"
    assert company_server.requests == [COMPANY, COMPANY]
    for key in ("analyse", "products", "score", "enrich", "draft"):
        assert tool_calls(run, key) == (2 if key == "enrich" else 1), key
    assert [event.kind for event in run.trace].count("recovered") == 1
    with database.session() as session:
        follow_ups = session.scalar(
            select(func.count())
            .select_from(Activity)
            .where(Activity.lead_id == lead_id, Activity.kind.in_(("call", "meeting", "task")))
            .where(Activity.created_at >= run.created_at)
        )

    # Second crash: the SMTP server has the message, the worker dies before the reply.
    decide(database, actor, run_id, "send")
    smtp_sink.hold = True
    enqueue_advance(demo.tenant_id, run_id)
    worker = start_worker()  # type: ignore[operator]
    assert smtp_sink.arrived.wait(WAIT_SECONDS), worker_log.read_text()[-3000:]
    kill(worker)
    smtp_sink.hold = False
    smtp_sink.release.set()

    send = step_of(database, run_id, "send")
    assert send.status == "running"
    with database.session() as session:
        ledger = session.scalar(
            select(AgentToolEffect.state).where(
                AgentToolEffect.idempotency_key == send.idempotency_key
            )
        )
    assert ledger == "started"

    resumed = advance_run(database, demo.tenant_id, run_id, now=later + LEASE * 2)
    send = step_of(database, run_id, "send")
    assert resumed.status == "waiting_person"
    assert send.tool == "person_task"
    assert send.assignee_id == rep.id
    assert len(smtp_sink.messages) == 1

    with database.session() as session:
        AgentService(session, actor, enqueue=lambda tenant_id, identifier: None).report_result(
            run_id, send.id, PersonResult(note="客户已收到邮件")
        )
    finished = advance_run(database, demo.tenant_id, run_id, now=later + LEASE * 3)
    run = detail(database, actor, run_id)
    assert finished.status == "done"
    assert len(smtp_sink.messages) == 1
    with database.session() as session:
        follow_ups_after = session.scalar(
            select(func.count())
            .select_from(Activity)
            .where(Activity.lead_id == lead_id, Activity.kind.in_(("call", "meeting", "task")))
            .where(Activity.created_at >= run.created_at)
        )
    # The person task of the escalation is the only activity added after the first resume.
    assert follow_ups_after == (follow_ups or 0) + 1
    with database.session() as session:
        AgentService(session, admin).update_setting("lead_conversion", None, {})
