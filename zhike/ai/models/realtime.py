"""Real-time scoring of one record: the hook the record service calls after a write.

The batch path builds pandas frames for a whole tenant; here one record costs a
few indexed queries, a dictionary of features, one model call and one upsert.
The loaded production model (or the cold-start rules) of each tenant and
template stays in memory (``model_cache``). Reasons come from the same
occlusion as in batch, on the single encoded row: exact for linear models
(their log-odds add up feature by feature) and bounded for boosted trees (one
model call of at most 1 + number-of-inputs rows).
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from zhike.ai.models import model_cache
from zhike.ai.models.explain import TOP_FACTORS, _dense, _input_groups, _plain
from zhike.ai.models.learners import TrainedModel, limit_threads, prepare_frame
from zhike.ai.models.model_cache import CachedModel
from zhike.ai.models.models import ModelScore, ModelVersion
from zhike.ai.models.record_features import RECORD_BUILDERS, RECORD_DETAILS
from zhike.ai.models.row_encoder import RowEncoder, UnsupportedPipeline
from zhike.ai.models.templates import TEMPLATES, Template, effective_template
from zhike.core.timeutil import utc_now
from zhike.security.context import Actor

if TYPE_CHECKING:
    from zhike.ai.models.scoring import Score

logger = logging.getLogger(__name__)

# Contributions smaller than this are noise, and are left out of the reasons (as in batch).
MIN_CONTRIBUTION = 0.005


def templates_for(object_name: str) -> list[str]:
    return [name for name, template in TEMPLATES.items() if template.object_name == object_name]


def production_model(session: Session, tenant_id: uuid.UUID, template_name: str) -> CachedModel:
    """Return the cached production model of a template, loading it on first use or expiry."""
    entry = model_cache.get(tenant_id, template_name)
    if entry is not None:
        return entry
    from zhike.ai.models.scoring import cached_model
    from zhike.ai.models.training import current_production, tenant_settings

    template = effective_template(template_name, tenant_settings(session, tenant_id))
    version = current_production(session, tenant_id, template_name)
    model: TrainedModel | None = None
    encoder: RowEncoder | None = None
    profile: dict[str, Any] = {}
    if version is not None:
        model = cached_model(version)
        profile = dict(version.profile or {})
        if model.kind == "tabular" and model.columns is not None:
            try:
                encoder = RowEncoder(model.pipeline, model.columns)
            except UnsupportedPipeline as error:
                logger.info("row encoder not compiled", extra={"reason": str(error)})
    entry = CachedModel(
        template=template,
        version_id=None if version is None else version.id,
        model=model,
        encoder=encoder,
        profile=profile,
        loaded_at=time.monotonic(),
    )
    model_cache.put(tenant_id, template_name, entry)
    return entry


def has_fast_path(template_name: str) -> bool:
    return template_name in RECORD_BUILDERS


def score_values(
    entry: CachedModel, values: dict[str, Any]
) -> tuple[float, list[dict[str, Any]], str]:
    """Score one record's features with the model if there is one, else with the rules."""
    template: Template = entry.template
    if entry.model is None:
        return (*rule_score(template, values), "rules")
    probability, factors = explain_values(entry.model, entry.encoder, values)
    return probability, factors, "model"


def rule_score(template: Template, values: dict[str, Any]) -> tuple[float, list[dict[str, Any]]]:
    """Add every matching rule to the cold-start prior, clipped as in ``coldstart.rule_scores``."""
    score = template.prior
    factors: list[dict[str, Any]] = []
    for rule in template.rules:
        value = values.get(rule.feature)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if rule.matches(value):
            score += rule.weight
            factors.append(
                {"feature": "rule", "value": rule.feature, "contribution": round(rule.weight, 3)}
            )
    factors.sort(key=lambda factor: -abs(factor["contribution"]))
    return float(np.clip(score, 0.01, 0.99)), factors[:TOP_FACTORS]


