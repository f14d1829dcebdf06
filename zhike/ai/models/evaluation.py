"""Offline evaluation of a template's learner on labelled files (``zhike models eval``)."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zhike.ai.models.learners import (
    binary_labels,
    binary_metrics,
    fit_tabular,
    fit_text,
    multiclass_metrics,
    predict_positive,
    text_baseline_pipeline,
)
from zhike.ai.models.templates import get_template
from zhike.core.errors import InvalidInput


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV whose separator (comma, semicolon or tab) is sniffed from its first line."""
    if not path.is_file():
        raise InvalidInput("model_eval_file_missing", path=str(path))
    opener: Any = open
    if path.suffix == ".gz":
        import gzip

        opener = gzip.open
    with opener(path, "rt", encoding="utf-8-sig") as handle:
        first = handle.readline()
    try:
        separator = csv.Sniffer().sniff(first, delimiters=",;\t").delimiter
    except csv.Error:
        separator = ","
    return numbers_with_blanks(pd.read_csv(path, sep=separator, encoding="utf-8-sig"))


def numbers_with_blanks(frame: pd.DataFrame) -> pd.DataFrame:
    """Convert a text column to numbers when every cell that is not blank is a number.

    Exports often write a number that is not known yet as an empty or space-only cell, as
    the telco churn file does for the total charges of customers with zero months of tenure.
    pandas then reads the whole column as text, and the learner would take each amount
    for a category. Blank cells become missing values.
    """
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        text = column.astype("string").str.strip()
        blank = text.isna() | (text == "")
        if blank.all():
            continue
        numbers = pd.to_numeric(text.where(~blank), errors="coerce")
        if numbers[~blank].notna().all():
            frame[name] = numbers.astype(float)
    return frame


def _require(frame: pd.DataFrame, column: str, path: Path) -> None:
    if column not in frame.columns:
        raise InvalidInput(
            "model_eval_column_missing",
            column=column,
            path=str(path),
            known=", ".join(map(str, frame.columns)),
        )


def evaluate_files(
    template_name: str,
    train_path: Path,
    test_path: Path,
    label: str,
    text: str | None = None,
    drop: tuple[str, ...] = (),
    baseline: bool = False,
) -> dict[str, Any]:
    """Train the template's learner on one file and report held-out metrics on the other."""
    template = get_template(template_name)
    train = read_table(train_path)
    test = read_table(test_path)
    for frame, path in ((train, train_path), (test, test_path)):
        _require(frame, label, path)
        if text:
            _require(frame, text, path)
    if template.kind == "text" or text:
        column = text or "text"
        return evaluate_text(template.name, train, test, label, column, baseline)
    excluded = {label, *template.excluded_fields, *drop}
    features = [name for name in train.columns if name not in excluded]
    return evaluate_tabular(
        train[features], binary_labels(train[label]), test[features], binary_labels(test[label])
    )


def evaluate_tabular(
    train: pd.DataFrame,
    train_labels: np.ndarray,
    test: pd.DataFrame,
    test_labels: np.ndarray,
    candidates: list[str] | None = None,
) -> dict[str, Any]:
    cpu_started = time.process_time()
    trained = fit_tabular(train, train_labels, candidates=candidates)
    training_cpu_seconds = time.process_time() - cpu_started
    started = time.perf_counter()
    probabilities = predict_positive(trained, test)
    predict_seconds = time.perf_counter() - started
    metrics: dict[str, Any] = binary_metrics(test_labels, probabilities)
    metrics.update(
        learner=trained.learner,
        candidates=trained.candidates,
        training_seconds=round(trained.training_seconds, 3),
        # CPU time of this process over all threads, steadier than wall time on a busy machine.
        training_cpu_seconds=round(training_cpu_seconds, 3),
        scoring_rows_per_second=round(len(test) / max(predict_seconds, 1e-9)),
    )
    return metrics


def evaluate_text(
    template: str,
    train: pd.DataFrame,
    test: pd.DataFrame,
    label: str,
    column: str,
    baseline: bool = False,
) -> dict[str, Any]:
    train = train.dropna(subset=[column, label])
    test = test.dropna(subset=[column, label])
    train_texts = train[column].astype(str).tolist()
    test_texts = test[column].astype(str).tolist()
    train_labels = train[label].astype(str).tolist()
    test_labels = test[label].astype(str).tolist()
    trained = fit_text(train_texts, train_labels, template)
    probabilities = trained.pipeline.predict_proba(test_texts)
    predicted = [trained.classes[index] for index in probabilities.argmax(axis=1)]
    metrics: dict[str, Any] = multiclass_metrics(
        test_labels, predicted, probabilities, trained.classes
    )
    metrics.update(learner=trained.learner, training_seconds=round(trained.training_seconds, 3))
    if baseline:
        started = time.perf_counter()
        reference = text_baseline_pipeline(template).fit(train_texts, train_labels)
        reference_predicted = [str(value) for value in reference.predict(test_texts)]
        metrics["baseline"] = {
            **multiclass_metrics(test_labels, reference_predicted, None, trained.classes),
            "training_seconds": round(time.perf_counter() - started, 3),
        }
    return metrics
