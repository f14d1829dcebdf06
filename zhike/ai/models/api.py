"""REST endpoints of private models: versions, training, promotion, scores, progress, alerts."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BeforeValidator
from sqlalchemy import select

from zhike.ai.models import registry
from zhike.ai.models.explain import render_factors
from zhike.ai.models.models import ModelAlert, ModelScore, ModelVersion
from zhike.ai.models.monitoring import monitor
from zhike.ai.models.progress import template_progress
from zhike.ai.models.realtime import read_record_scores
from zhike.ai.models.schemas import (
    AlertOut,
    Factor,
    ModelVersionOut,
    ScoreOut,
    TemplateProgress,
    TrainRequest,
)
from zhike.ai.models.scoring import Score, score_template, templates_for
from zhike.ai.models.templates import get_template
from zhike.ai.models.training import train_template
from zhike.api.deps import ActorDep, SessionDep
from zhike.core.errors import Forbidden, NotFound
from zhike.platform.objects import all_objects, get_object
from zhike.platform.records import RecordService
from zhike.sales.forecast_report import ForecastGroupBy, SalesForecast
from zhike.sales.forecast_report import sales_forecast as forecast_month
from zhike.sales.stalled import find_readable_stalled
from zhike.security.admin import require_administrator
from zhike.security.context import Actor
from zhike.security.fields import hidden_fields

router = APIRouter(prefix="/models", tags=["models"])
# Mounted after the record routers: GET /{object}/{record_id}/scores.
scores_router = APIRouter(tags=["models"])
sales_router = APIRouter(prefix="/sales", tags=["sales"])


def _version_out(version: ModelVersion) -> ModelVersionOut:
    return ModelVersionOut.model_validate(version, from_attributes=True)


@router.get("/versions", response_model=list[ModelVersionOut])
def list_versions(
    session: SessionDep, actor: ActorDep, template: str | None = None
) -> list[ModelVersionOut]:
    """Every trained version of the tenant's models, newest first per template."""
    require_administrator(actor)
    return [_version_out(version) for version in registry.list_versions(session, actor, template)]


@router.post("/train", response_model=ModelVersionOut, status_code=201)
def train(body: TrainRequest, session: SessionDep, actor: ActorDep) -> ModelVersionOut:
    """Train a template on the tenant's records; it replaces production only if it is better."""
    require_administrator(actor)
    return _version_out(train_template(session, actor, body.template))


