"""Distribution profiles kept with each version, and the PSI that compares them later."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from zhike.ai.models.learners import MISSING_CATEGORY, TabularColumns, prepare_frame

BINS = 10
# PSI floors empty bins so the logarithm stays finite.
EPSILON = 1e-4


def numeric_profile(values: np.ndarray) -> dict[str, Any]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"kind": "numeric", "edges": [], "expected": [1.0]}
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, BINS + 1))[1:-1]).tolist()
    return {"kind": "numeric", "edges": edges, "expected": numeric_shares(values, edges).tolist()}


def numeric_shares(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """Shares of values per bin; the last bin holds missing values."""
    finite = np.isfinite(values)
    counts = np.bincount(
        np.searchsorted(edges, values[finite], side="right"), minlength=len(edges) + 1
    )
    shares: np.ndarray = np.append(counts, (~finite).sum()).astype(float)
    return shares / max(float(shares.sum()), 1.0)


def category_profile(values: pd.Series) -> dict[str, Any]:
    shares = values.value_counts(normalize=True)
    top = [str(name) for name in shares.index[:20]]
    return {
        "kind": "category",
        "categories": top,
        "expected": category_shares(values, top).tolist(),
    }


def category_shares(values: pd.Series, categories: list[str]) -> np.ndarray:
    """Shares per known category, with one last bucket for every other value."""
    text = values.astype(str)
    counts = [float((text == name).sum()) for name in categories]
    counts.append(float((~text.isin(categories)).sum()))
    array: np.ndarray = np.asarray(counts, dtype=float)
    return array / max(float(array.sum()), 1.0)


def psi(expected: list[float] | np.ndarray, actual: np.ndarray) -> float:
    """Population stability index; above 0.2 is commonly read as a significant shift."""
    expected_array = np.clip(np.asarray(expected, dtype=float), EPSILON, None)
    actual_array = np.clip(np.asarray(actual, dtype=float), EPSILON, None)
    return float(np.sum((actual_array - expected_array) * np.log(actual_array / expected_array)))


def build_profile(
    frame: pd.DataFrame, columns: TabularColumns, scores: np.ndarray
) -> dict[str, Any]:
    data = prepare_frame(frame, columns)
    features: dict[str, Any] = {}
    for name in columns.categorical:
        features[name] = category_profile(data[name].replace(MISSING_CATEGORY, "∅"))
    for name in columns.numeric:
        features[name] = numeric_profile(data[name].to_numpy(dtype=float))
    return {"features": features, "score": numeric_profile(scores)}


def drift(
    profile: dict[str, Any], frame: pd.DataFrame, columns: TabularColumns, scores: np.ndarray
) -> dict[str, float]:
    """PSI of every feature and of the score between training time and ``frame``."""
    data = prepare_frame(frame, columns)
    result: dict[str, float] = {}
    for name, stored in profile.get("features", {}).items():
        if name not in data:
            continue
        if stored["kind"] == "numeric":
            actual = numeric_shares(data[name].to_numpy(dtype=float), stored["edges"])
        else:
            actual = category_shares(
                data[name].replace(MISSING_CATEGORY, "∅"), stored["categories"]
            )
        result[name] = round(psi(stored["expected"], actual), 4)
    score = profile.get("score")
    if score:
        result["__score__"] = round(
            psi(score["expected"], numeric_shares(scores, score["edges"])), 4
        )
    return result
