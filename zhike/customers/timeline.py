"""The 360° timeline of an account or a contact.

Each source (activities, stage changes, tickets opened and resolved, campaign
touches) is one ordered, limited query; the service merges their heads. Items
are ordered by (time, kind, id), newest first, and the cursor carries that
triple, so a page boundary between items with the same time stays exact.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from zhike.core.errors import InvalidInput
from zhike.core.i18n import translate
from zhike.core.timeutil import ensure_utc
from zhike.customers.models import Contact
from zhike.marketing.models import Campaign, CampaignMember
from zhike.platform.query import MAX_PAGE_SIZE
from zhike.sales.models import Activity, Opportunity, OpportunityStageChange, PipelineStage
from zhike.security.access import scope_select
from zhike.security.context import Actor
from zhike.service.models import Ticket

SubjectKind = Literal["accounts", "contacts"]
Position = tuple[datetime, str, uuid.UUID]


@dataclass(frozen=True)
class TimelineItem:
    kind: str
    occurred_at: datetime
    id: uuid.UUID
    title: str
    record: dict[str, Any]
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def position(self) -> Position:
        return (self.occurred_at, self.kind, self.id)


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    next_cursor: str | None


def encode_timeline_cursor(position: Position) -> str:
    occurred_at, kind, item_id = position
    payload = json.dumps([occurred_at.isoformat(), kind, str(item_id)]).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_timeline_cursor(cursor: str) -> Position:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        occurred_at, kind, item_id = json.loads(base64.urlsafe_b64decode(padded))
        return ensure_utc(datetime.fromisoformat(occurred_at)), str(kind), uuid.UUID(item_id)
    except (ValueError, TypeError, binascii.Error) as error:
        raise InvalidInput("invalid_cursor", value=cursor[:80]) from error


def _after(time: Any, id_column: Any, kind: str, cursor: Position | None) -> ColumnElement[bool]:
    """Rows strictly after ``cursor`` in (time, kind, id) descending order, for one kind."""
    if cursor is None:
        return true()
    last_time, last_kind, last_id = cursor
    condition: ColumnElement[bool]
    if kind < last_kind:
        condition = time <= last_time
    elif kind > last_kind:
        condition = time < last_time
    else:
        condition = or_(time < last_time, and_(time == last_time, id_column < last_id))
    return condition


def _ordered(statement: Any, time: Any, id_column: Any, limit: int) -> Any:
    return statement.order_by(time.desc(), id_column.desc()).limit(limit)


class Timeline:
    """Reads the timeline of one account or contact for one actor."""

    def __init__(
        self, session: Session, actor: Actor, subject: SubjectKind, subject_id: uuid.UUID
    ) -> None:
        self.session = session
        self.actor = actor
        self.subject = subject
        self.subject_id = subject_id

    def _contact_ids(self) -> Select[Any]:
        statement = select(Contact.id).where(Contact.account_id == self.subject_id)
        return scope_select(self.actor, Contact, statement)

    def _opportunity_ids(self) -> Select[Any]:
        column = Opportunity.account_id if self.subject == "accounts" else Opportunity.contact_id
        return scope_select(
            self.actor, Opportunity, select(Opportunity.id).where(column == self.subject_id)
        )

    def _stage_name(self, stage: Any) -> str | None:
        if stage is None:
            return None
        return str(stage.name_zh if self.actor.locale == "zh-CN" else stage.name_en)

    def activities(self, cursor: Position | None, limit: int) -> list[TimelineItem]:
        if self.subject == "accounts":
            related = or_(
                Activity.account_id == self.subject_id,
                Activity.contact_id.in_(self._contact_ids()),
                Activity.opportunity_id.in_(self._opportunity_ids()),
            )
        else:
            related = Activity.contact_id == self.subject_id
        statement = scope_select(self.actor, Activity, select(Activity)).where(
            related, _after(Activity.occurred_at, Activity.id, "activity", cursor)
        )
        locale = self.actor.locale
        return [
            TimelineItem(
                kind="activity",
                occurred_at=activity.occurred_at,
                id=activity.id,
                title=translate(
                    "timeline.activity",
                    locale,
                    kind=translate(f"activity_kind.{activity.kind}", locale),
                    subject=activity.subject,
                ),
                record={"object": "activities", "id": activity.id},
                fields={
                    "activity_kind": activity.kind,
                    "status": activity.status,
                    "subject": activity.subject,
                    "due_at": activity.due_at,
                },
            )
            for activity in self.session.scalars(
                _ordered(statement, Activity.occurred_at, Activity.id, limit)
            )
        ]

    def stage_changes(self, cursor: Position | None, limit: int) -> list[TimelineItem]:
        from_stage = aliased(PipelineStage)
        to_stage = aliased(PipelineStage)
        column = Opportunity.account_id if self.subject == "accounts" else Opportunity.contact_id
        change = OpportunityStageChange
        statement = (
            select(change, Opportunity.name, from_stage, to_stage)
            .join(Opportunity, Opportunity.id == change.opportunity_id)
            .join(to_stage, to_stage.id == change.to_stage_id)
            .outerjoin(from_stage, from_stage.id == change.from_stage_id)
            .where(
                column == self.subject_id,
                _after(change.changed_at, change.id, "stage_change", cursor),
            )
        )
        statement = scope_select(
            self.actor, Opportunity, scope_select(self.actor, change, statement)
        )
        items = []
        for row, opportunity_name, before, after in self.session.execute(
            _ordered(statement, change.changed_at, change.id, limit)
        ):
            before_name, after_name = self._stage_name(before), self._stage_name(after)
            title = (
                translate("timeline.stage_set", self.actor.locale, to=after_name)
                if before is None
                else translate(
                    "timeline.stage_change", self.actor.locale, before=before_name, to=after_name
                )
            )
            items.append(
                TimelineItem(
                    kind="stage_change",
                    occurred_at=row.changed_at,
                    id=row.id,
                    title=title,
                    record={"object": "opportunities", "id": row.opportunity_id},
                    fields={
                        "opportunity_name": opportunity_name,
                        "from_stage": before.key if before is not None else None,
                        "to_stage": after.key,
                        "amount": row.amount,
                        "currency": row.currency,
                        "changed_by_id": row.changed_by_id,
                    },
                )
            )
        return items

    def _tickets(
        self, kind: str, time: Any, cursor: Position | None, limit: int
    ) -> list[TimelineItem]:
        if self.subject == "accounts":
            related = or_(
                Ticket.account_id == self.subject_id, Ticket.contact_id.in_(self._contact_ids())
            )
        else:
            related = Ticket.contact_id == self.subject_id
        statement = scope_select(
            self.actor, Ticket, select(Ticket, time.label("occurred_at"))
        ).where(related, time.is_not(None), _after(time, Ticket.id, kind, cursor))
        return [
            TimelineItem(
                kind=kind,
                occurred_at=occurred_at,
                id=ticket.id,
                title=translate(f"timeline.{kind}", self.actor.locale, subject=ticket.subject),
                record={"object": "tickets", "id": ticket.id},
                fields={
                    "subject": ticket.subject,
                    "status": ticket.status,
                    "priority": ticket.priority,
                },
            )
            for ticket, occurred_at in self.session.execute(
                _ordered(statement, time, Ticket.id, limit)
            )
        ]

    def tickets_opened(self, cursor: Position | None, limit: int) -> list[TimelineItem]:
        return self._tickets(
            "ticket_opened", func.coalesce(Ticket.opened_at, Ticket.created_at), cursor, limit
        )

    def tickets_resolved(self, cursor: Position | None, limit: int) -> list[TimelineItem]:
        return self._tickets("ticket_resolved", Ticket.resolved_at, cursor, limit)

    def campaign_touches(self, cursor: Position | None, limit: int) -> list[TimelineItem]:
        member = CampaignMember
        time = func.coalesce(member.touched_at, member.created_at)
        related = (
            member.contact_id.in_(self._contact_ids())
            if self.subject == "accounts"
            else member.contact_id == self.subject_id
        )
        statement = (
            select(member, Campaign.name, time.label("occurred_at"))
            .join(Campaign, Campaign.id == member.campaign_id)
            .where(related, _after(time, member.id, "campaign_touch", cursor))
        )
        statement = scope_select(self.actor, Campaign, scope_select(self.actor, member, statement))
        locale = self.actor.locale
        return [
            TimelineItem(
                kind="campaign_touch",
                occurred_at=occurred_at,
                id=row.id,
                title=translate(
                    "timeline.campaign_touch",
                    locale,
                    campaign=campaign_name,
                    status=translate(f"member_status.{row.status}", locale),
                ),
                record={"object": "campaign_members", "id": row.id},
                fields={
                    "campaign_id": row.campaign_id,
                    "campaign_name": campaign_name,
                    "contact_id": row.contact_id,
                    "status": row.status,
                    "has_responded": row.has_responded,
                    "responded_at": row.responded_at,
                },
            )
            for row, campaign_name, occurred_at in self.session.execute(
                _ordered(statement, time, member.id, limit)
            )
        ]

    def page(self, limit: int = 50, cursor: str | None = None) -> TimelinePage:
        """Return up to ``limit`` items after ``cursor``, newest first."""
        from zhike.platform.objects import get_object
        from zhike.platform.records import RecordService

        RecordService(self.session, self.actor, get_object(self.subject)).get(self.subject_id)
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        position = decode_timeline_cursor(cursor) if cursor else None
        sources: tuple[Callable[[Position | None, int], list[TimelineItem]], ...] = (
            self.activities,
            self.stage_changes,
            self.tickets_opened,
            self.tickets_resolved,
            self.campaign_touches,
        )
        merged = sorted(
            (item for source in sources for item in source(position, limit + 1)),
            key=lambda item: item.position,
            reverse=True,
        )
        items = merged[:limit]
        next_cursor = encode_timeline_cursor(items[-1].position) if len(merged) > limit else None
        return TimelinePage(items, next_cursor)


def account_timeline(
    session: Session,
    actor: Actor,
    account_id: uuid.UUID,
    limit: int = 50,
    cursor: str | None = None,
) -> TimelinePage:
    return Timeline(session, actor, "accounts", account_id).page(limit, cursor)


def contact_timeline(
    session: Session,
    actor: Actor,
    contact_id: uuid.UUID,
    limit: int = 50,
    cursor: str | None = None,
) -> TimelinePage:
    return Timeline(session, actor, "contacts", contact_id).page(limit, cursor)
