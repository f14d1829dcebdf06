"""The ``after_write`` hook of scored objects, light to import: the models load on first use."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhike.ai.models.templates import TEMPLATES
from zhike.security.context import Actor

_SCORED_OBJECTS = frozenset(template.object_name for template in TEMPLATES.values())


def score_after_write(
    session: Session,
    actor: Actor,
    record: Any,
    values: dict[str, Any],
    previous: dict[str, Any] | None,
) -> None:
    """Rescore a record after a create or an update; costs nothing for an unscored object."""
    if getattr(record, "__tablename__", None) not in _SCORED_OBJECTS:
        return
    from zhike.ai.models.realtime import score_after_write as score_now

    score_now(session, actor, record, values, previous)
