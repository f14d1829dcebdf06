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

The fill builds the secondary indexes of leads, entries and activities once at the
end instead of updating them on every insert. ``--keep-pool FOLDER`` keeps the filled
recycling database and reuses it in later runs, so the fill and the timed runs can be
separate commands (each reused run restores the claimed state first):

    .venv/bin/python benchmarks/bench_sales_pools.py --measure recycling \\
        --recycle-rows 1000000 --backend sqlite --keep-pool /tmp/pools --fill-only
    .venv/bin/python benchmarks/bench_sales_pools.py --measure recycling \\
        --recycle-rows 1000000 --backend sqlite --keep-pool /tmp/pools --repeat 3
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import resource
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from psycopg import sql
from sqlalchemy import Connection, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.engine import make_url

from benchmarks.common import (
    POSTGRES_ADMIN_URL,
    add_common_arguments,
    command_line,
    load_average,
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


# Tables that the pool fill writes in bulk. Their secondary indexes are built after the rows.
FILLED_TABLES = ("leads", "sales_pool_entries", "activities")


def _secondary_indexes(connection: Connection, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """Return the name and the CREATE INDEX statement of each index that no constraint owns.

    The statements come from the database catalog, so the rebuilt indexes are the
    ones the migrations made, partial and expression indexes included. Primary keys
    and unique constraints stay in place during the fill.
    """
    if connection.dialect.name == "postgresql":
        statement = text(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema() AND tablename IN :tables"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            " ORDER BY indexname"
        )
    else:
        # SQLite stores no statement (sql IS NULL) for the indexes that constraints create.
        statement = text(
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'index' AND tbl_name IN :tables AND sql IS NOT NULL"
            " ORDER BY name"
        )
    rows = connection.execute(
        statement.bindparams(bindparam("tables", expanding=True)), {"tables": list(tables)}
    )
    return [(str(name), str(definition)) for name, definition in rows]


@contextmanager
def _secondary_indexes_dropped(database: Database, tables: tuple[str, ...]) -> Iterator[None]:
    """Drop the secondary indexes of ``tables`` for a bulk fill and build them again after it.

    Building an index once over sorted rows is far cheaper than updating it on every
    insert: on SQLite the random keys of indexes such as (tenant_id, mobile) no longer
    fit the page cache past a few hundred thousand leads. The indexes are built again
    only when the fill succeeds, because ``kept_pool`` never reuses a failed fill.
    """
    with database.engine.begin() as connection:
        indexes = _secondary_indexes(connection, tables)
        for name, _definition in indexes:
            connection.execute(text(f'DROP INDEX "{name}"'))
    yield
    with database.engine.begin() as connection:
        for _name, definition in indexes:
            connection.execute(text(definition))


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
    with _secondary_indexes_dropped(database, FILLED_TABLES):
        _fill_pool_batches(database, actor, pool_id, reps, total, generator)
    with database.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return pool_id


def _fill_pool_batches(
    database: Database,
    actor: Actor,
    pool_id: uuid.UUID,
    reps: list[uuid.UUID],
    total: int,
    generator: random.Random,
) -> None:
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


def _restore(database: Database, actor: Actor) -> None:
    """Put every entry back in its claimed state, as before the run (not timed).

    Every statement names the tenant and the object, so PostgreSQL reads the entries
    through the (tenant_id, object_name, record_id) key instead of probing it once per
    lead. Only the entries and leads that recycling changed are rewritten, which at
    1,000,000 entries is about half of them.
    """
    tenant_id = actor.tenant_id
    with database.engine.begin() as connection:
        connection.execute(delete(PoolEvent).where(PoolEvent.tenant_id == tenant_id))
        connection.execute(delete(Notification).where(Notification.tenant_id == tenant_id))
        connection.execute(
            update(PoolEntry)
            .where(
                PoolEntry.tenant_id == tenant_id,
                PoolEntry.object_name == "leads",
                or_(
                    PoolEntry.state != "claimed",
                    PoolEntry.owner_id.is_distinct_from(PoolEntry.last_owner_id),
                    PoolEntry.warned_at.is_not(None),
                    PoolEntry.claimed_at.is_distinct_from(PoolEntry.followup_at),
                ),
            )
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


def _server_process(session: Any) -> int | None:
    """Return the process id of the PostgreSQL backend serving ``session``, else None."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    pid = session.scalar(text("SELECT pg_backend_pid()"))
    return int(pid) if pid is not None else None


def _process_cpu_seconds(pid: int) -> float | None:
    """Return the user plus system CPU time of a local process, or None when /proc hides it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command name, field 12 is utime and field 13 stime, in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed_recycle(
    database: Database,
    actor: Actor,
    function: Callable[..., Any],
    facts: dict[str, Any] | None = None,
) -> Any:
    """Time one recycling run, commit included, and store its CPU and load figures in ``facts``.

    The PostgreSQL backend is looked up before the clock starts, so the timed work is
    the same as without ``facts``.
    """
    with database.session() as session:
        server = _server_process(session)
        server_cpu = _process_cpu_seconds(server) if server else None
        load_before = load_average()
        cpu = time.process_time()
        started = time.perf_counter()
        report = function(session, actor, NOW)
    elapsed = time.perf_counter() - started
    if facts is not None:
        facts["seconds"] = round(elapsed, 3)
        facts["client_cpu_seconds"] = round(time.process_time() - cpu, 3)
        server_cpu_after = _process_cpu_seconds(server) if server else None
        if server_cpu is not None and server_cpu_after is not None:
            facts["server_cpu_seconds"] = round(server_cpu_after - server_cpu, 2)
        facts["load_average_before"] = load_before
        facts["load_average_after"] = load_average()
    return elapsed, report


def _pool_tenant(database: Database, rows: int) -> Actor:
    """Return the actor of the tenant whose pool a kept database contains, checking its size."""
    with database.session() as session:
        pools = session.execute(select(SalesPool.id, SalesPool.tenant_id)).all()
        if len(pools) != 1:
            raise SystemExit(f"expected one pool in the kept database, found {len(pools)}")
        pool_id, tenant_id = pools[0]
        entries = session.scalar(
            select(func.count()).select_from(PoolEntry).where(PoolEntry.pool_id == pool_id)
        )
    if entries != rows:
        raise SystemExit(
            f"the kept pool database contains {entries} entries, expected {rows};"
            " delete it and run with --fill-only again"
        )
    return system_actor(tenant_id)


def measure_recycling(
    url: str,
    rows: int,
    repeat: int,
    seed: int,
    compared: Callable[..., Any] | None = None,
    filled: bool = False,
) -> dict[str, Any]:
    """Fill a pool of ``rows`` claimed leads and time ``repeat`` recycling runs on it.

    With ``filled`` the database at ``url`` already contains the pool (see ``kept_pool``):
    nothing is filled, and every run starts by restoring the claimed state.
    """
    fill_seconds: float | None = None
    if filled:
        database = Database(url, Settings(database_url=url))
        set_database(database)
    else:
        database, actor, reps = _setup(url)
    try:
        if filled:
            actor = _pool_tenant(database, rows)
        else:
            started = time.perf_counter()
            _fill_pool(database, actor, reps, rows, seed)
            fill_seconds = round(time.perf_counter() - started, 1)
        seconds: list[float] = []
        compared_seconds: list[float] = []
        floor: list[float] = []
        runs: list[dict[str, Any]] = []
        reports = []
        for run in range(repeat):
            if run or filled:
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
            facts: dict[str, Any] = {}
            elapsed, report = _timed_recycle(database, actor, recycle, facts)
            seconds.append(elapsed)
            runs.append(facts)
            reports.append(report.model_dump())
            if compared is not None:
                _restore(database, actor)
                elapsed, report = _timed_recycle(database, actor, compared)
                compared_seconds.append(elapsed)
            print(
                f"recycling run {run + 1}: {seconds[-1]:.1f} s",
                facts,
                compared_seconds[-1:],
                flush=True,
            )
        result = {
            "entries": rows,
            "fill_seconds": fill_seconds,
            "seconds": [round(value, 3) for value in seconds],
            "median_seconds": median_of(seconds),
            "runs": runs,
            "count_due_scan_median_seconds": median_of(floor),
            "last_report": reports[-1],
            "reports": reports,
            # Peak resident set of this process. On SQLite it includes the database work.
            "client_peak_rss_mib": round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
            ),
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


def _postgres_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _kept_names(backend: str, folder: Path, rows: int, seed: int) -> tuple[str, str]:
    """Return the final and the in-progress name of a kept pool database."""
    if backend == "sqlite":
        path = folder.resolve() / f"sales-pool-{rows}-{seed}.db"
        return str(path), f"{path}.partial"
    name = f"zhike_bench_pool_{rows}_{seed}"
    return name, f"{name}_partial"


def _url_of(backend: str, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{name}"
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _kept_exists(backend: str, name: str) -> bool:
    if backend == "sqlite":
        return Path(name).exists()
    with psycopg.connect(_postgres_conninfo(POSTGRES_ADMIN_URL), connect_timeout=5) as connection:
        row = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def _drop_kept(backend: str, name: str) -> None:
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(name + suffix).unlink(missing_ok=True)
        return
    with psycopg.connect(_postgres_conninfo(POSTGRES_ADMIN_URL), autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _rename_kept(backend: str, old: str, new: str) -> None:
    if backend == "sqlite":
        # The engine is disposed, so the last connection has checkpointed the WAL file away.
        os.replace(old, new)
        return
    with psycopg.connect(_postgres_conninfo(POSTGRES_ADMIN_URL), autocommit=True) as connection:
        connection.execute(
            sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                sql.Identifier(old), sql.Identifier(new)
            )
        )


def kept_pool(backend: str, folder: Path, rows: int, seed: int) -> tuple[str, float | None]:
    """Return the URL of a filled pool database kept between runs, filling it when missing.

    SQLite keeps a file in ``folder``; PostgreSQL keeps the database
    ``zhike_bench_pool_<rows>_<seed>`` next to the throwaway ones. A new pool is filled
    under a ``partial`` name and renamed only once complete, so an interrupted fill is
    never reused. The second value is the fill time in seconds, or None when reused.
    """
    if backend == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
    final, partial = _kept_names(backend, folder, rows, seed)
    if _kept_exists(backend, final):
        return _url_of(backend, final), None
    _drop_kept(backend, partial)
    if backend == "postgresql":
        with psycopg.connect(
            _postgres_conninfo(POSTGRES_ADMIN_URL), autocommit=True, connect_timeout=5
        ) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(partial)))
    database, actor, reps = _setup(_url_of(backend, partial))
    try:
        started = time.perf_counter()
        _fill_pool(database, actor, reps, rows, seed)
        fill_seconds = round(time.perf_counter() - started, 1)
    finally:
        set_database(None)
        database.dispose()
    _rename_kept(backend, partial, final)
    return _url_of(backend, final), fill_seconds


def _run_recycling(
    args: argparse.Namespace, backend: str, workdir: Path, compared: Callable[..., Any] | None
) -> dict[str, Any]:
    if args.keep_pool is None:
        with throwaway_database(backend, workdir) as url:
            return measure_recycling(url, args.recycle_rows, args.repeat, args.seed, compared)
    url, fill_seconds = kept_pool(backend, args.keep_pool, args.recycle_rows, args.seed)
    if args.fill_only:
        return {"entries": args.recycle_rows, "fill_seconds": fill_seconds, "kept": True}
    result = measure_recycling(
        url, args.recycle_rows, args.repeat, args.seed, compared, filled=True
    )
    result["fill_seconds"] = fill_seconds
    return result


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
    parser.add_argument(
        "--measure",
        choices=("all", "assignment", "recycling"),
        default="all",
        help="which measures to run",
    )
    parser.add_argument(
        "--keep-pool",
        type=Path,
        default=None,
        metavar="FOLDER",
        help="keep the filled recycling database (SQLite: a file in FOLDER; PostgreSQL: the"
        " database zhike_bench_pool_<rows>_<seed>) and reuse it when it already exists",
    )
    parser.add_argument(
        "--fill-only",
        action="store_true",
        help="with --keep-pool: fill the kept recycling database if missing, then stop",
    )
    args = parser.parse_args()
    if args.fill_only and args.keep_pool is None:
        parser.error("--fill-only needs --keep-pool")
    compared = load_recycle(args.compare_recycling) if args.compare_recycling else None
    reset_settings_cache()
    results: dict[str, Any] = {
        "command": command_line(),
        "machine": machine_facts(),
        "backends": {},
    }
    with working_folder(args.workdir) as workdir:
        for backend in selected_backends(args.backend):
            measured: dict[str, Any] = {}
            if args.measure in ("all", "assignment") and not args.fill_only:
                with throwaway_database(backend, workdir) as url:
                    measured["assignment"] = measure_assignment(
                        url, args.rows, args.orm_rows, args.repeat, args.seed
                    )
                print(backend, "assignment", measured["assignment"], flush=True)
            if args.measure in ("all", "recycling"):
                measured["recycling"] = _run_recycling(args, backend, workdir, compared)
                print(backend, "recycling", measured["recycling"], flush=True)
            results["backends"][backend] = measured
    path = write_results("sales_pools", results, args.output)
    print(f"results written to {path}")


if __name__ == "__main__":
    main()
