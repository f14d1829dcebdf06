"""Fellegi–Sunter match weights with m/u probabilities estimated by expectation maximisation.

Every candidate pair is a vector of agreement levels, one per compared field (``MISSING``
where a side is empty). Under the usual conditional-independence assumption a pair's
match weight is the sum over fields of log2(m / u), where m is the probability of that
level among true matches and u among non-matches. EM finds m, u and the share of matches
without labelled data.
"""

from __future__ import annotations

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
        patterns, counts = np.unique(levels, axis=0, return_counts=True)
        weights = counts.astype(np.float64)
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
