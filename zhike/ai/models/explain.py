"""Per-prediction explanations computed from the model itself, rendered in the reader's language.

Tabular models: occlusion against the training background. Each input
feature in turn is set to its background value (median or most frequent
category) in the model's encoded space, and the drop in probability is that
feature's contribution. It is exact for what the model does, works the same
for boosted trees and linear models, and costs one vectorised prediction per
feature for a whole batch.

Text models: coefficient × TF-IDF weight of each term present, for the
predicted class.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.pipeline import Pipeline

from zhike.ai.models.learners import TabularColumns, prepare_frame, thread_limit
from zhike.core.i18n import load_catalog, translate

TOP_FACTORS = 3
# Rows explained per model call; each row becomes up to one variant per feature.
EXPLAIN_CHUNK = 4000


def _input_groups(pipeline: Pipeline, columns: TabularColumns) -> dict[str, list[int]]:
    """Which encoded columns each input feature became (one-hot and missing flags included)."""
    encoder = pipeline.named_steps["features"]
    names = [str(name) for name in encoder.get_feature_names_out()]
    if getattr(encoder, "verbose_feature_names_out", False):
        # A blend encodes every input twice, as "boost_category__x" and "linear_category__x_a".
        names = [name.split("__", 1)[1] if "__" in name else name for name in names]
    inputs = sorted(columns.all, key=len, reverse=True)
    groups: dict[str, list[int]] = {name: [] for name in columns.all}
    for index, encoded in enumerate(names):
        plain = encoded.removeprefix("missingindicator_")
        owner = next(
            (name for name in inputs if plain == name or plain.startswith(f"{name}_")), None
        )
        if owner is not None:
            groups[owner].append(index)
    return {name: indexes for name, indexes in groups.items() if indexes}


def _dense(matrix: Any) -> np.ndarray:
    return np.asarray(matrix.toarray() if sparse.issparse(matrix) else matrix, dtype=float)


def tabular_contributions(
    pipeline: Pipeline, columns: TabularColumns, background: dict[str, Any], frame: pd.DataFrame
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Probabilities, the feature names, and a rows × features matrix of contributions."""
    parts = []
    with thread_limit(len(frame) * 8):
        for start in range(0, max(len(frame), 1), EXPLAIN_CHUNK):
            parts.append(
                _tabular_contributions(
                    pipeline, columns, background, frame.iloc[start : start + EXPLAIN_CHUNK]
                )
            )
    return (
        np.concatenate([part[0] for part in parts]),
        parts[0][1],
        np.vstack([part[2] for part in parts]),
    )


def _tabular_contributions(
    pipeline: Pipeline, columns: TabularColumns, background: dict[str, Any], frame: pd.DataFrame
) -> tuple[np.ndarray, list[str], np.ndarray]:
    data = prepare_frame(frame, columns)
    encoder = pipeline.named_steps["features"]
    model = pipeline.named_steps["model"]
    encoded = _dense(encoder.transform(data))
    base_row = prepare_frame(pd.DataFrame([background]), columns)
    base = _dense(encoder.transform(base_row))[0]
    groups = _input_groups(pipeline, columns)
    names = list(groups)
    # All occluded variants go through the model in one call: per-call overhead, not
    # arithmetic, dominates when a single record is explained in real time.
    blocks = [encoded]
    targets: list[tuple[int, np.ndarray]] = []
    for position, name in enumerate(names):
        indexes = groups[name]
        rows = np.flatnonzero((encoded[:, indexes] != base[indexes]).any(axis=1))
        if rows.size == 0:
            continue
        occluded = encoded[rows].copy()
        occluded[:, indexes] = base[indexes]
        blocks.append(occluded)
        targets.append((position, rows))
    predicted = model.predict_proba(np.vstack(blocks))[:, 1]
    probabilities = predicted[: len(encoded)]
    contributions = np.zeros((len(frame), len(names)))
    offset = len(encoded)
    for position, rows in targets:
        contributions[rows, position] = probabilities[rows] - predicted[offset : offset + rows.size]
        offset += rows.size
    return probabilities, names, contributions


