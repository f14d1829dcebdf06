"""What every benchmark shares: throwaway databases, machine facts, statistics and results."""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
POSTGRES_ADMIN_URL = os.environ.get(
    "ZHIKE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")


def add_common_arguments(parser: argparse.ArgumentParser, default_rows: int) -> None:
    parser.add_argument("--rows", type=int, default=default_rows, help="contacts to generate")
    parser.add_argument(
        "--backend", choices=(*BACKENDS, "all"), default="all", help="database to measure"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs whose median is reported")
    parser.add_argument("--seed", type=int, default=20260101, help="seed of the data generator")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="folder for SQLite files and CSV (default: a temp dir)",
    )
    parser.add_argument(
        "--output", type=Path, default=None, help="JSON results file (default: benchmarks/results/)"
    )


def selected_backends(choice: str) -> list[str]:
    return list(BACKENDS) if choice == "all" else [choice]


def _postgres_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_version() -> str | None:
    try:
        with psycopg.connect(
            _postgres_conninfo(POSTGRES_ADMIN_URL), connect_timeout=5
        ) as connection:
            row = connection.execute("SHOW server_version").fetchone()
    except psycopg.OperationalError:
        return None
    return str(row[0]) if row else None


@contextmanager
def throwaway_database(backend: str, workdir: Path) -> Iterator[str]:
    """Yield the URL of an empty database that is removed afterwards."""
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="sqlite-", dir=workdir))
        try:
            yield f"sqlite:///{folder / 'zhike.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"zhike_bench_{secrets.token_hex(4)}"
    admin = _postgres_conninfo(POSTGRES_ADMIN_URL)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextmanager
def working_folder(requested: Path | None) -> Iterator[Path]:
    if requested is not None:
        requested.mkdir(parents=True, exist_ok=True)
        yield requested
        return
    folder = Path(tempfile.mkdtemp(prefix="zhike-bench-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_total_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"') + f" (kernel {platform.release()})"
    except OSError:
        pass
    return platform.platform()


def load_average() -> list[float]:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return []


def source_state() -> dict[str, Any]:
    """The commit measured, and whether the working tree differed from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=REPO_ROOT, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain"],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "uncommitted_files": None}
    return {"commit": head, "uncommitted_files": len(changed)}


def machine_facts() -> dict[str, Any]:
    return {
        "source": source_state(),
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_total_gib(),
        "os": _os_name(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(),
        "load_average_at_start": load_average(),
    }


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: with fewer than 100 samples, p99 is the slowest one."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(seconds, 0.50) * 1000, 3),
        "p99_ms": round(percentile(seconds, 0.99) * 1000, 3),
        "mean_ms": round(statistics.fmean(seconds) * 1000, 3),
        "samples": len(seconds),
    }


def median_of(values: Sequence[float]) -> float:
    return round(statistics.median(values), 3)


def command_line() -> str:
    return " ".join([".venv/bin/python", *(sys.argv if sys.argv[0] else ["-c"])])


def write_results(name: str, payload: dict[str, Any], output: Path | None) -> Path:
    if output is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        output = RESULTS_DIR / f"{name}-{stamp}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    payload = {**payload, "load_average_at_end": load_average()}
    output.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return output
