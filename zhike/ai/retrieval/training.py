"""Fitting the learned parts of retrieval from the tenant's own FAQ entries and labelled pairs.

- Synonyms come from questions known to be equivalent.
- The pair model is a logistic regression on pair features of labelled
  (question, question, same-intent) pairs.
- The re-ranker is a logistic regression on entry features, trained by asking each
  similar question of the knowledge base with that question itself left out, so the
  right answer is the rest of its entry: self-supervised from data the tenant has.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

from zhike.ai.retrieval.engine import LinearModel, SearchIndex
from zhike.ai.retrieval.features import pair_features

logger = logging.getLogger(__name__)

MAX_TRAINING_QUERIES = 1500


def _fit(rows: Sequence[Sequence[float]], labels: Sequence[int]) -> LinearModel | None:
    matrix = np.asarray(rows, dtype=np.float64)
    target = np.asarray(labels)
    if matrix.size == 0 or len(set(target.tolist())) < 2:
        return None
    means = matrix.mean(axis=0)
    scales = matrix.std(axis=0)
    scales[scales == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit((matrix - means) / scales, target)
    return LinearModel(
        coefficients=tuple(float(value) for value in model.coef_[0]),
        intercept=float(model.intercept_[0]),
        means=tuple(float(value) for value in means),
        scales=tuple(float(value) for value in scales),
    )


def fit_pair_model(
    labelled_pairs: Iterable[tuple[str, str, int]], synonyms: dict[str, dict[str, float]]
) -> LinearModel | None:
    rows, labels = [], []
    for first, second, label in labelled_pairs:
        rows.append(pair_features(first, second, synonyms))
        labels.append(int(label))
    return _fit(rows, labels)


def fit_reranker(index: SearchIndex, seed: int = 7) -> LinearModel | None:
    """Leave-one-out over similar questions: each asks for the rest of its own entry."""
    probes = [
        (key, position)
        for key in index.keys()  # noqa: SIM118 - an index, not a dict
        for position in range(len(index.texts(key)))
        if len(index.texts(key)) > 1
    ]
    random.Random(seed).shuffle(probes)  # noqa: S311 - sampling, not security
    rows: list[list[float]] = []
    labels: list[int] = []
    for key, position in probes[:MAX_TRAINING_QUERIES]:
        texts = index.texts(key)
        query = texts[position]
        # Take the question out of the index (an incremental update) so it cannot find itself.
        index.put(key, texts[:position] + texts[position + 1 :])
        try:
            candidates = index.candidates(query)
            if any(candidate.key == key for candidate in candidates):
                rows.extend(index.entry_features(query, candidates).tolist())
                labels.extend(int(candidate.key == key) for candidate in candidates)
        finally:
            index.put(key, texts)
    model = _fit(rows, labels)
    logger.info("re-ranker fitted", extra={"queries": len(probes), "rows": len(rows)})
    return model
