"""Lead conversion: one action that finds or creates the account, contact and opportunity.

Conversion never creates a second copy of something that exists. Before it
creates an account or contact it runs the same duplicate check as capture
(company key, mobile, email, name within the account) and links the match
instead; a match the actor may not read stops the conversion with 409 rather
than being duplicated or linked unseen. Converting a lead twice is refused.

The lead is closed (status ``converted``), never deleted. Its import key
(source, external id) moves to ``lead_conversions``, so a later import of the
same person creates a new lead, flagged as a duplicate of the contact, rather
than updating the closed one. Activities of the lead are linked to the new
account, contact and opportunity. Leads have no attachments in this version,
so there are none to carry over.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.errors import Conflict, NotFound
from zhike.core.timeutil import utc_now
from zhike.customers.models import Account, Contact
from zhike.platform.objects import get_object
from zhike.platform.records import RecordService
from zhike.sales.duplicates import DuplicateMatch, find_duplicates, lead_match_values
from zhike.sales.models import Activity, Lead, Opportunity
from zhike.sales.pool_models import LeadConversion
from zhike.sales.pool_schemas import ConvertRequest, ConvertResult
from zhike.sales.pools import close_entry
from zhike.security.access import scope_select
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

# Duplicate rules that identify an account or a contact well enough to link it.
_ACCOUNT_RULES = ("company", "mobile", "email")
_CONTACT_RULES = ("mobile", "email", "name_company")


def convert_lead(
    session: Session,
    actor: Actor,
    lead_id: uuid.UUID,
    request: ConvertRequest,
    now: datetime | None = None,
) -> ConvertResult:
    now = now or utc_now()
    leads = RecordService(session, actor, get_object("leads"))
    lead = leads.get(lead_id, "update")
    # Serialise conversions of one lead; SQLite admits one writer anyway.
    session.execute(select(Lead.id).where(Lead.id == lead.id).with_for_update()).first()
    session.refresh(lead)
    if lead.status == "converted":
        raise Conflict("lead_already_converted", id=str(lead.id))
    matches = find_duplicates(session, actor.tenant_id, [lead_match_values(lead)])
    owner = lead.owner_id or actor.user_id

    account, account_created = _account(session, actor, lead, request, matches, owner)
    contact, contact_created = _contact(session, actor, lead, request, matches, account, owner)
    opportunity, opportunity_created = _opportunity(
        session, actor, lead, request, account, contact, owner
    )
    moved = _carry_activities(session, actor, lead, account, contact, opportunity)

    released_source, released_external_id = lead.source, lead.external_id
    leads.update(
        lead.id,
        {
            "status": "converted",
            "external_id": None,
            "source": None,
        },
        None,
    )
    session.execute(
        update(Lead)
        .where(Lead.id == lead.id)
        .values(
            converted_at=now,
            converted_account_id=account.id,
            converted_contact_id=contact.id,
            converted_opportunity_id=opportunity.id if opportunity else None,
        )
        .execution_options(synchronize_session=False)
    )
    session.expire(lead)
    session.add(
        LeadConversion(
            tenant_id=actor.tenant_id,
            lead_id=lead.id,
            account_id=account.id,
            contact_id=contact.id,
            opportunity_id=opportunity.id if opportunity else None,
            account_created=account_created,
            contact_created=contact_created,
            activities_moved=moved,
            released_source=released_source,
            released_external_id=released_external_id,
            converted_by_id=actor.user_id,
            converted_at=now,
        )
    )
    close_entry(session, actor, "leads", lead.id, "converted", now)
    session.flush()
    result = ConvertResult(
        lead_id=lead.id,
        account_id=account.id,
        contact_id=contact.id,
        opportunity_id=opportunity.id if opportunity else None,
        account_created=account_created,
        contact_created=contact_created,
        opportunity_created=opportunity_created,
        activities_moved=moved,
    )
    record_event(
        session,
        actor,
        "lead.convert",
        object_name="leads",
        record_id=lead.id,
        details=result.model_dump(mode="json"),
    )
    logger.info("lead converted", extra={"lead_id": str(lead.id)})
    return result


def _readable(session: Session, actor: Actor, model: Any, record_id: uuid.UUID) -> Any:
    return session.scalar(scope_select(actor, model, select(model)).where(model.id == record_id))


def _linked_match(
    session: Session,
    actor: Actor,
    matches: list[DuplicateMatch],
    object_name: str,
    model: Any,
    rules: tuple[str, ...],
    account_id: uuid.UUID | None = None,
) -> Any:
    """Return the existing record to link, or None; raise 409 for a match the actor cannot read."""
    candidates = [
        match for match in matches if match.matched_object == object_name and match.rule in rules
    ]
    candidates.sort(key=lambda match: (rules.index(match.rule), str(match.matched_id)))
    hidden: uuid.UUID | None = None
    for match in candidates:
        record = _readable(session, actor, model, match.matched_id)
        if record is None:
            hidden = hidden or match.matched_id
            continue
        if account_id is not None and record.account_id not in (None, account_id):
            continue
        return record
    if hidden is not None:
        raise Conflict("lead_convert_match_hidden", object=object_name, id=str(hidden))
    return None


def _account(
    session: Session,
    actor: Actor,
    lead: Lead,
    request: ConvertRequest,
    matches: list[DuplicateMatch],
    owner: uuid.UUID | None,
) -> tuple[Account, bool]:
    accounts = RecordService(session, actor, get_object("accounts"))
    if request.account_id is not None:
        return accounts.get(request.account_id), False
    found = _linked_match(session, actor, matches, "accounts", Account, _ACCOUNT_RULES)
    if found is not None:
        return found, False
    values = {
        "name": lead.company or lead.name,
        "province": lead.province,
        "city": lead.city,
        "owner_id": owner,
    }
    return accounts.create({key: value for key, value in values.items() if value is not None}), True


def _contact(
    session: Session,
    actor: Actor,
    lead: Lead,
    request: ConvertRequest,
    matches: list[DuplicateMatch],
    account: Account,
    owner: uuid.UUID | None,
) -> tuple[Contact, bool]:
    contacts = RecordService(session, actor, get_object("contacts"))
    if request.contact_id is not None:
        contact = contacts.get(request.contact_id)
        if contact.account_id not in (None, account.id):
            raise Conflict(
                "lead_convert_contact_elsewhere",
                id=str(contact.id),
                account=str(contact.account_id),
            )
    else:
        contact = _linked_match(
            session, actor, matches, "contacts", Contact, _CONTACT_RULES, account.id
        )
    if contact is not None:
        if contact.account_id is None:
            contacts.update(contact.id, {"account_id": account.id}, None)
        return contact, False
    values = {
        "name": lead.name,
        "account_id": account.id,
        "title": lead.title,
        "mobile": lead.mobile,
        "phone": lead.phone,
        "email": lead.email,
        "province": lead.province,
        "city": lead.city,
        "owner_id": owner,
    }
    return contacts.create({key: value for key, value in values.items() if value is not None}), True


def _opportunity(
    session: Session,
    actor: Actor,
    lead: Lead,
    request: ConvertRequest,
    account: Account,
    contact: Contact,
    owner: uuid.UUID | None,
) -> tuple[Opportunity | None, bool]:
    if not request.create_opportunity:
        return None, False
    existing = session.scalar(
        scope_select(actor, Opportunity, select(Opportunity)).where(Opportunity.lead_id == lead.id)
    )
    if existing is not None:
        return existing, False
    values: dict[str, Any] = {
        "name": request.opportunity_name or f"{account.name} - {lead.name}"[:200],
        "account_id": account.id,
        "contact_id": contact.id,
        "lead_id": lead.id,
        "product_id": lead.product_id,
        "amount": request.amount,
        "currency": request.currency,
        "stage": request.stage,
        "owner_id": owner,
    }
    opportunities = RecordService(session, actor, get_object("opportunities"))
    created = opportunities.create(
        {key: value for key, value in values.items() if value is not None}
    )
    return created, True


def _carry_activities(
    session: Session,
    actor: Actor,
    lead: Lead,
    account: Account,
    contact: Contact,
    opportunity: Opportunity | None,
) -> int:
    """Link the lead's activities to what it became; links already set are kept."""
    values: dict[str, Any] = {
        "account_id": func.coalesce(Activity.account_id, account.id),
        "contact_id": func.coalesce(Activity.contact_id, contact.id),
    }
    if opportunity is not None:
        values["opportunity_id"] = func.coalesce(Activity.opportunity_id, opportunity.id)
    result = session.execute(
        update(Activity)
        .where(
            Activity.tenant_id == actor.tenant_id,
            Activity.lead_id == lead.id,
            Activity.deleted_at.is_(None),
        )
        .values(**values, version=Activity.version + 1)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def conversion_of(session: Session, actor: Actor, lead_id: uuid.UUID) -> LeadConversion:
    RecordService(session, actor, get_object("leads")).get(lead_id)
    conversion = session.scalar(
        select(LeadConversion).where(
            LeadConversion.tenant_id == actor.tenant_id, LeadConversion.lead_id == lead_id
        )
    )
    if conversion is None:
        raise NotFound("lead_not_converted", id=str(lead_id))
    return conversion
