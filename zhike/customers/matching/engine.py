"""Batch deduplication: blocking, deterministic rules, Fellegi–Sunter scoring, clustering."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from zhike.customers.matching.comparators import MISSING, Comparison
from zhike.customers.matching.fellegi_sunter import FellegiSunterModel, LevelMatrix

Record = Mapping[str, str | None]
BlockingKey = Callable[[Record], str | None]

# Pairs above this posterior probability are matches unless a caller chooses otherwise.
DEFAULT_MATCH_PROBABILITY = 0.5


@dataclass(frozen=True)
class MatchSpec:
    """The comparisons and blocking keys for one kind of record."""

    comparisons: tuple[Comparison, ...]
    blocking_keys: tuple[BlockingKey, ...]
    # Exact agreement on any of these decides a match on its own (email, mobile, credit code).
    strong_identifiers: tuple[str, ...] = ()
    # Two fields that people often enter the wrong way round (given and family name).
    swappable: tuple[str, str] | None = None
    # Bigger blocks hold values too common to tell anyone apart; they are skipped.
    max_block_size: int = 200


@dataclass
class PairScores:
    """Candidate pairs with their agreement levels and scores, aligned by position."""

    pairs: np.ndarray
    levels: LevelMatrix
    swapped: np.ndarray
    deterministic: np.ndarray
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    probabilities: np.ndarray = field(default_factory=lambda: np.zeros(0))


def candidate_pairs(
    records: Sequence[Record], spec: MatchSpec, groups: Sequence[str] | None = None
) -> np.ndarray:
    """Index pairs (i < j) sharing at least one blocking key; across groups only if given."""
    keys: list[BlockingKey] = [_field_key(name) for name in spec.strong_identifiers]
    keys.extend(spec.blocking_keys)
    found: set[tuple[int, int]] = set()
    for key in keys:
        blocks: dict[str, list[int]] = defaultdict(list)
        for index, record in enumerate(records):
            value = key(record)
            if value:
                blocks[value].append(index)
        for members in blocks.values():
            if len(members) < 2 or len(members) > spec.max_block_size:
                continue
            for left, right in combinations(members, 2):
                if groups is None or groups[left] != groups[right]:
                    found.add((left, right))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    return np.array(sorted(found), dtype=np.int64)


def compare_pairs(records: Sequence[Record], pairs: np.ndarray, spec: MatchSpec) -> PairScores:
    levels = np.full((len(pairs), len(spec.comparisons)), MISSING, dtype=np.int8)
    swapped = np.zeros(len(pairs), dtype=bool)
    deterministic = np.zeros(len(pairs), dtype=bool)
    swap_columns = _swap_columns(spec)
    for row, (left_index, right_index) in enumerate(pairs):
        left, right = records[left_index], records[right_index]
        values = [c.level(left.get(c.field), right.get(c.field)) for c in spec.comparisons]
        if swap_columns is not None:
            values, swapped[row] = _best_orientation(values, left, right, spec, swap_columns)
        levels[row] = values
        deterministic[row] = any(
            left.get(name) and left.get(name) == right.get(name) for name in spec.strong_identifiers
        )
    return PairScores(pairs, levels, swapped, deterministic)


def random_pair_levels(
    records: Sequence[Record], spec: MatchSpec, sample: int = 20_000, seed: int = 7
) -> LevelMatrix:
    """Levels of random pairs: nearly all non-matches, so a fair estimate of u."""
    if len(records) < 2:
        return np.zeros((0, len(spec.comparisons)), dtype=np.int8)
    generator = np.random.default_rng(seed)
    left = generator.integers(0, len(records), sample)
    right = generator.integers(0, len(records) - 1, sample)
    right = right + (right >= left)
    picks = np.column_stack([left, right]).astype(np.int64)
    return compare_pairs(records, picks, spec).levels


def train_model(
    records: Sequence[Record], scores: PairScores, spec: MatchSpec
) -> FellegiSunterModel:
    """u from random pairs, then EM over the candidate pairs for m and the match share."""
    model = FellegiSunterModel(tuple(len(c.levels) for c in spec.comparisons))
    random_levels = random_pair_levels(records, spec)
    if len(random_levels):
        random_model = FellegiSunterModel(model.level_counts, match_share=1e-6)
        random_model.fit(random_levels, max_iterations=1)
        model.u = random_model.u
    model.fit(scores.levels)
    return model


def score(scores: PairScores, model: FellegiSunterModel) -> PairScores:
    scores.weights = model.match_weights(scores.levels)
    scores.probabilities = model.probabilities(scores.levels)
    scores.probabilities[scores.deterministic] = 1.0
    return scores


def matched_pairs(
    scores: PairScores, threshold: float = DEFAULT_MATCH_PROBABILITY
) -> list[tuple[int, int]]:
    chosen = scores.probabilities >= threshold
    return [(int(a), int(b)) for a, b in scores.pairs[chosen]]


def clusters(count: int, pairs: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Connected components of the match graph (union–find), singletons left out."""
    parent = list(range(count))

    def find(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for left, right in pairs:
        root_left, root_right = find(left), find(right)
        if root_left != root_right:
            parent[max(root_left, root_right)] = min(root_left, root_right)
    groups: dict[int, list[int]] = defaultdict(list)
    for item in range(count):
        groups[find(item)].append(item)
    return [members for members in groups.values() if len(members) > 1]


def agreeing_fields(levels: Sequence[int], spec: MatchSpec) -> list[str]:
    """Reasons for a match: the fields that agreed, with the level they reached."""
    reasons = []
    for comparison, level in zip(spec.comparisons, levels, strict=True):
        if level > 0:
            reasons.append(f"{comparison.field}:{comparison.levels[level]}")
    return reasons


def _field_key(name: str) -> BlockingKey:
    return lambda record: record.get(name) or None


def _swap_columns(spec: MatchSpec) -> tuple[int, int] | None:
    if spec.swappable is None:
        return None
    names = [c.field for c in spec.comparisons]
    return names.index(spec.swappable[0]), names.index(spec.swappable[1])


def _best_orientation(
    values: list[int],
    left: Record,
    right: Record,
    spec: MatchSpec,
    columns: tuple[int, int],
) -> tuple[list[int], bool]:
    first, second = columns
    first_comparison, second_comparison = spec.comparisons[first], spec.comparisons[second]
    crossed_first = first_comparison.level(
        left.get(first_comparison.field), right.get(second_comparison.field)
    )
    crossed_second = second_comparison.level(
        left.get(second_comparison.field), right.get(first_comparison.field)
    )
    straight = max(values[first], 0) + max(values[second], 0)
    if max(crossed_first, 0) + max(crossed_second, 0) > straight:
        values = list(values)
        values[first], values[second] = crossed_first, crossed_second
        return values, True
    return values, False
