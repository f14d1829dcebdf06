"""Declarations of campaigns and campaign members for the generic record service."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhike.core.errors import ValidationFailed
from zhike.core.timeutil import utc_now
from zhike.customers.models import Contact

# Registers the listener that notes contact, lead and account changes for segments.
from zhike.marketing import engagement as _engagement  # noqa: F401
from zhike.marketing.models import CAMPAIGN_STATUSES, MEMBER_STATUSES, Campaign, CampaignMember
from zhike.marketing.schemas import (
    CampaignCreate,
    CampaignMemberCreate,
    CampaignMemberRead,
    CampaignMemberUpdate,
    CampaignRead,
    CampaignUpdate,
)
from zhike.platform.normalize import (
    choices,
    custom_fields,
    field_error,
    money_fields,
    owner_reference,
    references,
    required_fields,
    standardized_fields,
    utc_times,
)
from zhike.platform.objects import ObjectSpec, register_object
from zhike.sales.models import Lead
from zhike.security.context import Actor

RESPONDED_STATUSES = ("responded", "converted")


def _current(name: str, values: dict[str, Any], record: Any) -> Any:
    if name in values:
        return values[name]
    return getattr(record, name) if record is not None else None


def campaign_dates(
    session: Session, actor: Actor, values: dict[str, Any], record: Any
) -> dict[str, Any]:
    starts_on = _current("starts_on", values, record)
    ends_on = _current("ends_on", values, record)
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise ValidationFailed(
            [field_error(actor, "ends_on", ends_on, "end_before_start", start=starts_on)]
        )
    return values


def member_rules(
    session: Session, actor: Actor, values: dict[str, Any], record: Any
) -> dict[str, Any]:
    """Check that a touch names a contact or a lead, and mark a responding status as a response."""
    if (
        _current("contact_id", values, record) is None
        and _current("lead_id", values, record) is None
    ):
        raise ValidationFailed([field_error(actor, "contact_id", None, "member_needs_person")])
    if record is None and values.get("touched_at") is None:
        values["touched_at"] = utc_now()
    if values.get("status") in RESPONDED_STATUSES:
        values["has_responded"] = True
    elif "has_responded" in values and values["has_responded"] is None:
        values["has_responded"] = False if record is None else record.has_responded
    responded = _current("has_responded", values, record)
    if responded and _current("responded_at", values, record) is None:
        values["responded_at"] = utc_now()
    return values


CAMPAIGNS = register_object(
    ObjectSpec(
        name="campaigns",
        model=Campaign,
        create_schema=CampaignCreate,
        update_schema=CampaignUpdate,
        read_schema=CampaignRead,
        search_fields=("name", "channel"),
        choice_fields={"status": CAMPAIGN_STATUSES},
        filter_fields=(
            "owner_id",
            "status",
            "channel",
            "starts_on",
            "ends_on",
            "budget",
            "currency",
            "created_at",
            "updated_at",
            "external_id",
            "source",
        ),
        sort_fields=("created_at", "updated_at", "name", "starts_on", "ends_on", "budget"),
        normalizers=(
            required_fields("name", "status"),
            standardized_fields(texts=("name", "channel")),
            choices(status=CAMPAIGN_STATUSES),
            campaign_dates,
            money_fields(("budget", "currency")),
            owner_reference(),
            custom_fields("campaigns"),
        ),
    )
)

CAMPAIGN_MEMBERS = register_object(
    ObjectSpec(
        name="campaign_members",
        model=CampaignMember,
        create_schema=CampaignMemberCreate,
        update_schema=CampaignMemberUpdate,
        read_schema=CampaignMemberRead,
        # Members have no text of their own, so search matches their status and external id.
        search_fields=("status", "external_id"),
        choice_fields={"status": MEMBER_STATUSES},
        filter_fields=(
            "campaign_id",
            "contact_id",
            "lead_id",
            "status",
            "has_responded",
            "touched_at",
            "responded_at",
            "created_at",
            "updated_at",
            "external_id",
            "source",
        ),
        sort_fields=("touched_at", "responded_at", "created_at", "updated_at"),
        default_sort="-touched_at",
        normalizers=(
            required_fields("campaign_id", "status"),
            utc_times("touched_at", "responded_at"),
            choices(status=MEMBER_STATUSES),
            member_rules,
            references(campaign_id=Campaign, contact_id=Contact, lead_id=Lead),
            custom_fields("campaign_members"),
        ),
    )
)
