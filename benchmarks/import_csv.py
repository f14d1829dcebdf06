"""CSV import of generated contacts with validation: rows per second and peak memory.

For each backend and size (``--rows`` and a quarter of it, to show that memory
does not grow with the file) a generated CSV is imported into a fresh database
with the shipped ``contacts-csv`` profile through
``zhike.ingestion.importer.run_import``. The import runs in a child process, so
its peak resident memory (VmHWM) is the importer's own and not the generator's.

    .venv/bin/python benchmarks/import_csv.py --rows 50000 --backend sqlite --repeat 3
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from benchmarks.common import (
    add_common_arguments,
    command_line,
    machine_facts,
    median_of,
    selected_backends,
    throwaway_database,
    working_folder,
    write_results,
)
from benchmarks.datagen import write_contacts_csv
from zhike.core.db import Database
from zhike.core.migrate import upgrade
from zhike.core.settings import Settings
from zhike.customers.models import Contact
from zhike.security.models import Tenant
from zhike.security.tenants import create_tenant

PROFILE = "contacts-csv"
PASSWORD = "Zhike-bench-2026"  # noqa: S105 - a throwaway tenant in a throwaway database
TARGET_SQLITE_ROWS_PER_SECOND = 20_000


def importer_available() -> bool:
    if importlib.util.find_spec("zhike.ingestion.importer") is None:
        return False
    from zhike.ingestion import importer

    return hasattr(importer, "run_import")


def _memory_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _describe(result: Any) -> Any:
    """A JSON-friendly view of whatever run_import returns."""
    if result is None or isinstance(result, int | float | str | bool):
        return result
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return json.loads(json.dumps(dataclasses.asdict(result), default=str))
    if hasattr(result, "model_dump"):
        return json.loads(json.dumps(result.model_dump(), default=str))
    if hasattr(result, "__dict__"):
        return {
            key: str(value)[:200] for key, value in vars(result).items() if not key.startswith("_")
        }
    return str(result)[:500]


def _field(run: dict[str, Any], name: str) -> Any:
    result = run.get("result")
    return result.get(name) if isinstance(result, dict) else None


def worker(url: str, slug: str, csv_path: Path, email: str, mode: str) -> dict[str, Any]:
    """Run one import in this process and report its time and memory high-water mark."""
    os.environ["ZHIKE_DATABASE_URL"] = url
    from zhike.core.db import set_database
    from zhike.ingestion.importer import run_import

    database = Database(url, Settings(database_url=url))
    set_database(database)
    baseline_kib = _memory_kib("VmHWM")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    cpu_started = time.process_time()
    outcome = run_import(database, slug, PROFILE, csv_path, mode=mode, user_email=email)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    database.dispose()
    return {
        "seconds": seconds,
        # CPU time of the importing process alone (Python and the SQLite library; not the
        # PostgreSQL server): what the import costs when it does not wait for a core.
        "cpu_seconds": cpu_seconds,
        "load_average": [load_before, os.getloadavg()[0]],
        "peak_rss_kib": _memory_kib("VmHWM"),
        "rss_before_import_kib": baseline_kib,
        "result": _describe(outcome),
    }


def _import_once(
    backend: str, csv_path: Path, rows: int, mode: str, workdir: Path
) -> dict[str, Any]:
    with throwaway_database(backend, workdir) as url:
        database = Database(url, Settings(database_url=url))
        try:
            upgrade(database.engine, url)
            slug = f"bench-{secrets.token_hex(4)}"
            email = f"admin@{slug}.example.com"
            with database.session() as session:
                create_tenant(session, slug, "导入基准有限公司", email, PASSWORD)
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                "--database-url",
                url,
                "--tenant",
                slug,
                "--csv",
                str(csv_path),
                "--email",
                email,
                "--mode",
                mode,
            ]
            completed = subprocess.run(command, capture_output=True, text=True, check=False)
            if completed.returncode != 0:
                raise RuntimeError(f"import worker failed:\n{completed.stderr[-3000:]}")
            report: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
            with database.session() as session:
                tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == slug))
                stored = session.scalar(
                    select(func.count()).select_from(Contact).where(Contact.tenant_id == tenant_id)
                )
        finally:
            database.dispose()
    report["rows_in_file"] = rows
    report["contacts_stored"] = stored
    report["rows_per_second"] = round(rows / report["seconds"]) if report["seconds"] else None
    report["peak_rss_mib"] = round((report["peak_rss_kib"] or 0) / 1024, 1)
    report["rss_before_import_mib"] = round((report["rss_before_import_kib"] or 0) / 1024, 1)
    report["rows_per_cpu_second"] = (
        round(rows / report["cpu_seconds"]) if report["cpu_seconds"] else None
    )
    report["cpu_microseconds_per_row"] = round(report["cpu_seconds"] / rows * 1e6, 1)
    report["seconds"] = round(report["seconds"], 2)
    report["cpu_seconds"] = round(report["cpu_seconds"], 2)
    return report


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    sizes = sorted({arguments.rows, max(1, arguments.rows // 4)}, reverse=True)
    results: dict[str, Any] = {
        "benchmark": "import_csv",
        "command": command_line(),
        "machine": machine_facts(),
        "parameters": {
            "sizes": sizes,
            "repeat": arguments.repeat,
            "mode": arguments.mode,
            "profile": PROFILE,
            "seed": arguments.seed,
            "target": f">= {TARGET_SQLITE_ROWS_PER_SECOND} rows/s on SQLite",
        },
        "backends": {},
    }
    if not importer_available():
        results["status"] = "skipped: zhike.ingestion.importer.run_import is not available yet"
        print(f"import_csv: {results['status']}", flush=True)
        return results
    results["status"] = "measured"
    with working_folder(arguments.workdir) as workdir:
        files: dict[int, tuple[Path, int]] = {}
        for size in sizes:
            # The shipped profile names its file contacts.csv; one folder per size keeps that name.
            folder = workdir / f"csv-{size}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "contacts.csv"
            files[size] = (path, write_contacts_csv(path, size, arguments.seed))
        for backend in selected_backends(arguments.backend):
            per_size: dict[str, Any] = {}
            for size in sizes:
                path, file_bytes = files[size]
                print(f"import_csv: {backend}, {size:,} rows", flush=True)
                runs = [
                    _import_once(backend, path, size, arguments.mode, workdir)
                    for _ in range(arguments.repeat)
                ]
                per_size[str(size)] = {
                    "file_mib": round(file_bytes / 1024 / 1024, 1),
                    "runs": runs,
                    "summary": {
                        "rows_per_second": median_of([run["rows_per_second"] for run in runs]),
                        "seconds": median_of([run["seconds"] for run in runs]),
                        "rows_per_cpu_second": median_of(
                            [run["rows_per_cpu_second"] for run in runs]
                        ),
                        "cpu_microseconds_per_row": median_of(
                            [run["cpu_microseconds_per_row"] for run in runs]
                        ),
                        "peak_rss_mib": median_of([run["peak_rss_mib"] for run in runs]),
                        "rss_before_import_mib": median_of(
                            [run["rss_before_import_mib"] for run in runs]
                        ),
                        "all_rows_stored": all(run["contacts_stored"] == size for run in runs),
                        "status": sorted({str(_field(run, "status")) for run in runs}),
                    },
                }
                print(json.dumps(per_size[str(size)]["summary"]), flush=True)
            results["backends"][backend] = per_size
    return results


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mode", default="all-or-nothing", help="import mode passed to run_import")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_common_arguments(parser, default_rows=1_000_000)
    add_arguments(parser)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--tenant", help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--email", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.worker:
        report = worker(
            arguments.database_url, arguments.tenant, arguments.csv, arguments.email, arguments.mode
        )
        print(json.dumps(report, ensure_ascii=False))
        return 0
    results = run(arguments)
    path = write_results("import_csv", results, arguments.output)
    print(f"results written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
