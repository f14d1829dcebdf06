"""Declarations of products, leads, opportunities and activities for the generic record service."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhike.ai.models.hooks import score_after_write
from zhike.core.errors import ValidationFailed
from zhike.core.timeutil import utc_now
from zhike.customers.identity import link_after_write
from zhike.customers.models import Account, Contact
from zhike.customers.quality import quality_score_normalizer
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
from zhike.sales.duplicates import record_lead_duplicates
from zhike.sales.models import (
    ACTIVITY_KINDS,
    ACTIVITY_STATUSES,
    LEAD_STATUSES,
    Activity,
    Lead,
    Opportunity,
    Product,
)
from zhike.sales.opportunities import normalize_stage, record_stage_change
from zhike.sales.process import enforce_stage_rules
from zhike.sales.schemas import (
    ActivityCreate,
    ActivityRead,
    ActivityUpdate,
    LeadCreate,
    LeadRead,
    LeadUpdate,
    OpportunityCreate,
    OpportunityRead,
    OpportunityUpdate,
    ProductCreate,
    ProductRead,
    ProductUpdate,
)
from zhike.security.context import Actor
from zhike.service.models import Ticket

COMMON_FILTERS = ("created_at", "updated_at", "external_id", "source")

PRODUCTS = register_object(
    ObjectSpec(
        name="products",
        model=Product,
        create_schema=ProductCreate,
        update_schema=ProductUpdate,
        read_schema=ProductRead,
        search_fields=("name", "code", "series"),
        filter_fields=("code", "series", "is_active", "currency", "list_price", *COMMON_FILTERS),
        sort_fields=("created_at", "updated_at", "name", "code", "list_price"),
        normalizers=(
            required_fields("name", "is_active"),
            standardized_fields(texts=("name", "code", "series")),
            money_fields(("list_price", "currency")),
            custom_fields("products"),
        ),
    )
)

LEADS = register_object(
    ObjectSpec(
        name="leads",
        model=Lead,
        create_schema=LeadCreate,
        update_schema=LeadUpdate,
        read_schema=LeadRead,
        search_fields=("name", "company", "mobile", "email"),
        choice_fields={"status": LEAD_STATUSES},
        filter_fields=(
            "owner_id",
            "status",
            "lead_source",
            "product_id",
            "company",
            "province",
            "city",
            "mobile",
            "email",
            "first_contact_at",
            "quality_score",
            *COMMON_FILTERS,
        ),
        sort_fields=(
            "created_at",
            "updated_at",
            "name",
            "company",
            "status",
            "first_contact_at",
            "quality_score",
        ),
        normalizers=(
            required_fields("name", "status"),
            utc_times("first_contact_at"),
            standardized_fields(
                phones=("phone",),
                mobiles=("mobile",),
                emails=("email",),
                texts=("name", "company", "title", "province", "city", "lead_source"),
            ),
            choices(status=LEAD_STATUSES),
            owner_reference(),
            references(product_id=Product),
            custom_fields("leads"),
            quality_score_normalizer("leads"),
        ),
        after_write=(link_after_write, score_after_write, record_lead_duplicates),
    )
)

OPPORTUNITIES = register_object(
    ObjectSpec(
        name="opportunities",
        model=Opportunity,
        create_schema=OpportunityCreate,
        update_schema=OpportunityUpdate,
        read_schema=OpportunityRead,
        search_fields=("name",),
        filter_fields=(
            "owner_id",
            "account_id",
            "contact_id",
            "product_id",
            "lead_id",
            "stage_id",
            "currency",
            "amount",
            "probability",
            "expected_close_date",
            "closed_on",
            *COMMON_FILTERS,
        ),
        sort_fields=(
            "created_at",
            "updated_at",
            "name",
            "amount",
            "probability",
            "expected_close_date",
            "closed_on",
        ),
        normalizers=(
            required_fields("name"),
            standardized_fields(texts=("name",)),
            money_fields(("amount", "currency")),
            owner_reference(),
            references(account_id=Account, contact_id=Contact, product_id=Product, lead_id=Lead),
            # Before normalize_stage, so a process's stage probability can fill an empty one.
            enforce_stage_rules,
            normalize_stage,
            custom_fields("opportunities"),
        ),
        after_write=(record_stage_change, score_after_write),
    )
)


def activity_rules(
    session: Session, actor: Actor, values: dict[str, Any], record: Any
) -> dict[str, Any]:
    """Apply activity rules: only tasks have a due time, and only a new task starts open."""
    kind = values.get("kind") or (record.kind if record is not None else None)
    if values.get("due_at") is not None and kind != "task":
        raise ValidationFailed(
            [field_error(actor, "due_at", values["due_at"], "due_only_for_tasks")]
        )
    if record is None and values.get("status") is None:
        values["status"] = "open" if kind == "task" else "done"
    if record is None and values.get("occurred_at") is None:
        values["occurred_at"] = utc_now()
    status_changed = "status" in values and (record is None or record.status != values["status"])
    if status_changed and "completed_at" not in values:
        values["completed_at"] = (
            utc_now() if values["status"] == "done" and kind == "task" else None
        )
    return values


ACTIVITIES = register_object(
    ObjectSpec(
        name="activities",
        model=Activity,
        create_schema=ActivityCreate,
        update_schema=ActivityUpdate,
        read_schema=ActivityRead,
        search_fields=("subject",),
        choice_fields={"kind": ACTIVITY_KINDS, "status": ACTIVITY_STATUSES},
        filter_fields=(
            "kind",
            "status",
            "owner_id",
            "account_id",
            "contact_id",
            "lead_id",
            "opportunity_id",
            "ticket_id",
            "occurred_at",
            "due_at",
            "completed_at",
            *COMMON_FILTERS,
        ),
        sort_fields=(
            "occurred_at",
            "due_at",
            "completed_at",
            "created_at",
            "updated_at",
            "subject",
        ),
        default_sort="-occurred_at",
        normalizers=(
            required_fields("kind", "subject", "status", "occurred_at"),
            utc_times("occurred_at", "due_at", "completed_at"),
            choices(kind=ACTIVITY_KINDS, status=ACTIVITY_STATUSES),
            activity_rules,
            owner_reference(),
            references(
                account_id=Account,
                contact_id=Contact,
                lead_id=Lead,
                opportunity_id=Opportunity,
                ticket_id=Ticket,
            ),
            custom_fields("activities"),
        ),
    )
)
