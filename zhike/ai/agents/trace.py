"""The trace of a run: every step, tool call, input, output, decision and reason.

Values are masked before they are stored, with the masking functions that
field-level security and the audit log use, so a trace shows a phone number
as ``138****5678`` wherever it came from: a named field or free text.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhike.ai.agents.models import AgentTraceEvent
from zhike.ai.llm.privacy import Detector
from zhike.core.timeutil import utc_now
from zhike.security.masking import MaskKind, mask_value

# Field names whose values are personal data whatever they look like.
_SENSITIVE_FIELDS: dict[str, MaskKind] = {
    "mobile": MaskKind.MOBILE,
    "phone": MaskKind.MOBILE,
    "email": MaskKind.EMAIL,
    "recipient": MaskKind.EMAIL,
    "id_number": MaskKind.ID_NUMBER,
    "address": MaskKind.TEXT,
    "contact_name": MaskKind.TEXT,
    "lead_name": MaskKind.TEXT,
    "password": MaskKind.TEXT,
    "api_key": MaskKind.TEXT,
}
_MAX_TEXT = 1000
_detector = Detector()


def mask_text(text: str) -> str:
    """Mask every phone number, email, ID or card number found inside ``text``."""
    spans = _detector.detect(text)
    if not spans:
        return text[:_MAX_TEXT]
    pieces: list[str] = []
    position = 0
    for span in spans:
        pieces.append(text[position : span.start])
        pieces.append(str(mask_value(span.text)))
        position = span.end
    pieces.append(text[position:])
    return "".join(pieces)[:_MAX_TEXT]


def mask_data(value: Any, key: str | None = None) -> Any:
    """Mask personal data in a JSON-like value, by field name and by the shape of text."""
    if key is not None and key in _SENSITIVE_FIELDS and value not in (None, ""):
        if isinstance(value, list):
            return [mask_value(item, _SENSITIVE_FIELDS[key]) for item in value]
        return mask_value(value, _SENSITIVE_FIELDS[key])
    if isinstance(value, dict):
        return {str(name): mask_data(item, str(name)) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_data(item) for item in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


def add_event(
    session: Session,
    tenant_id: uuid.UUID,
    run_id: uuid.UUID,
    kind: str,
    message: str,
    data: dict[str, Any] | None = None,
    step_id: uuid.UUID | None = None,
) -> AgentTraceEvent:
    """Append one masked event to a run's trace, numbered after the last one."""
    # NOTE: an API decision written at the very moment a worker writes an event of the
    # same run can take the same number; the unique constraint then fails that request.
    last = session.scalar(
        select(func.max(AgentTraceEvent.sequence)).where(AgentTraceEvent.run_id == run_id)
    )
    event = AgentTraceEvent(
        tenant_id=tenant_id,
        run_id=run_id,
        step_id=step_id,
        sequence=(last or 0) + 1,
        kind=kind,
        message=mask_text(message),
        data=mask_data(data or {}),
        created_at=utc_now(),
    )
    session.add(event)
    session.flush()
    return event


def events_after(
    session: Session, run_id: uuid.UUID, sequence: int, limit: int = 500
) -> list[AgentTraceEvent]:
    return list(
        session.scalars(
            select(AgentTraceEvent)
            .where(AgentTraceEvent.run_id == run_id, AgentTraceEvent.sequence > sequence)
            .order_by(AgentTraceEvent.sequence)
            .limit(limit)
        )
    )
