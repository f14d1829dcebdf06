"""Monitoring history of the tenant's models, for the registry's metric and drift charts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.ai.models.models import ModelMonitorRun
from zhike.security.admin import require_administrator
from zhike.security.context import Actor

MAX_RUNS = 500


def list_monitor_runs(
    session: Session, actor: Actor, template: str | None = None, limit: int = MAX_RUNS
) -> list[ModelMonitorRun]:
    """Return stored monitoring runs, oldest window first (administrators only)."""
    require_administrator(actor)
    statement = select(ModelMonitorRun).where(ModelMonitorRun.tenant_id == actor.tenant_id)
    if template is not None:
        statement = statement.where(ModelMonitorRun.template == template)
    newest = statement.order_by(ModelMonitorRun.window_start.desc(), ModelMonitorRun.id.desc())
    runs = list(session.scalars(newest.limit(min(limit, MAX_RUNS))))
    return sorted(runs, key=lambda run: (run.window_start, run.created_at))
