"""Lead assignment and public-pool recycling at scale, on SQLite and PostgreSQL.

For each backend: a throwaway database, one tenant, 50 reps and two measures.

* Assignment: ``--rows`` unowned leads spread over 31 provinces, assigned by
  three rules (territory round-robin, weighted by capacity, catch-all) with
  ``assign_leads``. The comparison in the same run assigns ``--orm-rows``
  leads the way a per-row ORM loop does (load the lead, set the owner, flush,
  one event row), and both are reported as leads per second.
* Recycling: ``--recycle-rows`` leads claimed from one pool by the 50 reps,
  claim times spread over the last ten days and a follow-up activity on one
  lead in ten, then one ``recycle`` run (7 days without activity, 30 without
  progress, warning 2 days before). Each repeat restores the claimed state
  first, outside the timing. The floor reported beside it is one full scan
  counting the entries that are due. ``--compare-recycling FILE`` also times
  the ``recycle`` function of another version of ``pool_recycling.py`` (for
  example one saved with ``git show``) on the same data, alternating with the
  current one in every repeat.

    .venv/bin/python benchmarks/bench_sales_pools.py --rows 100000 \\
        --recycle-rows 1000000 --backend all --repeat 3
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, func, insert, select, text, update

from benchmarks.common import (
    add_common_arguments,
    command_line,
    machine_facts,
    median_of,
    selected_backends,
    throwaway_database,
    working_folder,
    write_results,
)
from zhike.core.db import Database, set_database
from zhike.core.ids import new_id
from zhike.core.migrate import upgrade
from zhike.core.settings import Settings, reset_settings_cache
from zhike.sales.assignment import assign_leads, create_rule
from zhike.sales.models import Activity, Lead
from zhike.sales.pool_models import PoolEntry, PoolEvent, SalesPool
from zhike.sales.pool_recycling import recycle
from zhike.sales.pool_schemas import AssignmentRuleWrite
from zhike.sales.process_models import Notification
from zhike.security.auth import hash_password
from zhike.security.context import Actor, system_actor
from zhike.security.models import User
from zhike.security.tenants import create_tenant

PROVINCES = [
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
]
REPS = 50
BATCH = 10_000
NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def _copy(database: Database, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert a batch: COPY on PostgreSQL, executemany on SQLite."""
    if database.engine.dialect.name != "postgresql":
        with database.engine.begin() as connection:
            connection.execute(insert(table), rows)
        return
    columns = list(rows[0])
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(["{}" if name == "custom" else row[name] for name in columns])
        raw.commit()
    finally:
        raw.close()


def _lead_rows(
    tenant_id: uuid.UUID,
    start: int,
    count: int,
    owners: list[uuid.UUID] | None,
    generator: random.Random,
) -> list[dict[str, Any]]:
    created = NOW - timedelta(days=30)
    return [
        {
            "id": new_id(),
            "tenant_id": tenant_id,
            "created_at": created,
            "updated_at": created,
            "version": 1,
            "custom": {},
            "name": f"客户{index}",
            "mobile": f"+861{generator.randrange(30, 99)}{index:08d}",
            "province": PROVINCES[index % len(PROVINCES)],
            "status": "new",
            "owner_id": owners[index % len(owners)] if owners else None,
        }
        for index in range(start, start + count)
    ]


def _setup(url: str) -> tuple[Database, Actor, list[uuid.UUID]]:
    settings = Settings(database_url=url)
    database = Database(url, settings)
    upgrade(database.engine, url)
    set_database(database)
    with database.session() as session:
        tenant, _admin = create_tenant(
            session,
            f"bench-{uuid.uuid4().hex[:6]}",
            "基准公司",
            "admin@bench.example.com",
            "Zhike-bench-2026",
        )
        password = hash_password("Zhike-bench-2026")
        reps = [
            User(
                tenant_id=tenant.id,
                email=f"rep{n}@bench.example.com",
                display_name=f"销售{n}",
                role="sales_rep",
                password_hash=password,
            )
            for n in range(REPS)
        ]
        session.add_all(reps)
        session.flush()
        return database, system_actor(tenant.id), [rep.id for rep in reps]


def _fill_leads(
    database: Database, actor: Actor, total: int, owners: list[uuid.UUID] | None, seed: int
) -> list[uuid.UUID]:
    generator = random.Random(seed)
    ids: list[uuid.UUID] = []
    for start in range(0, total, BATCH):
        rows = _lead_rows(actor.tenant_id, start, min(BATCH, total - start), owners, generator)
        ids.extend(row["id"] for row in rows)
        _copy(database, Lead.__table__, rows)
    with database.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return ids


