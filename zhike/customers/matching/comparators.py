"""Field comparators that turn two values into an agreement level.

Level 0 always means "disagree"; higher levels mean closer agreement. ``MISSING`` marks a
pair where either side has no value, which carries no evidence either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler
from rapidfuzz.process import cpdist

MISSING = -1

LevelFunction = Callable[[str, str], int]
IndexArray = npt.NDArray[np.int64]
LevelArray = npt.NDArray[np.int8]
# Levels of many pairs at once, called with distinct non-empty values and, for each pair,
# the positions of its two values among them. Equal positions mean equal values.
BatchLevelFunction = Callable[[Sequence[str], IndexArray, IndexArray], LevelArray]


@dataclass(frozen=True)
class Comparison:
    """One field's comparator: ``levels`` names each level, from disagree upwards."""

    field: str
    levels: tuple[str, ...]
    compare: LevelFunction
    # Levels that are at most weak evidence of a match, whatever the training data suggests.
    weak_levels: tuple[int, ...] = ()
    # The same levels as ``compare``, for many pairs in one call (vectorised in numpy or C).
    compare_batch: BatchLevelFunction | None = None

    def level(self, left: str | None, right: str | None) -> int:
        if not left or not right:
            return MISSING
        return self.compare(left, right)

    def levels_of(self, values: Sequence[str], left: IndexArray, right: IndexArray) -> LevelArray:
        """Compare ``values[left[i]]`` with ``values[right[i]]`` for every i."""
        if self.compare_batch is not None:
            return self.compare_batch(values, left, right)
        return np.array(
            [
                self.compare(values[first], values[second])
                for first, second in zip(left.tolist(), right.tolist(), strict=True)
            ],
            dtype=np.int8,
        )


def jaro_winkler(left: str, right: str) -> float:
    return float(JaroWinkler.similarity(left, right))


def similarity_levels(thresholds: Sequence[float]) -> LevelFunction:
    """Exact match is the top level; then one level per Jaro-Winkler threshold, descending."""
    ordered = sorted(thresholds, reverse=True)
    top = len(ordered) + 1

    def compare(left: str, right: str) -> int:
        if left == right:
            return top
        score = jaro_winkler(left, right)
        for index, threshold in enumerate(ordered):
            if score >= threshold:
                return top - 1 - index
        return 0

    return compare


# Pairs per rapidfuzz call, to bound memory. One cpdist call on 3 million pairs of mobiles,
# with its two lists of strings, grew the process by about 115 bytes per pair.
_PAIRS_PER_CALL = 1 << 18


def _pairwise(
    scorer: Callable[..., float],
    values: Sequence[str],
    left: IndexArray,
    right: IndexArray,
    **options: Any,
) -> npt.NDArray[Any]:
    """Score ``values[left[i]]`` against ``values[right[i]]`` with rapidfuzz, in chunks."""
    chunks = []
    for start in range(0, len(left), _PAIRS_PER_CALL):
        stop = start + _PAIRS_PER_CALL
        lefts = [values[position] for position in left[start:stop].tolist()]
        rights = [values[position] for position in right[start:stop].tolist()]
        chunks.append(cpdist(lefts, rights, scorer=scorer, workers=1, **options))
    return np.concatenate(chunks) if chunks else np.zeros(0)


def similarity_batch_levels(thresholds: Sequence[float]) -> BatchLevelFunction:
    """``similarity_levels`` for many pairs: rapidfuzz's pairwise Jaro-Winkler, then numpy."""
    ordered = sorted(thresholds, reverse=True)
    top = len(ordered) + 1

    def compare(values: Sequence[str], left: IndexArray, right: IndexArray) -> LevelArray:
        scores = _pairwise(JaroWinkler.similarity, values, left, right, dtype=np.float64)
        # A score at or above k of the thresholds reaches level k, as in the loop above.
        levels = np.zeros(len(left), dtype=np.int8)
        for threshold in ordered:
            levels += scores >= threshold
        levels[left == right] = top
        return levels

    return compare


def similarity_comparison(field: str, thresholds: Sequence[float]) -> Comparison:
    names = ("disagree", *(f"jaro_winkler>={t:g}" for t in sorted(thresholds)), "exact")
    return Comparison(
        field,
        names,
        similarity_levels(thresholds),
        compare_batch=similarity_batch_levels(thresholds),
    )


def _exact_batch(_values: Sequence[str], left: IndexArray, right: IndexArray) -> LevelArray:
    levels: LevelArray = (left == right).astype(np.int8)
    return levels


def exact_comparison(field: str) -> Comparison:
    return Comparison(
        field,
        ("disagree", "exact"),
        lambda left, right: int(left == right),
        compare_batch=_exact_batch,
    )


def edit_comparison(field: str, max_edits: int = 1) -> Comparison:
    """Exact, or within ``max_edits`` typing errors (a transposition counts as one)."""

    def compare(left: str, right: str) -> int:
        if left == right:
            return 2
        return 1 if DamerauLevenshtein.distance(left, right) <= max_edits else 0

    def compare_batch(values: Sequence[str], left: IndexArray, right: IndexArray) -> LevelArray:
        # Above the cutoff rapidfuzz stops counting and returns max_edits + 1.
        distances = _pairwise(
            DamerauLevenshtein.distance, values, left, right, score_cutoff=max_edits
        )
        levels = (distances <= max_edits).astype(np.int8)
        levels[left == right] = 2
        return levels

    return Comparison(
        field, ("disagree", f"edits<={max_edits}", "exact"), compare, compare_batch=compare_batch
    )


def date_comparison(field: str) -> Comparison:
    """Dates as YYYYMMDD: exact, one typing error or day and month swapped, same year."""

    def compare(left: str, right: str) -> int:
        if left == right:
            return 3
        if DamerauLevenshtein.distance(left, right) <= 1:
            return 2
        if len(left) == 8 and len(right) == 8 and left[:4] == right[:4]:
            if left[4:6] == right[6:8] and left[6:8] == right[4:6]:
                return 2
            return 1
        return 0

    return Comparison(field, ("disagree", "same_year", "one_edit", "exact"), compare)
