"""Encode features straight into the model's input matrix, without the fitted transformers.

The fitted ``ColumnTransformer`` of a tabular pipeline is compiled once, when
a model is loaded: every category in each encoder's vocabulary is run through it once
and remembered, and the imputer and scaler statistics are read out, with the numpy
function between them where there is one (the linear model's asinh). Encoding
a record is then dictionary look-ups and a little arithmetic. Encoding a whole
frame factorizes each category column once and looks up only its distinct
values, so no Python code runs per row. Both give the same numbers as the
pipeline (the tests compare the paths).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)

from zhike.ai.models.learners import MISSING_CATEGORY, TabularColumns

# A value no tenant writes, to learn what an encoder does with an unseen category.
_UNSEEN = "\x00unseen\x00"


@dataclass
class _CategoryBlock:
    columns: list[str]
    tables: list[dict[str, np.ndarray]]
    unseen: list[np.ndarray]
    # Per column: every known category's encoding as a row, the unseen encoding last.
    matrices: list[np.ndarray]
    positions: list[dict[str, int]]


@dataclass
class _NumberBlock:
    columns: list[str]
    statistics: np.ndarray | None  # imputation values; None for passthrough
    indicator_features: np.ndarray | None
    function: np.ufunc | None  # applied to the imputed values (and flags) before scaling
    mean: np.ndarray | None
    scale: np.ndarray | None


class UnsupportedPipeline(Exception):
    """The pipeline has a step this encoder does not compile; use the pandas path instead."""


def category_text(value: Any) -> str:
    """Return a category as ``prepare_frame`` writes it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING_CATEGORY
    return str(value)


