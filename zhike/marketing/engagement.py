"""Engagement events and the change log that keeps segments and journey triggers current.

An ORM listener notes every contact, lead and account written through a
session (the record service, the API, jobs) in ``marketing_changes`` in the
same transaction. Imports write with Core statements, which the listener does
not see, so the import's bulk writer calls ``note_imported_changes`` instead.
``segments.process_changes`` later re-evaluates dynamic segments on those
records only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction

from zhike.core.errors import InvalidInput, NotFound
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now
from zhike.customers.models import Account, Contact
from zhike.marketing.automation_models import ENGAGEMENT_KINDS, EngagementEvent, MarketingChange
from zhike.platform.bulk_sql import PreparedInsert
from zhike.sales.models import Lead
from zhike.security.access import require
from zhike.security.context import Actor

_TRACKED = {Contact: "contacts", Lead: "leads", Account: "accounts"}
_IGNORED_FIELDS = frozenset({"updated_at", "version"})
_BULK_MANAGED_FIELDS = frozenset({"id", "updated_at", "deleted_at", "version"})
ImportedChangesHook = Callable[
    [Session, Actor, list[dict[str, Any]], list[tuple[dict[str, Any], Any]]], None
]


def add_event(
    session: Session,
    tenant_id: uuid.UUID,
    kind: str,
    *,
    contact_id: uuid.UUID | None = None,
    lead_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    value: Decimal | None = None,
    details: dict[str, Any] | None = None,
    **links: Any,
) -> EngagementEvent:
    """Store one engagement event.

    ``links`` are any of campaign_id, journey_id, step_id, send_id and variant.
    """
    if kind not in ENGAGEMENT_KINDS:
        raise InvalidInput("marketing_unknown_event", kind=kind, known=", ".join(ENGAGEMENT_KINDS))
    account_id = None
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.tenant_id != tenant_id:
            raise NotFound("record_not_found", object="contacts", id=str(contact_id))
        account_id = contact.account_id
    row = EngagementEvent(
        tenant_id=tenant_id,
        kind=kind,
        contact_id=contact_id,
        lead_id=lead_id,
        account_id=account_id,
        occurred_at=occurred_at or utc_now(),
        value=value,
        details=details or {},
        **links,
    )
    session.add(row)
    session.flush()
    return row


def record_event_for(
    session: Session,
    actor: Actor,
    kind: str,
    contact_id: uuid.UUID | None,
    lead_id: uuid.UUID | None,
    value: Decimal | None,
    details: dict[str, Any],
    occurred_at: datetime | None = None,
) -> EngagementEvent:
    """Record a behaviour reported from outside (a visit, a purchase, a form) for the actor."""
    require(actor, "segments", "update")
    if contact_id is None and lead_id is None:
        raise InvalidInput("marketing_event_needs_person")
    if lead_id is not None:
        lead = session.get(Lead, lead_id)
        if lead is None or lead.tenant_id != actor.tenant_id:
            raise NotFound("record_not_found", object="leads", id=str(lead_id))
    return add_event(
        session,
        actor.tenant_id,
        kind,
        contact_id=contact_id,
        lead_id=lead_id,
        value=value,
        details=details,
        occurred_at=occurred_at,
    )


def note_imported_changes(object_name: str) -> ImportedChangesHook:
    """Return the bulk writer's hook that notes imported ``object_name`` records as changed.

    A created record is noted with ``*``, an updated one with the fields whose
    value differs from the stored row, as the flush listener below does.
    """

    def note(
        session: Session,
        actor: Actor,
        inserts: list[dict[str, Any]],
        updates: list[tuple[dict[str, Any], Any]],
    ) -> None:
        tenant_id = actor.tenant_id
        every_field = ["*"]
        # One row per imported record, so these go through the bulk writer's prepared
        # INSERT, which converts the values shared by every row once per batch.
        rows = [_change(tenant_id, object_name, row["id"], every_field) for row in inserts]
        for values, stored in updates:
            fields = sorted(
                name
                for name, value in values.items()
                if name not in _BULK_MANAGED_FIELDS and getattr(stored, name, None) != value
            )
            # A restored soft-deleted record may differ in no field but deleted_at.
            rows.append(_change(tenant_id, object_name, values["id"], fields or every_field))
        if not rows:
            return
        connection = session.connection()
        shared = {"tenant_id": tenant_id, "object_name": object_name, "fields": every_field}
        PreparedInsert(connection.dialect, MarketingChange.__table__, shared).execute(
            connection, rows
        )

    return note


def _changed_fields(instance: Any) -> list[str]:
    state = inspect(instance)
    names = []
    for attribute in state.attrs:
        if attribute.key in _IGNORED_FIELDS:
            continue
        if attribute.history.has_changes():
            names.append(attribute.key)
    return names


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, flush_context: UOWTransaction) -> None:
    rows: list[dict[str, Any]] = []
    for instance in (*session.new, *session.dirty):
        if isinstance(instance, EngagementEvent):
            fields = [f"event:{instance.kind}"]
            for object_name, record_id in (
                ("contacts", instance.contact_id),
                ("leads", instance.lead_id),
                ("accounts", instance.account_id),
            ):
                if record_id is not None:
                    rows.append(_change(instance.tenant_id, object_name, record_id, fields))
            continue
        tracked = _TRACKED.get(type(instance))
        if tracked is None:
            continue
        is_new = instance in session.new
        changed = ["*"] if is_new else _changed_fields(instance)
        if changed:
            rows.append(_change(instance.tenant_id, tracked, instance.id, changed))
    if rows:
        session.connection().execute(insert(MarketingChange), rows)


def _change(
    tenant_id: uuid.UUID, object_name: str, record_id: uuid.UUID, fields: list[str]
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "tenant_id": tenant_id,
        "object_name": object_name,
        "record_id": record_id,
        "fields": fields,
    }
