"""Features of one record as a plain dict, for real-time scoring without pandas.

Each builder mirrors its batch counterpart in ``features`` value for value (the
tests compare the two paths' scores); it reads the record already in the
session and runs one small query per kind of related event.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.ai.models.features import CUSTOM_FIELD_LIMIT, LEAD_OUTCOME_DAYS
from zhike.ai.models.templates import Template
from zhike.customers.models import Account
from zhike.marketing.models import CampaignMember
from zhike.sales.models import Activity, Lead, Opportunity, PipelineStage, Product
from zhike.service.models import Ticket

ACTIVITY_KINDS = ("call", "meeting", "visit", "email")

RecordBuilder = Callable[[Session, uuid.UUID, Template, Any, datetime], dict[str, Any]]
DetailsBuilder = Callable[[Session, dict[str, Any], Any, date], dict[str, Any]]


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _flag(value: Any) -> float:
    return 0.0 if value is None or str(value).strip() == "" else 1.0


def behaviour(
    events: Iterable[tuple[str | None, datetime | None]],
    reference: datetime,
    windows: tuple[int, ...],
    prefix: str,
    kinds: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Counts per window and per kind, and days since the last event, up to ``reference``."""
    ages: list[tuple[float, str | None]] = []
    for kind, at in events:
        moment = _utc(at)
        if moment is None or moment > reference:
            continue
        ages.append(((reference - moment).total_seconds() / 86400.0, kind))
    values: dict[str, Any] = {}
    for days in windows:
        values[f"{prefix}_{days}d"] = float(sum(1 for age, _ in ages if age <= days))
    for kind_name in kinds:
        values[f"{kind_name}_count"] = float(sum(1 for _, kind in ages if kind == kind_name))
    values[f"days_since_last_{prefix.removesuffix('s')}"] = (
        min(age for age, _ in ages) if ages else math.nan
    )
    return values


def custom_values(custom: Any, excluded: tuple[str, ...], prefix: str = "") -> dict[str, Any]:
    """Scalar custom field values, as the batch builder takes them."""
    if not isinstance(custom, dict):
        return {}
    values: dict[str, Any] = {}
    for name, value in custom.items():
        if name in excluded or str(name).startswith("_") or isinstance(value, dict | list):
            continue
        if len(values) == CUSTOM_FIELD_LIMIT:
            break
        values[f"{prefix}{name}"] = value
    return values


def _activity_values(
    session: Session, tenant_id: uuid.UUID, key: str, record_id: uuid.UUID, reference: datetime
) -> dict[str, Any]:
    column = getattr(Activity, key)
    rows = session.execute(
        select(Activity.kind, Activity.occurred_at).where(
            Activity.tenant_id == tenant_id, Activity.deleted_at.is_(None), column == record_id
        )
    ).all()
    return behaviour(
        ((kind, at) for kind, at in rows), reference, (30, 90), "activities", ACTIVITY_KINDS
    )


def lead_values(
    session: Session, tenant_id: uuid.UUID, template: Template, lead: Lead, now: datetime
) -> dict[str, Any]:
    first = _utc(lead.first_contact_at) or _utc(lead.created_at) or now
    is_converted = lead.status == "converted" or lead.converted_at is not None
    age_days = (now - first).total_seconds() / 86400.0
    decided = is_converted or lead.status == "disqualified" or age_days >= LEAD_OUTCOME_DAYS
    reference = first + timedelta(days=30) if decided else now
    values: dict[str, Any] = {
        "lead_source": lead.lead_source,
        "province": lead.province,
        "has_mobile": _flag(lead.mobile),
        "has_email": _flag(lead.email),
        "has_company": _flag(lead.company),
        "has_title": _flag(lead.title),
        "first_contact_month": float(first.month),
        "first_contact_weekday": float(first.weekday()),
    }
    values.update(_activity_values(session, tenant_id, "lead_id", lead.id, reference))
    touches = session.execute(
        select(CampaignMember.touched_at, CampaignMember.has_responded).where(
            CampaignMember.tenant_id == tenant_id,
            CampaignMember.deleted_at.is_(None),
            CampaignMember.lead_id == lead.id,
            CampaignMember.touched_at.is_not(None),
        )
    ).all()
    before = [bool(responded) for at, responded in touches if (_utc(at) or reference) < reference]
    values["campaign_touches"] = float(len(before))
    values["campaign_responses"] = float(sum(before))
    values.update(custom_values(lead.custom, template.excluded_fields))
    return values