def number_value(value: Any) -> float:
    """Return a number as ``prepare_frame`` reads it: anything unreadable is missing."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


class RowEncoder:
    """The compiled input transformation of one fitted tabular pipeline."""

    def __init__(self, pipeline: Pipeline, columns: TabularColumns) -> None:
        transformer = pipeline.named_steps["features"]
        if not isinstance(transformer, ColumnTransformer):
            raise UnsupportedPipeline(type(transformer).__name__)
        self.columns = columns
        self.blocks: list[_CategoryBlock | _NumberBlock] = []
        for _name, step, selected in transformer.transformers_:
            names = [str(column) for column in selected]
            if step == "drop" or not names:
                continue
            # A fitted "passthrough" becomes an identity FunctionTransformer.
            if step == "passthrough" or (
                isinstance(step, FunctionTransformer) and step.func is None
            ):
                self.blocks.append(_NumberBlock(names, None, None, None, None, None))
            elif isinstance(step, OrdinalEncoder | OneHotEncoder):
                self.blocks.append(_compile_categories(step, names))
            elif isinstance(step, Pipeline):
                self.blocks.append(_compile_numbers(step, names))
            else:
                raise UnsupportedPipeline(type(step).__name__)

    def encode(self, values: dict[str, Any]) -> np.ndarray:
        parts: list[np.ndarray] = []
        for block in self.blocks:
            if isinstance(block, _CategoryBlock):
                for position, name in enumerate(block.columns):
                    text = category_text(values.get(name))
                    parts.append(block.tables[position].get(text, block.unseen[position]))
                continue
            raw = np.asarray([number_value(values.get(name)) for name in block.columns])
            if block.statistics is None:
                parts.append(raw)
                continue
            missing = np.isnan(raw)
            filled = np.where(missing, block.statistics, raw)
            if block.indicator_features is not None:
                filled = np.concatenate([filled, missing[block.indicator_features].astype(float)])
            if block.function is not None:
                filled = block.function(filled)
            if block.mean is not None:
                filled = filled - block.mean
            if block.scale is not None:
                filled = filled / block.scale
            parts.append(filled)
        return np.concatenate(parts) if parts else np.zeros(0)

    def encode_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """Encode every row of ``frame`` as ``encode`` encodes one record."""
        rows = len(frame)
        parts: list[np.ndarray] = []
        for block in self.blocks:
            if isinstance(block, _CategoryBlock):
                for position, name in enumerate(block.columns):
                    table_rows = _category_rows(
                        _column(frame, name), block.positions[position], rows
                    )
                    parts.append(block.matrices[position][table_rows])
                continue
            raw = np.column_stack(
                [_number_column(_column(frame, name), rows) for name in block.columns]
            )
            if block.statistics is None:
                parts.append(raw)
                continue
            missing = np.isnan(raw)
            filled = np.where(missing, block.statistics, raw)
            if block.indicator_features is not None:
                indicators = missing[:, block.indicator_features].astype(float)
                filled = np.concatenate([filled, indicators], axis=1)
            if block.function is not None:
                filled = block.function(filled)
            if block.mean is not None:
                filled = filled - block.mean
            if block.scale is not None:
                filled = filled / block.scale
            parts.append(filled)
        return np.concatenate(parts, axis=1) if parts else np.zeros((rows, 0))


def _column(frame: pd.DataFrame, name: str) -> pd.Series | None:
    return frame[name] if name in frame.columns else None


def _category_rows(values: pd.Series | None, positions: dict[str, int], rows: int) -> np.ndarray:
    """Row of each value in a compiled category matrix; -1 (the last row) when unseen."""
    missing_row = positions.get(MISSING_CATEGORY, -1)
    if values is None:
        return np.full(rows, missing_row, dtype=np.intp)
    # Only the distinct values are converted to text and looked up. Missing values get code -1.
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    lookup = np.fromiter(
        (positions.get(category_text(value), -1) for value in distinct),
        dtype=np.intp,
        count=len(distinct),
    )
    lookup = np.append(lookup, missing_row)  # code -1 reads this last entry
    table_rows: np.ndarray = lookup[np.asarray(codes, dtype=np.intp)]
    return table_rows


def _number_column(values: pd.Series | None, rows: int) -> np.ndarray:
    if values is None:
        return np.full(rows, np.nan)
    if not (
        pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype)
    ):
        # Text that reads as a number counts and anything else is missing, as in ``prepare_frame``.
        values = pd.to_numeric(values, errors="coerce")
    return np.asarray(values.to_numpy(dtype=float, na_value=np.nan), dtype=float)


def _compile_categories(
    encoder: OrdinalEncoder | OneHotEncoder, names: list[str]
) -> _CategoryBlock:
    known = [[str(value) for value in categories] for categories in encoder.categories_]
    height = max(len(values) for values in known) + 1
    table = {
        name: [values[row] if row < len(values) else _UNSEEN for row in range(height)]
        for name, values in zip(names, known, strict=True)
    }
    frame = pd.DataFrame(table, dtype=object)
    encoded = encoder.transform(frame)
    encoded = np.asarray(encoded.toarray() if hasattr(encoded, "toarray") else encoded, dtype=float)
    if isinstance(encoder, OneHotEncoder):
        widths = [int(width) for width in encoder._n_features_outs]
    else:
        widths = [1] * len(names)
    tables: list[dict[str, np.ndarray]] = []
    unseen: list[np.ndarray] = []
    matrices: list[np.ndarray] = []
    positions: list[dict[str, int]] = []
    start = 0
    for position, values in enumerate(known):
        block = encoded[:, start : start + widths[position]]
        tables.append({value: block[row].copy() for row, value in enumerate(values)})
        unseen.append(block[height - 1].copy())
        matrices.append(np.vstack([block[: len(values)], block[height - 1 : height]]))
        positions.append({value: row for row, value in enumerate(values)})
        start += widths[position]
    return _CategoryBlock(names, tables, unseen, matrices, positions)


def _compile_numbers(pipeline: Pipeline, names: list[str]) -> _NumberBlock:
    """Read out an imputer, an optional numpy function such as ``np.arcsinh``, and a scaler."""
    steps = [step for _, step in pipeline.steps]
    function = None
    if len(steps) == 3:
        function = _numpy_function(steps.pop(1))
    if (
        len(steps) != 2
        or not isinstance(steps[0], SimpleImputer)
        or not isinstance(steps[1], StandardScaler)
    ):
        raise UnsupportedPipeline("numeric pipeline")
    imputer, scaler = steps
    statistics = np.asarray(imputer.statistics_, dtype=float)
    if np.isnan(statistics).any():
        raise UnsupportedPipeline("a number column without any value at training")
    indicator = getattr(imputer, "indicator_", None)
    features = None if indicator is None else np.asarray(indicator.features_, dtype=int)
    mean = None if scaler.mean_ is None or not scaler.with_mean else np.asarray(scaler.mean_)
    scale = None if scaler.scale_ is None or not scaler.with_std else np.asarray(scaler.scale_)
    return _NumberBlock(names, statistics, features, function, mean, scale)


def _numpy_function(step: Any) -> np.ufunc:
    """Return the numpy function a ``FunctionTransformer`` applies element by element."""
    if (
        not isinstance(step, FunctionTransformer)
        or not isinstance(step.func, np.ufunc)
        or step.kw_args
    ):
        raise UnsupportedPipeline("numeric pipeline step")
    return step.func
