"""The learners of every template: tabular classifiers and text classifiers, with their metrics.

Tabular templates train two candidates, a histogram gradient-boosting model and
a logistic-regression baseline, pick the better one on an inner validation
split of the training data (never on the held-out data that is reported), and
calibrate the winner's probabilities. Text templates combine character n-grams
(robust for Chinese without segmentation) with jieba words.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from zhike.ai.models.text import tokenize_words

logger = logging.getLogger(__name__)

MISSING_CATEGORY = "__missing__"
SEED = 20260101
# Below this many rows OpenMP threads cost more than they save, and on a busy machine
# their spin-waiting makes a half-second fit take twenty seconds.
PARALLEL_ROWS = 50_000


def thread_limit(rows: int) -> threadpool_limits:
    """One native thread for small work, the library default for large work."""
    return threadpool_limits(limits=1 if rows < PARALLEL_ROWS else None, user_api="openmp")


@dataclass
class TabularColumns:
    """Which input columns are categories and which are numbers, in model order."""

    categorical: list[str]
    numeric: list[str]

    @property
    def all(self) -> list[str]:
        return [*self.categorical, *self.numeric]


@dataclass
class TrainedModel:
    """A fitted pipeline with what scoring and explanation need to know about it."""

    pipeline: Pipeline
    kind: str  # "tabular" or "text"
    learner: str  # name of the winning candidate
    columns: TabularColumns | None
    classes: list[str]
    candidates: dict[str, float] = field(default_factory=dict)
    training_seconds: float = 0.0
    background: dict[str, Any] = field(default_factory=dict)


def infer_columns(frame: pd.DataFrame) -> TabularColumns:
    """Numbers and booleans are numeric; everything else is a category."""
    categorical: list[str] = []
    numeric: list[str] = []
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            numeric.append(str(name))
        else:
            categorical.append(str(name))
    return TabularColumns(categorical, numeric)


def prepare_frame(frame: pd.DataFrame, columns: TabularColumns) -> pd.DataFrame:
    """Give categories one string type with an explicit missing value, and numbers float."""
    prepared = pd.DataFrame(index=frame.index)
    for name in columns.categorical:
        values = frame[name] if name in frame else pd.Series(None, index=frame.index)
        prepared[name] = values.astype("object").where(values.notna(), MISSING_CATEGORY).astype(str)
    for name in columns.numeric:
        values = frame[name] if name in frame else pd.Series(np.nan, index=frame.index)
        prepared[name] = pd.to_numeric(values, errors="coerce").astype(float)
    return prepared


def _boosting_pipeline(columns: TabularColumns, seed: int) -> Pipeline:
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=-1,
        encoded_missing_value=-1,
        min_frequency=5,
        max_categories=250,
    )
    pre = ColumnTransformer(
        [("category", encoder, columns.categorical), ("number", "passthrough", columns.numeric)],
        verbose_feature_names_out=False,
    )
    model = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=400,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        categorical_features=list(range(len(columns.categorical))) or None,
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=30,
        random_state=seed,
    )
    return Pipeline([("features", pre), ("model", model)])


def _linear_pipeline(columns: TabularColumns) -> Pipeline:
    numeric = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", add_indicator=True)),
            ("scale", StandardScaler()),
        ]
    )
    pre = ColumnTransformer(
        [
            (
                "category",
                OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10),
                columns.categorical,
            ),
            ("number", numeric, columns.numeric),
        ],
        verbose_feature_names_out=False,
        sparse_threshold=0.0,
    )
    return Pipeline([("features", pre), ("model", LogisticRegression(C=0.5, max_iter=3000))])


def tabular_candidates(columns: TabularColumns, seed: int = SEED) -> dict[str, Pipeline]:
    return {
        "gradient_boosting": _boosting_pipeline(columns, seed),
        "logistic_regression": _linear_pipeline(columns),
    }


def _calibrated(pipeline: Pipeline, rows: int) -> Pipeline:
    """Calibrate the final estimator; isotonic needs more rows than sigmoid to be stable."""
    method = "isotonic" if rows >= 5000 else "sigmoid"
    features, model = pipeline.steps[0][1], pipeline.steps[1][1]
    calibrated = CalibratedClassifierCV(model, method=method, cv=3, ensemble=False)
    return Pipeline([("features", features), ("model", calibrated)])


def binary_labels(values: pd.Series) -> np.ndarray:
    """Read yes/no, true/false, 1/0 and 是/否 style labels as 1/0."""
    positive = {"1", "yes", "y", "true", "t", "won", "是", "churn", "converted", "1.0"}
    text = values.astype(str).str.strip().str.lower()
    return np.asarray(text.isin(positive).to_numpy(dtype=int), dtype=int)


def fit_tabular(
    frame: pd.DataFrame,
    labels: np.ndarray,
    columns: TabularColumns | None = None,
    candidates: list[str] | None = None,
    seed: int = SEED,
) -> TrainedModel:
    """Train the candidates, keep the best on an inner split, refit it calibrated on all rows."""
    with thread_limit(len(labels)):
        return _fit_tabular(frame, labels, columns, candidates, seed)


def _fit_tabular(
    frame: pd.DataFrame,
    labels: np.ndarray,
    columns: TabularColumns | None,
    candidates: list[str] | None,
    seed: int,
) -> TrainedModel:
    started = time.perf_counter()
    columns = columns or infer_columns(frame)
    data = prepare_frame(frame, columns)
    # A number that is never filled in (no activities logged yet) carries nothing to learn,
    # and the gradient-boosting binner cannot bin an empty column.
    numeric = [name for name in columns.numeric if data[name].notna().any()]
    if len(numeric) < len(columns.numeric):
        columns = TabularColumns(columns.categorical, numeric)
        data = data[columns.all]
    pool = tabular_candidates(columns, seed)
    names = candidates or list(pool)
    scores: dict[str, float] = {}
    if len(names) > 1 and len(np.unique(labels)) == 2 and len(labels) >= 200:
        inner_train, inner_valid, y_train, y_valid = train_test_split(
            data, labels, test_size=0.2, stratify=labels, random_state=seed
        )
        for name in names:
            candidate = pool[name].fit(inner_train, y_train)
            scores[name] = float(roc_auc_score(y_valid, candidate.predict_proba(inner_valid)[:, 1]))
        # The simpler model wins ties: it explains itself better and drifts less.
        best = max(names, key=lambda name: (round(scores[name], 3), name == "logistic_regression"))
    else:
        best = "logistic_regression" if "logistic_regression" in names else names[0]
    final = _calibrated(tabular_candidates(columns, seed)[best], len(labels))
    final.fit(data, labels)
    background: dict[str, Any] = {}
    for name in columns.categorical:
        background[name] = str(data[name].mode().iat[0])
    for name in columns.numeric:
        median = data[name].median()
        background[name] = None if pd.isna(median) else float(median)
    elapsed = time.perf_counter() - started
    logger.info(
        "tabular model trained",
        extra={
            "learner": best,
            "rows": len(labels),
            "seconds": round(elapsed, 2),
            "candidates": scores,
        },
    )
    return TrainedModel(
        pipeline=final,
        kind="tabular",
        learner=best,
        columns=columns,
        classes=["0", "1"],
        candidates=scores,
        training_seconds=elapsed,
        background=background,
    )


def text_baseline_pipeline(template: str) -> Pipeline:
    """The reference each text learner is compared with in the same run."""
    if template == "ticket_category":
        return Pipeline(
            [
                ("features", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                ("model", LinearSVC()),
            ]
        )
    return Pipeline(
        [
            ("features", TfidfVectorizer(analyzer="char", ngram_range=(1, 3))),
            ("model", LogisticRegression(max_iter=2000)),
        ]
    )


def text_pipeline(template: str, class_count: int = 2) -> Pipeline:
    """Character n-grams plus jieba words, sublinear TF, one linear model."""
    words = TfidfVectorizer(
        tokenizer=tokenize_words,
        token_pattern=None,
        lowercase=True,
        ngram_range=(1, 2),
        min_df=2,
        sublinear_tf=True,
    )
    model: Any
    if template == "ticket_category":
        chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 5),
            min_df=2,
            sublinear_tf=True,
            max_features=300_000,
        )
        model = CalibratedClassifierCV(LinearSVC(C=0.5), method="sigmoid", cv=3, ensemble=False)
    else:
        chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)
        # liblinear is several times faster than lbfgs on wide sparse binary problems.
        solver = "liblinear" if class_count == 2 else "lbfgs"
        model = LogisticRegression(C=4.0, max_iter=3000, solver=solver)
    union = FeatureUnion([("chars", chars), ("words", words)])
    return Pipeline([("features", union), ("model", model)])


def fit_text(texts: list[str], labels: list[str], template: str) -> TrainedModel:
    started = time.perf_counter()
    pipeline = text_pipeline(template, len(set(labels)))
    pipeline.fit(texts, labels)
    elapsed = time.perf_counter() - started
    classes = [str(value) for value in pipeline.classes_]
    return TrainedModel(
        pipeline=pipeline,
        kind="text",
        learner="tfidf_chars_words_linear",
        columns=None,
        classes=classes,
        training_seconds=elapsed,
    )


def predict_positive(trained: TrainedModel, frame: pd.DataFrame) -> np.ndarray:
    """Probability of the positive class for a tabular binary model."""
    assert trained.columns is not None
    data = prepare_frame(frame, trained.columns)
    with thread_limit(len(data)):
        probabilities: np.ndarray = trained.pipeline.predict_proba(data)[:, 1]
    return probabilities


def binary_metrics(
    labels: np.ndarray, probabilities: np.ndarray, threshold: float = 0.5
) -> dict[str, float]:
    """ROC AUC, PR AUC, accuracy, F1, precision, recall and Brier of binary predictions."""
    predicted = (probabilities >= threshold).astype(int)
    both = len(np.unique(labels)) == 2
    return {
        "rows": float(len(labels)),
        "positive_rate": float(np.mean(labels)) if len(labels) else 0.0,
        "roc_auc": float(roc_auc_score(labels, probabilities)) if both else float("nan"),
        "pr_auc": float(average_precision_score(labels, probabilities)) if both else float("nan"),
        "accuracy": float(accuracy_score(labels, predicted)),
        "f1": float(f1_score(labels, predicted, zero_division=0)),
        "precision": float(precision_score(labels, predicted, zero_division=0)),
        "recall": float(recall_score(labels, predicted, zero_division=0)),
        "brier": float(brier_score_loss(labels, probabilities)),
    }


def multiclass_metrics(
    labels: list[str], predicted: list[str], probabilities: np.ndarray | None, classes: list[str]
) -> dict[str, float]:
    """Accuracy and macro F1; one-vs-rest ROC AUC when probabilities are known."""
    metrics = {
        "rows": float(len(labels)),
        "accuracy": float(accuracy_score(labels, predicted)),
        "macro_f1": float(f1_score(labels, predicted, average="macro", zero_division=0)),
    }
    if probabilities is not None and len(set(labels)) > 1:
        if len(classes) == 2:
            positive = np.asarray([label == classes[1] for label in labels], dtype=int)
            metrics["roc_auc"] = float(roc_auc_score(positive, probabilities[:, 1]))
            metrics["pr_auc"] = float(average_precision_score(positive, probabilities[:, 1]))
            metrics["brier"] = float(brier_score_loss(positive, probabilities[:, 1]))
        else:
            present = [index for index, name in enumerate(classes) if name in set(labels)]
            if len(present) == len(classes):
                metrics["roc_auc"] = float(
                    roc_auc_score(labels, probabilities, multi_class="ovr", labels=classes)
                )
    return metrics
