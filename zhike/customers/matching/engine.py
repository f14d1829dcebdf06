"""Batch deduplication: blocking, deterministic rules, Fellegi–Sunter scoring, clustering."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from zhike.customers.matching.comparators import MISSING, Comparison
from zhike.customers.matching.fellegi_sunter import (
    FellegiSunterModel,
    LevelMatrix,
    level_patterns,
)

Record = Mapping[str, str | None]
BlockingKey = Callable[[Record], str | None]

# Pairs above this posterior probability are matches unless a caller chooses otherwise.
DEFAULT_MATCH_PROBABILITY = 0.5
# The largest match weight, in bits (log2 of m/u), that a comparison's weak level may carry.
WEAK_EVIDENCE_BITS = 1.0


@dataclass(frozen=True)
class MatchSpec:
    """The comparisons and blocking keys for one kind of record."""

    comparisons: tuple[Comparison, ...]
    blocking_keys: tuple[BlockingKey, ...]
    # Exact agreement on any of these decides a match on its own (email, mobile, credit code).
    strong_identifiers: tuple[str, ...] = ()
    # Tells whether a strong identifier's value is shared by many people (info@, sales@).
    # Agreeing on such a value proves nothing alone. Called with the field name and value.
    shared_identifier: Callable[[str, str], bool] | None = None
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
    """Index pairs (i < j) sharing at least one blocking key; across groups only if given.

    Pairs are built with numpy, block sizes at a time, and kept as one int64 code
    per pair (i * count + j), so a million records need no Python tuple per pair.
    """
    keys: list[BlockingKey] = [_field_key(name) for name in spec.strong_identifiers]
    keys.extend(spec.blocking_keys)
    count = len(records)
    found: list[np.ndarray] = []
    for key in keys:
        blocks: dict[str, list[int]] = defaultdict(list)
        for index, record in enumerate(records):
            value = key(record)
            if value:
                blocks[value].append(index)
        by_size: dict[int, list[list[int]]] = defaultdict(list)
        for members in blocks.values():
            if 2 <= len(members) <= spec.max_block_size:
                by_size[len(members)].append(members)
        for size, same_size in by_size.items():
            matrix = np.array(same_size, dtype=np.int64)
            first, second = np.triu_indices(size, 1)
            # Members were appended in index order, so each left index is below its right one.
            found.append((matrix[:, first] * count + matrix[:, second]).ravel())
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    codes = _sorted_unique(np.concatenate(found))
    pairs = np.column_stack((codes // count, codes % count)).astype(np.int64)
    if groups is not None:
        group_codes = _codes(list(groups))
        pairs = pairs[group_codes[pairs[:, 0]] != group_codes[pairs[:, 1]]]
    return pairs


def compare_pairs(records: Sequence[Record], pairs: np.ndarray, spec: MatchSpec) -> PairScores:
    """Agreement levels of every pair, one comparison column at a time.

    Equal values reach a comparison's top level and missing ones are ``MISSING``,
    both decided on integer codes of the values. A comparison with a batch
    comparator gets all unequal pairs in one call. Otherwise the comparator runs
    once per distinct pair of unequal values, which matters at a million records
    where the same two company names meet in many pairs.
    """
    swap_columns = _swap_columns(spec)
    if swap_columns is not None:
        return _compare_pairs_swappable(records, pairs, spec, swap_columns)
    levels = np.full((len(pairs), len(spec.comparisons)), MISSING, dtype=np.int8)
    deterministic = np.zeros(len(pairs), dtype=bool)
    if len(pairs) == 0:
        return PairScores(pairs, levels, np.zeros(0, dtype=bool), deterministic)
    left, right = pairs[:, 0], pairs[:, 1]
    codes: dict[str, tuple[np.ndarray, list[str]]] = {}
    for name in {c.field for c in spec.comparisons} | set(spec.strong_identifiers):
        codes[name] = _coded([record.get(name) for record in records])
    for column, comparison in enumerate(spec.comparisons):
        field_codes, distinct = codes[comparison.field]
        left_codes, right_codes = field_codes[left], field_codes[right]
        present = (left_codes >= 0) & (right_codes >= 0)
        equal = present & (left_codes == right_codes)
        levels[equal, column] = len(comparison.levels) - 1
        differing = np.flatnonzero(present & ~equal)
        if len(differing) and comparison.compare_batch is not None:
            # A batch comparator costs less per pair than finding the distinct pairs would.
            levels[differing, column] = comparison.levels_of(
                distinct, left_codes[differing], right_codes[differing]
            )
        elif len(differing):
            keyed = left_codes[differing] * len(distinct) + right_codes[differing]
            unique_keys, inverse = np.unique(keyed, return_inverse=True)
            computed = comparison.levels_of(
                distinct, unique_keys // len(distinct), unique_keys % len(distinct)
            )
            levels[differing, column] = computed[inverse.ravel()]
    for name in spec.strong_identifiers:
        field_codes, distinct = codes[name]
        usable = field_codes >= 0
        if spec.shared_identifier is not None and distinct:
            shared = np.array(
                [spec.shared_identifier(name, value) for value in distinct], dtype=bool
            )
            usable &= ~shared[np.maximum(field_codes, 0)]
        deterministic |= usable[left] & (field_codes[left] == field_codes[right])
    return PairScores(pairs, levels, np.zeros(len(pairs), dtype=bool), deterministic)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """Return the distinct values in ascending order, as ``np.unique`` does, by sorting.

    numpy 2.4.6's ``np.unique`` finds them with a hash table, which took 11.6 CPU seconds
    for 5 million random int64 values on the 2-core development machine, where sorting
    took 0.07 s.
    """
    ordered = np.sort(values)
    if len(ordered) == 0:
        return ordered
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def _coded(values: Sequence[str | None]) -> tuple[np.ndarray, list[str]]:
    """Number each distinct non-empty value in order of first appearance, and empty ones -1.

    Returns the numbers and the distinct values in the order they are numbered.
    """
    numbers: dict[str, int] = {}
    codes = [numbers.setdefault(value, len(numbers)) if value else -1 for value in values]
    return np.array(codes, dtype=np.int64), list(numbers)


def _codes(values: Sequence[str | None]) -> np.ndarray:
    return _coded(values)[0]


def _compare_pairs_swappable(
    records: Sequence[Record], pairs: np.ndarray, spec: MatchSpec, swap_columns: tuple[int, int]
) -> PairScores:
    # Per pair, because the best orientation of the two swappable fields depends on both.
    levels = np.full((len(pairs), len(spec.comparisons)), MISSING, dtype=np.int8)
    swapped = np.zeros(len(pairs), dtype=bool)
    deterministic = np.zeros(len(pairs), dtype=bool)
    for row, (left_index, right_index) in enumerate(pairs):
        left, right = records[left_index], records[right_index]
        values = [c.level(left.get(c.field), right.get(c.field)) for c in spec.comparisons]
        values, swapped[row] = _best_orientation(values, left, right, spec, swap_columns)
        levels[row] = values
        deterministic[row] = any(
            left.get(name)
            and left.get(name) == right.get(name)
            and not (
                spec.shared_identifier is not None
                and spec.shared_identifier(name, str(left.get(name)))
            )
            for name in spec.strong_identifiers
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
    cap_weak_levels(model, spec)
    return model


def cap_weak_levels(model: FellegiSunterModel, spec: MatchSpec) -> None:
    """Lower m of each weak level to at most ``WEAK_EVIDENCE_BITS`` over u.

    EM learns from candidate pairs, and blocking puts colleagues into them, so a
    shared company domain can look like strong evidence when it is not. The
    probability taken from the weak level goes to the field's other levels in
    proportion, so m still sums to one.
    """
    for column, comparison in enumerate(spec.comparisons):
        m = model.m[column].copy()
        for level in comparison.weak_levels:
            limit = float(model.u[column][level]) * 2.0**WEAK_EVIDENCE_BITS
            if m[level] <= limit:
                continue
            others = [index for index in range(len(m)) if index != level]
            rest = float(m[others].sum())
            m[others] = m[others] * (1.0 - limit) / rest if rest else (1.0 - limit) / len(others)
            m[level] = limit
        model.m[column] = m


def score(scores: PairScores, model: FellegiSunterModel) -> PairScores:
    # Pairs with the same levels get the same score, so each distinct row is scored once.
    distinct = level_patterns(scores.levels)
    scores.weights = model.match_weights(distinct.patterns)[distinct.inverse]
    scores.probabilities = model.probabilities(distinct.patterns)[distinct.inverse]
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
