"""Monitoring of production versions: metrics per window of arrived outcomes, PSI drift, alerts."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from zhike.ai.models.features import build_features
from zhike.ai.models.learners import binary_metrics, predict_positive
from zhike.ai.models.models import ModelAlert, ModelMonitorRun, ModelVersion
from zhike.ai.models.profiles import drift
from zhike.ai.models.scoring import cached_model
from zhike.ai.models.templates import effective_template, tenant_overrides
from zhike.ai.models.training import current_production, tenant_settings
from zhike.core.timeutil import utc_now
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

PSI_THRESHOLD = 0.2
AUC_DROP = 0.05
MIN_WINDOW_ROWS = 30


@dataclass
class MonitorResult:
    runs: list[ModelMonitorRun]
    alerts: list[ModelAlert]


def _alert(
    session: Session,
    actor: Actor,
    version: ModelVersion,
    kind: str,
    subject: str,
    value: float,
    threshold: float,
) -> ModelAlert:
    alert = ModelAlert(
        tenant_id=actor.tenant_id,
        model_version_id=version.id,
        template=version.template,
        kind=kind,
        subject=subject,
        value=round(value, 4),
        threshold=round(threshold, 4),
    )
    session.add(alert)
    logger.warning(
        "model alert",
        extra={"template": version.template, "kind": kind, "subject": subject, "value": value},
    )
    return alert


def monitor(
    session: Session,
    actor: Actor,
    template_name: str,
    *,
    window_days: int = 30,
    windows: int = 3,
    now: datetime | None = None,
) -> MonitorResult:
    """Metrics for each recent window of outcomes, drift of the latest window, and alerts."""
    settings = tenant_settings(session, actor.tenant_id)
    template = effective_template(template_name, settings)
    overrides = tenant_overrides(settings, template_name)
    psi_threshold = float(overrides.get("psi_threshold", PSI_THRESHOLD))
    auc_drop = float(overrides.get("auc_drop", AUC_DROP))
    version = current_production(session, actor.tenant_id, template.name)
    if version is None or template.kind != "binary":
        return MonitorResult([], [])
    model = cached_model(version)
    assert model.columns is not None
    features = build_features(session, actor.tenant_id, template)
    if not features.record_ids:
        return MonitorResult([], [])
    probabilities = predict_positive(model, features.frame)
    times = pd.to_datetime(features.times, utc=True)
    labels = features.labels.to_numpy(dtype=float)
    end = now or utc_now()
    baseline_auc = float(version.metrics.get("roc_auc") or 0.0)
    runs: list[ModelMonitorRun] = []
    alerts: list[ModelAlert] = []
    for index in range(windows):
        window_end = end - timedelta(days=window_days * index)
        window_start = window_end - timedelta(days=window_days)
        in_window = ((times > window_start) & (times <= window_end)).to_numpy()
        known = in_window & ~np.isnan(labels)
        metrics: dict[str, Any] = {}
        if known.sum() >= MIN_WINDOW_ROWS and len(np.unique(labels[known])) == 2:
            metrics = binary_metrics(labels[known].astype(int), probabilities[known])
        drifts: dict[str, float] = {}
        if index == 0 and in_window.sum() >= MIN_WINDOW_ROWS:
            drifts = drift(
                version.profile.get("distributions", {}),
                features.frame[in_window],
                model.columns,
                probabilities[in_window],
            )
        run = ModelMonitorRun(
            tenant_id=actor.tenant_id,
            model_version_id=version.id,
            template=template.name,
            window_start=window_start,
            window_end=window_end,
            rows=int(known.sum()),
            metrics={key: (None if np.isnan(value) else value) for key, value in metrics.items()},
            drift=drifts,
        )
        session.add(run)
        runs.append(run)
        auc = metrics.get("roc_auc")
        if auc is not None and not np.isnan(auc) and auc < baseline_auc - auc_drop:
            alerts.append(
                _alert(session, actor, version, "metric", "roc_auc", auc, baseline_auc - auc_drop)
            )
        for name, value in drifts.items():
            if value > psi_threshold:
                kind = "score_drift" if name == "__score__" else "feature_drift"
                subject = "score" if name == "__score__" else name
                alerts.append(_alert(session, actor, version, kind, subject, value, psi_threshold))
    session.flush()
    return MonitorResult(runs, alerts)
