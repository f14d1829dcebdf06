"""Deduplication quality on FEBRL 1–3 and linkage quality on FEBRL 4a ↔ 4b.

Runs the production matcher (``zhike.customers.matching``) and, on the same files, the
reference library recordlinkage (see ``benchmarks/dedup_reference.py``), and reports
precision, recall, F1, pair counts and seconds for each.

    .venv/bin/python -m benchmarks.bench_dedup [--data DIR] [--reference-python PYTHON]

``--reference-python`` names an interpreter that has recordlinkage; by default the
current one. When none has it, the reference is reported as unavailable with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import REPO_ROOT, machine_facts, write_results
from zhike.customers.matching import febrl

SETS = (
    ("febrl1", "dataset1.csv", None, "dataset1_true_pairs.csv"),
    ("febrl2", "dataset2.csv", None, "dataset2_true_pairs.csv"),
    ("febrl3", "dataset3.csv", None, "dataset3_true_pairs.csv"),
    ("febrl4", "dataset4a.csv", "dataset4b.csv", "dataset4_true_links.csv"),
)


def default_data_dir() -> Path:
    root = os.environ.get("ZHIKE_DATASETS_DIR", str(REPO_ROOT.parent / "shared" / "data"))
    return Path(root) / "febrl"


def run_zhike(folder: Path, records: str, other: str | None, truth: str) -> dict[str, Any]:
    ids, rows = febrl.read_records(folder / records)
    groups = None
    if other is not None:
        other_ids, other_rows = febrl.read_records(folder / other)
        groups = ["a"] * len(ids) + ["b"] * len(other_ids)
        ids, rows = ids + other_ids, rows + other_rows
    evaluation = febrl.evaluate(ids, rows, febrl.read_truth(folder / truth), groups=groups)
    return evaluation.as_dict()


def run_reference(
    python: str, folder: Path, records: str, other: str | None, truth: str
) -> dict[str, Any]:
    command = [python, str(REPO_ROOT / "benchmarks" / "dedup_reference.py")]
    command += ["--records", str(folder / records), "--truth", str(folder / truth)]
    if other is not None:
        command += ["--other", str(folder / other)]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        reason = (finished.stderr.strip().splitlines() or ["no output"])[-1]
        return {"unavailable": reason}
    result: dict[str, Any] = json.loads(finished.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--reference-python", default=sys.executable)
    parser.add_argument("--sets", default="febrl1,febrl2,febrl3,febrl4")
    parser.add_argument("--output", type=Path, default=None)
    arguments = parser.parse_args()

    chosen = set(arguments.sets.split(","))
    results: dict[str, Any] = {}
    for name, records, other, truth in SETS:
        if name not in chosen:
            continue
        results[name] = {
            "zhike": run_zhike(arguments.data, records, other, truth),
            "reference": run_reference(
                arguments.reference_python, arguments.data, records, other, truth
            ),
        }
        print(name, json.dumps(results[name]), flush=True)
    payload = {"benchmark": "dedup", "machine": machine_facts(), "results": results}
    path = write_results("dedup", payload, arguments.output)
    print(f"results: {path}")


if __name__ == "__main__":
    main()
