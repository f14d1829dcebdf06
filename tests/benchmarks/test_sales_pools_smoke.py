"""The pool benchmark runs end to end at a tiny size; timings are never asserted."""

from __future__ import annotations

import importlib.util
import secrets
from pathlib import Path
from types import ModuleType

import psycopg
import pytest

from zhike.core import db

REPO_ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    # Loaded by path: this test folder is also called "benchmarks" and would shadow the package.
    spec = importlib.util.spec_from_file_location(
        "zhike_bench_sales_pools", REPO_ROOT / "benchmarks" / "bench_sales_pools.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sales_pools_benchmark_tiny(backend: str, tmp_path: Path) -> None:
    bench = _load()
    previous = db._database
    try:
        try:
            assignment_db = bench.throwaway_database(backend, tmp_path)
            url = assignment_db.__enter__()
        except psycopg.OperationalError as error:
            pytest.skip(f"{backend} not reachable: {error}")
        try:
            assignment = bench.measure_assignment(url, 300, 20, 2, 7)
        finally:
            assignment_db.__exit__(None, None, None)
        with bench.throwaway_database(backend, tmp_path) as recycle_url:
            recycling = bench.measure_recycling(recycle_url, 400, 2, 7)
    finally:
        db.set_database(previous)
    assert assignment["assigned"] == 300
    assert len(assignment["seconds"]) == 2
    assert recycling["entries"] == 400
    report = recycling["last_report"]
    assert report["returned_without_activity"] > 0
    assert report["warned"] > 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_restore_undoes_recycling(backend: str, tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from zhike.sales.models import Lead
    from zhike.sales.pool_models import PoolEntry, PoolEvent

    bench = _load()
    previous = db._database
    try:
        try:
            context = bench.throwaway_database(backend, tmp_path)
            url = context.__enter__()
        except psycopg.OperationalError as error:
            pytest.skip(f"{backend} not reachable: {error}")
        try:
            database, actor, reps = bench._setup(url)
            bench._fill_pool(database, actor, reps, 200, 11)
            _elapsed, first = bench._timed_recycle(database, actor, bench.recycle)
            bench._restore(database, actor)
            with database.session() as session:
                claimed = session.scalar(
                    select(func.count()).select_from(PoolEntry).where(PoolEntry.state == "claimed")
                )
                events = session.scalar(select(func.count()).select_from(PoolEvent))
                mismatched = session.scalar(
                    select(func.count())
                    .select_from(Lead)
                    .join(PoolEntry, PoolEntry.record_id == Lead.id)
                    .where(Lead.owner_id.is_distinct_from(PoolEntry.last_owner_id))
                )
            _elapsed, second = bench._timed_recycle(database, actor, bench.recycle)
            database.dispose()
        finally:
            context.__exit__(None, None, None)
    finally:
        db.set_database(previous)
    assert first.returned_without_activity > 0
    assert claimed == 200
    assert events == 0
    assert mismatched == 0
    # The first run moved follow-up clocks forward to the activities, which restoring keeps.
    assert second.model_dump(exclude={"followups_refreshed"}) == first.model_dump(
        exclude={"followups_refreshed"}
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kept_pool_filled_once(backend: str, tmp_path: Path) -> None:
    bench = _load()
    previous = db._database
    # A random seed names a kept PostgreSQL database that no other test run uses.
    seed = secrets.randbelow(10**9)
    try:
        try:
            url, fill_seconds = bench.kept_pool(backend, tmp_path, 300, seed)
        except psycopg.OperationalError as error:
            pytest.skip(f"{backend} not reachable: {error}")
        final, partial = bench._kept_names(backend, tmp_path, 300, seed)
        try:
            reused_url, reused_fill_seconds = bench.kept_pool(backend, tmp_path, 300, seed)
            recycling = bench.measure_recycling(reused_url, 300, 2, seed, filled=True)
            partial_left = bench._kept_exists(backend, partial)
        finally:
            bench._drop_kept(backend, final)
    finally:
        db.set_database(previous)
    assert fill_seconds is not None
    assert reused_url == url
    assert reused_fill_seconds is None
    assert partial_left is False
    first, second = recycling["reports"]
    assert first["returned_without_activity"] > 0
    assert second["returned_without_activity"] == first["returned_without_activity"]
    assert second["warned"] == first["warned"]
    assert len(recycling["runs"]) == 2
