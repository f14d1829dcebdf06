"""Fixed costs of journey steps, entered by the marketer and counted in the step metrics.

A step's cost is this fixed amount plus the per-send cost of its channel (marketing
settings, ``send_costs``) for every delivered message. Costs can change while a
journey runs, because they describe spending, not the steps that contacts are in.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.errors import NotFound
from zhike.core.money import normalize_currency
from zhike.marketing.automation_models import Journey, JourneyStepCost
from zhike.marketing.journey_graph import JourneyGraph
from zhike.marketing.journeys import get_journey
from zhike.security.context import Actor


class StepCostBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(ge=0, max_digits=18, decimal_places=2, description="e.g. 800.00")
    currency: str = Field(default="CNY", description="ISO 4217 code, e.g. CNY")

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        return normalize_currency(value)


class StepCostRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    step_id: str
    amount: Decimal
    currency: str
    version: int
    updated_at: datetime


def _require_step(journey: Journey, step_id: str) -> None:
    graph = JourneyGraph.model_validate(journey.graph)
    if all(step.id != step_id for step in graph.steps):
        known = ", ".join(step.id for step in graph.steps)
        raise NotFound("marketing_journey_step_not_found", step=step_id, known=known)


def step_costs(session: Session, journey: Journey) -> dict[str, JourneyStepCost]:
    """Return the journey's fixed step costs by step id. The caller must have checked access."""
    rows = session.scalars(
        select(JourneyStepCost).where(
            JourneyStepCost.tenant_id == journey.tenant_id,
            JourneyStepCost.journey_id == journey.id,
        )
    )
    return {row.step_id: row for row in rows}


def list_step_costs(session: Session, actor: Actor, journey_id: uuid.UUID) -> list[JourneyStepCost]:
    journey = get_journey(session, actor, journey_id)
    return sorted(step_costs(session, journey).values(), key=lambda row: row.step_id)


def set_step_cost(
    session: Session, actor: Actor, journey_id: uuid.UUID, step_id: str, body: StepCostBody
) -> JourneyStepCost:
    """Create or replace the fixed cost of one step and record the change in the audit log."""
    journey = get_journey(session, actor, journey_id, "update")
    _require_step(journey, step_id)
    row = step_costs(session, journey).get(step_id)
    before = (None, None) if row is None else (str(row.amount), row.currency)
    if row is None:
        row = JourneyStepCost(
            tenant_id=actor.tenant_id,
            journey_id=journey.id,
            step_id=step_id,
            amount=body.amount,
            currency=body.currency,
            updated_by=actor.user_id,
        )
        session.add(row)
    else:
        row.amount, row.currency, row.updated_by = body.amount, body.currency, actor.user_id
        row.version += 1
    session.flush()
    record_event(
        session,
        actor,
        "journey.step_cost",
        object_name="journeys",
        record_id=journey.id,
        changes={
            "amount": [before[0], str(body.amount)],
            "currency": [before[1], body.currency],
        },
        details={"step_id": step_id},
    )
    return row


def delete_step_cost(session: Session, actor: Actor, journey_id: uuid.UUID, step_id: str) -> None:
    journey = get_journey(session, actor, journey_id, "update")
    row = step_costs(session, journey).get(step_id)
    if row is None:
        raise NotFound("marketing_step_cost_not_found", step=step_id)
    session.delete(row)
    session.flush()
    record_event(
        session,
        actor,
        "journey.step_cost_removed",
        object_name="journeys",
        record_id=journey.id,
        changes={"amount": [str(row.amount), None], "currency": [row.currency, None]},
        details={"step_id": step_id},
    )
