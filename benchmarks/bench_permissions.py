"""The cost of permission scoping on a list page, against the same page unscoped, in one run.

For each backend: a throwaway database, one tenant, ``--rows`` contacts owned by
one bulk user. ``--scoped`` of them (evenly spread over the history) are then
given to people who should see exactly those:

* ``own``: a sales rep (scope ``own``) owns all of them;
* ``department_tree``: three members of a department tree own them, and their
  sales manager (scope ``department_tree``) lists them.

Each case lists contacts sorted ``-created_at`` with ``limit = --scoped`` through
the service layer (``RecordService.list``) as the scoped person, and the same call
as the administrator (company scope, so no scope condition) — interleaved, so both
see the same machine load. The SQL each call sent is replayed on a DB-API cursor
for reference, and its plan is kept. The target is scoped p50 ≤ 1.2 × unscoped p50.

    .venv/bin/python benchmarks/bench_permissions.py --rows 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from benchmarks.api_latency import Capture, RawReplayer, prepare_database
from benchmarks.common import (
    add_common_arguments,
    command_line,
    latency_summary,
    machine_facts,
    median_of,
    selected_backends,
    throwaway_database,
    working_folder,
    write_results,
)
from benchmarks.datagen import fill_contacts
from zhike.core.db import Database, set_database
from zhike.customers.models import Contact
from zhike.platform.objects import get_object
from zhike.platform.query import ListParams
from zhike.platform.records import RecordService
from zhike.security.actors import actor_for
from zhike.security.context import Actor
from zhike.security.models import Team, Tenant, User
from zhike.security.tenants import create_tenant

TARGET_RATIO = 1.2
PASSWORD = "Zhike-bench-2026"  # noqa: S105 - a throwaway tenant in a throwaway database


def _user(session: Session, tenant_id: uuid.UUID, name: str, role: str, team: Team | None) -> User:
    user = User(
        tenant_id=tenant_id,
        email=f"{name}@bench.example.com",
        display_name=name,
        role=role,
        team_id=team.id if team else None,
    )
    session.add(user)
    session.flush()
    return user


def _spread(sample: list[uuid.UUID], count: int) -> list[uuid.UUID]:
    step = max(1, len(sample) // count)
    return sample[::step][:count]


def _reassign(database: Database, ids: list[uuid.UUID], owners: list[uuid.UUID]) -> None:
    with database.session() as session:
        for position, owner in enumerate(owners):
            chunk = ids[position :: len(owners)]
            session.execute(
                update(Contact).where(Contact.id.in_(chunk)).values(owner_id=owner),
                execution_options={"synchronize_session": False},
            )
    with database.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def _actor(database: Database, tenant_id: uuid.UUID, user_id: uuid.UUID) -> Actor:
    with database.session() as session:
        tenant = session.get(Tenant, tenant_id)
        user = session.get(User, user_id)
        assert tenant is not None
        assert user is not None
        return actor_for(tenant, user, session)


def _plan(database: Database, statement: str, parameters: Any) -> list[str]:
    prefix = "EXPLAIN QUERY PLAN " if database.engine.dialect.name == "sqlite" else "EXPLAIN "
    connection = database.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(prefix + statement, parameters)
        rows = cursor.fetchall()
        connection.rollback()
    finally:
        connection.close()
    return [" ".join(str(part) for part in row) for row in rows]


def _measure_case(
    database: Database,
    actors: dict[str, Actor],
    expected: set[str],
    limit: int,
    iterations: int,
    replayer: RawReplayer,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    spec = get_object("contacts")
    params = ListParams(filters={}, sort="-created_at", limit=limit)
    capture = Capture()
    times: dict[str, list[float]] = {name: [] for name in actors}
    raw_times: dict[str, list[float]] = {name: [] for name in actors}
    plans: dict[str, list[str]] = {}
    event.listen(database.engine, "before_cursor_execute", capture)
    try:
        for iteration in range(iterations + 3):
            for name, actor in actors.items():
                with database.session() as session:
                    service = RecordService(session, actor, spec)
                    capture.statements.clear()
                    started = time.perf_counter()
                    page = service.list(params)
                    elapsed = time.perf_counter() - started
                    ids = [str(record.id) for record in page.items]
                statement, parameters = capture.contact_query()
                raw_elapsed, raw_ids = replayer.run(statement, parameters)
                if raw_ids[: len(ids)] != ids:
                    raise RuntimeError(f"raw SQL and the service returned different rows ({name})")
                if name == "scoped" and set(ids) != expected:
                    raise RuntimeError("the scoped actor did not see exactly its records")
                if len(ids) != limit:
                    raise RuntimeError(f"{name} page has {len(ids)} rows, expected {limit}")
                if iteration >= 3:  # the first three warm caches and prepared plans
                    times[name].append(elapsed)
                    raw_times[name].append(raw_elapsed)
                plans.setdefault(name, _plan(database, statement, parameters))
    finally:
        event.remove(database.engine, "before_cursor_execute", capture)
    measured = {
        name: {"service": latency_summary(times[name]), "raw_sql": latency_summary(raw_times[name])}
        for name in actors
    }
    return measured, plans


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median over runs of each run's p50, and the scoped/unscoped ratio of those medians."""
    summary: dict[str, Any] = {}
    for name in ("scoped", "unscoped"):
        summary[f"{name}_service_p50_ms"] = median_of(
            [run[name]["service"]["p50_ms"] for run in runs]
        )
        summary[f"{name}_raw_p50_ms"] = median_of([run[name]["raw_sql"]["p50_ms"] for run in runs])
    unscoped = summary["unscoped_service_p50_ms"]
    raw_unscoped = summary["unscoped_raw_p50_ms"]
    ratio = round(summary["scoped_service_p50_ms"] / unscoped, 2) if unscoped else None
    summary["ratio_p50"] = ratio
    summary["raw_ratio_p50"] = (
        round(summary["scoped_raw_p50_ms"] / raw_unscoped, 2) if raw_unscoped else None
    )
    summary["meets_target"] = ratio is not None and ratio <= TARGET_RATIO
    return summary


