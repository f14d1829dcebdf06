"""API latency of contact reads against the raw SQL of the same query, measured in one run.

For each backend: a throwaway database, one tenant made with ``create_tenant``,
``--rows`` generated contacts, a login through ``/api/v1/auth/login``. Each
request is sent to the real ASGI app in-process (httpx ``ASGITransport``) and,
with ``--transport both``, to a uvicorn server on 127.0.0.1. Right after each
request the SQL statement the app sent for it is replayed on a DB-API cursor of
the same engine, so API time and raw time come from the same moment, the same
rows and the same plan. The target is API p50 ≤ 3 × raw p50.

    .venv/bin/python benchmarks/api_latency.py --rows 50000 --backend sqlite --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from benchmarks.common import (
    add_common_arguments,
    command_line,
    latency_summary,
    machine_facts,
    median_of,
    selected_backends,
    throwaway_database,
    working_folder,
    write_results,
)
from benchmarks.datagen import FILTER_CITY, SEARCH_NAME, fill_contacts
from zhike.api.app import create_app
from zhike.core.db import Database, set_database
from zhike.core.migrate import upgrade
from zhike.core.settings import Settings, reset_settings_cache
from zhike.security.tenants import create_tenant

TARGET_RATIO = 3.0
PASSWORD = "Zhike-bench-2026"  # noqa: S105 - a throwaway tenant in a throwaway database
API = "/api/v1"


@dataclass
class Query:
    name: str
    description: str
    paths: list[str]
    iterations: int


@dataclass
class Capture:
    """The statements the app sent to the database, as the DB-API received them."""

    statements: list[tuple[str, Any]] = field(default_factory=list)

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.statements.append((statement, parameters))

    def contact_query(self) -> tuple[str, Any]:
        for statement, parameters in reversed(self.statements):
            if "FROM contacts" in statement and statement.lstrip().upper().startswith("SELECT"):
                return statement, parameters
        raise RuntimeError("the request sent no SELECT on contacts")


def build_queries(sample_ids: list[uuid.UUID], iterations: int) -> list[Query]:
    def listing(**params: str) -> str:
        return f"{API}/contacts?{urlencode(params)}"

    return [
        Query(
            "get_by_id",
            "GET /api/v1/contacts/{id} (ids spread over the table)",
            [f"{API}/contacts/{record_id}" for record_id in sample_ids],
            iterations * 4,
        ),
        Query(
            "list_first_page",
            "GET /api/v1/contacts?limit=50",
            [listing(limit="50")],
            iterations,
        ),
        Query(
            "list_city",
            f"GET /api/v1/contacts?city={FILTER_CITY}&sort=-created_at&limit=50",
            [listing(city=FILTER_CITY, sort="-created_at", limit="50")],
            iterations,
        ),
        Query(
            "list_search",
            f"GET /api/v1/contacts?q={SEARCH_NAME}&sort=-created_at&limit=50",
            [listing(q=SEARCH_NAME, sort="-created_at", limit="50")],
            iterations,
        ),
    ]


def _same_rows(raw_ids: list[str], api_ids: list[str]) -> bool:
    """The app reads one row past the page to know whether a next page exists."""
    return raw_ids[: len(api_ids)] == api_ids and len(raw_ids) - len(api_ids) in (0, 1)


def _ids_of(body: Any) -> list[str]:
    items = body["items"] if isinstance(body, dict) and "items" in body else [body]
    return [str(uuid.UUID(str(item["id"]))) for item in items]


class RawReplayer:
    """Runs captured statements on one DB-API connection and returns the row ids."""

    def __init__(self, database: Database) -> None:
        self.connection = database.engine.raw_connection()

    def run(self, statement: str, parameters: Any) -> tuple[float, list[str]]:
        cursor = self.connection.cursor()
        started = time.perf_counter()
        cursor.execute(statement, parameters)
        rows = cursor.fetchall()
        elapsed = time.perf_counter() - started
        names = [column[0] for column in cursor.description or ()]
        position = names.index("id")
        cursor.close()
        self.connection.rollback()
        return elapsed, [str(uuid.UUID(str(row[position]))) for row in rows]

    def close(self) -> None:
        self.connection.close()


async def _measure_in_process(
    app: FastAPI,
    database: Database,
    token: str,
    queries: list[Query],
    repeat: int,
    replayer: RawReplayer,
) -> tuple[list[dict[str, Any]], dict[str, tuple[str, Any]]]:
    capture = Capture()
    event.listen(database.engine, "before_cursor_execute", capture)
    replay: dict[str, tuple[str, Any]] = {}
    runs: list[dict[str, Any]] = []
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as client:
            for _ in range(repeat):
                measured: dict[str, Any] = {}
                for query in queries:
                    api_times, raw_times = [], []
                    for iteration in range(query.iterations + 3):
                        path = query.paths[iteration % len(query.paths)]
                        capture.statements.clear()
                        started = time.perf_counter()
                        response = await client.get(path)
                        api_elapsed = time.perf_counter() - started
                        if response.status_code != 200:
                            raise RuntimeError(
                                f"{path} answered {response.status_code}: {response.text[:300]}"
                            )
                        statement, parameters = capture.contact_query()
                        replay[path] = (statement, parameters)
                        raw_elapsed, raw_ids = replayer.run(statement, parameters)
                        if not _same_rows(raw_ids, _ids_of(response.json())):
                            raise RuntimeError(
                                f"raw SQL and API returned different rows for {path}"
                            )
                        if iteration >= 3:  # the first three warm caches and prepared plans
                            api_times.append(api_elapsed)
                            raw_times.append(raw_elapsed)
                    measured[query.name] = {
                        "api": latency_summary(api_times),
                        "raw_sql": latency_summary(raw_times),
                        "rows_per_request": len(_ids_of(response.json())),
                    }
                runs.append(measured)
    finally:
        event.remove(database.engine, "before_cursor_execute", capture)
    return runs, replay


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def uvicorn_server(url: str) -> Iterator[str]:
    """A single uvicorn process serving the app on a free loopback port."""
    port = _free_port()
    environment = {**os.environ, "ZHIKE_DATABASE_URL": url, "ZHIKE_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "zhike.api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=environment,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}{API}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _measure_server(
    url: str,
    token: str,
    queries: list[Query],
    repeat: int,
    replayer: RawReplayer,
    replay: dict[str, tuple[str, Any]],
) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    with (
        uvicorn_server(url) as base,
        httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120
        ) as client,
    ):
        for _ in range(repeat):
            measured: dict[str, Any] = {}
            for query in queries:
                api_times, raw_times = [], []
                for iteration in range(query.iterations + 3):
                    path = query.paths[iteration % len(query.paths)]
                    started = time.perf_counter()
                    response = client.get(path)
                    api_elapsed = time.perf_counter() - started
                    response.raise_for_status()
                    raw_elapsed, raw_ids = replayer.run(*replay[path])
                    if not _same_rows(raw_ids, _ids_of(response.json())):
                        raise RuntimeError(f"raw SQL and API returned different rows for {path}")
                    if iteration >= 3:
                        api_times.append(api_elapsed)
                        raw_times.append(raw_elapsed)
                measured[query.name] = {
                    "api": latency_summary(api_times),
                    "raw_sql": latency_summary(raw_times),
                }
            runs.append(measured)
    return runs


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median over runs of each run's p50 and p99, and the ratio of the medians."""
    summary: dict[str, Any] = {}
    for name in runs[0]:
        api_p50 = median_of([run[name]["api"]["p50_ms"] for run in runs])
        raw_p50 = median_of([run[name]["raw_sql"]["p50_ms"] for run in runs])
        ratio = round(api_p50 / raw_p50, 2) if raw_p50 else None
        summary[name] = {
            "api_p50_ms": api_p50,
            "api_p99_ms": median_of([run[name]["api"]["p99_ms"] for run in runs]),
            "raw_p50_ms": raw_p50,
            "raw_p99_ms": median_of([run[name]["raw_sql"]["p99_ms"] for run in runs]),
            "ratio_p50": ratio,
            "meets_target": ratio is not None and ratio <= TARGET_RATIO,
        }
    return summary


