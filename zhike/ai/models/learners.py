"""The learners of every template: tabular classifiers and text classifiers, with their metrics.

Tabular templates consider five candidates: a histogram gradient-boosting
model, a shallow one (trees of depth 2, so at most pairwise interactions), a
logistic-regression baseline, and the soft-voting blend of each boosted model
with the linear one. The linear model sees every number twice, as it is and
as its inverse hyperbolic sine, so it can fit effects that level off. The
choice is made by stratified cross-validation on the training rows only
(never on the held-out data that is reported). The winner is refitted on
all training rows with calibrated probabilities, and the calibration method
(sigmoid or isotonic) is chosen on the same out-of-fold predictions. Text
templates combine character n-grams (robust for Chinese without
segmentation) with jieba words.
"""

from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
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
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)
from sklearn.svm import LinearSVC
from threadpoolctl import ThreadpoolController

from zhike.ai.models.text import tokenize_words

logger = logging.getLogger(__name__)

MISSING_CATEGORY = "__missing__"
SEED = 20260101
# Below this many rows OpenMP threads cost more than they save, and on a busy machine
# their spin-waiting makes a half-second fit take twenty seconds.
PARALLEL_ROWS = 50_000
SELECTION_FOLDS = 3
# Ties go to the simpler learner: it explains itself better and drifts less.
SIMPLICITY = (
    "logistic_regression",
    "gradient_boosting_shallow",
    "gradient_boosting",
    "blend_shallow",
    "blend",
)
# Each blend averages one boosted member with the linear model.
BLEND_MEMBERS = {
    "blend": "gradient_boosting",
    "blend_shallow": "gradient_boosting_shallow",
}


_controller: ThreadpoolController | None = None


def thread_limit(rows: int) -> AbstractContextManager[Any]:
    """One native thread for small work, the library default for large work."""
    return limit_threads(1 if rows < PARALLEL_ROWS else None)


def limit_threads(limit: int | None) -> AbstractContextManager[Any]:
    """Limit OpenMP threads for a block.

    The controller scans the loaded native libraries once, when first used. A fresh
    ``threadpool_limits`` repeats that scan, which costs milliseconds per call.
    """
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    limiter: AbstractContextManager[Any] = _controller.limit(limits=limit, user_api="openmp")
    return limiter


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
    # Derived once per loaded model for single-record explanations: input groups, base row.
    explain_cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


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


def _ordinal_encoder() -> OrdinalEncoder:
    return OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=-1,
        encoded_missing_value=-1,
        min_frequency=5,
        max_categories=250,
    )


def _boosting_model(
    columns: TabularColumns, seed: int, shallow: bool = False
) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=400,
        max_leaf_nodes=15,
        max_depth=2 if shallow else None,
        min_samples_leaf=40,
        l2_regularization=1.0,
        categorical_features=list(range(len(columns.categorical))) or None,
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=30,
        random_state=seed,
    )


def _one_hot_encoder() -> OneHotEncoder:
    return OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10)


def _scaled_numbers() -> Pipeline:
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", add_indicator=True)),
            ("scale", StandardScaler()),
        ]
    )


def _asinh_numbers() -> Pipeline:
    """Impute each number, take its inverse hyperbolic sine and scale it, for the linear model.

    asinh(x) is close to x near zero and to sign(x) · log(2|x|) far from it. Next to the
    raw value it lets a logistic regression fit an effect that levels off, such as churn
    over the first months of tenure, or the long right tail of amounts. Unlike a logarithm
    it is defined at zero and for negative numbers. The missing flags come from the raw block.
    """
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("asinh", FunctionTransformer(np.arcsinh, feature_names_out="one-to-one")),
            ("scale", StandardScaler()),
        ]
    )


def _linear_model() -> LogisticRegression:
    return LogisticRegression(C=0.5, max_iter=3000)


def _boosting_pipeline(columns: TabularColumns, seed: int, shallow: bool = False) -> Pipeline:
    pre = ColumnTransformer(
        [
            ("category", _ordinal_encoder(), columns.categorical),
            ("number", "passthrough", columns.numeric),
        ],
        verbose_feature_names_out=False,
    )
    return Pipeline([("features", pre), ("model", _boosting_model(columns, seed, shallow))])


def _linear_pipeline(columns: TabularColumns) -> Pipeline:
    # Each number is encoded by two blocks, so the encoded names carry the block as a prefix
    # ("number__x", "number_asinh__x") to stay unique.
    pre = ColumnTransformer(
        [
            ("category", _one_hot_encoder(), columns.categorical),
            ("number", _scaled_numbers(), columns.numeric),
            ("number_asinh", _asinh_numbers(), columns.numeric),
        ],
        sparse_threshold=0.0,
    )
    return Pipeline([("features", pre), ("model", _linear_model())])


def _blend_pipeline(columns: TabularColumns, seed: int, shallow: bool = False) -> Pipeline:
    """Average of the boosted and the linear model, each on its own encoding of the inputs.

    Both encodings are made once, side by side, so that explanations can occlude an
    input in both at the same time; each member then picks its own block by position.
    """
    categories, numbers = len(columns.categorical), len(columns.numeric)
    pre = ColumnTransformer(
        [
            ("boost_category", _ordinal_encoder(), columns.categorical),
            ("boost_number", "passthrough", columns.numeric),
            ("linear_category", _one_hot_encoder(), columns.categorical),
            ("linear_number", _scaled_numbers(), columns.numeric),
            ("linear_number_asinh", _asinh_numbers(), columns.numeric),
        ],
        sparse_threshold=0.0,
    )
    boosted_width = categories + numbers
    boosted = Pipeline(
        [
            ("select", ColumnTransformer([("take", "passthrough", list(range(boosted_width)))])),
            ("model", _boosting_model(columns, seed, shallow)),
        ]
    )
    # The linear block's width is known only after fitting, so it is "everything after".
    linear = Pipeline(
        [
            (
                "select",
                ColumnTransformer(
                    [("take", "drop", list(range(boosted_width)))], remainder="passthrough"
                ),
            ),
            ("model", _linear_model()),
        ]
    )
    model = VotingClassifier([("boosting", boosted), ("linear", linear)], voting="soft")
    return Pipeline([("features", pre), ("model", model)])


