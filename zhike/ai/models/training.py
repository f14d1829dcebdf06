"""Training a template on one tenant's own records, and registering the result as a version."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhike.ai.models.artifacts import dump_artifact, load_artifact
from zhike.ai.models.features import FeatureSet, build_features, reference_time_range
from zhike.ai.models.learners import (
    SEED,
    TabularColumns,
    TrainedModel,
    binary_metrics,
    fit_tabular,
    fit_text,
    multiclass_metrics,
    prepare_frame,
    thread_limit,
)
from zhike.ai.models.models import ModelVersion
from zhike.ai.models.profiles import build_profile
from zhike.ai.models.templates import Template, effective_template
from zhike.core.errors import Conflict
from zhike.security.context import Actor
from zhike.security.models import Tenant

logger = logging.getLogger(__name__)

TEST_SHARE = 0.2
# Gain in held-out ROC AUC (or accuracy for text) a retrained version needs to replace production.
MIN_IMPROVEMENT = 0.0


@dataclass
class LabelledData:
    features: FeatureSet
    indexes: np.ndarray
    labels: np.ndarray


def tenant_settings(session: Session, tenant_id: uuid.UUID) -> dict[str, Any]:
    tenant = session.get(Tenant, tenant_id)
    return dict(tenant.settings or {}) if tenant else {}


def labelled_data(features: FeatureSet, template: Template) -> LabelledData:
    mask = features.labelled()
    indexes = np.flatnonzero(mask)
    if template.kind == "binary":
        labels = features.labels.to_numpy(dtype=float)[mask].astype(int)
    else:
        labels = np.asarray([str(value) for value in features.labels[mask]], dtype=object)
    return LabelledData(features, indexes, labels)


def split(labels: np.ndarray, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """A fixed stratified split of positions into training and held-out parts."""
    rng = np.random.default_rng(seed)
    train: list[int] = []
    test: list[int] = []
    for value in sorted(set(labels.tolist()), key=str):
        positions = np.flatnonzero(labels == value)
        rng.shuffle(positions)
        cut = round(len(positions) * TEST_SHARE) if len(positions) >= 5 else 0
        test.extend(positions[:cut].tolist())
        train.extend(positions[cut:].tolist())
    return np.sort(np.asarray(train, dtype=int)), np.sort(np.asarray(test, dtype=int))


def fingerprint(data: LabelledData) -> dict[str, Any]:
    """Row count, time range and a hash of exactly the rows and labels a version learnt from."""
    features = data.features
    frame = features.frame.iloc[data.indexes]
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes())
    digest.update("|".join(str(value) for value in data.labels).encode())
    if features.texts is not None:
        for position in data.indexes:
            digest.update(features.texts[position].encode("utf-8"))
    start, end = reference_time_range(features.times.iloc[data.indexes])
    return {
        "rows": len(data.indexes),
        "records": len(features.record_ids),
        "time_from": start.isoformat() if start else None,
        "time_to": end.isoformat() if end else None,
        "sha256": digest.hexdigest(),
    }


def _fit(template: Template, data: LabelledData, positions: np.ndarray) -> TrainedModel:
    features = data.features
    if template.kind == "text":
        assert features.texts is not None
        texts = [features.texts[data.indexes[position]] for position in positions]
        return fit_text(texts, [str(label) for label in data.labels[positions]], template.name)
    frame = features.frame.iloc[data.indexes[positions]]
    return fit_tabular(frame, data.labels[positions])


def evaluate(
    template: Template, model: TrainedModel, data: LabelledData, positions: np.ndarray
) -> dict[str, float]:
    """Held-out metrics of ``model`` on the given positions of ``data``."""
    features = data.features
    if template.kind == "text":
        assert features.texts is not None
        texts = [features.texts[data.indexes[position]] for position in positions]
        probabilities = model.pipeline.predict_proba(texts)
        predicted = [model.classes[index] for index in probabilities.argmax(axis=1)]
        truth = [str(label) for label in data.labels[positions]]
        return multiclass_metrics(truth, predicted, probabilities, model.classes)
    assert model.columns is not None
    frame = prepare_frame(features.frame.iloc[data.indexes[positions]], model.columns)
    probabilities = model.pipeline.predict_proba(frame)[:, 1]
    return binary_metrics(data.labels[positions], probabilities)


def headline(template: Template, metrics: dict[str, Any]) -> float:
    """The one number versions are compared on."""
    key = "roc_auc" if template.kind == "binary" else "accuracy"
    value = metrics.get(key)
    return float(value) if value is not None and not np.isnan(value) else float("-inf")


def close_duration_profile(features: FeatureSet) -> dict[str, Any]:
    """Median days from engagement to a won close, overall and per owner (shrunk to overall)."""
    extra = features.extra or {}
    if "engaged" not in extra:
        return {}
    won = features.labels.to_numpy() == 1.0
    days = (extra["closed"] - extra["engaged"]).dt.days.to_numpy(dtype=float)
    valid = won & np.isfinite(days) & (days >= 0)
    if not valid.any():
        return {}
    overall = float(np.median(days[valid]))
    owners = extra["owner"].to_numpy()[valid]
    per_owner: dict[str, float] = {}
    for owner in set(owners.tolist()):
        if owner is None:
            continue
        own = days[valid][owners == owner]
        # Shrink small samples towards the overall median.
        weight = len(own) / (len(own) + 10)
        per_owner[str(owner)] = round(weight * float(np.median(own)) + (1 - weight) * overall, 1)
    return {"overall_days": overall, "per_owner_days": per_owner}


def train_template(
    session: Session, actor: Actor, template_name: str, *, promote_if_better: bool = True
) -> ModelVersion:
    """Train, evaluate on held-out rows, register; promote only when it beats production."""
    template = effective_template(template_name, tenant_settings(session, actor.tenant_id))
    features = build_features(session, actor.tenant_id, template)
    data = labelled_data(features, template)
    if len(data.labels) < template.min_labelled or len(set(data.labels.tolist())) < 2:
        raise Conflict(
            "model_not_enough_outcomes",
            template=template.name,
            count=len(data.labels),
            needed=template.min_labelled,
        )
    train, test = split(data.labels)
    with thread_limit(len(data.labels)):
        return _train_and_register(session, actor, template, data, train, test, promote_if_better)


def _train_and_register(
    session: Session,
    actor: Actor,
    template: Template,
    data: LabelledData,
    train: np.ndarray,
    test: np.ndarray,
    promote_if_better: bool,
) -> ModelVersion:
    features = data.features
    model = _fit(template, data, train)
    metrics: dict[str, Any] = evaluate(template, model, data, test)
    metrics["training_seconds"] = round(model.training_seconds, 3)
    metrics["candidates"] = model.candidates
    profile: dict[str, Any] = {"kind": model.kind, "classes": model.classes}
    if model.columns is not None:
        holdout = features.frame.iloc[data.indexes[test]]
        scores = model.pipeline.predict_proba(prepare_frame(holdout, model.columns))[:, 1]
        profile.update(
            columns={"categorical": model.columns.categorical, "numeric": model.columns.numeric},
            background=model.background,
            distributions=build_profile(
                features.frame.iloc[data.indexes[train]], model.columns, scores
            ),
        )
    if template.name == "win_probability":
        profile["close_duration"] = close_duration_profile(features)
    artifact, digest = dump_artifact(model.pipeline)
    production = current_production(session, actor.tenant_id, template.name)
    if production is not None:
        production_model = load_model(production)
        metrics["production_on_holdout"] = evaluate(template, production_model, data, test)
    number = (
        session.scalar(
            select(func.max(ModelVersion.number)).where(
                ModelVersion.tenant_id == actor.tenant_id, ModelVersion.template == template.name
            )
        )
        or 0
    ) + 1
    version = ModelVersion(
        tenant_id=actor.tenant_id,
        template=template.name,
        number=number,
        learner=model.learner,
        parameters=_parameters(model),
        fingerprint=fingerprint(data),
        metrics=_json_safe(metrics),
        profile=_json_safe(profile),
        artifact=artifact,
        artifact_sha256=digest,
        created_by_id=actor.user_id,
    )
    session.add(version)
    session.flush()
    logger.info(
        "model version trained",
        extra={
            "template": template.name,
            "version": str(version.id),
            "headline": headline(template, metrics),
        },
    )
    if promote_if_better:
        from zhike.ai.models.registry import promote

        baseline = metrics.get("production_on_holdout")
        if (
            baseline is None
            or headline(template, metrics) > headline(template, baseline) + MIN_IMPROVEMENT
        ):
            promote(
                session,
                actor,
                version.id,
                reason="beats_production" if baseline else "first_version",
            )
    return version


def _parameters(model: TrainedModel) -> dict[str, Any]:
    estimator = model.pipeline.named_steps["model"]
    inner = getattr(estimator, "estimator", estimator)
    parameters = {
        name: value
        for name, value in inner.get_params(deep=False).items()
        if isinstance(value, int | float | str | bool) or value is None
    }
    return {"learner": model.learner, "estimator": type(inner).__name__, **parameters}


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, float | np.floating):
        number = float(value)
        return None if np.isnan(number) or np.isinf(number) else number
    if isinstance(value, np.integer):
        return int(value)
    return value


def current_production(
    session: Session, tenant_id: uuid.UUID, template: str
) -> ModelVersion | None:
    return session.scalars(
        select(ModelVersion).where(
            ModelVersion.tenant_id == tenant_id,
            ModelVersion.template == template,
            ModelVersion.status == "production",
        )
    ).first()


def load_model(version: ModelVersion) -> TrainedModel:
    """Rebuild a trained model from its stored artifact and profile."""
    pipeline: Any = load_artifact(version.artifact, version.artifact_sha256)
    profile = version.profile
    columns = None
    if "columns" in profile:
        columns = TabularColumns(
            list(profile["columns"]["categorical"]), list(profile["columns"]["numeric"])
        )
    return TrainedModel(
        pipeline=pipeline,
        kind=str(profile.get("kind", "tabular")),
        learner=version.learner,
        columns=columns,
        classes=[str(value) for value in profile.get("classes", [])],
        background=dict(profile.get("background", {})),
    )
