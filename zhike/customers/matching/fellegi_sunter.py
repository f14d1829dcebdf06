"""Fellegi–Sunter match weights with m/u probabilities estimated by expectation maximisation.

Every candidate pair is a vector of agreement levels, one per compared field (``MISSING``
where a side is empty). Under the usual conditional-independence assumption a pair's
match weight is the sum over fields of log2(m / u), where m is the probability of that
level among true matches and u among non-matches. EM finds m, u and the share of matches
without labelled data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from zhike.customers.matching.comparators import MISSING

LevelMatrix = npt.NDArray[np.int8]
FloatArray = npt.NDArray[np.float64]

# Keeps every level possible under both hypotheses, so that no single field can veto
# or force a match on its own through a zero probability.
_SMOOTHING = 1e-4


@dataclass
class FellegiSunterModel:
    """Per-field m and u probabilities and the prior share of matches among candidates."""

    level_counts: tuple[int, ...]
    m: list[FloatArray] = field(default_factory=list)
    u: list[FloatArray] = field(default_factory=list)
    match_share: float = 0.1
    iterations: int = 0

    def __post_init__(self) -> None:
        if not self.m:
            self.m = [_ramp(count, towards_top=True) for count in self.level_counts]
        if not self.u:
            self.u = [_ramp(count, towards_top=False) for count in self.level_counts]

    def fit(
        self,
        levels: LevelMatrix,
        max_iterations: int = 50,
        tolerance: float = 1e-6,
        *,
        estimate_u: bool = True,
    ) -> None:
        """Estimate m (and u unless it is known) and the match share from unlabelled pairs."""
        if len(levels) == 0:
            return
        # Pairs with the same levels have the same posterior, so EM runs over the distinct
        # level vectors (a few hundred at most) weighted by how many pairs share each.
        distinct = level_patterns(levels)
        patterns = distinct.patterns
        weights = distinct.counts.astype(np.float64)
        total = float(weights.sum())
        for iteration in range(1, max_iterations + 1):
            posterior = self.probabilities(patterns)
            share = float((posterior * weights).sum() / total)
            change = abs(share - self.match_share)
            self.match_share = min(max(share, 1e-6), 1 - 1e-6)
            for column, count in enumerate(self.level_counts):
                observed = patterns[:, column]
                present = observed != MISSING
                self.m[column] = _weighted_distribution(
                    observed[present], (posterior * weights)[present], count
                )
                if estimate_u:
                    self.u[column] = _weighted_distribution(
                        observed[present], ((1.0 - posterior) * weights)[present], count
                    )
            self.iterations = iteration
            if change < tolerance:
                break

    def field_weights(self, levels: LevelMatrix) -> FloatArray:
        """log2(m/u) per pair and field; zero where the field is missing."""
        weights = np.zeros(levels.shape, dtype=np.float64)
        for column in range(levels.shape[1]):
            table = np.log2(self.m[column] / self.u[column])
            observed = levels[:, column]
            present = observed != MISSING
            weights[present, column] = table[observed[present]]
        return weights

    def match_weights(self, levels: LevelMatrix) -> FloatArray:
        prior = np.log2(self.match_share / (1 - self.match_share))
        result: FloatArray = self.field_weights(levels).sum(axis=1) + prior
        return result

    def probabilities(self, levels: LevelMatrix) -> FloatArray:
        weights = np.clip(self.match_weights(levels), -60.0, 60.0)
        odds = np.exp2(weights)
        result: FloatArray = odds / (1.0 + odds)
        return result


@dataclass(frozen=True)
class LevelPatterns:
    """The distinct rows of a level matrix, in ``np.unique(levels, axis=0)`` order."""

    patterns: LevelMatrix
    # For each row of the matrix, the position of its pattern.
    inverse: npt.NDArray[np.intp]
    counts: npt.NDArray[np.intp]


# Above this many possible level vectors the patterns are found by sorting the rows.
_MAX_DENSE_PATTERNS = 1 << 22


def level_patterns(levels: LevelMatrix) -> LevelPatterns:
    """Find the distinct level vectors, how often each occurs and which one each row has.

    Each row becomes one number in a mixed radix with the first column most
    significant, so the numbers sort like ``np.unique(levels, axis=0)`` sorts the
    rows. Counting them with ``np.bincount`` takes linear time, where sorting
    millions of rows would not.
    """
    columns = levels.shape[1]
    bases = [int(levels[:, column].max()) + 2 for column in range(columns)] if len(levels) else []
    if not bases or math.prod(bases) > _MAX_DENSE_PATTERNS:
        patterns, inverse, counts = np.unique(
            levels, axis=0, return_inverse=True, return_counts=True
        )
        return LevelPatterns(patterns, inverse.reshape(-1), counts)
    codes = np.zeros(len(levels), dtype=np.intp)
    for column, base in enumerate(bases):
        # Levels start at MISSING (-1), so each digit is the level plus one.
        codes = codes * base + (levels[:, column].astype(np.intp) + 1)
    all_counts = np.bincount(codes, minlength=math.prod(bases))
    present = np.flatnonzero(all_counts)
    position = np.zeros(len(all_counts), dtype=np.intp)
    position[present] = np.arange(len(present))
    patterns = np.empty((len(present), columns), dtype=levels.dtype)
    remainder = present.copy()
    for column in reversed(range(columns)):
        patterns[:, column] = remainder % bases[column] - 1
        remainder //= bases[column]
    return LevelPatterns(patterns, position[codes], all_counts[present])


def _ramp(count: int, *, towards_top: bool) -> FloatArray:
    """Starting guess: matches mostly agree closely, non-matches mostly disagree."""
    base = np.geomspace(1.0, 20.0, count)
    values = base if towards_top else base[::-1]
    result: FloatArray = values / values.sum()
    return result


def _weighted_distribution(
    observed: npt.NDArray[np.int8], weights: FloatArray, count: int
) -> FloatArray:
    counts = np.bincount(observed.astype(np.int64), weights=weights, minlength=count).astype(
        np.float64
    )
    smoothed = counts + _SMOOTHING * max(float(weights.sum()), 1.0)
    result: FloatArray = smoothed / smoothed.sum()
    return result
