"""Tables of the model lifecycle: versions, scores written back, monitoring runs and alerts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from zhike.core.db import Base
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now

MODEL_STATUSES = ("candidate", "production", "archived")
ALERT_KINDS = ("metric", "feature_drift", "score_drift")


class ModelVersion(Base):
    """One trained version of a template for one tenant; its artifact is a skops file."""

    __tablename__ = "model_versions"
    __table_args__ = (
        Index("ix_model_versions_tenant_template", "tenant_id", "template", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    template: Mapped[str] = mapped_column(String(50))
    number: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(20), default="candidate")
    learner: Mapped[str] = mapped_column(String(50))
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fingerprint: Mapped[dict[str, Any]] = mapped_column(default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What explanations and drift checks need: feature columns, background values, bins.
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    artifact: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    artifact_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    promoted_at: Mapped[datetime | None] = mapped_column(default=None)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)


class ModelScore(Base):
    """The latest score of one record by one template, with the reasons behind it."""

    __tablename__ = "model_scores"
    __table_args__ = (
        Index(
            "ix_model_scores_record",
            "tenant_id",
            "template",
            "object_name",
            "record_id",
            unique=True,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    object_name: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[uuid.UUID] = mapped_column()
    template: Mapped[str] = mapped_column(String(50))
    score: Mapped[float] = mapped_column()
    label: Mapped[str | None] = mapped_column(String(100), default=None)
    # None when the score came from cold-start rules rather than a trained model.
    model_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="SET NULL"), default=None
    )
    source: Mapped[str] = mapped_column(String(20), default="model")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    top_factors: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    scored_at: Mapped[datetime] = mapped_column(default=utc_now)


class ModelMonitorRun(Base):
    """Metrics and drift of the production version over one time window of arrived outcomes."""

    __tablename__ = "model_monitor_runs"
    __table_args__ = (Index("ix_model_monitor_runs_version", "model_version_id", "window_start"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    model_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE")
    )
    template: Mapped[str] = mapped_column(String(50))
    window_start: Mapped[datetime] = mapped_column()
    window_end: Mapped[datetime] = mapped_column()
    rows: Mapped[int] = mapped_column(default=0)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    drift: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class ModelAlert(Base):
    """A threshold crossed by a production model: a metric fell or a distribution moved."""

    __tablename__ = "model_alerts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    model_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), default=None
    )
    template: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(100))
    value: Mapped[float] = mapped_column()
    threshold: Mapped[float] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
