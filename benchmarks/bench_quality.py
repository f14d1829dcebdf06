"""Cost of data-quality scoring: bulk writes with and without the score, and recomputation.

For each backend, ``--rows`` generated contacts are written through the bulk path that
imports use. A third of them have an account and a fifth of them have no mobile. The
rows are written once with every normaliser of the contact declaration and once without
the quality normaliser, alternating, each time into a fresh tenant of one database. Then
the tenant recomputation job rescores every contact after all were aged past 365 days.

    .venv/bin/python benchmarks/bench_quality.py --rows 20000 --backend sqlite --repeat 3
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import update

from benchmarks.common import (
    add_common_arguments,
    command_line,
    load_average,
    machine_facts,
    median_of,
    selected_backends,
    throwaway_database,
    working_folder,
    write_results,
)
from zhike.core.db import Database
from zhike.core.migrate import upgrade
from zhike.core.settings import Settings
from zhike.core.timeutil import utc_now
from zhike.customers.models import Account, Contact
from zhike.customers.quality import QualityScoreNormalizer
from zhike.customers.quality_jobs import run_quality_recompute
from zhike.platform.bulk import BulkRow, BulkTarget, BulkWriter
from zhike.platform.objects import get_object
from zhike.security.context import system_actor
from zhike.security.tenants import create_tenant

PASSWORD = "Zhike-bench-2026"  # noqa: S105 - a throwaway tenant in a throwaway database
BATCH = 1000
CITIES = ("上海", "北京", "杭州", "深圳", "成都", None)


def generated_rows(count: int, seed: int) -> list[dict[str, Any]]:
    """Contacts to write; an ``account_id`` of None marks rows that get a tenant's account."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        row: dict[str, Any] = {
            "name": f"联系人{index:07d}",
            "external_id": f"Q-{index}",
            "email": f"person{index}@example.com",
            "city": rng.choice(CITIES),
        }
        if rng.random() >= 0.2:
            row["mobile"] = f"139{index:08d}"
        if index % 3 == 0:
            row["account_id"] = None
        rows.append(row)
    return rows


def new_tenant(database: Database) -> Any:
    slug = f"bench-{secrets.token_hex(4)}"
    with database.session() as session:
        tenant, _admin = create_tenant(session, slug, slug, f"admin@{slug}.example.com", PASSWORD)
        tenant_id = tenant.id
    return system_actor(tenant_id)


def write_contacts(
    database: Database, rows: list[dict[str, Any]], with_quality: bool
) -> tuple[float, Any]:
    """Write the rows into a fresh tenant in batches; return the seconds taken and the tenant id."""
    actor = new_tenant(database)
    with database.session() as session:
        for number in range(50):
            session.add(Account(tenant_id=actor.tenant_id, name=f"客户{number}"))
        session.flush()
        account_ids = [
            account.id for account in session.query(Account).filter_by(tenant_id=actor.tenant_id)
        ]
    spec = get_object("contacts")
    normalizers = tuple(
        normalizer
        for normalizer in spec.normalizers
        if with_quality or not isinstance(normalizer, QualityScoreNormalizer)
    )
    target = dataclasses.replace(BulkTarget.from_spec(spec), normalizers=normalizers)
    prepared = [
        {**row, "account_id": account_ids[index % len(account_ids)]}
        if "account_id" in row
        else dict(row)
        for index, row in enumerate(rows)
    ]
    started = time.perf_counter()
    with database.session() as session:
        writer = BulkWriter(session, actor, target, stamp=utc_now(), source="bench")
        for offset in range(0, len(prepared), BATCH):
            chunk = prepared[offset : offset + BATCH]
            writer.write([BulkRow(offset + i + 1, values) for i, values in enumerate(chunk)])
    return time.perf_counter() - started, actor.tenant_id


def recompute(database: Database, rows: list[dict[str, Any]]) -> tuple[float, dict[str, Any]]:
    """Write the rows, age every contact past 365 days, and time the recomputation."""
    _seconds, tenant_id = write_contacts(database, rows, with_quality=True)
    with database.session() as session:
        session.execute(
            update(Contact)
            .where(Contact.tenant_id == tenant_id)
            .values(updated_at=utc_now() - timedelta(days=400))
        )
    started = time.perf_counter()
    result = run_quality_recompute(database, tenant_id, ("contacts",))
    return time.perf_counter() - started, result["contacts"]


def measure(backend: str, url: str, rows: int, repeat: int, seed: int) -> dict[str, Any]:
    database = Database(url, Settings(database_url=url))
    upgrade(database.engine, url)
    data = generated_rows(rows, seed)
    with_quality: list[float] = []
    without_quality: list[float] = []
    for _ in range(repeat):
        without_quality.append(write_contacts(database, data, with_quality=False)[0])
        with_quality.append(write_contacts(database, data, with_quality=True)[0])
    recompute_seconds: list[float] = []
    recomputed: dict[str, Any] = {}
    for _ in range(repeat):
        seconds, recomputed = recompute(database, data)
        recompute_seconds.append(seconds)
    database.dispose()
    plain = median_of(without_quality)
    scored = median_of(with_quality)
    return {
        "backend": backend,
        "rows": rows,
        "bulk_write_seconds_without_quality": round(plain, 3),
        "bulk_write_seconds_with_quality": round(scored, 3),
        "rows_per_second_without_quality": round(rows / plain),
        "rows_per_second_with_quality": round(rows / scored),
        "quality_overhead_percent": round(100 * (scored - plain) / plain, 1),
        "recompute_seconds": round(median_of(recompute_seconds), 3),
        "recompute_rows_per_second": round(rows / median_of(recompute_seconds)),
        "recompute_changed": recomputed.get("changed"),
        "load_average": load_average(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_common_arguments(parser, default_rows=20_000)
    arguments = parser.parse_args()
    results = []
    with working_folder(arguments.workdir) as folder:
        for backend in selected_backends(arguments.backend):
            with throwaway_database(backend, folder) as url:
                result = measure(backend, url, arguments.rows, arguments.repeat, arguments.seed)
            print(result)
            results.append(result)
    path = write_results(
        "bench_quality",
        {"command": command_line(), "machine": machine_facts(), "results": results},
        arguments.output,
    )
    print(f"results written to {path}")


if __name__ == "__main__":
    main()
