"""The 360° timeline of accounts and contacts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from zhike.api.deps import ActorDep, SessionDep
from zhike.customers.timeline import TimelinePage, account_timeline, contact_timeline
from zhike.platform.query import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

router = APIRouter(tags=["timeline"])

LimitQuery = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
CursorQuery = Annotated[str | None, Query(description="next_cursor of the previous page")]


class TimelineRecord(BaseModel):
    object: str
    id: uuid.UUID


class TimelineItemRead(BaseModel):
    kind: str
    occurred_at: datetime
    id: uuid.UUID
    title: str
    record: TimelineRecord
    fields: dict[str, Any]


class TimelineRead(BaseModel):
    items: list[TimelineItemRead]
    next_cursor: str | None = None


def _read(page: TimelinePage) -> TimelineRead:
    return TimelineRead(
        items=[TimelineItemRead.model_validate(item, from_attributes=True) for item in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/accounts/{account_id}/timeline", response_model=TimelineRead)
def get_account_timeline(
    account_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
    cursor: CursorQuery = None,
) -> TimelineRead:
    """Activities, stage changes, tickets and campaign touches of the account and its contacts.

    Items are newest first. Pass `next_cursor` as `cursor` to read the next page.
    """
    return _read(account_timeline(session, actor, account_id, limit, cursor))


@router.get("/contacts/{contact_id}/timeline", response_model=TimelineRead)
def get_contact_timeline(
    contact_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
    cursor: CursorQuery = None,
) -> TimelineRead:
    """Activities, stage changes, tickets and campaign touches of the contact, newest first."""
    return _read(contact_timeline(session, actor, contact_id, limit, cursor))
