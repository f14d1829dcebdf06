"""The journey benchmark at a tiny size: a killed worker, then no missed or extra send."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_journey_benchmark_tiny_run(tmp_path: Path) -> None:
    output = tmp_path / "journeys.json"
    subprocess.run(  # noqa: S603  # our own benchmark script with fixed arguments
        [
            sys.executable,
            "-m",
            "benchmarks.bench_journeys",
            "--rows",
            "20",
            "--compare-rows",
            "10",
            "--kill-share",
            "0.3",
            "--workdir",
            str(tmp_path),
            "--output",
            str(output),
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    runs = json.loads(output.read_text(encoding="utf-8"))["runs"]

    for name in ("crash", "no_crash"):
        result = runs[0][name]
        assert result["missed_sends"] == 0
        assert result["extra_sends"] == 0
        assert result["unknown_keys"] == 0
        assert result["enrollment_states"] == {"completed": result["contacts"]}
