"""Field comparators that turn two values into an agreement level.

Level 0 always means "disagree"; higher levels mean closer agreement. ``MISSING`` marks a
pair where either side has no value, which carries no evidence either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

MISSING = -1

LevelFunction = Callable[[str, str], int]


@dataclass(frozen=True)
class Comparison:
    """One field's comparator: ``levels`` names each level, from disagree upwards."""

    field: str
    levels: tuple[str, ...]
    compare: LevelFunction
    # Levels that are at most weak evidence of a match, whatever the training data suggests.
    weak_levels: tuple[int, ...] = ()

    def level(self, left: str | None, right: str | None) -> int:
        if not left or not right:
            return MISSING
        return self.compare(left, right)


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


def similarity_comparison(field: str, thresholds: Sequence[float]) -> Comparison:
    names = ("disagree", *(f"jaro_winkler>={t:g}" for t in sorted(thresholds)), "exact")
    return Comparison(field, names, similarity_levels(thresholds))


def exact_comparison(field: str) -> Comparison:
    return Comparison(field, ("disagree", "exact"), lambda left, right: int(left == right))


def edit_comparison(field: str, max_edits: int = 1) -> Comparison:
    """Exact, or within ``max_edits`` typing errors (a transposition counts as one)."""

    def compare(left: str, right: str) -> int:
        if left == right:
            return 2
        return 1 if DamerauLevenshtein.distance(left, right) <= max_edits else 0

    return Comparison(field, ("disagree", f"edits<={max_edits}", "exact"), compare)


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