def encoded_row(model: TrainedModel, encoder: RowEncoder | None, values: dict[str, Any]) -> Any:
    if encoder is not None:
        return encoder.encode(values)
    assert model.columns is not None
    frame = prepare_frame(pd.DataFrame([values]), model.columns)
    return _dense(model.pipeline.named_steps["features"].transform(frame))[0]


def explain_values(
    model: TrainedModel, encoder: RowEncoder | None, values: dict[str, Any]
) -> tuple[float, list[dict[str, Any]]]:
    """Compute the probability and top reasons of one record by occlusion, in one model call."""
    assert model.columns is not None
    row = encoded_row(model, encoder, values)
    cache = model.explain_cache
    if "groups" not in cache:
        cache["groups"] = _input_groups(model.pipeline, model.columns)
        cache["base"] = encoded_row(model, encoder, model.background)
    groups: dict[str, list[int]] = cache["groups"]
    base: np.ndarray = cache["base"]
    names: list[str] = []
    variants = [row]
    for name, indexes in groups.items():
        if np.array_equal(row[indexes], base[indexes]):
            continue
        occluded = row.copy()
        occluded[indexes] = base[indexes]
        variants.append(occluded)
        names.append(name)
    with limit_threads(1):
        predicted = model.pipeline.named_steps["model"].predict_proba(np.vstack(variants))[:, 1]
    probability = float(predicted[0])
    contributions = probability - predicted[1:]
    factors: list[dict[str, Any]] = []
    for position in np.argsort(-np.abs(contributions), kind="stable")[:TOP_FACTORS]:
        contribution = float(contributions[position])
        if abs(contribution) < MIN_CONTRIBUTION:
            continue
        name = names[position]
        factors.append(
            {
                "feature": name,
                "value": _plain(values.get(name)),
                "contribution": round(contribution, 3),
            }
        )
    return probability, factors


def record_values(
    session: Session, tenant_id: uuid.UUID, template: Template, record: Any
) -> dict[str, Any]:
    _, builder = RECORD_BUILDERS[template.name]
    return builder(session, tenant_id, template, record, utc_now())


def load_record(
    session: Session, tenant_id: uuid.UUID, template_name: str, record_id: uuid.UUID
) -> Any:
    model, _ = RECORD_BUILDERS[template_name]
    record = session.get(model, record_id)
    if record is None or record.tenant_id != tenant_id or record.deleted_at is not None:
        return None
    return record


def score_one(
    session: Session,
    actor: Actor,
    object_name: str,
    record_id: uuid.UUID,
    record: Any = None,
) -> list[Score]:
    """Score one record by every template of its object, and write the scores back."""
    from zhike.ai.models.scoring import Score, score_template

    results: list[Score] = []
    for name in templates_for(object_name):
        entry = production_model(session, actor.tenant_id, name)
        if entry.model is None and not entry.template.rules:
            continue  # Nothing would score it: no model yet and no rules.
        if not has_fast_path(name):
            results.extend(score_template(session, actor, name, [record_id]))
            continue
        current = (
            record if record is not None else load_record(session, actor.tenant_id, name, record_id)
        )
        if current is None:
            continue
        values = record_values(session, actor.tenant_id, entry.template, current)
        probability, factors, source = score_values(entry, values)
        details_builder = RECORD_DETAILS.get(name)
        details = (
            {}
            if details_builder is None
            else details_builder(session, entry.profile, current, utc_now().date())
        )
        write_one(
            session,
            actor.tenant_id,
            entry.template,
            record_id,
            probability,
            source,
            entry.version_id,
            factors,
            details,
        )
        results.append(
            Score(record_id, probability, None, source, entry.version_id, factors, details)
        )
    return results