def account_values(
    session: Session, tenant_id: uuid.UUID, template: Template, account: Account, now: datetime
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "industry": account.industry,
        "tier": account.tier,
        "province": account.province,
        "employee_count": _number(account.employee_count),
        "annual_revenue": _number(account.annual_revenue),
        "founded_year": _number(account.founded_year),
    }
    values.update(_activity_values(session, tenant_id, "account_id", account.id, now))
    tickets = session.execute(
        select(Ticket.priority, Ticket.opened_at).where(
            Ticket.tenant_id == tenant_id,
            Ticket.deleted_at.is_(None),
            Ticket.account_id == account.id,
            Ticket.opened_at.is_not(None),
        )
    ).all()
    values.update(
        behaviour(((kind, at) for kind, at in tickets), now, (90,), "tickets", ("urgent",))
    )
    values.update(custom_values(account.custom, template.excluded_fields))
    return values


def opportunity_values(
    session: Session,
    tenant_id: uuid.UUID,
    template: Template,
    opportunity: Opportunity,
    now: datetime,
) -> dict[str, Any]:
    """Build the features of one opportunity, plus ``stage_position`` for the cold-start rules."""
    stage = session.get(PipelineStage, opportunity.stage_id)
    account = session.get(Account, opportunity.account_id) if opportunity.account_id else None
    product = session.get(Product, opportunity.product_id) if opportunity.product_id else None
    reference = now
    if stage is not None and (stage.is_won or stage.is_lost):
        closed = _midnight(opportunity.closed_on)
        reference = closed or _utc(opportunity.updated_at) or now
    engaged = _midnight(opportunity.engaged_on)
    values: dict[str, Any] = {
        "owner": None if opportunity.owner_id is None else str(opportunity.owner_id),
        "product": None if opportunity.product_id is None else str(opportunity.product_id),
        "product_series": product.series if product is not None else None,
        "industry": account.industry if account is not None else None,
        "country": account.country if account is not None else None,
        "has_account": 0.0 if opportunity.account_id is None else 1.0,
        "employee_count": _number(account.employee_count if account is not None else None),
        "annual_revenue": _number(account.annual_revenue if account is not None else None),
        "list_price": _number(product.list_price if product is not None else None),
        "engaged_month": math.nan if engaged is None else float(engaged.month),
        "engaged_quarter": math.nan if engaged is None else float((engaged.month - 1) // 3 + 1),
    }
    values.update(_activity_values(session, tenant_id, "opportunity_id", opportunity.id, reference))
    # The stage is the outcome itself for decided deals, so no model input reads it.
    values["stage_position"] = math.nan if stage is None else float(stage.position)
    return values


def expected_close_date(
    profile: dict[str, Any], engaged: date | None, owner: str | None, today: date
) -> date:
    """Add the owner's typical won cycle (else everyone's) to the engagement, never before today."""
    close_duration = profile.get("close_duration") or {}
    overall = float(close_duration.get("overall_days", 90.0))
    per_owner: dict[str, float] = close_duration.get("per_owner_days", {})
    days = per_owner.get(str(owner), overall)
    start = engaged if engaged is not None else today
    return max(start + timedelta(days=round(days)), today)


def opportunity_details(
    session: Session, profile: dict[str, Any], opportunity: Opportunity, today: date
) -> dict[str, Any]:
    """Return the expected close date of an open opportunity, or nothing for a won or lost one."""
    stage = session.get(PipelineStage, opportunity.stage_id)
    if stage is None or stage.is_won or stage.is_lost:
        return {}
    owner = None if opportunity.owner_id is None else str(opportunity.owner_id)
    expected = expected_close_date(profile, opportunity.engaged_on, owner, today)
    return {"expected_close_date": expected.isoformat()}


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0), tzinfo=UTC)


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


# Templates whose records have a single-record builder; the others use the batch builder.
RECORD_BUILDERS: dict[str, tuple[type[Any], RecordBuilder]] = {
    "lead_score": (Lead, lead_values),
    "win_probability": (Opportunity, opportunity_values),
    "churn_risk": (Account, account_values),
}

# Stored ``details`` of a score besides the probability, where a template has any.
RECORD_DETAILS: dict[str, DetailsBuilder] = {"win_probability": opportunity_details}
