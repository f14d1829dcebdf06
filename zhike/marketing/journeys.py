"""Journeys as stored objects: saving, activating, enrolling contacts and entry triggers.

Running the steps is ``journey_engine.py``; this module decides who enters.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.errors import Conflict, InvalidInput, NotFound, ValidationFailed
from zhike.core.timeutil import utc_now
from zhike.customers.models import Contact
from zhike.marketing.automation_models import Journey, JourneyEnrollment
from zhike.marketing.journey_graph import JourneyGraph, WaitStep
from zhike.marketing.models import Campaign
from zhike.security.access import require
from zhike.security.context import Actor
from zhike.security.models import Tenant

logger = logging.getLogger(__name__)


class JourneyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    campaign_id: uuid.UUID | None = None
    graph: dict[str, Any]


def parse_graph(raw: dict[str, Any]) -> JourneyGraph:
    """Validate a graph; each problem becomes one field error naming its place in the graph."""
    try:
        return JourneyGraph.model_validate(raw)
    except ValidationError as error:
        raise ValidationFailed(
            [
                {
                    "field": "graph." + ".".join(str(part) for part in item["loc"])
                    if item["loc"]
                    else "graph",
                    "code": item["type"],
                    "message": item["msg"],
                }
                for item in error.errors()
            ]
        ) from None


def get_journey(
    session: Session, actor: Actor, journey_id: uuid.UUID, action: str = "read"
) -> Journey:
    require(actor, "journeys", action)
    journey = session.get(Journey, journey_id)
    if journey is None or journey.tenant_id != actor.tenant_id:
        raise NotFound("marketing_journey_not_found", id=str(journey_id))
    return journey


def list_journeys(session: Session, actor: Actor) -> list[Journey]:
    require(actor, "journeys", "read")
    return list(
        session.scalars(
            select(Journey).where(Journey.tenant_id == actor.tenant_id).order_by(Journey.name)
        )
    )


def save_journey(
    session: Session, actor: Actor, body: JourneyBody, journey_id: uuid.UUID | None = None
) -> Journey:
    graph = parse_graph(body.graph)
    if body.campaign_id is not None:
        campaign = session.get(Campaign, body.campaign_id)
        if campaign is None or campaign.tenant_id != actor.tenant_id:
            raise NotFound("record_not_found", object="campaigns", id=str(body.campaign_id))
    clash = session.scalar(
        select(Journey.id).where(Journey.tenant_id == actor.tenant_id, Journey.name == body.name)
    )
    if clash is not None and clash != journey_id:
        raise Conflict("marketing_name_taken", name=body.name)
    stored = graph.model_dump(mode="json", exclude_none=True)
    if journey_id is None:
        require(actor, "journeys", "create")
        journey = Journey(
            tenant_id=actor.tenant_id,
            name=body.name,
            campaign_id=body.campaign_id,
            graph=stored,
            owner_id=actor.user_id,
        )
        session.add(journey)
    else:
        journey = get_journey(session, actor, journey_id, "update")
        if journey.status == "active":
            # Contacts in flight hold step ids of the running graph; pause first.
            raise Conflict("marketing_journey_active", name=journey.name)
        journey.name = body.name
        journey.campaign_id = body.campaign_id
        journey.graph = stored
        journey.version += 1
    session.flush()
    record_event(
        session,
        actor,
        "journey.save",
        object_name="journeys",
        record_id=journey.id,
        details={"name": journey.name, "version": journey.version},
    )
    return journey


def set_status(session: Session, actor: Actor, journey_id: uuid.UUID, status: str) -> Journey:
    journey = get_journey(session, actor, journey_id, "update")
    if status not in ("active", "paused", "archived"):
        raise InvalidInput("marketing_invalid_journey_status", status=status)
    parse_graph(journey.graph)
    journey.status = status
    session.flush()
    record_event(
        session,
        actor,
        f"journey.{status}",
        object_name="journeys",
        record_id=journey.id,
        details={"name": journey.name},
    )
    return journey


def enroll(
    session: Session, journey: Journey, contact_ids: list[uuid.UUID], now: Any = None
) -> int:
    """Put contacts at the start of a journey; those already in it stay where they are.

    Returns how many were enrolled. Re-entry after finishing is allowed only when the
    graph sets ``re_entry``.
    """
    graph = parse_graph(journey.graph)
    now = now or utc_now()
    existing = {
        row.contact_id: row
        for row in session.scalars(
            select(JourneyEnrollment).where(
                JourneyEnrollment.journey_id == journey.id,
                JourneyEnrollment.contact_id.in_(contact_ids),
            )
        )
    }
    count = 0
    for contact_id in contact_ids:
        found = existing.get(contact_id)
        if found is not None:
            if not graph.re_entry or found.state in ("active", "waiting"):
                continue
            found.state, found.step_id, found.wake_at = "active", graph.start, now
            found.waiting_since, found.finished_at = None, None
            found.created_at = now
            count += 1
            continue
        session.add(
            JourneyEnrollment(
                tenant_id=journey.tenant_id,
                journey_id=journey.id,
                contact_id=contact_id,
                state="active",
                step_id=graph.start,
                wake_at=now,
                created_at=now,
            )
        )
        count += 1
    session.flush()
    return count


def enroll_manually(
    session: Session, actor: Actor, journey_id: uuid.UUID, contact_ids: list[uuid.UUID]
) -> int:
    journey = get_journey(session, actor, journey_id, "update")
    if journey.status != "active":
        raise Conflict("marketing_journey_not_active", name=journey.name)
    found = set(
        session.scalars(
            select(Contact.id).where(
                Contact.tenant_id == actor.tenant_id,
                Contact.id.in_(contact_ids),
                Contact.deleted_at.is_(None),
            )
        )
    )
    missing = [str(contact_id) for contact_id in contact_ids if contact_id not in found]
    if missing:
        raise NotFound("record_not_found", object="contacts", id=", ".join(missing[:5]))
    return enroll(session, journey, sorted(found))


def _active_journeys(
    session: Session, tenant_id: uuid.UUID, kind: str
) -> list[tuple[Journey, JourneyGraph]]:
    journeys = session.scalars(
        select(Journey).where(Journey.tenant_id == tenant_id, Journey.status == "active")
    ).all()
    found = []
    for journey in journeys:
        graph = JourneyGraph.model_validate(journey.graph)
        if graph.trigger.kind == kind:
            found.append((journey, graph))
    return found


def enroll_on_trigger(
    session: Session,
    tenant_id: uuid.UUID,
    kind: str,
    contact_ids: list[uuid.UUID],
    details: dict[str, Any],
) -> int:
    """Enrol contacts in every active journey whose entry trigger matches."""
    total = 0
    for journey, graph in _active_journeys(session, tenant_id, kind):
        trigger = graph.trigger
        if kind == "segment_joined" and trigger.segment_id != details.get("segment_id"):
            continue
        if kind == "form_submitted" and trigger.form != details.get("form"):
            continue
        if kind == "event" and trigger.event != details.get("event"):
            continue
        total += enroll(session, journey, contact_ids)
    return total


def trigger_from_changes(
    session: Session, tenant_id: uuid.UUID, contact_fields: dict[uuid.UUID, set[str]]
) -> None:
    """Start field-change and event journeys, and wake contacts waiting for an event."""
    if not contact_fields:
        return
    events: dict[str, list[uuid.UUID]] = {}
    fields: dict[str, list[uuid.UUID]] = {}
    for contact_id, names in contact_fields.items():
        for name in names:
            if name.startswith("event:"):
                events.setdefault(name[6:], []).append(contact_id)
            elif name != "*":
                fields.setdefault(name, []).append(contact_id)
    for journey, graph in _active_journeys(session, tenant_id, "field_changed"):
        changed = fields.get(str(graph.trigger.field), [])
        if changed:
            enroll(session, journey, sorted(changed))
    for event_name, contact_ids in events.items():
        enroll_on_trigger(
            session, tenant_id, "event", sorted(set(contact_ids)), {"event": event_name}
        )
        _wake_waiting(session, tenant_id, event_name, sorted(set(contact_ids)))


def _wake_waiting(
    session: Session, tenant_id: uuid.UUID, event_name: str, contact_ids: list[uuid.UUID]
) -> None:
    """Make contacts waiting on ``event_name`` (or for a goal or exit event) due now."""
    now = utc_now()
    for journey in session.scalars(
        select(Journey).where(Journey.tenant_id == tenant_id, Journey.status == "active")
    ):
        graph = JourneyGraph.model_validate(journey.graph)
        waits_for = {
            step.id
            for step in graph.steps
            if isinstance(step, WaitStep)
            and step.mode == "until_event"
            and step.event == event_name
        }
        ends = event_name == graph.goal_event or event_name in graph.exit_events
        if not waits_for and not ends:
            continue
        statement = (
            update(JourneyEnrollment)
            .where(
                JourneyEnrollment.journey_id == journey.id,
                JourneyEnrollment.contact_id.in_(contact_ids),
                JourneyEnrollment.state == "waiting",
            )
            .values(wake_at=now)
        )
        if not ends:
            statement = statement.where(JourneyEnrollment.step_id.in_(waits_for))
        session.execute(statement)


def _date_of(contact: Contact, field: str) -> date | None:
    if field.startswith("custom."):
        raw = (contact.custom or {}).get(field[7:])
        try:
            return date.fromisoformat(str(raw)) if raw else None
        except ValueError:
            return None
    value = getattr(contact, field, None)
    return value if isinstance(value, date) else None


def enroll_by_dates(session: Session, tenant_id: uuid.UUID, today: date) -> int:
    """Enrol contacts whose date field plus the trigger's offset is ``today`` (tenant's zone).

    A birthday-style field matches on month and day every year; other dates match once.
    """
    total = 0
    for journey, graph in _active_journeys(session, tenant_id, "date_relative"):
        field = str(graph.trigger.field)
        target = today - timedelta(days=graph.trigger.offset_days)
        matched = []
        contacts = session.scalars(
            select(Contact).where(Contact.tenant_id == tenant_id, Contact.deleted_at.is_(None))
        )
        for contact in contacts:
            value = _date_of(contact, field)
            if value is None:
                continue
            if field == "birth_date":
                value = (
                    value.replace(year=target.year)
                    if (value.month, value.day) != (2, 29)
                    else value
                )
            if value == target:
                matched.append(contact.id)
        if matched:
            total += enroll(session, journey, matched)
    return total


def tenant_today(session: Session, tenant_id: uuid.UUID) -> date:
    from zhike.analytics.periods import local_today

    tenant = session.get(Tenant, tenant_id)
    return local_today(tenant.timezone if tenant is not None else "Asia/Shanghai")
