"""A grouped report over N opportunities, through the report engine and as hand-written SQL.

The report is "won amount and deal count by owner and month over two years":
the engine gets it as a typed query from a company-wide manager, the
comparison is SQL written by hand for the same answer, and the two run
interleaved in one process on the same database. Their rows must agree.

    .venv/bin/python -m benchmarks.bench_report --rows 1000000 --backend all --repeat 3
"""

from __future__ import annotations

import argparse
import random
import secrets
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
from zhike.analytics.service import run_report
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
            dialect = database.engine.dialect.name
            hand = text(_hand_sql(dialect)).bindparams(bindparam("tenant", type_=Uuid()))
            runs: list[dict[str, Any]] = []
            for _ in range(repeat):
                engine_times: list[float] = []
                hand_times: list[float] = []
                for iteration in range(iterations + 2):
                    with database.session() as session:
                        began = time.perf_counter()
                        result = run_report(session, actor, query)
                        engine_elapsed = time.perf_counter() - began
                    with database.engine.connect() as connection:
                        began = time.perf_counter()
                        raw = list(connection.execute(hand, {"tenant": tenant_id}))
                        hand_elapsed = time.perf_counter() - began
                    expected = _normalise(raw, cents=dialect == "sqlite")
                    if _normalise([tuple(row) for row in result.rows]) != expected:
                        raise RuntimeError("the engine and the hand-written SQL disagree")
                    if iteration >= 2:  # the first two warm caches
                        engine_times.append(engine_elapsed)
                        hand_times.append(hand_elapsed)
                runs.append(
                    {
                        "groups": len(raw),
                        "engine": latency_summary(engine_times),
                        "hand_sql": latency_summary(hand_times),
                    }
                )
            engine_p50 = median_of([run["engine"]["p50_ms"] for run in runs])
            hand_p50 = median_of([run["hand_sql"]["p50_ms"] for run in runs])
            ratio = round(engine_p50 / hand_p50, 2) if hand_p50 else None
            return {
                "rows": rows,
                "fill_seconds": round(fill_seconds, 1),
                "runs": runs,
                "summary": {
                    "engine_p50_ms": engine_p50,
                    "hand_sql_p50_ms": hand_p50,
                    "ratio_p50": ratio,
                    "meets_target": engine_p50 <= TARGET_P50_MS
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
        "query": QUERY,
        "backends": results,
    }
    path = write_results("bench_report", payload, arguments.output)
    print(f"results written to {path}")


if __name__ == "__main__":
    main()
