"""The pool benchmark runs end to end at a tiny size; timings are never asserted."""

from __future__ import annotations

import importlib.util
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
