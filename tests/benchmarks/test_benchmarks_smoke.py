"""Each benchmark runs end to end at a tiny size, so none of them rots unnoticed.

Only the shape and the correctness checks of the results are asserted; timings
depend on the machine and are never compared to anything here.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from zhike.ingestion.standardize import normalize_email, normalize_mobile

REPO_ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    # Loaded by path: this test folder is also called "benchmarks" and would shadow the package.
    spec = importlib.util.spec_from_file_location(
        f"zhike_bench_{name}", REPO_ROOT / "benchmarks" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


datagen = _load("datagen")
BACKEND = "all" if _load("common").postgres_version() else "sqlite"


def _run(script: str, output: Path, *extra: str, backend: str = BACKEND) -> dict[str, Any]:
    command = [
        sys.executable,
        str(REPO_ROOT / "benchmarks" / script),
        "--rows",
        "200",
        "--repeat",
        "1",
        "--backend",
        backend,
        "--workdir",
        str(output.parent / "work"),
        "--output",
        str(output),
        *extra,
    ]
    # The command is this repository's own script with fixed arguments.
    completed = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, cwd=REPO_ROOT, check=False, timeout=600
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    results: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return results


def test_generated_contacts_pass_standardisation() -> None:
    generator = datagen.ContactGenerator(seed=7)
    mobiles = [normalize_mobile(generator.mobile_digits()) for _ in range(300)]
    assert all(mobile.startswith("+861") for mobile in mobiles)
    assert {len(mobile) for mobile in mobiles} == {14}
    for row in datagen.csv_records(seed=7, total=200):
        assert normalize_mobile(row[2]).startswith("+861")
        assert normalize_email(row[3]) == row[3].lower()


@pytest.mark.slow
def test_api_latency_runs_and_compares_same_rows(tmp_path: Path) -> None:
    results = _run(
        "api_latency.py", tmp_path / "api.json", "--iterations", "2", "--transport", "both"
    )

    expected = ["sqlite", "postgresql"] if BACKEND == "all" else ["sqlite"]
    assert sorted(results["backends"]) == sorted(expected)
    for outcome in results["backends"].values():
        assert outcome["rows"] == 200
        for transport in ("in_process", "uvicorn"):
            summary = outcome[transport]["summary"]
            assert sorted(summary) == ["get_by_id", "list_city", "list_first_page", "list_search"]
            assert all(entry["api_p50_ms"] > 0 for entry in summary.values())
            assert all(entry["raw_p50_ms"] > 0 for entry in summary.values())
        assert outcome["in_process"]["runs"][0]["list_first_page"]["rows_per_request"] == 50


@pytest.mark.slow
def test_permission_benchmark_compares_scoped_and_unscoped_pages(tmp_path: Path) -> None:
    results = _run(
        "bench_permissions.py", tmp_path / "permissions.json", "--permission-iterations", "1"
    )

    expected = ["sqlite", "postgresql"] if BACKEND == "all" else ["sqlite"]
    assert sorted(results["backends"]) == sorted(expected)
    for outcome in results["backends"].values():
        assert outcome["rows"] == 200
        assert outcome["scoped_rows"] == 20
        assert sorted(outcome["cases"]) == ["department_tree", "own"]
        for case in outcome["cases"].values():
            assert case["summary"]["scoped_service_p50_ms"] > 0
            assert case["summary"]["unscoped_raw_p50_ms"] > 0
            assert sorted(case["plans"]) == ["scoped", "unscoped"]


@pytest.mark.slow
def test_import_benchmark_runs_or_says_why_not(tmp_path: Path) -> None:
    # SQLite only: the PostgreSQL path of the harness is the one the API benchmark already runs.
    results = _run("import_csv.py", tmp_path / "import.json", backend="sqlite")

    if results["status"].startswith("skipped"):
        assert results["backends"] == {}
        return
    assert results["parameters"]["sizes"] == [200, 50]
    assert list(results["backends"]) == ["sqlite"]
    for per_size in results["backends"].values():
        assert per_size["200"]["summary"]["all_rows_stored"] is True
        assert per_size["50"]["summary"]["all_rows_stored"] is True
        assert per_size["200"]["summary"]["status"] == ["succeeded"]
        assert per_size["200"]["runs"][0]["result"]["rows_rejected"] == 0
        assert per_size["200"]["runs"][0]["peak_rss_mib"] > 0


def test_value_benchmark_reports_quality_and_speed(tmp_path: Path) -> None:
    output = tmp_path / "value.json"
    arguments = ["--rows", "3000", "--repeat", "1", "--requests", "20", "--output", str(output)]
    completed = subprocess.run(  # noqa: S603 - this interpreter and a script of the repository
        [sys.executable, "-m", "benchmarks.bench_value", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(output.read_text("utf-8"))
    assert result["summary"]["rows"] == 3000
    assert result["runs"][0]["recommend"]["samples"] == 20


def test_report_benchmark_agrees_with_hand_written_sql(tmp_path: Path) -> None:
    results = _run("bench_report.py", tmp_path / "report.json", "--iterations", "1")

    expected = ["sqlite", "postgresql"] if BACKEND == "all" else ["sqlite"]
    assert sorted(results["backends"]) == sorted(expected)
    for outcome in results["backends"].values():
        assert outcome["rows"] == 200
        assert outcome["runs"][0]["groups"] > 0
        assert outcome["summary"]["engine_p50_ms"] > 0
