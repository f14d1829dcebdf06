"""Customer value and product suggestions: model quality on public data, speed at scale.

Quality, with the baselines measured in the same run:
- BG/NBD and Gamma-Gamma fitted on the CDNOW sample's calibration period,
  against the published parameters, and holdout purchases against two rate
  baselines (each customer's own rate, and the population's mean rate);
- hit rate at 3 of each account's latest won product on the CRM pipeline set,
  item-based suggestions against popularity.
Speed: the time to fit the suggestion model on N generated (account,
product) transactions, and the latency of one account's suggestions.

    .venv/bin/python -m benchmarks.bench_value [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import (
    REPO_ROOT,
    command_line,
    latency_summary,
    load_average,
    machine_facts,
    median_of,
    write_results,
)
from zhike.analytics.recommend import ItemRecommender
from zhike.analytics.value_eval import evaluate_cdnow, evaluate_pipeline

DEFAULT_DATA = Path(os.environ.get("ZHIKE_DATASETS_DIR", REPO_ROOT.parent / "shared" / "data"))


def _transactions(rows: int, seed: int) -> tuple[list[int], list[int]]:
    """Accounts buy from a long-tailed catalogue, as real B2B order books do."""
    rng = np.random.default_rng(seed)
    accounts = rng.integers(0, max(1, rows // 10), rows)
    products = (rng.zipf(1.6, rows) - 1) % 2000
    return accounts.tolist(), products.tolist()


def _speed(rows: int, seed: int, requests: int) -> dict[str, Any]:
    accounts, products = _transactions(rows, seed)
    started = time.perf_counter()
    model = ItemRecommender(accounts, products)
    fit_seconds = time.perf_counter() - started
    rng = np.random.default_rng(seed + 1)
    latencies = []
    for _ in range(requests):
        bought = [products[int(i)] for i in rng.integers(0, rows, 3)]
        began = time.perf_counter()
        model.recommend(bought, 3)
        latencies.append(time.perf_counter() - began)
    return {
        "fit_seconds": round(fit_seconds, 3),
        "products": len(model.products),
        "recommend": latency_summary(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="generated transactions")
    parser.add_argument("--repeat", type=int, default=3, help="runs whose median is reported")
    parser.add_argument("--requests", type=int, default=1000, help="suggestion requests per run")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="public data sets folder")
    parser.add_argument("--output", type=Path, default=None)
    arguments = parser.parse_args()
    started_load = load_average()

    quality: dict[str, Any] = {}
    if (arguments.data / "cdnow_transactions").is_dir():
        quality["cdnow"] = evaluate_cdnow(arguments.data)
    if (arguments.data / "crm_sales_opportunities").is_dir():
        quality["pipeline"] = evaluate_pipeline(arguments.data)

    runs = [
        _speed(arguments.rows, arguments.seed + run, arguments.requests)
        for run in range(arguments.repeat)
    ]
    summary = {
        "rows": arguments.rows,
        "fit_seconds_median": median_of([run["fit_seconds"] for run in runs]),
        "recommend_p50_ms_median": median_of([run["recommend"]["p50_ms"] for run in runs]),
        "recommend_p99_ms_median": median_of([run["recommend"]["p99_ms"] for run in runs]),
    }

    payload = {
        "benchmark": "bench_value",
        "command": command_line(),
        "machine": machine_facts(),
        "load_average_at_start": started_load,
        "quality": quality,
        "runs": runs,
        "summary": summary,
    }
    path = write_results("bench_value", payload, arguments.output)
    print(f"quality: {quality}")
    print(f"speed: {summary}")
    print(f"results written to {path}")


if __name__ == "__main__":
    main()