@router.post("/versions/{version_id}/promote", response_model=ModelVersionOut)
def promote(version_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> ModelVersionOut:
    """Put a version into production; the previous one is archived. Audited."""
    require_administrator(actor)
    return _version_out(registry.promote(session, actor, version_id))


@router.post("/templates/{template}/rollback", response_model=ModelVersionOut)
def rollback(template: str, session: SessionDep, actor: ActorDep) -> ModelVersionOut:
    """Return to the previous production version of a template. Audited."""
    require_administrator(actor)
    return _version_out(registry.rollback(session, actor, template))


@router.get("/progress", response_model=list[TemplateProgress])
def progress(session: SessionDep, actor: ActorDep) -> list[TemplateProgress]:
    """Labelled outcomes per template against the threshold at which the model takes over."""
    require_administrator(actor)
    return template_progress(session, actor)


@router.post("/templates/{template}/score")
def score_all(template: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Score every record of the template's object now (the nightly job does the same)."""
    require_administrator(actor)
    get_template(template)
    return {"template": template, "scored": len(score_template(session, actor, template))}


@router.post("/templates/{template}/monitor")
def run_monitor(template: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Compute metrics per window and drift for the production version; raise alerts."""
    require_administrator(actor)
    get_template(template)
    result = monitor(session, actor, template)
    return {
        "runs": [
            {
                "window_start": run.window_start,
                "window_end": run.window_end,
                "rows": run.rows,
                "metrics": run.metrics,
                "drift": run.drift,
            }
            for run in result.runs
        ],
        "alerts": [AlertOut.model_validate(alert, from_attributes=True) for alert in result.alerts],
    }


@router.get("/alerts", response_model=list[AlertOut])
def alerts(session: SessionDep, actor: ActorDep) -> list[AlertOut]:
    require_administrator(actor)
    rows = session.scalars(
        select(ModelAlert)
        .where(ModelAlert.tenant_id == actor.tenant_id)
        .order_by(ModelAlert.created_at.desc())
        .limit(200)
    )
    return [AlertOut.model_validate(alert, from_attributes=True) for alert in rows]


def _score_out(
    actor: Actor, object_name: str, score: Score | ModelScore, template: str
) -> ScoreOut:
    factors = score.factors if isinstance(score, Score) else score.top_factors
    return ScoreOut(
        template=template,
        object_name=object_name,
        record_id=score.record_id,
        score=score.score,
        label=score.label,
        source=score.source,
        model_version_id=score.model_version_id,
        details=score.details,
        top_factors=[Factor(**item) for item in render_factors(factors, actor.locale)],
        scored_at=None if isinstance(score, Score) else score.scored_at,
    )


def _stored_scores_out(
    session: SessionDep, actor: ActorDep, object_name: str, record_id: uuid.UUID
) -> list[ScoreOut]:
    return [
        ScoreOut(
            template=row.template,
            object_name=object_name,
            record_id=row.record_id,
            score=row.score,
            label=row.label,
            source=row.source,
            model_version_id=row.model_version_id,
            model_version=number,
            details={key: value for key, value in row.details.items() if key != "reasons_deferred"},
            top_factors=[Factor(**item) for item in render_factors(factors, actor.locale)],
            scored_at=row.scored_at,
        )
        for row, factors, number in read_record_scores(session, actor, object_name, record_id)
    ]


@scores_router.get("/{object_name}/{record_id}/scores", response_model=list[ScoreOut])
def record_scores(
    object_name: str, record_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> list[ScoreOut]:
    """Scores of one record with model version, time and top reasons in the reader's language.

    The caller must be able to read the record; otherwise it is not found.
    """
    return _stored_scores_out(session, actor, object_name, record_id)


@router.get("/scores/{object_name}/{record_id}", response_model=list[ScoreOut])
def read_scores(
    object_name: str, record_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> list[ScoreOut]:
    """Stored scores of one record (same as ``GET /{object}/{record_id}/scores``)."""
    return _stored_scores_out(session, actor, object_name, record_id)


@router.post("/scores/{object_name}/{record_id}", response_model=list[ScoreOut])
def rescore(
    object_name: str, record_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> list[ScoreOut]:
    """Score one record now (the real-time path used after a create or an update)."""
    if not templates_for(object_name):
        raise NotFound("model_object_not_scored", object=object_name)
    if object_name in {spec.name for spec in all_objects()}:
        RecordService(session, actor, get_object(object_name)).get(record_id)
    scores = [
        _score_out(actor, object_name, result, template)
        for template in templates_for(object_name)
        for result in score_template(session, actor, template, [record_id])
    ]
    if not scores and object_name != "tickets":
        raise NotFound("record_not_found", object=object_name, id=str(record_id))
    return scores


def _month_start(value: object) -> object:
    # "2026-07" names a month as people write it; pydantic then checks the date.
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value.strip()):
        return f"{value.strip()}-01"
    return value


@sales_router.get("/forecast", response_model=SalesForecast)
def sales_forecast(
    session: SessionDep,
    actor: ActorDep,
    month: Annotated[
        date,
        Query(description="the month to forecast, as 2026-07 or any day of it such as 2026-07-01"),
        BeforeValidator(_month_start),
    ],
    group: ForecastGroupBy | None = None,
) -> SalesForecast:
    """Expected won amount of a month: weighted pipeline combined with a seasonal model.

    Amounts are in the tenant's currency. Open deals in other currencies are listed
    apart per currency, because they cannot be added to it.
    """
    if "amount" in hidden_fields(actor, "opportunities"):
        raise Forbidden("report_field_hidden", field="amount")
    return forecast_month(session, actor, month, group)


@sales_router.get("/stalled")
def stalled(session: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """Open opportunities the user may read, stuck in their stage far longer than usual."""
    return [deal.__dict__ for deal in find_readable_stalled(session, actor)]