def top_tabular_factors(
    names: list[str], contributions: np.ndarray, frame: pd.DataFrame, limit: int = TOP_FACTORS
) -> list[list[dict[str, Any]]]:
    """The strongest contributions of each row, largest magnitude first."""
    result: list[list[dict[str, Any]]] = []
    order = np.argsort(-np.abs(contributions), axis=1)[:, :limit]
    for row, picks in enumerate(order):
        factors = []
        for position in picks:
            value = float(contributions[row, position])
            if abs(value) < 0.005:
                continue
            name = names[position]
            raw = frame.iloc[row][name] if name in frame.columns else None
            factors.append({"feature": name, "value": _plain(raw), "contribution": round(value, 3)})
        result.append(factors)
    return result


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(float(value)) else round(float(value), 4)
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    return str(value)


def _linear_coefficients(model: Any) -> np.ndarray:
    if hasattr(model, "coef_"):
        return np.asarray(model.coef_)
    return np.asarray(model.calibrated_classifiers_[0].estimator.coef_)


def text_factors(
    pipeline: Pipeline, texts: list[str], predicted: list[str], limit: int = TOP_FACTORS
) -> list[list[dict[str, Any]]]:
    """Terms that pushed each text towards its predicted class, with their weight."""
    features = pipeline.named_steps["features"]
    model = pipeline.named_steps["model"]
    matrix = sparse.csr_matrix(features.transform(texts))
    coefficients = _linear_coefficients(model)
    classes = [str(value) for value in model.classes_]
    vocabulary = [str(name).split("__", 1)[-1] for name in features.get_feature_names_out()]
    result: list[list[dict[str, Any]]] = []
    for row, label in enumerate(predicted):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        indexes = matrix.indices[start:end]
        weights = matrix.data[start:end]
        if coefficients.shape[0] == 1:
            sign = 1.0 if label == classes[1] else -1.0
            scores = weights * coefficients[0, indexes] * sign
        else:
            scores = weights * coefficients[classes.index(label), indexes]
        factors: list[dict[str, Any]] = []
        seen: set[str] = set()
        for position in np.argsort(-scores):
            term = vocabulary[indexes[position]].strip()
            if not term or term in seen or scores[position] <= 0:
                continue
            seen.add(term)
            factors.append(
                {
                    "feature": "term",
                    "value": term,
                    "contribution": round(float(scores[position]), 3),
                }
            )
            if len(factors) == limit:
                break
        result.append(factors)
    return result


def feature_label(name: str, locale: str) -> str:
    """The display name of a feature; a tenant's custom field shows under its own name."""
    key = f"model.feature.{name}"
    return translate(key, locale) if key in load_catalog("zh-CN") else name


def describe_factor(factor: dict[str, Any], locale: str) -> str:
    """E.g. “近30天活动次数 = 0 −0.12”, or “词语「太慢」 +0.41” for text models."""
    contribution = float(factor.get("contribution", 0.0))
    signed = f"{contribution:+.2f}".replace("-", "−")
    value = factor.get("value")
    if factor.get("feature") == "term":
        return translate("model.factor.term", locale, term=value, contribution=signed)
    if factor.get("feature") == "rule":
        return translate(
            "model.factor.rule", locale, rule=feature_label(str(value), locale), contribution=signed
        )
    shown = translate("model.value.missing", locale) if value is None else value
    return translate(
        "model.factor.feature",
        locale,
        feature=feature_label(str(factor.get("feature")), locale),
        value=shown,
        contribution=signed,
    )


def render_factors(factors: list[dict[str, Any]], locale: str) -> list[dict[str, Any]]:
    return [{**factor, "text": describe_factor(factor, locale)} for factor in factors]