def tabular_candidates(columns: TabularColumns, seed: int = SEED) -> dict[str, Pipeline]:
    return {
        "gradient_boosting": _boosting_pipeline(columns, seed),
        "gradient_boosting_shallow": _boosting_pipeline(columns, seed, shallow=True),
        "logistic_regression": _linear_pipeline(columns),
        "blend": _blend_pipeline(columns, seed),
        "blend_shallow": _blend_pipeline(columns, seed, shallow=True),
    }


def default_calibration(rows: int) -> str:
    """Return the calibration used without a comparison: isotonic needs more rows to be stable."""
    return "isotonic" if rows >= 5000 else "sigmoid"


def choose_calibration(probabilities: np.ndarray, labels: np.ndarray, seed: int) -> str:
    """Pick sigmoid or isotonic calibration by cross-validated Brier score.

    Both are fitted on out-of-fold probabilities of the chosen learner, so no
    extra model is trained. Sigmoid is fitted to their log-odds. For the boosted and
    linear models these are the decision function that ``CalibratedClassifierCV`` uses,
    but for a blend they are an approximation. Ties go to sigmoid, the simpler one.
    """
    clipped = np.clip(probabilities, 1e-6, 1 - 1e-6)
    log_odds = np.log(clipped / (1 - clipped)).reshape(-1, 1)
    folds = StratifiedKFold(n_splits=SELECTION_FOLDS, shuffle=True, random_state=seed)
    sigmoid = np.zeros(len(labels))
    isotonic = np.zeros(len(labels))
    for fit_rows, check_rows in folds.split(log_odds, labels):
        platt = LogisticRegression(C=1e6).fit(log_odds[fit_rows], labels[fit_rows])
        sigmoid[check_rows] = platt.predict_proba(log_odds[check_rows])[:, 1]
        steps = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        steps.fit(clipped[fit_rows], labels[fit_rows])
        isotonic[check_rows] = steps.predict(clipped[check_rows])
    sigmoid_brier = brier_score_loss(labels, sigmoid)
    isotonic_brier = brier_score_loss(labels, isotonic)
    return "isotonic" if round(isotonic_brier, 4) < round(sigmoid_brier, 4) else "sigmoid"


def _calibrated(pipeline: Pipeline, method: str) -> Pipeline:
    features, model = pipeline.steps[0][1], pipeline.steps[1][1]
    calibrated = CalibratedClassifierCV(model, method=method, cv=3, ensemble=False)
    return Pipeline([("features", features), ("model", calibrated)])


def out_of_fold_probabilities(
    data: pd.DataFrame, labels: np.ndarray, names: list[str], columns: TabularColumns, seed: int
) -> dict[str, np.ndarray]:
    """Compute out-of-fold probabilities of each candidate on the given (training) rows only.

    A blend's out-of-fold probabilities are the mean of its members', which is
    exactly what soft voting computes, so it costs no extra fits.
    """
    members: set[str] = {name for name in names if name not in BLEND_MEMBERS}
    for name in names:
        if name in BLEND_MEMBERS:
            members.update((BLEND_MEMBERS[name], "logistic_regression"))
    folds = StratifiedKFold(n_splits=SELECTION_FOLDS, shuffle=True, random_state=seed)
    out_of_fold: dict[str, np.ndarray] = {name: np.zeros(len(labels)) for name in members}
    for train_rows, valid_rows in folds.split(data, labels):
        for name in sorted(members):
            candidate = tabular_candidates(columns, seed)[name]
            candidate.fit(data.iloc[train_rows], labels[train_rows])
            out_of_fold[name][valid_rows] = candidate.predict_proba(data.iloc[valid_rows])[:, 1]
    for name in names:
        if name in BLEND_MEMBERS:
            boosted = out_of_fold[BLEND_MEMBERS[name]]
            out_of_fold[name] = (boosted + out_of_fold["logistic_regression"]) / 2
    return {name: out_of_fold[name] for name in names}


def cross_validated_scores(
    data: pd.DataFrame, labels: np.ndarray, names: list[str], columns: TabularColumns, seed: int
) -> dict[str, float]:
    """Out-of-fold ROC AUC of each candidate on the given (training) rows only."""
    out_of_fold = out_of_fold_probabilities(data, labels, names, columns, seed)
    return {name: float(roc_auc_score(labels, out_of_fold[name])) for name in names}


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
    calibration = default_calibration(len(labels))
    if len(names) > 1 and len(np.unique(labels)) == 2 and len(labels) >= 200:
        out_of_fold = out_of_fold_probabilities(data, labels, names, columns, seed)
        scores = {name: float(roc_auc_score(labels, out_of_fold[name])) for name in names}
        best = max(
            names,
            key=lambda name: (
                round(scores[name], 3),
                -SIMPLICITY.index(name) if name in SIMPLICITY else -len(SIMPLICITY),
            ),
        )
        calibration = choose_calibration(out_of_fold[best], labels, seed)
    else:
        best = "logistic_regression" if "logistic_regression" in names else names[0]
    final = _calibrated(tabular_candidates(columns, seed)[best], calibration)
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
            "calibration": calibration,
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