def write_one(
    session: Session,
    tenant_id: uuid.UUID,
    template: Template,
    record_id: uuid.UUID,
    score: float,
    source: str,
    version_id: uuid.UUID | None,
    factors: list[dict[str, Any]],
    details: dict[str, Any] | None = None,
) -> None:
    table = ModelScore.__table__
    assert isinstance(table, Table)
    session.execute(
        delete(table).where(
            table.c.tenant_id == tenant_id,
            table.c.template == template.name,
            table.c.record_id == record_id,
        )
    )
    session.execute(
        insert(table).values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            object_name=template.object_name,
            record_id=record_id,
            template=template.name,
            score=round(score, 6),
            label=None,
            model_version_id=version_id,
            source=source,
            details=details or {},
            top_factors=factors,
            scored_at=utc_now(),
        )
    )


def score_after_write(
    session: Session,
    actor: Actor,
    record: Any,
    values: dict[str, Any],
    previous: dict[str, Any] | None,
) -> None:
    """``after_write`` hook: rescore the record; a scoring failure never fails the write."""
    object_name = getattr(record, "__tablename__", "")
    if not templates_for(object_name):
        return
    try:
        with session.begin_nested():
            score_one(session, actor, object_name, record.id, record)
    except Exception:
        # The user's change matters more than its score; the nightly batch scores it again.
        logger.warning(
            "real-time scoring failed",
            extra={"object": object_name, "record_id": str(record.id)},
            exc_info=True,
        )


def explain_stored(
    session: Session, tenant_id: uuid.UUID, stored: ModelScore
) -> list[dict[str, Any]]:
    """Compute the reasons of a score that batch scoring stored without them."""
    from zhike.ai.models.features import build_features
    from zhike.ai.models.scoring import cached_model
    from zhike.ai.models.training import tenant_settings

    if stored.model_version_id is None:
        return list(stored.top_factors or [])
    version = session.get(ModelVersion, stored.model_version_id)
    if version is None or version.tenant_id != tenant_id:
        return []
    model = cached_model(version)
    if model.kind != "tabular":
        return list(stored.top_factors or [])
    template = effective_template(stored.template, tenant_settings(session, tenant_id))
    if has_fast_path(template.name):
        record = load_record(session, tenant_id, template.name, stored.record_id)
        if record is None:
            return []
        _, factors = explain_values(
            model, None, record_values(session, tenant_id, template, record)
        )
        return factors
    features = build_features(session, tenant_id, template, [stored.record_id])
    if not features.record_ids:
        return []
    values = features.frame.iloc[0].to_dict()
    _, factors = explain_values(model, None, values)
    return factors


def read_record_scores(
    session: Session, actor: Actor, object_name: str, record_id: uuid.UUID
) -> list[tuple[ModelScore, list[dict[str, Any]], int | None]]:
    """Stored scores of a record the actor may read, with reasons and the version number.

    Scores whose reasons batch scoring deferred are explained now, from the version
    that produced them. An unreadable record is not found, whether it exists or not.
    """
    from zhike.platform.objects import get_object
    from zhike.platform.records import RecordService

    RecordService(session, actor, get_object(object_name)).get(record_id)
    rows = list(
        session.scalars(
            select(ModelScore)
            .where(
                ModelScore.tenant_id == actor.tenant_id,
                ModelScore.object_name == object_name,
                ModelScore.record_id == record_id,
            )
            .order_by(ModelScore.template)
        )
    )
    version_ids = {row.model_version_id for row in rows if row.model_version_id is not None}
    numbers: dict[uuid.UUID, int] = {}
    if version_ids:
        statement = select(ModelVersion.id, ModelVersion.number).where(
            ModelVersion.tenant_id == actor.tenant_id, ModelVersion.id.in_(version_ids)
        )
        for version_id, version_number in session.execute(statement).all():
            numbers[version_id] = version_number
    results: list[tuple[ModelScore, list[dict[str, Any]], int | None]] = []
    for row in rows:
        details = row.details or {}
        factors = (
            explain_stored(session, actor.tenant_id, row)
            if details.get("reasons_deferred")
            else list(row.top_factors or [])
        )
        number = numbers.get(row.model_version_id) if row.model_version_id else None
        results.append((row, factors, number))
    return results