async def _login(app: FastAPI, slug: str, email: str) -> str:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        response = await client.post(
            f"{API}/auth/login", json={"tenant": slug, "email": email, "password": PASSWORD}
        )
    response.raise_for_status()
    return str(response.json()["access_token"])


def prepare_database(url: str) -> Database:
    """Point the app at a fresh database at ``url`` and build its schema."""
    os.environ["ZHIKE_DATABASE_URL"] = url
    reset_settings_cache()
    database = Database(url, Settings(database_url=url))
    upgrade(database.engine, url)
    set_database(database)
    return database


def measure_backend(
    backend: str, rows: int, repeat: int, iterations: int, transport: str, seed: int, workdir: Path
) -> dict[str, Any]:
    with throwaway_database(backend, workdir) as url:
        database = prepare_database(url)
        # Build the app before the long fill, so every module it loads is read now.
        app = create_app()
        try:
            slug = f"bench-{secrets.token_hex(4)}"
            email = f"admin@{slug}.example.com"
            with database.session() as session:
                tenant, admin = create_tenant(session, slug, "基准测试有限公司", email, PASSWORD)
            started = time.perf_counter()
            sample = fill_contacts(database, tenant.id, admin.id, rows, seed)
            fill_seconds = time.perf_counter() - started
            token = asyncio.run(_login(app, slug, email))
            queries = build_queries(sample, iterations)
            replayer = RawReplayer(database)
            try:
                in_process, replay = asyncio.run(
                    _measure_in_process(app, database, token, queries, repeat, replayer)
                )
                result: dict[str, Any] = {
                    "rows": rows,
                    "fill_seconds": round(fill_seconds, 1),
                    "fill_rows_per_second": round(rows / fill_seconds) if fill_seconds else None,
                    "queries": {query.name: query.description for query in queries},
                    "in_process": {"runs": in_process, "summary": summarize(in_process)},
                }
                if transport == "both":
                    try:
                        served = _measure_server(url, token, queries, repeat, replayer, replay)
                        result["uvicorn"] = {"runs": served, "summary": summarize(served)}
                    except (RuntimeError, httpx.HTTPError) as error:
                        # In-process numbers stand alone; the error says why uvicorn is missing.
                        result["uvicorn"] = {"error": str(error)[:500]}
            finally:
                replayer.close()
            return result
        finally:
            set_database(None)
            database.dispose()


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "benchmark": "api_latency",
        "command": command_line(),
        "machine": machine_facts(),
        "parameters": {
            "rows": arguments.rows,
            "repeat": arguments.repeat,
            "iterations": arguments.iterations,
            "transport": arguments.transport,
            "seed": arguments.seed,
            "target": f"API p50 <= {TARGET_RATIO} x raw SQL p50",
        },
        "backends": {},
    }
    with working_folder(arguments.workdir) as workdir:
        for backend in selected_backends(arguments.backend):
            print(f"api_latency: {backend}, {arguments.rows:,} contacts", flush=True)
            outcome = measure_backend(
                backend,
                arguments.rows,
                arguments.repeat,
                arguments.iterations,
                arguments.transport,
                arguments.seed,
                workdir,
            )
            results["backends"][backend] = outcome
            print(
                json.dumps(outcome["in_process"]["summary"], ensure_ascii=False, indent=1),
                flush=True,
            )
    return results


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--iterations",
        type=int,
        default=40,
        help="measured requests per list query and run (get-by-id sends four times as many)",
    )
    parser.add_argument(
        "--transport",
        choices=("in-process", "both"),
        default="both",
        help="in-process ASGI only, or also a uvicorn server on 127.0.0.1",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_common_arguments(parser, default_rows=1_000_000)
    add_arguments(parser)
    arguments = parser.parse_args(argv)
    results = run(arguments)
    path = write_results("api_latency", results, arguments.output)
    print(f"results written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
