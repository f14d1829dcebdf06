"""Accuracy of offline question answering on the later unseen sets, ``nl_unseen2.py`` on.

Each set was written by someone who had read neither the grammar nor the failures of
the sets before it, and was run once on the grammar as it stood. After that run a set
becomes a development set: its failures guide the grammar, and its figure no longer
says how the grammar does on new wordings. Only the newest set has not been used so.

The label tests check each set itself: its size and languages, and that no question
repeats one of the sets before it. They also run each expected query through the
report service and compare its rows with the ones pandas computed, so a wrong label
cannot pass as a parser error. The accuracy test then asks every question as the
administrator and compares the typed query and the result rows exactly with the
expected ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
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
from nl_unseen5 import build_unseen5_cases
from nl_unseen6 import build_unseen6_cases
from nl_unseen7 import build_unseen7_cases
from nl_unseen8 import build_unseen8_cases
from nl_unseen9 import build_unseen9_cases
from testkit import TenantInfo

from zhike.analytics.query import ReportQuery
from zhike.analytics.service import run_report
from zhike.core.db import Database
from zhike.security.actors import actor_for
from zhike.security.models import Tenant, User

pytestmark = pytest.mark.slow

TARGET = 0.90
CENT = Decimal("0.01")


@dataclass(frozen=True)
class QuestionSet:
    build: Callable[[Path, date], list[Case]]
    # Each floor keeps the set's figure from slipping; docs/benchmarks.md has every run.
    floor: float


SETS = {
    # First runs 0.805, 0.836, 0.857, 0.884, 0.890 and 0.898 (query) on both databases.
    # Grammar work developed on each set afterwards; the floors leave room for two to
    # five misses. docs/benchmarks.md lists every first run.
    "unseen2": QuestionSet(build_unseen2_cases, 0.985),
    "unseen3": QuestionSet(build_unseen3_cases, 0.985),
    "unseen4": QuestionSet(build_unseen4_cases, 0.99),
    "unseen5": QuestionSet(build_unseen5_cases, 0.985),
    "unseen6": QuestionSet(build_unseen6_cases, 0.98),
    "unseen7": QuestionSet(build_unseen7_cases, 0.97),
    # New wordings of unseen7's queries, written after unseen7 had become a development
    # set, so its first run (0.956) does not measure new questions.
    "unseen8": QuestionSet(build_unseen8_cases, 0.975),
    # First run 0.957 (query and rows) on both databases, above TARGET. The grammar has not
    # been tuned against this set, so it still measures new wordings.
    "unseen9": QuestionSet(build_unseen9_cases, 0.95),
}
# Every set in the order it was written; a set may repeat no question of one before it.
WRITTEN = [
    build_cases,
    build_fresh_cases,
    build_dev_cases,
    build_heldout_cases,
    build_unseen_cases,
    *(question_set.build for question_set in SETS.values()),
]
by_set = pytest.mark.parametrize("name", list(SETS))


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
def _cases(name: str, data_dir: Path) -> list[Case]:
    # Built once per process: pandas takes about two seconds, and the tests only read the cases.
    return SETS[name].build(data_dir / "crm_sales_opportunities", AS_OF)


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


@by_set
def test_labels_cover_families_and_languages(name: str, data_dir: Path) -> None:
    cases = _cases(name, data_dir)
    chinese = [case for case in cases if _is_chinese(case.question)]
    families = Counter(case.family for case in cases)

    assert len(cases) >= 180
    assert len(chinese) >= 0.45 * len(cases)
    assert len(cases) - len(chinese) >= 0.45 * len(cases)
    assert len({case.question for case in cases}) == len(cases)
    assert len(families) >= 19
    assert max(families.values()) <= 0.1 * len(cases), families


@by_set
def test_labels_disjoint_from_earlier_sets(name: str, data_dir: Path) -> None:
    folder = data_dir / "crm_sales_opportunities"
    earlier: set[str] = set()
    for build in WRITTEN[: WRITTEN.index(SETS[name].build)]:
        earlier |= {case.question.casefold() for case in build(folder, AS_OF)}

    cases = _cases(name, data_dir)
    repeated = [case.question for case in cases if case.question.casefold() in earlier]

    assert repeated == []


@by_set
def test_labels_match_pandas(
    name: str, database: Database, data_dir: Path, crm_pipeline: TenantInfo
) -> None:
    wrong = []

    for case in _cases(name, data_dir):
        found = _run_expected(database, crm_pipeline, case.query)
        if _rows(found, case.ordered) != _rows(case.rows, case.ordered):
            wrong.append(
                f"[{case.family}] {case.question!r}\n  report {_rows(found, case.ordered)[:8]}"
                f"\n  pandas {_rows(case.rows, case.ordered)[:8]}"
            )

    assert wrong == [], "\n".join(wrong)


@by_set
def test_offline_accuracy(
    name: str, database: Database, data_dir: Path, crm_pipeline: TenantInfo
) -> None:
    cases = _cases(name, data_dir)
    query_hits: Counter[str] = Counter()
    row_hits: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    misses: list[str] = []

    for case in cases:
        answer = ask_as(database, crm_pipeline, case.question)
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
        f"\n{name} questions={len(cases)} query_accuracy={query_accuracy:.3f} "
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
    assert query_accuracy >= SETS[name].floor, misses
    assert row_accuracy >= SETS[name].floor, misses
