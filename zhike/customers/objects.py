"""Declarations of accounts and contacts for the generic record service."""

from __future__ import annotations

from zhike.ai.models.hooks import score_after_write
from zhike.customers.identity import link_after_write
from zhike.customers.models import Account, Contact
from zhike.customers.quality import quality_score_normalizer
from zhike.customers.schemas import (
    AccountCreate,
    AccountRead,
    AccountUpdate,
    ContactCreate,
    ContactRead,
    ContactUpdate,
)
from zhike.platform.normalize import (
    currency_fields,
    custom_fields,
    owner_reference,
    references,
    standardized_fields,
)
from zhike.platform.objects import ObjectSpec, register_object

ACCOUNTS = register_object(
    ObjectSpec(
        name="accounts",
        model=Account,
        create_schema=AccountCreate,
        update_schema=AccountUpdate,
        read_schema=AccountRead,
        search_fields=("name", "unified_social_credit_code"),
        filter_fields=(
            "owner_id",
            "industry",
            "province",
            "city",
            "district",
            "tier",
            "country",
            "is_churned",
            "created_at",
            "updated_at",
            "unified_social_credit_code",
            "external_id",
            "source",
            "employee_count",
            "annual_revenue",
            "parent_account_id",
            "quality_score",
        ),
        sort_fields=(
            "created_at",
            "updated_at",
            "name",
            "annual_revenue",
            "employee_count",
            "quality_score",
        ),
        normalizers=(
            standardized_fields(
                phones=("phone",),
                emails=("email",),
                credit_codes=("unified_social_credit_code",),
                texts=("name", "industry", "province", "city", "district", "address"),
            ),
            currency_fields("currency"),
            owner_reference(),
            references(parent_account_id=Account),
            custom_fields("accounts"),
            # Last, so it scores the values as they will be stored.
            quality_score_normalizer("accounts"),
        ),
        after_write=(link_after_write, score_after_write),
    )
)

CONTACTS = register_object(
    ObjectSpec(
        name="contacts",
        model=Contact,
        create_schema=ContactCreate,
        update_schema=ContactUpdate,
        read_schema=ContactRead,
        search_fields=("name", "mobile", "email"),
        filter_fields=(
            "owner_id",
            "account_id",
            "province",
            "city",
            "gender",
            "title",
            "department",
            "mobile",
            "email",
            "created_at",
            "updated_at",
            "external_id",
            "source",
            "do_not_contact",
            "country",
            "quality_score",
        ),
        sort_fields=("created_at", "updated_at", "name", "quality_score"),
        normalizers=(
            standardized_fields(
                phones=("phone",),
                mobiles=("mobile",),
                emails=("email",),
                id_numbers=("id_number",),
                texts=("name", "title", "department", "province", "city", "address"),
            ),
            owner_reference(),
            references(account_id=Account),
            custom_fields("contacts"),
            quality_score_normalizer("contacts"),
        ),
        after_write=(link_after_write, score_after_write),
    )
)
