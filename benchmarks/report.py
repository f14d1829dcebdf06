"""Print the Markdown tables of docs/benchmarks.md from result files.

    .venv/bin/python benchmarks/report.py benchmarks/results/api_latency-*.json ...

Accepts files written by api_latency.py, import_csv.py and run_all.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _api_tables(results: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for backend, outcome in results["backends"].items():
        for transport in ("in_process", "uvicorn"):
            part = outcome.get(transport)
            if not part:
                continue
            if "error" in part:
                lines.append(f"{backend}, {transport}: not measured ({part['error']})\n")
                continue
            lines.append(
                f"**{backend}, {transport.replace('_', '-')}** — {outcome['rows']:,} contacts, "
                f"fill {outcome['fill_seconds']} s ({outcome['fill_rows_per_second']:,} rows/s)\n"
            )
            lines.append(
                "| query | API p50 ms | API p99 ms | raw SQL p50 ms | raw SQL p99 ms "
                "| API ÷ raw (p50) | ≤ 3× |"
            )
            lines.append("|---|---:|---:|---:|---:|---:|:---:|")
            for name, entry in part["summary"].items():
                lines.append(
                    f"| {name} | {entry['api_p50_ms']} | {entry['api_p99_ms']} | "
                    f"{entry['raw_p50_ms']} | {entry['raw_p99_ms']} | {entry['ratio_p50']} | "
                    f"{'yes' if entry['meets_target'] else 'no'} |"
                )
            lines.append("")
    return lines


def _import_tables(results: dict[str, Any]) -> list[str]:
    if not results["backends"]:
        return [f"import: {results.get('status')}\n"]
    lines = [
        "| backend | rows | file MiB | rows/s | seconds | peak RSS MiB "
        "| RSS before import MiB | all stored |",
        "|---|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for backend, per_size in results["backends"].items():
        for size, entry in per_size.items():
            summary = entry["summary"]
            stored = "yes" if summary["all_rows_stored"] else "no"
            lines.append(
                f"| {backend} | {int(size):,} | {entry['file_mib']} "
                f"| {summary['rows_per_second']:,.0f} | {summary['seconds']} "
                f"| {summary['peak_rss_mib']} | {summary['rss_before_import_mib']} | {stored} |"
            )
    lines.append("")
    return lines


def render(results: dict[str, Any]) -> list[str]:
    kind = results.get("benchmark")
    if kind == "run_all":
        lines: list[str] = []
        for part in results["results"].values():
            lines.extend(render(part))
        return lines
    header = [f"`{results.get('command')}`\n"]
    if kind == "api_latency":
        return header + _api_tables(results)
    if kind == "import_csv":
        return header + _import_tables(results)
    return [f"unknown result kind {kind!r}"]


def main(paths: list[str]) -> int:
    for path in paths:
        print("\n".join(render(json.loads(Path(path).read_text(encoding="utf-8")))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
