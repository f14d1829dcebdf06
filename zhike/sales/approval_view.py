"""Approval requests described for the approver: record, requester, amount, discount and stage.

A request names its record only by id, so the list reads the quotes, opportunities,
stages and users of a page in one query each. A record the reader may not read, or
an amount hidden from the reader's role, stays absent: the approval list is no way
around record and field permissions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.sales.models import Opportunity, PipelineStage
from zhike.sales.process_models import ApprovalRequest
from zhike.sales.process_schemas import ApprovalRequestRead
from zhike.sales.quote_models import Quote
from zhike.sales.scoping import scoped
from zhike.security.access import grant_for
from zhike.security.context import Actor
from zhike.security.fields import hidden_fields
from zhike.security.models import User


def describe_approvals(
    session: Session, actor: Actor, requests: Iterable[ApprovalRequest]
) -> list[ApprovalRequestRead]:
    rows = list(requests)
    quotes = _readable(
        session, actor, "quotes", Quote, {row.subject_id for row in rows if _is_quote(row)}
    )
    opportunities = _readable(
        session,
        actor,
        "opportunities",
        Opportunity,
        {row.subject_id for row in rows if not _is_quote(row)},
    )
    people = {row.requested_by_id for row in rows} | {row.decided_by_id for row in rows}
    names = _user_names(session, actor, {person for person in people if person is not None})
    stages = _stage_names(session, actor, [row.target for row in rows if not _is_quote(row)])
    hidden_quote = hidden_fields(actor, "quotes")
    hidden_opportunity = hidden_fields(actor, "opportunities")
    described = []
    for row in rows:
        read = ApprovalRequestRead.model_validate(row)
        read.requested_by_name = names.get(row.requested_by_id) if row.requested_by_id else None
        read.decided_by_name = names.get(row.decided_by_id) if row.decided_by_id else None
        if _is_quote(row):
            quote = quotes.get(row.subject_id)
            if quote is not None:
                read.subject_name = f"{quote.number} {quote.title}"
                if "total" not in hidden_quote:
                    read.amount, read.currency = quote.total, quote.currency
                if "effective_discount_percent" not in hidden_quote:
                    read.discount_percent = quote.effective_discount_percent
        else:
            read.stage_name = stages.get(row.target)
            opportunity = opportunities.get(row.subject_id)
            if opportunity is not None:
                read.subject_name = opportunity.name
                if "amount" not in hidden_opportunity and opportunity.amount is not None:
                    read.amount, read.currency = opportunity.amount, opportunity.currency
        described.append(read)
    return described


def _is_quote(row: ApprovalRequest) -> bool:
    return row.kind == "quote_discount"


def _readable(
    session: Session, actor: Actor, object_name: str, model: Any, ids: set[uuid.UUID]
) -> dict[uuid.UUID, Any]:
    grant = grant_for(actor, object_name)
    if not ids or grant is None or "read" not in grant.actions:
        return {}
    statement = scoped(actor, object_name, model, select(model)).where(model.id.in_(ids))
    return {record.id: record for record in session.scalars(statement)}


def _user_names(session: Session, actor: Actor, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    statement = select(User.id, User.display_name).where(
        User.tenant_id == actor.tenant_id, User.id.in_(ids)
    )
    return {row[0]: row[1] for row in session.execute(statement)}


def _stage_names(session: Session, actor: Actor, targets: list[str]) -> dict[str, str]:
    ids = set()
    for target in targets:
        try:
            ids.add(uuid.UUID(target))
        except ValueError:
            continue
    if not ids:
        return {}
    rows = session.scalars(
        select(PipelineStage).where(
            PipelineStage.tenant_id == actor.tenant_id, PipelineStage.id.in_(ids)
        )
    )
    english = actor.locale == "en"
    return {str(stage.id): stage.name_en if english else stage.name_zh for stage in rows}
