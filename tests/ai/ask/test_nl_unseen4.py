"""Accuracy of offline question answering on the fourth unseen question set, ``nl_unseen4.py``.

The set was written by someone who had not read the grammar and measured once as a set
nobody tuned to. Its failures have since guided grammar work, so it is now a development
set like ``nl_dev.py``: its figure no longer says how the grammar does on new wordings.

The label tests check the set itself: its size and languages, and that no question
repeats one of another set. They also run each expected query through the report
service and compare its rows with the ones pandas computed, so a wrong label cannot
pass as a parser error. The accuracy test then asks every question as the
administrator and compares the typed query and the result rows exactly with the
expected ones.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from ask_support import AS_OF, ask_as
from nl_dev import build_dev_cases
from nl_heldout import build_heldout_cases
from nl_questions import Case, build_cases, build_fresh_cases
from nl_unseen import build_unseen_cases
from nl_unseen2 import build_unseen2_cases
from nl_unseen3 import build_unseen3_cases
from nl_unseen4 import build_unseen4_cases
from testkit import TenantInfo

from zhike.analytics.query import ReportQuery
from zhike.analytics.service import run_report
from zhike.core.db import Database
from zhike.security.actors import actor_for
from zhike.security.models import Tenant, User

pytestmark = pytest.mark.slow

TARGET = 0.90
# The first run reached 0.857 (query) and 0.862 (rows) on both databases, short of TARGET
# (docs/benchmarks.md). Grammar work developed on the set then brought both to 1.000.
# The floor leaves room for two misses.
FLOOR = 0.99
CENT = Decimal("0.01")


def _canonical(query: ReportQuery | dict[str, Any]) -> ReportQuery:
    """Order filters, and the values of ``in`` and ``not_in``, because that order means nothing."""
    parsed = ReportQuery.model_validate(query)
    filters = [
        item.model_copy(update={"value": sorted(item.value, key=repr)})
        if item.op in ("in", "not_in") and isinstance(item.value, list)
        else item
        for item in parsed.filters
    ]
    return parsed.model_copy(
        update={"filters": sorted(filters, key=lambda item: (item.field, item.op))}
    )


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal | int):
        return Decimal(value).quantize(CENT)
    if isinstance(value, float):
        return Decimal(str(value)).quantize(CENT)
    return value


def _rows(rows: list[list[Any]], ordered: bool) -> list[tuple[Any, ...]]:
    cells = [tuple(_cell(value) for value in row) for row in rows]
    return cells if ordered else sorted(cells, key=repr)


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


@cache
def _cases(data_dir: Path) -> list[Case]:
    # Built once per process: pandas takes about two seconds, and the tests only read the cases.
    return build_unseen4_cases(data_dir / "crm_sales_opportunities", AS_OF)


def _run_expected(database: Database, tenant: TenantInfo, query: dict[str, Any]) -> list[list[Any]]:
    """Run the expected query through the report service as the administrator."""
    with database.session() as session:
        found = session.get(Tenant, tenant.tenant.id)
        user = session.get(User, tenant.admin.id)
        assert found is not None
        assert user is not None
        report = ReportQuery.model_validate({**query, "as_of": AS_OF})
        return run_report(session, actor_for(found, user, session), report).rows


def _describe(case: Case, found: ReportQuery | None, clarification: Any) -> str:
    if found is None:
        return f"[{case.family}] {case.question!r}: no query ({clarification})"
    return (
        f"[{case.family}] {case.question!r}:\n  got      {found.model_dump(exclude_defaults=True)}"
        f"\n  expected {_canonical(case.query).model_dump(exclude_defaults=True)}"
    )


def test_unseen4_labels_cover_families_and_languages(data_dir: Path) -> None:
    cases = _cases(data_dir)
    chinese = [case for case in cases if _is_chinese(case.question)]
    families = Counter(case.family for case in cases)

    assert len(cases) >= 180
    assert len(chinese) >= 0.45 * len(cases)
    assert len(cases) - len(chinese) >= 0.45 * len(cases)
    assert len({case.question for case in cases}) == len(cases)
    assert len(families) >= 19
    assert max(families.values()) <= 0.1 * len(cases), families


def test_unseen4_labels_disjoint_from_other_sets(data_dir: Path) -> None:
    folder = data_dir / "crm_sales_opportunities"
    earlier: set[str] = set()
    for build in (
        build_cases,
        build_fresh_cases,
        build_dev_cases,
        build_heldout_cases,
        build_unseen_cases,
        build_unseen2_cases,
        build_unseen3_cases,
    ):
        earlier |= {case.question.casefold() for case in build(folder, AS_OF)}

    repeated = [case.question for case in _cases(data_dir) if case.question.casefold() in earlier]

    assert repeated == []


def test_unseen4_labels_match_pandas(
    database: Database, data_dir: Path, crm_pipeline: TenantInfo
) -> None:
    tenant = crm_pipeline
    wrong = []

    for case in _cases(data_dir):
        found = _run_expected(database, tenant, case.query)
        if _rows(found, case.ordered) != _rows(case.rows, case.ordered):
            wrong.append(
                f"[{case.family}] {case.question!r}\n  report {_rows(found, case.ordered)[:8]}"
                f"\n  pandas {_rows(case.rows, case.ordered)[:8]}"
            )

    assert wrong == [], "\n".join(wrong)


def test_unseen4_offline_accuracy(
    database: Database, data_dir: Path, crm_pipeline: TenantInfo
) -> None:
    tenant = crm_pipeline
    cases = _cases(data_dir)
    query_hits: Counter[str] = Counter()
    row_hits: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    misses: list[str] = []

    for case in cases:
        answer = ask_as(database, tenant, case.question)
        query_right = answer.query is not None and _canonical(answer.query) == _canonical(
            case.query
        )
        rows_right = answer.query is not None and _rows(answer.rows, case.ordered) == _rows(
            case.rows, case.ordered
        )
        sizes[case.family] += 1
        query_hits[case.family] += query_right
        row_hits[case.family] += rows_right
        if not (query_right and rows_right):
            misses.append(_describe(case, answer.query, answer.clarification))

    query_accuracy = sum(query_hits.values()) / len(cases)
    row_accuracy = sum(row_hits.values()) / len(cases)
    print(
        f"\nunseen4 questions={len(cases)} query_accuracy={query_accuracy:.3f} "
        f"row_accuracy={row_accuracy:.3f} backend={database.engine.dialect.name}"
    )
    for family in sorted(sizes):
        print(
            f"  {family:<16} n={sizes[family]:>3} "
            f"query={query_hits[family] / sizes[family]:.2f} "
            f"rows={row_hits[family] / sizes[family]:.2f}"
        )
    print("\n".join(misses))
    if query_accuracy < TARGET or row_accuracy < TARGET:
        print(f"below the {TARGET:.2f} target: {len(misses)} misses")
    assert query_accuracy >= FLOOR, misses
    assert row_accuracy >= FLOOR, misses
