"""Scoring: a whole tenant in batch or one record in real time, written back to ``model_scores``."""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Table, delete, insert
from sqlalchemy.orm import Session

from zhike.ai.models.coldstart import lexicon_sentiment, rule_scores, sentiment_label
from zhike.ai.models.explain import tabular_contributions, text_factors, top_tabular_factors
from zhike.ai.models.features import FeatureSet, build_features
from zhike.ai.models.learners import TrainedModel, limit_threads, prepare_frame
from zhike.ai.models.models import ModelScore, ModelVersion
from zhike.ai.models.realtime import templates_for as templates_for
from zhike.ai.models.record_features import expected_close_date
from zhike.ai.models.row_encoder import RowEncoder, UnsupportedPipeline
from zhike.ai.models.templates import TEMPLATES, Template, effective_template
from zhike.ai.models.training import current_production, load_model, tenant_settings
from zhike.core.timeutil import utc_now
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

WRITE_BATCH = 5000
# Batch scoring writes every score but explains only the highest ones, the records people
# open first; the others are explained when someone reads them (``realtime.explain_stored``).
EXPLAIN_TOP = 100
_CACHE_SIZE = 32
_model_cache: OrderedDict[tuple[uuid.UUID, str], TrainedModel] = OrderedDict()


@dataclass
class Score:
    record_id: uuid.UUID
    score: float
    label: str | None
    source: str  # "model" or "rules"
    model_version_id: uuid.UUID | None
    factors: list[dict[str, Any]]
    details: dict[str, Any] = field(default_factory=dict)


def cached_model(version: ModelVersion) -> TrainedModel:
    """Artifacts are immutable, so a loaded model is kept per version and hash."""
    key = (version.id, version.artifact_sha256)
    model = _model_cache.get(key)
    if model is None:
        model = load_model(version)
        _model_cache[key] = model
        while len(_model_cache) > _CACHE_SIZE:
            _model_cache.popitem(last=False)
    _model_cache.move_to_end(key)
    return model


def _rule_frame(features: FeatureSet) -> pd.DataFrame:
    frame = features.frame
    if features.extra and "stage_position" in features.extra:
        frame = frame.assign(stage_position=features.extra["stage_position"].to_numpy())
    return frame


def compute_scores(
    template: Template,
    features: FeatureSet,
    version: ModelVersion | None,
    explain_top: int | None = None,
) -> list[Score]:
    """Scores and top factors of the records in ``features``; no database writes.

    ``explain_top`` limits reasons to that many highest scores (None: every record); the
    others get ``details["reasons_deferred"]`` and are explained on demand.
    """
    if not features.record_ids:
        return []
    if version is None:
        return _cold_start(template, features)
    model = cached_model(version)
    if model.kind == "text":
        return _text_scores(template, features, model, version)
    assert model.columns is not None
    details = _close_dates(version, features)
    if explain_top is None or explain_top >= len(features.record_ids):
        probabilities, names, contributions = tabular_contributions(
            model.pipeline, model.columns, model.background, features.frame
        )
        factors = top_tabular_factors(names, contributions, features.frame)
    else:
        probabilities = batch_probabilities(model, features.frame)
        factors = [[] for _ in features.record_ids]
        chosen = np.argsort(-probabilities, kind="stable")[:explain_top]
        if chosen.size:
            subset = features.frame.iloc[chosen]
            _, names, contributions = tabular_contributions(
                model.pipeline, model.columns, model.background, subset
            )
            for row, row_factors in zip(
                chosen, top_tabular_factors(names, contributions, subset), strict=True
            ):
                factors[row] = row_factors
        explained = set(chosen.tolist())
        for row in range(len(details)):
            if row not in explained:
                details[row] = {**details[row], "reasons_deferred": True}
    return [
        Score(record_id, float(probability), None, "model", version.id, row_factors, row_details)
        for record_id, probability, row_factors, row_details in zip(
            features.record_ids, probabilities, factors, details, strict=True
        )
    ]


def batch_probabilities(model: TrainedModel, frame: pd.DataFrame) -> np.ndarray:
    """Probabilities of a whole batch on one native thread.

    Batch scoring runs in a worker next to other workers and the API; OpenMP threads
    that spin-wait for a busy core made a 100,000-row batch slower, not faster. The
    compiled encoder turns the frame into the model's input matrix without the fitted
    transformers, which convert every category value to text and validate it again.
    """
    assert model.columns is not None
    encoder = frame_encoder(model)
    with limit_threads(1):
        if encoder is None:
            data = prepare_frame(frame, model.columns)
            probabilities: np.ndarray = model.pipeline.predict_proba(data)[:, 1]
        else:
            matrix = encoder.encode_frame(frame)
            probabilities = model.pipeline.named_steps["model"].predict_proba(matrix)[:, 1]
    return probabilities


def frame_encoder(model: TrainedModel) -> RowEncoder | None:
    """Return the model's compiled encoder, built once per loaded model, or None if unsupported."""
    cache = model.explain_cache
    if "row_encoder" not in cache:
        assert model.columns is not None
        try:
            cache["row_encoder"] = RowEncoder(model.pipeline, model.columns)
        except UnsupportedPipeline as error:
            logger.info("row encoder not compiled", extra={"reason": str(error)})
            cache["row_encoder"] = None
    encoder: RowEncoder | None = cache["row_encoder"]
    return encoder