def _rules(database: Database, actor: Actor, reps: list[uuid.UUID]) -> None:
    with database.session() as session:
        create_rule(
            session,
            actor,
            AssignmentRuleWrite.model_validate(
                {
                    "name": "华东",
                    "position": 1,
                    "provinces": ["上海", "江苏", "浙江"],
                    "members": [{"user_id": rep} for rep in reps[:10]],
                }
            ),
        )
        create_rule(
            session,
            actor,
            AssignmentRuleWrite.model_validate(
                {
                    "name": "华南",
                    "position": 2,
                    "method": "weighted",
                    "provinces": ["广东", "福建"],
                    "members": [
                        {"user_id": rep, "weight": 1 + n % 3, "capacity": 100_000}
                        for n, rep in enumerate(reps[10:20])
                    ],
                }
            ),
        )
        create_rule(
            session,
            actor,
            AssignmentRuleWrite.model_validate(
                {
                    "name": "全国",
                    "position": 3,
                    "members": [{"user_id": rep} for rep in reps[20:]],
                }
            ),
        )


def _orm_baseline(
    database: Database, actor: Actor, ids: list[uuid.UUID], reps: list[uuid.UUID]
) -> float:
    """Assign leads the per-row way: one ORM object, one flush and one event per lead."""
    started = time.perf_counter()
    with database.session() as session:
        for index, lead_id in enumerate(ids):
            lead = session.get(Lead, lead_id)
            assert lead is not None
            lead.owner_id = reps[index % len(reps)]
            session.add(
                PoolEvent(
                    id=new_id(),
                    tenant_id=actor.tenant_id,
                    object_name="leads",
                    record_id=lead_id,
                    action="assign",
                    reason="orm",
                    occurred_at=NOW,
                )
            )
            session.flush()
    return time.perf_counter() - started


def measure_assignment(
    url: str, rows: int, orm_rows: int, repeat: int, seed: int
) -> dict[str, Any]:
    database, actor, reps = _setup(url)
    try:
        _rules(database, actor, reps)
        seconds = []
        assigned = 0
        for run in range(repeat):
            _fill_leads(database, actor, rows, None, seed + run)
            started = time.perf_counter()
            with database.session() as session:
                report = assign_leads(session, actor, None, NOW)
            seconds.append(time.perf_counter() - started)
            assigned = report.assigned
            assert report.assigned == rows, report
            with database.engine.begin() as connection:
                connection.execute(delete(PoolEvent))
                connection.execute(update(Lead).values(owner_id=None, status="disqualified"))
        baseline_ids = _fill_leads(database, actor, orm_rows, None, seed + 99)
        orm_seconds = _orm_baseline(database, actor, baseline_ids, reps)
        median = median_of(seconds)
        return {
            "leads": rows,
            "assigned": assigned,
            "seconds": [round(value, 3) for value in seconds],
            "median_seconds": median,
            "leads_per_second": round(rows / median),
            "orm_per_row_leads": orm_rows,
            "orm_per_row_seconds": round(orm_seconds, 3),
            "orm_per_row_leads_per_second": round(orm_rows / orm_seconds),
        }
    finally:
        set_database(None)
        database.dispose()


def _fill_pool(
    database: Database, actor: Actor, reps: list[uuid.UUID], total: int, seed: int
) -> uuid.UUID:
    with database.session() as session:
        pool = SalesPool(
            tenant_id=actor.tenant_id,
            name="全国公海",
            object_name="leads",
            return_after_days_without_activity=7,
            return_after_days_without_progress=30,
            warn_days_before=2,
            is_default=True,
        )
        session.add(pool)
        session.flush()
        pool_id = pool.id
    generator = random.Random(seed)
    for start in range(0, total, BATCH):
        count = min(BATCH, total - start)
        leads = _lead_rows(actor.tenant_id, start, count, reps, generator)
        _copy(database, Lead.__table__, leads)
        entries, activities = [], []
        for lead in leads:
            claimed = NOW - timedelta(seconds=generator.randrange(0, 10 * 86_400))
            entries.append(
                {
                    "id": new_id(),
                    "tenant_id": actor.tenant_id,
                    "pool_id": pool_id,
                    "object_name": "leads",
                    "record_id": lead["id"],
                    "state": "claimed",
                    "owner_id": lead["owner_id"],
                    "entered_at": claimed - timedelta(days=1),
                    "claimed_at": claimed,
                    "followup_at": claimed,
                    "progress_at": claimed,
                    "progress_rank": 0,
                    "warned_at": None,
                    "claim_count": 1,
                    "last_owner_id": lead["owner_id"],
                }
            )
            if generator.random() < 0.1:
                occurred = claimed + (NOW - claimed) / 2
                activities.append(
                    {
                        "id": new_id(),
                        "tenant_id": actor.tenant_id,
                        "created_at": occurred,
                        "updated_at": occurred,
                        "version": 1,
                        "custom": {},
                        "kind": "call",
                        "subject": "回访",
                        "status": "done",
                        "occurred_at": occurred,
                        "lead_id": lead["id"],
                        "owner_id": lead["owner_id"],
                    }
                )
        _copy(database, PoolEntry.__table__, entries)
        if activities:
            _copy(database, Activity.__table__, activities)
    with database.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return pool_id


