"""Cold-start progress: labelled outcomes per template against the hand-over threshold."""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhike.ai.models.features import build_features
from zhike.ai.models.schemas import TemplateProgress
from zhike.ai.models.templates import TEMPLATES, effective_template
from zhike.ai.models.training import current_production, tenant_settings
from zhike.security.context import Actor


def template_progress(session: Session, actor: Actor) -> list[TemplateProgress]:
    settings = tenant_settings(session, actor.tenant_id)
    result = []
    for name in TEMPLATES:
        template = effective_template(name, settings)
        labelled = int(build_features(session, actor.tenant_id, template).labelled().sum())
        production = current_production(session, actor.tenant_id, name)
        result.append(
            TemplateProgress(
                template=name,
                object_name=template.object_name,
                labelled=labelled,
                needed=template.min_labelled,
                source="model" if production else "rules",
                production_version_id=production.id if production else None,
            )
        )
    return result
