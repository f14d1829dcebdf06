"""Latency of the API calls behind the home, rep insight and stalled-deal screens.

The database must already hold the demo company, for example one made with
``ZHIKE_DATABASE_URL=sqlite:////tmp/bench/demo.db .venv/bin/zhike demo --no-serve``.
Each user logs in once. Each call is then sent ``--repeat`` times to the
in-process ASGI app (FastAPI's test client) after one unmeasured warm-up call;
the median, the slowest call and the SQL statements of the last call are
reported. The target is a median of at most 300 ms for every call.

    .venv/bin/python benchmarks/screen_api.py --database sqlite:////tmp/bench/demo.db --repeat 9
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event

from benchmarks.common import command_line, machine_facts, median_of, write_results

# The shell's session check, the calls of the home and rep insight screens, and the API's
# stalled-deal list, which the home screen shows through /home.
CALLS = (
    "/api/v1/auth/me",
    "/api/v1/home",
    "/api/v1/insight/reps?days=90",
    "/api/v1/sales/stalled",
)
# The demo administrator, a sales manager (team scope) and a sales rep (own records).
USERS = ("admin@demo.zhike.dev", "chen.liu@demo.zhike.dev", "guojian.ma@demo.zhike.dev")
TARGET_MS = 300.0


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="URL of a database with the demo")
    parser.add_argument("--repeat", type=int, default=9, help="timed calls per user and path")
    parser.add_argument(
        "--users", default=",".join(USERS), help="demo users to log in as, comma-separated"
    )
    parser.add_argument("--output", type=Path, default=None, help="JSON results file")
    return parser.parse_args(argv)


def measure(users: list[str], repeat: int) -> list[dict[str, Any]]:
    from fastapi.testclient import TestClient

    from zhike.api.app import create_app
    from zhike.core.db import get_database
    from zhike.demo.generator import DEMO_PASSWORD, DEMO_TENANT_SLUG

    client = TestClient(create_app())
    statements = [0]

    def count_statement(*_: object) -> None:
        statements[0] += 1

    event.listen(get_database().engine, "before_cursor_execute", count_statement)
    rows = []
    for email in users:
        login = client.post(
            "/api/v1/auth/login",
            json={"tenant": DEMO_TENANT_SLUG, "email": email, "password": DEMO_PASSWORD},
        )
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for path in CALLS:
            client.get(path, headers=headers).raise_for_status()
            milliseconds = []
            for _ in range(repeat):
                statements[0] = 0
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                milliseconds.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            rows.append(
                {
                    "user": email,
                    "path": path,
                    "median_ms": round(median_of(milliseconds), 1),
                    "max_ms": round(max(milliseconds), 1),
                    "statements": statements[0],
                    "runs_ms": [round(value, 1) for value in milliseconds],
                }
            )
            print(
                f"{email:30s} {path:30s} median {rows[-1]['median_ms']:7.1f} ms"
                f"  max {rows[-1]['max_ms']:7.1f} ms  statements {statements[0]}",
                flush=True,
            )
    return rows


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    os.environ["ZHIKE_DATABASE_URL"] = arguments.database
    facts = machine_facts()
    rows = measure(arguments.users.split(","), arguments.repeat)
    slowest = max(row["median_ms"] for row in rows)
    payload = {
        "command": command_line(),
        "machine": facts,
        "target_median_ms": TARGET_MS,
        "slowest_median_ms": slowest,
        "target_met": slowest <= TARGET_MS,
        "calls": rows,
    }
    path = write_results("screen_api", payload, arguments.output)
    print(f"slowest median {slowest:.1f} ms (target {TARGET_MS:.0f} ms); results in {path}")


if __name__ == "__main__":
    main()
