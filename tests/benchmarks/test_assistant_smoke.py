"""The assistant benchmark runs end to end on SQLite with one pass; timings are never asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_assistant_benchmark_one_pass(data_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "assistant.json"
    command = [
        sys.executable,
        "-m",
        "benchmarks.bench_assistant",
        "--backend",
        "sqlite",
        "--repeat",
        "1",
        "--iterations",
        "1",
        "--data",
        str(data_dir),
        "--workdir",
        str(tmp_path / "work"),
        "--output",
        str(output),
    ]
    # The command is this repository's own module with fixed arguments.
    completed = subprocess.run(  # noqa: S603
        command,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
        timeout=600,
        env={**os.environ, "ZHIKE_DATA_DIR": str(tmp_path / "state")},
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads(output.read_text(encoding="utf-8"))
    run = results["backends"]["sqlite"]["runs"][0]
    assert run["ask"]["samples"] == len(results["questions"])
    assert run["report_only"]["samples"] == len(results["questions"])
    assert run["cold_start_ms"] > 0
