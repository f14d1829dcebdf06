"""The model registry: list versions, promote one to production, roll back; all audited."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.ai.models.model_cache import invalidate_on_commit
from zhike.ai.models.models import ModelVersion
from zhike.ai.models.templates import get_template
from zhike.audit.service import record_event
from zhike.core.errors import Conflict, NotFound
from zhike.core.timeutil import utc_now
from zhike.security.context import Actor

logger = logging.getLogger(__name__)


def list_versions(
    session: Session, actor: Actor, template: str | None = None
) -> list[ModelVersion]:
    statement = select(ModelVersion).where(ModelVersion.tenant_id == actor.tenant_id)
    if template is not None:
        get_template(template)
        statement = statement.where(ModelVersion.template == template)
    return list(
        session.scalars(statement.order_by(ModelVersion.template, ModelVersion.number.desc()))
    )


def get_version(session: Session, actor: Actor, version_id: uuid.UUID) -> ModelVersion:
    version = session.get(ModelVersion, version_id)
    if version is None or version.tenant_id != actor.tenant_id:
        raise NotFound("model_version_not_found", id=str(version_id))
    return version


def promote(
    session: Session, actor: Actor, version_id: uuid.UUID, *, reason: str = "manual"
) -> ModelVersion:
    """Make a version the one that scores; the previous production version is archived."""
    version = get_version(session, actor, version_id)
    if version.status == "production":
        raise Conflict("model_already_production", id=str(version.id))
    previous = session.scalars(
        select(ModelVersion)
        .where(
            ModelVersion.tenant_id == actor.tenant_id,
            ModelVersion.template == version.template,
            ModelVersion.status == "production",
        )
        .with_for_update()
    ).first()
    now = utc_now()
    if previous is not None:
        previous.status = "archived"
        previous.archived_at = now
    version.status = "production"
    version.promoted_at = now
    version.archived_at = None
    session.flush()
    invalidate_on_commit(session, actor.tenant_id, version.template)
    record_event(
        session,
        actor,
        "model.promote",
        object_name="model_versions",
        record_id=version.id,
        changes={"status": [None if previous is None else str(previous.id), str(version.id)]},
        details={"template": version.template, "number": version.number, "reason": reason},
    )
    logger.info(
        "model version promoted",
        extra={"template": version.template, "version": str(version.id), "reason": reason},
    )
    return version


def rollback(session: Session, actor: Actor, template: str) -> ModelVersion:
    """Return to the version that was in production before the current one."""
    get_template(template)
    current = session.scalars(
        select(ModelVersion).where(
            ModelVersion.tenant_id == actor.tenant_id,
            ModelVersion.template == template,
            ModelVersion.status == "production",
        )
    ).first()
    if current is None:
        raise Conflict("model_no_production", template=template)
    earlier = session.scalars(
        select(ModelVersion)
        .where(
            ModelVersion.tenant_id == actor.tenant_id,
            ModelVersion.template == template,
            ModelVersion.promoted_at.is_not(None),
            ModelVersion.id != current.id,
            ModelVersion.promoted_at < current.promoted_at,
        )
        .order_by(ModelVersion.promoted_at.desc())
    ).first()
    if earlier is None:
        raise Conflict("model_no_earlier_version", template=template)
    now = utc_now()
    current.status = "archived"
    current.archived_at = now
    earlier.status = "production"
    earlier.archived_at = None
    # The promotion time is kept: rolling back again walks further into the past.
    session.flush()
    invalidate_on_commit(session, actor.tenant_id, template)
    record_event(
        session,
        actor,
        "model.rollback",
        object_name="model_versions",
        record_id=earlier.id,
        changes={"status": [str(current.id), str(earlier.id)]},
        details={"template": template, "number": earlier.number},
    )
    logger.info("model rolled back", extra={"template": template, "version": str(earlier.id)})
    return earlier