def measure_backend(
    backend: str, rows: int, scoped: int, repeat: int, iterations: int, seed: int, workdir: Path
) -> dict[str, Any]:
    with throwaway_database(backend, workdir) as url:
        database = prepare_database(url)
        try:
            slug = f"perm-{secrets.token_hex(4)}"
            with database.session() as session:
                tenant, admin = create_tenant(
                    session, slug, "权限基准有限公司", f"admin@{slug}.example.com", PASSWORD
                )
                region = Team(tenant_id=tenant.id, name="华东大区")
                session.add(region)
                session.flush()
                city = Team(tenant_id=tenant.id, name="杭州组", parent_id=region.id)
                session.add(city)
                session.flush()
                bulk = _user(session, tenant.id, "bulk", "sales_rep", None)
                rep = _user(session, tenant.id, "rep", "sales_rep", None)
                manager = _user(session, tenant.id, "manager", "sales_manager", region)
                members = [
                    manager.id,
                    _user(session, tenant.id, "member1", "sales_rep", region).id,
                    _user(session, tenant.id, "member2", "sales_rep", city).id,
                ]
                ids = {"tenant": tenant.id, "admin": admin.id, "bulk": bulk.id, "rep": rep.id}
                manager_id = manager.id
            started = time.perf_counter()
            sample = fill_contacts(database, ids["tenant"], ids["bulk"], rows, seed)
            fill_seconds = time.perf_counter() - started
            chosen = _spread(sample, min(scoped, max(1, rows // 10)))
            expected = {str(record_id) for record_id in chosen}
            administrator = _actor(database, ids["tenant"], ids["admin"])
            cases = {
                "own": ([ids["rep"]], ids["rep"]),
                "department_tree": (members, manager_id),
            }
            result: dict[str, Any] = {
                "rows": rows,
                "scoped_rows": len(chosen),
                "fill_seconds": round(fill_seconds, 1),
                "cases": {},
            }
            replayer = RawReplayer(database)
            try:
                for case, (owners, viewer) in cases.items():
                    _reassign(database, chosen, owners)
                    actors = {
                        "scoped": _actor(database, ids["tenant"], viewer),
                        "unscoped": administrator,
                    }
                    runs: list[dict[str, Any]] = []
                    plans: dict[str, list[str]] = {}
                    for _ in range(repeat):
                        measured, plans = _measure_case(
                            database, actors, expected, len(chosen), iterations, replayer
                        )
                        runs.append(measured)
                    result["cases"][case] = {
                        "runs": runs,
                        "summary": summarize(runs),
                        "plans": plans,
                    }
            finally:
                replayer.close()
            return result
        finally:
            set_database(None)
            database.dispose()


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "benchmark": "bench_permissions",
        "command": command_line(),
        "machine": machine_facts(),
        "parameters": {
            "rows": arguments.rows,
            "scoped": arguments.scoped,
            "repeat": arguments.repeat,
            "iterations": arguments.permission_iterations,
            "seed": arguments.seed,
            "target": f"scoped p50 <= {TARGET_RATIO} x unscoped p50 (service layer)",
        },
        "backends": {},
    }
    with working_folder(arguments.workdir) as workdir:
        for backend in selected_backends(arguments.backend):
            print(f"bench_permissions: {backend}, {arguments.rows:,} contacts", flush=True)
            outcome = measure_backend(
                backend,
                arguments.rows,
                arguments.scoped,
                arguments.repeat,
                arguments.permission_iterations,
                arguments.seed,
                workdir,
            )
            results["backends"][backend] = outcome
            summaries = {case: data["summary"] for case, data in outcome["cases"].items()}
            print(json.dumps(summaries, ensure_ascii=False, indent=1), flush=True)
    return results


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scoped",
        type=int,
        default=1_000,
        help="records the scoped person sees, and the page size (at most a tenth of --rows)",
    )
    parser.add_argument(
        "--permission-iterations",
        type=int,
        default=20,
        help="measured list calls per actor, case and run",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_common_arguments(parser, default_rows=1_000_000)
    add_arguments(parser)
    arguments = parser.parse_args(argv)
    results = run(arguments)
    path = write_results("bench_permissions", results, arguments.output)
    print(f"results written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
