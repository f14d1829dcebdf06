"""FEBRL person records: reading, the matching specification, and scoring against truth."""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from zhike.customers.matching.comparators import (
    date_comparison,
    edit_comparison,
    exact_comparison,
    similarity_comparison,
)
from zhike.customers.matching.engine import (
    DEFAULT_MATCH_PROBABILITY,
    MatchSpec,
    Record,
    candidate_pairs,
    clusters,
    compare_pairs,
    matched_pairs,
    score,
    train_model,
)

FEBRL_FIELDS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)


def _joined(*names: str, width: int = 0) -> Any:
    def key(record: Record) -> str | None:
        parts = [record.get(name) or "" for name in names]
        if not all(parts):
            return None
        if width:
            parts = [part[:width] for part in parts]
        return "|".join(parts)

    return key


def _sorted_names(record: Record) -> str | None:
    given, surname = record.get("given_name"), record.get("surname")
    if not given or not surname:
        return None
    return "|".join(sorted((given[:3], surname[:3])))


FEBRL_SPEC = MatchSpec(
    comparisons=(
        similarity_comparison("given_name", (0.92, 0.8)),
        similarity_comparison("surname", (0.92, 0.8)),
        exact_comparison("street_number"),
        similarity_comparison("address_1", (0.9, 0.75)),
        similarity_comparison("address_2", (0.9, 0.75)),
        similarity_comparison("suburb", (0.9,)),
        edit_comparison("postcode"),
        exact_comparison("state"),
        date_comparison("date_of_birth"),
        edit_comparison("soc_sec_id"),
    ),
    blocking_keys=(
        _joined("date_of_birth"),
        _sorted_names,
        _joined("surname", "postcode"),
        _joined("given_name", "postcode"),
        _joined("street_number", "postcode"),
        _joined("address_1", "street_number"),
        _joined("given_name", "date_of_birth", width=4),
        _joined("surname", "date_of_birth", width=4),
        _joined("soc_sec_id", width=4),
    ),
    strong_identifiers=("soc_sec_id",),
    swappable=("given_name", "surname"),
)


def read_records(path: Path) -> tuple[list[str], list[Record]]:
    """Read a FEBRL CSV (", " separated header, every value a string) into ids and records."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, skipinitialspace=True)
        header = [name.strip() for name in next(reader)]
        ids: list[str] = []
        records: list[Record] = []
        for row in reader:
            values = {name: value.strip() or None for name, value in zip(header, row, strict=False)}
            ids.append(values.pop("rec_id") or "")
            records.append(values)
    return ids, records


def read_truth(path: Path) -> set[frozenset[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, skipinitialspace=True)
        next(reader)
        return {frozenset((row[0].strip(), row[1].strip())) for row in reader if len(row) >= 2}


@dataclass(frozen=True)
class Evaluation:
    records: int
    candidate_pairs: int
    predicted_pairs: int
    true_pairs: int
    true_positives: int
    precision: float
    recall: float
    f1: float
    blocking_recall: float
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def deduplicate(
    records: Sequence[Record],
    spec: MatchSpec = FEBRL_SPEC,
    groups: Sequence[str] | None = None,
    threshold: float = DEFAULT_MATCH_PROBABILITY,
) -> tuple[int, list[tuple[int, int]], list[tuple[int, int]]]:
    """Candidate count, matched pairs and the within-cluster pairs they imply."""
    pairs = candidate_pairs(records, spec, groups)
    scores = compare_pairs(records, pairs, spec)
    model = train_model(records, scores, spec)
    matches = matched_pairs(score(scores, model), threshold)
    implied: list[tuple[int, int]] = []
    for members in clusters(len(records), matches):
        for left, right in combinations(sorted(members), 2):
            if groups is None or groups[left] != groups[right]:
                implied.append((left, right))
    return len(pairs), matches, implied


def evaluate(
    ids: Sequence[str],
    records: Sequence[Record],
    truth: set[frozenset[str]],
    groups: Sequence[str] | None = None,
) -> Evaluation:
    started = time.perf_counter()
    candidates, _matches, implied = deduplicate(records, groups=groups)
    seconds = time.perf_counter() - started
    predicted = {frozenset((ids[a], ids[b])) for a, b in implied}
    blocked = {frozenset((ids[a], ids[b])) for a, b in candidate_pairs(records, FEBRL_SPEC, groups)}
    return score_pairs(len(records), candidates, predicted, truth, blocked, seconds)


def score_pairs(
    record_count: int,
    candidates: int,
    predicted: set[frozenset[str]],
    truth: set[frozenset[str]],
    blocked: set[frozenset[str]],
    seconds: float,
) -> Evaluation:
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Evaluation(
        records=record_count,
        candidate_pairs=candidates,
        predicted_pairs=len(predicted),
        true_pairs=len(truth),
        true_positives=hits,
        precision=round(precision, 4),
        recall=round(recall, 4),
        f1=round(f1, 4),
        blocking_recall=round(len(blocked & truth) / len(truth), 4) if truth else 0.0,
        seconds=round(seconds, 3),
    )