def _cold_start(template: Template, features: FeatureSet) -> list[Score]:
    if template.name == "ticket_category":
        return []  # No sensible prior exists for a tenant's own categories.
    if template.name == "sentiment":
        scores, factors = lexicon_sentiment(features.texts or [])
        labels: list[str | None] = [sentiment_label(score) for score in scores]
    else:
        scores, factors = rule_scores(template, _rule_frame(features))
        labels = [None] * len(scores)
    details = _close_dates(None, features)
    return [
        Score(record_id, float(score), label, "rules", None, row_factors, row_details)
        for record_id, score, label, row_factors, row_details in zip(
            features.record_ids, scores, labels, factors, details, strict=True
        )
    ]


def _text_scores(
    template: Template, features: FeatureSet, model: TrainedModel, version: ModelVersion
) -> list[Score]:
    texts = features.texts or []
    probabilities = model.pipeline.predict_proba(texts)
    predicted = [model.classes[index] for index in probabilities.argmax(axis=1)]
    factors = text_factors(model.pipeline, texts, predicted)
    results: list[Score] = []
    positive = next((name for name in ("positive", "1") if name in model.classes), None)
    for row, record_id in enumerate(features.record_ids):
        label = predicted[row]
        score = float(probabilities[row].max())
        if template.name == "sentiment" and positive is not None and "neutral" not in model.classes:
            score = float(probabilities[row, model.classes.index(positive)])
            label = sentiment_label(score)
        elif template.name == "sentiment" and label in ("0", "1"):
            label = "positive" if label == "1" else "negative"
        results.append(Score(record_id, score, label, "model", version.id, factors[row]))
    return results


def _close_dates(version: ModelVersion | None, features: FeatureSet) -> list[dict[str, Any]]:
    """Expected close date of open opportunities: engagement plus the owner's typical cycle."""
    extra = features.extra or {}
    if "engaged" not in extra:
        return [{} for _ in features.record_ids]
    profile = dict(version.profile or {}) if version else {}
    today = utc_now().date()
    open_deals = features.labels.isna().to_numpy()
    results: list[dict[str, Any]] = []
    for row, (engaged, owner) in enumerate(zip(extra["engaged"], extra["owner"], strict=True)):
        if not open_deals[row]:
            results.append({})
            continue
        start = (
            engaged.date() if isinstance(engaged, pd.Timestamp) and not pd.isna(engaged) else None
        )
        expected = expected_close_date(profile, start, owner, today)
        results.append({"expected_close_date": expected.isoformat()})
    return results


def score_template(
    session: Session, actor: Actor, template_name: str, record_ids: list[uuid.UUID] | None = None
) -> list[Score]:
    """Score the template's records (all, or the ones given) and write the scores back."""
    template = effective_template(template_name, tenant_settings(session, actor.tenant_id))
    features = build_features(session, actor.tenant_id, template, record_ids)
    version = current_production(session, actor.tenant_id, template.name)
    scores = compute_scores(
        template, features, version, EXPLAIN_TOP if record_ids is None else None
    )
    write_scores(session, actor.tenant_id, template, scores, replace_all=record_ids is None)
    return scores


def write_scores(
    session: Session,
    tenant_id: uuid.UUID,
    template: Template,
    scores: list[Score],
    *,
    replace_all: bool,
) -> None:
    """Replace the stored scores, in batches: a whole template at once, or the scored records."""
    table = ModelScore.__table__
    assert isinstance(table, Table)
    condition = (table.c.tenant_id == tenant_id) & (table.c.template == template.name)
    if replace_all:
        session.execute(delete(table).where(condition))
    now = utc_now()
    for start in range(0, len(scores), WRITE_BATCH):
        chunk = scores[start : start + WRITE_BATCH]
        if not replace_all:
            ids = [score.record_id for score in chunk]
            session.execute(delete(table).where(condition & table.c.record_id.in_(ids)))
        rows = [
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "object_name": template.object_name,
                "record_id": score.record_id,
                "template": template.name,
                "score": round(score.score, 6),
                "label": score.label,
                "model_version_id": score.model_version_id,
                "source": score.source,
                "details": score.details,
                "top_factors": score.factors,
                "scored_at": now,
            }
            for score in chunk
        ]
        if rows:
            session.execute(insert(table), rows)
    session.flush()


def score_tenant(session: Session, actor: Actor) -> dict[str, int]:
    """Batch-score every template of a tenant; returns how many records each scored."""
    counts: dict[str, int] = {}
    for name in TEMPLATES:
        counts[name] = len(score_template(session, actor, name))
    logger.info("tenant scored", extra={"tenant_id": str(actor.tenant_id), "counts": counts})
    return counts


def score_record(
    session: Session, actor: Actor, object_name: str, record_id: uuid.UUID
) -> list[Score]:
    """Rescore one record now, through the single-record path where a template has one."""
    from zhike.ai.models.realtime import score_one

    return score_one(session, actor, object_name, record_id)


def positive_probabilities(model: TrainedModel, features: FeatureSet) -> np.ndarray:
    """Plain probabilities without explanations, for monitoring and benchmarks."""
    from zhike.ai.models.learners import predict_positive

    return predict_positive(model, features.frame)