def _restore(database: Database, actor: Actor) -> None:
    """Put every entry back in its claimed state, as before the run (not timed).

    Every statement names the tenant and the object, so PostgreSQL reads the entries
    through the (tenant_id, object_name, record_id) key instead of probing it once per
    lead, and leads are rewritten in one joined UPDATE only where recycling moved them.
    """
    tenant_id = actor.tenant_id
    with database.engine.begin() as connection:
        connection.execute(delete(PoolEvent).where(PoolEvent.tenant_id == tenant_id))
        connection.execute(delete(Notification).where(Notification.tenant_id == tenant_id))
        connection.execute(
            update(PoolEntry)
            .where(PoolEntry.tenant_id == tenant_id, PoolEntry.object_name == "leads")
            .values(
                state="claimed",
                owner_id=PoolEntry.last_owner_id,
                warned_at=None,
                claimed_at=PoolEntry.followup_at,
            )
        )
        connection.execute(
            update(Lead)
            .where(
                Lead.tenant_id == tenant_id,
                PoolEntry.tenant_id == tenant_id,
                PoolEntry.object_name == "leads",
                PoolEntry.record_id == Lead.id,
                Lead.owner_id.is_distinct_from(PoolEntry.owner_id),
            )
            .values(owner_id=PoolEntry.owner_id)
        )


def load_recycle(path: Path) -> Callable[..., Any]:
    """Import the ``recycle`` function of another version of ``pool_recycling.py``."""
    spec = importlib.util.spec_from_file_location("pool_recycling_compared", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}; give the path of a pool_recycling.py file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function: Callable[..., Any] = module.recycle
    return function


def _timed_recycle(database: Database, actor: Actor, function: Callable[..., Any]) -> Any:
    started = time.perf_counter()
    with database.session() as session:
        report = function(session, actor, NOW)
    return time.perf_counter() - started, report


def measure_recycling(
    url: str, rows: int, repeat: int, seed: int, compared: Callable[..., Any] | None = None
) -> dict[str, Any]:
    database, actor, reps = _setup(url)
    try:
        started = time.perf_counter()
        _fill_pool(database, actor, reps, rows, seed)
        fill_seconds = time.perf_counter() - started
        seconds: list[float] = []
        compared_seconds: list[float] = []
        floor: list[float] = []
        reports = []
        for run in range(repeat):
            if run:
                _restore(database, actor)
            started = time.perf_counter()
            with database.session() as session:
                due = session.scalar(
                    select(func.count())
                    .select_from(PoolEntry)
                    .where(
                        PoolEntry.state == "claimed",
                        PoolEntry.followup_at < NOW - timedelta(days=5),
                    )
                )
            floor.append(time.perf_counter() - started)
            assert due
            elapsed, report = _timed_recycle(database, actor, recycle)
            seconds.append(elapsed)
            reports.append(report.model_dump())
            if compared is not None:
                _restore(database, actor)
                elapsed, report = _timed_recycle(database, actor, compared)
                compared_seconds.append(elapsed)
            print(
                f"recycling run {run + 1}: {seconds[-1]:.1f} s", compared_seconds[-1:], flush=True
            )
        result = {
            "entries": rows,
            "fill_seconds": round(fill_seconds, 1),
            "seconds": [round(value, 3) for value in seconds],
            "median_seconds": median_of(seconds),
            "count_due_scan_median_seconds": median_of(floor),
            "last_report": reports[-1],
            "rules": {
                "return_after_days_without_activity": 7,
                "return_after_days_without_progress": 30,
                "warn_days_before": 2,
            },
        }
        if compared is not None:
            result["compared_seconds"] = [round(value, 3) for value in compared_seconds]
            result["compared_median_seconds"] = median_of(compared_seconds)
        return result
    finally:
        set_database(None)
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, default_rows=100_000)
    parser.add_argument(
        "--recycle-rows",
        type=int,
        default=1_000_000,
        help="claimed pool entries for the recycling measure",
    )
    parser.add_argument(
        "--orm-rows",
        type=int,
        default=2_000,
        help="leads assigned one ORM object at a time, for comparison",
    )
    parser.add_argument(
        "--compare-recycling",
        type=Path,
        default=None,
        help="another version of zhike/sales/pool_recycling.py to time on the same data",
    )
    args = parser.parse_args()
    compared = load_recycle(args.compare_recycling) if args.compare_recycling else None
    reset_settings_cache()
    results: dict[str, Any] = {
        "command": command_line(),
        "machine": machine_facts(),
        "backends": {},
    }
    with working_folder(args.workdir) as workdir:
        for backend in selected_backends(args.backend):
            with throwaway_database(backend, workdir) as url:
                assignment = measure_assignment(
                    url, args.rows, args.orm_rows, args.repeat, args.seed
                )
            print(backend, "assignment", assignment, flush=True)
            with throwaway_database(backend, workdir) as url:
                recycling = measure_recycling(
                    url, args.recycle_rows, args.repeat, args.seed, compared
                )
            print(backend, "recycling", recycling, flush=True)
            results["backends"][backend] = {"assignment": assignment, "recycling": recycling}
    path = write_results("sales_pools", results, args.output)
    print(f"results written to {path}")


if __name__ == "__main__":
    main()
