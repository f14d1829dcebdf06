"""Latency of offline questions against running the same typed report query directly.

The MavenTech pipeline (``crm_sales_opportunities`` under ``ZHIKE_DATASETS_DIR``)
is imported with the ``crm-pipeline`` profile into a throwaway database. For each
question, ``ask`` (intent, lexicon, grammar, report, chart) and ``run_report`` of
the query it produced are timed alternately in the same run, so the difference
is the assistant's own cost. The first question of a run, which builds the
lexicon and may train the intent model, is reported apart as the cold start.

    .venv/bin/python -m benchmarks.bench_assistant --backend all --repeat 3 --iterations 20
"""

from __future__ import annotations

import argparse
import os
import secrets
import time
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.common import (
    BACKENDS,
    REPO_ROOT,
    latency_summary,
    machine_facts,
    median_of,
    selected_backends,
    throwaway_database,
    working_folder,
    write_results,
)

DEFAULT_DATA = Path(os.environ.get("ZHIKE_DATASETS_DIR", REPO_ROOT.parent / "shared" / "data"))
AS_OF = date(2017, 11, 15)
QUESTIONS = (
    "上季度赢单金额最高的三个销售是谁？",
    "top 5 reps by won amount in Q2 2017",
    "按产品统计赢单金额",
    "how many open deals does each region have",
    "2017年每月的赢单金额",
    "零售行业有多少家客户",
    "average won deal size for GTX Pro",
    "金额超过5000的赢单有多少个",
)


def _measure(url: str, data: Path, iterations: int) -> dict[str, Any]:
    from sqlalchemy import select

    from zhike.ai.ask.service import ask
    from zhike.analytics.service import run_report
    from zhike.core.db import Database, set_database
    from zhike.core.migrate import upgrade
    from zhike.core.settings import Settings
    from zhike.ingestion.importer import run_import
    from zhike.security.actors import actor_for
    from zhike.security.models import Tenant, User
    from zhike.security.tenants import create_tenant

    database = Database(url, Settings(database_url=url))
    upgrade(database.engine, url)
    set_database(database)
    slug = f"bench-{secrets.token_hex(4)}"
    with database.session() as session:
        create_tenant(session, slug, "问答基准", f"admin@{slug}.example.com", "Bench-pass-2026")
    result = run_import(database, slug, "crm-pipeline", data / "crm_sales_opportunities")
    if result.status != "succeeded":
        raise SystemExit(f"import failed: {result.error}")
    asked: list[float] = []
    reported: list[float] = []
    with database.session() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
        assert tenant is not None
        admin = session.scalar(select(User).where(User.tenant_id == tenant.id))
        assert admin is not None
        actor = actor_for(tenant, admin, session)
        started = time.perf_counter()
        ask(session, actor, QUESTIONS[0], as_of=AS_OF)
        cold = time.perf_counter() - started
        for _ in range(iterations):
            for question in QUESTIONS:
                started = time.perf_counter()
                answer = ask(session, actor, question, as_of=AS_OF)
                asked.append(time.perf_counter() - started)
                if answer.query is None:
                    raise SystemExit(f"no query for {question!r}: {answer.clarification}")
                query = answer.query.model_copy(update={"as_of": AS_OF})
                started = time.perf_counter()
                run_report(session, actor, query)
                reported.append(time.perf_counter() - started)
    database.dispose()
    set_database(None)
    return {
        "cold_start_ms": round(cold * 1000, 3),
        "ask": latency_summary(asked),
        "report_only": latency_summary(reported),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=(*BACKENDS, "all"), default="all")
    parser.add_argument("--repeat", type=int, default=3, help="runs whose median is reported")
    parser.add_argument(
        "--iterations", type=int, default=20, help="passes over the questions per run"
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder of the public data sets"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="folder for SQLite files")
    parser.add_argument("--output", type=Path, default=None, help="JSON results file")
    options = parser.parse_args()
    if not (options.data / "crm_sales_opportunities").is_dir():
        raise SystemExit(f"data set not found under {options.data}; set ZHIKE_DATASETS_DIR")
    payload: dict[str, Any] = {
        "machine": machine_facts(),
        "questions": list(QUESTIONS),
        "backends": {},
    }
    with working_folder(options.workdir) as workdir:
        for backend in selected_backends(options.backend):
            runs = []
            for _ in range(options.repeat):
                with throwaway_database(backend, workdir) as url:
                    runs.append(_measure(url, options.data, options.iterations))
            payload["backends"][backend] = {
                "runs": runs,
                "median": {
                    "cold_start_ms": median_of([run["cold_start_ms"] for run in runs]),
                    "ask_p50_ms": median_of([run["ask"]["p50_ms"] for run in runs]),
                    "ask_p99_ms": median_of([run["ask"]["p99_ms"] for run in runs]),
                    "report_p50_ms": median_of([run["report_only"]["p50_ms"] for run in runs]),
                },
            }
            print(backend, payload["backends"][backend]["median"])
    print(write_results("assistant", payload, options.output))


if __name__ == "__main__":
    main()
