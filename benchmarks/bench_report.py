"""A grouped report over N opportunities, through the report engine and as hand-written SQL.

The report is "won amount and deal count by owner and month over two years",
run by a company-wide manager. Four ways of answering it run interleaved in
one process on the same database, and their rows must agree:

- the engine, which reads the opportunity rollup for this query;
- the engine forced onto the base tables (``use_rollups=False``);
- hand-written SQL over the opportunities;
- hand-written SQL over the rollup table.

Each is timed by wall clock and by the CPU time of this process (on
PostgreSQL the server's CPU is not included).

    .venv/bin/python -m benchmarks.bench_report --rows 1000000 --backend all --repeat 3
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Uuid, bindparam, insert, text

from benchmarks.api_latency import prepare_database
from benchmarks.common import (
    add_common_arguments,
    command_line,
    latency_summary,
    load_average,
    machine_facts,
    median_of,
    selected_backends,
    throwaway_database,
    working_folder,
    write_results,
)
from zhike.analytics.query import ReportQuery
from zhike.analytics.rollups import check_rollups
from zhike.analytics.service import explain_report, run_report
from zhike.core.db import Database, set_database
from zhike.core.ids import new_id
from zhike.sales.models import Opportunity, PipelineStage
from zhike.security.actors import actor_for
from zhike.security.models import Tenant, User
from zhike.security.tenants import create_tenant

PASSWORD = "Zhike-bench-2026"  # noqa: S105 - a throwaway tenant in a throwaway database
OWNERS = 40
TARGET_P50_MS = 300.0
TARGET_RATIO = 1.5
QUERY = {
    "object": "opportunities",
    "filters": [{"field": "stage.key", "op": "eq", "value": "won"}],
    "group_by": [
        {"field": "owner_id", "alias": "owner"},
        {"field": "closed_on", "bucket": "month", "alias": "month"},
    ],
    "measures": [{"aggregate": "count"}, {"aggregate": "sum", "field": "amount", "alias": "won"}],
    "limit": 10000,
}


def _hand_sql(dialect: str) -> str:
    month = (
        "strftime('%Y-%m', o.closed_on)"
        if dialect == "sqlite"
        else "to_char(o.closed_on, 'YYYY-MM')"
    )
    return (
        f"SELECT o.owner_id, {month} AS month, count(*), sum(o.amount) "
        "FROM opportunities o JOIN pipeline_stages s ON s.id = o.stage_id "
        "WHERE o.tenant_id = :tenant AND o.deleted_at IS NULL AND s.key = 'won' "
        "GROUP BY o.owner_id, month"
    )


def _hand_rollup_sql(dialect: str) -> str:
    month = (
        "strftime('%Y-%m', r.closed_month)"
        if dialect == "sqlite"
        else "to_char(r.closed_month, 'YYYY-MM')"
    )
    return (
        f"SELECT r.owner_id, {month} AS month, sum(r.record_count), "
        "CASE WHEN sum(r.amount_count) > 0 THEN sum(r.amount_sum) END "
        "FROM opportunity_rollups r JOIN pipeline_stages s ON s.id = r.stage_id "
        "WHERE r.tenant_id = :tenant AND s.key = 'won' "
        "GROUP BY r.owner_id, month"
    )


def _fill(
    database: Database, tenant_id: uuid.UUID, owners: list[uuid.UUID], rows: int, seed: int
) -> None:
    rng = random.Random(seed)
    with database.session() as session:
        stages = {
            stage.key: stage.id
            for stage in session.query(PipelineStage).filter(PipelineStage.tenant_id == tenant_id)
        }
    keys = ["prospecting", "qualification", "engaging", "proposal", "commit", "won", "lost"]
    weights = [10, 8, 8, 8, 6, 35, 25]
    start = date(2024, 1, 1)
    now = datetime.now(UTC)
    batch: list[dict[str, Any]] = []
    for number in range(rows):
        key = rng.choices(keys, weights)[0]
        closed = start + timedelta(days=rng.randrange(730)) if key in ("won", "lost") else None
        batch.append(
            {
                "id": new_id(),
                "tenant_id": tenant_id,
                "owner_id": owners[number % len(owners)],
                "name": f"商机{number}",
                "stage_id": stages[key],
                "amount": Decimal(rng.randrange(1_000_00, 500_000_00)) / 100,
                "currency": "CNY",
                "closed_on": closed,
                "created_at": now,
                "updated_at": now,
                "version": 1,
                "custom": {},
            }
        )
        if len(batch) == 5000:
            with database.engine.begin() as connection:
                connection.execute(insert(Opportunity), batch)
            batch = []
    if batch:
        with database.engine.begin() as connection:
            connection.execute(insert(Opportunity), batch)
    if database.engine.dialect.name == "postgresql":
        # VACUUM sets the visibility map that index-only scans need; autovacuum would do
        # the same some time after a bulk load. It cannot run inside a transaction.
        with database.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as connection:
            connection.execute(text("VACUUM ANALYZE opportunities"))
            connection.execute(text("VACUUM ANALYZE opportunity_rollups"))
        return
    with database.engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def _normalise(rows: list[Any], cents: bool = False) -> set[tuple[str, str, int, Decimal]]:
    """Rows as comparable tuples; SQLite stores amounts as integer cents."""
    return {
        (
            str(owner).replace("-", ""),
            str(month),
            int(count),
            (Decimal(total) / 100 if cents else Decimal(str(total))).quantize(Decimal("0.01")),
        )
        for owner, month, count, total in rows
    }


VARIANTS = ("engine", "engine_base_tables", "hand_sql", "hand_rollup_sql")


def _answer(
    database: Database,
    actor: Any,
    query: ReportQuery,
    tenant_id: uuid.UUID,
    variant: str,
    statements: dict[str, Any],
) -> tuple[float, float, set[tuple[str, str, int, Decimal]]]:
    """Answer the report one way; return wall seconds, CPU seconds and comparable rows."""
    if variant.startswith("engine"):
        with database.session() as session:
            began, cpu_began = time.perf_counter(), time.process_time()
            result = run_report(session, actor, query, use_rollups=variant == "engine")
            wall, used = time.perf_counter() - began, time.process_time() - cpu_began
        return wall, used, _normalise([tuple(row) for row in result.rows])
    statement = statements[variant].bindparams(bindparam("tenant", type_=Uuid()))
    with database.engine.connect() as connection:
        began, cpu_began = time.perf_counter(), time.process_time()
        raw = list(connection.execute(statement, {"tenant": tenant_id}))
        wall, used = time.perf_counter() - began, time.process_time() - cpu_began
    cents = database.engine.dialect.name == "sqlite"
    return wall, used, _normalise(raw, cents=cents)


def measure_backend(
    backend: str, rows: int, repeat: int, iterations: int, seed: int, workdir: Path
) -> dict[str, Any]:
    with throwaway_database(backend, workdir) as url:
        database = prepare_database(url)
        try:
            slug = f"report-{secrets.token_hex(4)}"
            with database.session() as session:
                tenant, admin = create_tenant(
                    session, slug, "报表基准有限公司", f"admin@{slug}.example.com", PASSWORD
                )
                owners = [admin.id]
                for number in range(OWNERS - 1):
                    user = User(
                        tenant_id=tenant.id,
                        email=f"rep{number}@{slug}.example.com",
                        display_name=f"销售{number}",
                        role="sales_rep",
                    )
                    session.add(user)
                    session.flush()
                    owners.append(user.id)
                tenant_id, admin_id = tenant.id, admin.id
            started = time.perf_counter()
            _fill(database, tenant_id, owners, rows, seed)
            fill_seconds = time.perf_counter() - started
            with database.session() as session:
                tenant_row = session.get(Tenant, tenant_id)
                user_row = session.get(User, admin_id)
                assert tenant_row is not None
                assert user_row is not None
                actor = actor_for(tenant_row, user_row, session)
            query = ReportQuery.model_validate(QUERY)
            with database.session() as session:
                explanation = explain_report(session, actor, query)
                check = check_rollups(session, tenant_id)
            if explanation.source != "rollup" or not check.is_consistent:
                raise RuntimeError(f"rollup not used or inconsistent: {explanation}, {check}")
            dialect = database.engine.dialect.name
            statements = {
                "hand_sql": text(_hand_sql(dialect)),
                "hand_rollup_sql": text(_hand_rollup_sql(dialect)),
            }
            runs: list[dict[str, Any]] = []
            for _ in range(repeat):
                seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
                cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
                for iteration in range(iterations + 2):
                    answers: dict[str, set[tuple[str, str, int, Decimal]]] = {}
                    for name in VARIANTS:
                        wall, used, answers[name] = _answer(
                            database, actor, query, tenant_id, name, statements
                        )
                        if iteration >= 2:  # the first two warm caches
                            seconds[name].append(wall)
                            cpu[name].append(used)
                    if any(answer != answers["hand_sql"] for answer in answers.values()):
                        raise RuntimeError("the engine and the hand-written SQL disagree")
                runs.append(
                    {
                        "groups": len(answers["hand_sql"]),
                        **{name: latency_summary(seconds[name]) for name in VARIANTS},
                        "cpu_ms_median": {
                            name: round(statistics.median(cpu[name]) * 1000, 3) for name in VARIANTS
                        },
                    }
                )
            p50 = {name: median_of([run[name]["p50_ms"] for run in runs]) for name in VARIANTS}
            ratio = (
                round(p50["engine"] / p50["hand_rollup_sql"], 2) if p50["hand_rollup_sql"] else None
            )
            return {
                "rows": rows,
                "fill_seconds": round(fill_seconds, 1),
                "rollup_rows": check.actual_rows,
                "explanation": explanation.model_dump(),
                "runs": runs,
                "summary": {
                    "engine_p50_ms": p50["engine"],
                    "engine_base_tables_p50_ms": p50["engine_base_tables"],
                    "hand_sql_p50_ms": p50["hand_sql"],
                    "hand_rollup_sql_p50_ms": p50["hand_rollup_sql"],
                    "ratio_p50": ratio,
                    "cpu_ms_median": {
                        name: median_of([run["cpu_ms_median"][name] for run in runs])
                        for name in VARIANTS
                    },
                    "meets_target": p50["engine"] <= TARGET_P50_MS
                    and ratio is not None
                    and ratio <= TARGET_RATIO,
                },
            }
        finally:
            set_database(None)
            database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_common_arguments(parser, default_rows=1_000_000)
    parser.add_argument("--iterations", type=int, default=10, help="timed runs per repeat")
    arguments = parser.parse_args()
    started_load = load_average()
    started_cpu = time.process_time()
    results: dict[str, Any] = {}
    with working_folder(arguments.workdir) as folder:
        for backend in selected_backends(arguments.backend):
            results[backend] = measure_backend(
                backend,
                arguments.rows,
                arguments.repeat,
                arguments.iterations,
                arguments.seed,
                folder,
            )
            print(backend, results[backend]["summary"])
    payload = {
        "benchmark": "bench_report",
        "command": command_line(),
        "machine": machine_facts(),
        "load_average_at_start": started_load,
        "load_average_at_end": load_average(),
        "process_cpu_seconds": round(time.process_time() - started_cpu, 1),
        "query": QUERY,
        "backends": results,
    }
    path = write_results("bench_report", payload, arguments.output)
    print(f"results written to {path}")


if __name__ == "__main__":
    main()
