"""A journey of many contacts on SQLite, with a worker killed midway: no duplicate, no missed send.

The journey has an A/B split, waits, a field condition and up to three sends
per contact. A worker process (this script with ``worker``) advances contacts
and delivers sends to a sink channel, a second SQLite file that stores every
delivery attempt with its idempotency key. The parent kills the worker with
SIGKILL once a share of the expected sends has arrived, starts a new worker,
and when the journey is done checks every contact's sends against what its
path through the graph requires. Waits run on a virtual clock taken from the
database (the next wake-up time), so an hour's wait costs no real time.

    .venv/bin/python -m benchmarks.bench_journeys --rows 100000
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from benchmarks.common import RESULTS_DIR, machine_facts, working_folder, write_results

CITIES = ("杭州", "上海", "北京", "深圳")
CONSENT_SHARE = 0.9
GRAPH: dict[str, Any] = {
    "trigger": {"kind": "manual"},
    "start": "split",
    "steps": [
        {
            "type": "split",
            "id": "split",
            "branches": [{"name": "A", "next": "send_a"}, {"name": "B", "next": "send_b"}],
        },
        {
            "type": "send",
            "id": "send_a",
            "channel": "email",
            "subject": "甲",
            "body": "甲 {{ contact.name }}",
            "next": "wait_hour",
        },
        {
            "type": "send",
            "id": "send_b",
            "channel": "email",
            "subject": "乙",
            "body": "乙 {{ contact.name }}",
            "next": "wait_hour",
        },
        {"type": "wait", "id": "wait_hour", "minutes": 60, "next": "city"},
        {
            "type": "condition",
            "id": "city",
            "rules": [{"kind": "field", "field": "city", "op": "eq", "value": "杭州"}],
            "then": "send_city",
            "otherwise": "wait_day",
        },
        {
            "type": "send",
            "id": "send_city",
            "channel": "email",
            "subject": "杭州",
            "body": "杭州门店",
            "next": "wait_day",
        },
        {"type": "wait", "id": "wait_day", "minutes": 1440, "next": "final"},
        {"type": "send", "id": "final", "channel": "email", "subject": "再会", "body": "再会"},
    ],
}


class SinkChannel:
    """A provider that stores every delivery attempt and drops a repeated idempotency key.

    Providers with idempotency keys accept a repeat and return the first
    message's id without delivering it again. ``attempts`` keeps the repeats,
    so the benchmark can count them.
    """

    name = "email"

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        # Durable across a killed process (the case measured); not across power loss.
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS attempts "
            "(key TEXT NOT NULL, address TEXT NOT NULL, subject TEXT)"
        )

    def send(self, message: Any) -> Any:
        from zhike.marketing.channels import DeliveryResult

        self.connection.execute(
            "INSERT INTO attempts VALUES (?, ?, ?)",
            (message.idempotency_key, message.address, message.subject),
        )
        return DeliveryResult("sent", message.idempotency_key)


def _database(url: str) -> Any:
    from zhike.core.db import Database, set_database
    from zhike.core.settings import Settings

    database = Database(url, Settings(database_url=url))
    set_database(database)
    return database


def prepare(url: str, rows: int, seed: int) -> dict[str, Any]:
    """Create the tenant, contacts, consents and the active journey; enrol everyone."""
    from zhike.core.ids import new_id
    from zhike.core.migrate import upgrade
    from zhike.customers.models import Contact
    from zhike.marketing.automation_models import ConsentEntry, Journey
    from zhike.marketing.consent import tenant_settings
    from zhike.marketing.journeys import enroll
    from zhike.security.tenants import create_tenant

    database = _database(url)
    upgrade(database.engine, url)
    rng = random.Random(seed)
    with database.session() as session:
        tenant, _ = create_tenant(
            session, "bench", "基准公司", "admin@bench.example.com", "Bench-journey-2026"
        )
        tenant_id = tenant.id
        settings = tenant_settings(session, tenant_id)
        settings.quiet_hours_start = settings.quiet_hours_end = None
        settings.frequency_cap = 0
    now = datetime.now(UTC)
    contact_rows: list[dict[str, Any]] = []
    consent_rows: list[dict[str, Any]] = []
    for index in range(rows):
        contact_id = new_id()
        contact_rows.append(
            {
                "id": contact_id,
                "tenant_id": tenant_id,
                "name": f"客户{index}",
                "email": f"c{index}@bench.example.com",
                "city": rng.choice(CITIES),
                "created_at": now,
                "updated_at": now,
                "custom": {},
            }
        )
        if rng.random() < CONSENT_SHARE:
            consent_rows.append(
                {
                    "id": new_id(),
                    "tenant_id": tenant_id,
                    "contact_id": contact_id,
                    "channel": "email",
                    "purpose": "marketing",
                    "status": "granted",
                    "source": "benchmark",
                    "wording_version": "v1",
                    "proof": {},
                    "recorded_at": now,
                    "created_at": now,
                }
            )
    with database.session() as session:
        for start in range(0, rows, 5000):
            session.execute(insert(Contact), contact_rows[start : start + 5000])
        for start in range(0, len(consent_rows), 5000):
            session.execute(insert(ConsentEntry), consent_rows[start : start + 5000])
        journey = Journey(tenant_id=tenant_id, name="基准旅程", status="active", graph=GRAPH)
        session.add(journey)
        session.flush()
        ids: list[uuid.UUID] = [row["id"] for row in contact_rows]
        for start in range(0, rows, 5000):
            enroll(session, journey, ids[start : start + 5000], now)
    database.dispose()
    return {"contacts": rows, "consented": len(consent_rows)}


def _next_moment(session: Any, current: datetime) -> datetime | None:
    from zhike.marketing.automation_models import JourneyEnrollment, MessageSend
    from zhike.marketing.sending import CLAIM_TIMEOUT

    wake = session.scalar(
        select(func.min(JourneyEnrollment.wake_at)).where(
            JourneyEnrollment.state.in_(("active", "waiting"))
        )
    )
    queued = session.scalar(
        select(func.min(MessageSend.scheduled_at)).where(
            MessageSend.status.in_(("queued", "deferred"))
        )
    )
    claimed = session.scalar(
        select(func.min(MessageSend.scheduled_at)).where(MessageSend.status == "sending")
    )
    moments = [moment for moment in (wake, queued) if moment is not None]
    if claimed is not None:
        moments.append(claimed + CLAIM_TIMEOUT)
    return max(min(moments), current) if moments else None


def work(url: str, sink: Path, batch: int) -> None:
    """Advance and deliver until nothing is left, on the virtual clock."""
    from zhike.marketing.journey_engine import run_due
    from zhike.marketing.sending import dispatch_due

    database = _database(url)
    channels: dict[str, Any] = {"email": SinkChannel(sink)}
    clock = datetime.now(UTC)
    while True:
        progressed = run_due(database, clock, batch) + dispatch_due(
            database, batch, clock, channels
        )
        if progressed:
            continue
        with database.session() as session:
            following = _next_moment(session, clock)
        if following is None:
            return
        clock = following + timedelta(seconds=1)


def _attempts(sink: Path) -> tuple[int, int]:
    if not sink.exists():
        return 0, 0
    connection = sqlite3.connect(sink)
    try:
        total, distinct = connection.execute(
            "SELECT count(*), count(DISTINCT key) FROM attempts"
        ).fetchone()
    except sqlite3.OperationalError:
        return 0, 0
    finally:
        connection.close()
    return int(total), int(distinct)


def _claimed_sends(url: str) -> int:
    from zhike.marketing.automation_models import MessageSend

    database = _database(url)
    with database.session() as session:
        count = session.scalar(
            select(func.count(MessageSend.id)).where(MessageSend.status == "sending")
        )
    database.dispose()
    return int(count or 0)


def verify(url: str, sink: Path) -> dict[str, Any]:
    """Compare every contact's deliveries with what its path requires."""
    from zhike.customers.models import Contact
    from zhike.marketing.automation_models import ConsentEntry, JourneyEnrollment, MessageSend

    database = _database(url)
    with database.session() as session:
        consented = set(session.scalars(select(ConsentEntry.contact_id)))
        cities = {row[0]: row[1] for row in session.execute(select(Contact.id, Contact.city))}
        states = dict(
            session.execute(
                select(JourneyEnrollment.state, func.count()).group_by(JourneyEnrollment.state)
            ).all()
        )
        statuses = dict(
            session.execute(
                select(MessageSend.status, func.count()).group_by(MessageSend.status)
            ).all()
        )
        keys = dict(session.execute(select(MessageSend.send_key, MessageSend.contact_id)).all())
    connection = sqlite3.connect(sink)
    delivered: dict[str, int] = {}
    changed_on_retry = 0
    query = (
        "SELECT key, count(*), count(DISTINCT address || '|' || subject) FROM attempts GROUP BY key"
    )
    for key, count, versions in connection.execute(query):
        delivered[key] = count
        changed_on_retry += versions > 1
    connection.close()
    per_contact: dict[uuid.UUID, int] = {}
    for key in delivered:
        contact_id = keys.get(key)
        if contact_id is not None:
            per_contact[contact_id] = per_contact.get(contact_id, 0) + 1
    missed = extra = 0
    for contact_id, city in cities.items():
        expected = (3 if city == "杭州" else 2) if contact_id in consented else 0
        got = per_contact.get(contact_id, 0)
        missed += max(expected - got, 0)
        extra += max(got - expected, 0)
    database.dispose()
    return {
        "enrollment_states": states,
        "send_statuses": statuses,
        "keys_delivered": len(delivered),
        # Repeats of a key after the crash, which the provider drops as duplicates.
        "keys_attempted_more_than_once": sum(1 for count in delivered.values() if count > 1),
        "keys_changed_on_retry": changed_on_retry,
        "unknown_keys": sum(1 for key in delivered if key not in keys),
        "missed_sends": missed,
        "extra_sends": extra,
    }


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(rows: int, batch: int, kill_share: float, seed: int, folder: Path) -> dict[str, Any]:
    url = f"sqlite:///{folder / 'journeys.db'}"
    sink = folder / "sink.db"
    for path in folder.glob("journeys.db*"):
        path.unlink()
    for path in folder.glob("sink.db*"):
        path.unlink()
    started = time.perf_counter()
    prepared = prepare(url, rows, seed)
    prepare_seconds = time.perf_counter() - started
    command = [
        sys.executable,
        "-m",
        "benchmarks.bench_journeys",
        "worker",
        "--url",
        url,
        "--sink",
        str(sink),
        "--batch",
        str(batch),
    ]
    expected_sends = round(prepared["consented"] * 2.25)
    kill_at = int(expected_sends * kill_share)
    started = time.perf_counter()
    cpu_before = _children_cpu_seconds()
    loads: list[float] = []
    worker = subprocess.Popen(command)  # our own script, fixed arguments
    killed_at = in_flight = None
    polls = 0
    while worker.poll() is None:
        if kill_share > 0 and killed_at is None and _attempts(sink)[0] >= kill_at:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            killed_at = _attempts(sink)[0]
            in_flight = _claimed_sends(url)
            break
        polls += 1
        if polls % 50 == 0:
            loads.append(os.getloadavg()[0])
        # Polled often, so the kill lands while a delivery batch is in flight.
        time.sleep(0.02)
    restarted = subprocess.Popen(command)  # our own script, fixed arguments
    while restarted.poll() is None:
        loads.append(os.getloadavg()[0])
        time.sleep(1.0)
    if restarted.returncode != 0:
        raise RuntimeError(f"restarted worker failed with exit code {restarted.returncode}")
    elapsed = time.perf_counter() - started
    worker_cpu = _children_cpu_seconds() - cpu_before
    result = verify(url, sink)
    total, distinct = _attempts(sink)
    return {
        **prepared,
        "prepare_seconds": round(prepare_seconds, 1),
        "run_seconds": round(elapsed, 1),
        "contacts_per_second": round(rows / elapsed, 1),
        "sends_per_second": round(distinct / elapsed, 1),
        # CPU time of both workers: the cost of the run apart from other work on the machine.
        "worker_cpu_seconds": round(worker_cpu, 1),
        "sends_per_worker_cpu_second": round(distinct / worker_cpu, 1) if worker_cpu else None,
        "load_average_1min": {
            "min": round(min(loads), 2) if loads else None,
            "median": round(statistics.median(loads), 2) if loads else None,
            "max": round(max(loads), 2) if loads else None,
        },
        "killed_after_attempts": killed_at,
        # Sends claimed by the killed worker whose outcome was not committed.
        "claimed_uncommitted_at_kill": in_flight,
        "restart_exit_code": restarted.returncode,
        "delivery_attempts": total,
        **result,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command")
    worker = sub.add_parser("worker", help="internal: one worker process")
    worker.add_argument("--url", required=True)
    worker.add_argument("--sink", type=Path, required=True)
    worker.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rows", type=int, default=100_000, help="contacts in the journey")
    parser.add_argument("--batch", type=int, default=500, help="contacts or sends per transaction")
    parser.add_argument(
        "--kill-share",
        type=float,
        default=0.5,
        help="share of sends after which the worker is killed (0: never)",
    )
    parser.add_argument(
        "--compare-rows",
        type=int,
        default=None,
        help="contacts of the run without a crash (default: --rows)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs; the report lists each")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=None)
    arguments = parser.parse_args()
    if arguments.command == "worker":
        work(arguments.url, arguments.sink, arguments.batch)
        return
    runs: list[dict[str, Any]] = []
    payload = {
        "machine": machine_facts(),
        "rows": arguments.rows,
        "batch": arguments.batch,
        "runs": runs,
    }
    output = (
        arguments.output
        or RESULTS_DIR / f"journeys-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    )
    with working_folder(arguments.workdir) as folder:
        for index in range(arguments.repeat):
            seed = arguments.seed + index
            runs.append(
                {"crash": run(arguments.rows, arguments.batch, arguments.kill_share, seed, folder)}
            )
            # Written after every run, so a long series that is stopped keeps what finished.
            path = write_results("journeys", payload, output)
            # The comparison in the same conditions: the same journey with no crash.
            compare = arguments.compare_rows or arguments.rows
            runs[-1]["no_crash"] = run(compare, arguments.batch, 0.0, seed, folder)
            path = write_results("journeys", payload, output)
    for entry in runs:
        for name, result in entry.items():
            print(
                f"{name}: {result['contacts']} contacts, {result['run_seconds']} s, "
                f"{result['contacts_per_second']} contacts/s, "
                f"{result['sends_per_second']} sends/s, missed {result['missed_sends']}, "
                f"extra {result['extra_sends']}, unknown keys {result['unknown_keys']}, "
                f"keys retried {result['keys_attempted_more_than_once']}"
            )
    print(f"results: {path}")


if __name__ == "__main__":
    main()
