"""Run every benchmark with one command and write one JSON file of results.

    .venv/bin/python benchmarks/run_all.py [--rows N] [--backend sqlite|postgresql|all] [--repeat K]

Each benchmark also runs alone: benchmarks/api_latency.py, benchmarks/bench_permissions.py
and benchmarks/import_csv.py.
Results go to benchmarks/results/ (not committed); docs/benchmarks.md summarises them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import api_latency, bench_permissions, import_csv
from benchmarks.common import (
    add_common_arguments,
    command_line,
    machine_facts,
    write_results,
)

BENCHMARKS = ("api_latency", "bench_permissions", "import_csv")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_common_arguments(parser, default_rows=1_000_000)
    api_latency.add_arguments(parser)
    import_csv.add_arguments(parser)
    bench_permissions.add_arguments(parser)
    parser.add_argument(
        "--only",
        choices=BENCHMARKS,
        action="append",
        help="run only this benchmark (may be given twice)",
    )
    arguments = parser.parse_args(argv)
    chosen = arguments.only or list(BENCHMARKS)
    results: dict[str, Any] = {
        "benchmark": "run_all",
        "command": command_line(),
        "machine": machine_facts(),
        "results": {},
    }
    if "api_latency" in chosen:
        results["results"]["api_latency"] = api_latency.run(arguments)
    if "bench_permissions" in chosen:
        results["results"]["bench_permissions"] = bench_permissions.run(arguments)
    if "import_csv" in chosen:
        results["results"]["import_csv"] = import_csv.run(arguments)
    path = write_results("run_all", results, arguments.output)
    print(f"results written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
