"""Data classification of fields: the one map that masking, export and LLM routing read.

Built-in fields get a default classification here; a tenant's FieldDefinition
row for the same object and field name overrides it (custom fields only exist
as rows). Anything unlisted is ``internal``: it stays inside the company
unless a policy lets internal data out.
"""

from __future__ import annotations

import uuid
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.platform.models import CLASSIFICATIONS, FieldDefinition

PUBLIC: Final = "public"
INTERNAL: Final = "internal"
SENSITIVE: Final = "sensitive"
HIGHLY_SENSITIVE: Final = "highly_sensitive"

# Key of Tenant.settings holding the tenant's classification of built-in fields.
SETTINGS_KEY: Final = "field_classifications"

# Order of strictness, so that "the strictest classification involved" is a max().
RANK: Final[dict[str, int]] = {name: index for index, name in enumerate(CLASSIFICATIONS)}

DEFAULT_FIELD_CLASSIFICATIONS: Final[dict[str, dict[str, str]]] = {
    "contacts": {
        "name": SENSITIVE,
        "mobile": SENSITIVE,
        "phone": SENSITIVE,
        "email": SENSITIVE,
        "birth_date": SENSITIVE,
        "gender": SENSITIVE,
        "address": SENSITIVE,
        "id_number": HIGHLY_SENSITIVE,
        "title": INTERNAL,
        "department": INTERNAL,
        "city": INTERNAL,
        "province": INTERNAL,
        "country": PUBLIC,
        "description": INTERNAL,
    },
    "leads": {
        "name": SENSITIVE,
        "mobile": SENSITIVE,
        "phone": SENSITIVE,
        "email": SENSITIVE,
        "company": INTERNAL,
        "title": INTERNAL,
        "city": INTERNAL,
        "province": INTERNAL,
        "lead_source": INTERNAL,
        "status": INTERNAL,
    },
    "tickets": {
        "requester_name": SENSITIVE,
        "requester_email": SENSITIVE,
        "requester_phone": SENSITIVE,
    },
    "accounts": {
        "name": INTERNAL,
        "phone": SENSITIVE,
        "email": SENSITIVE,
        "address": SENSITIVE,
        "unified_social_credit_code": INTERNAL,
        "industry": PUBLIC,
        "website": PUBLIC,
        "country": PUBLIC,
        "province": PUBLIC,
        "city": PUBLIC,
        "district": PUBLIC,
        "annual_revenue": INTERNAL,
        "description": INTERNAL,
    },
}

# Categories of personal data found in free text, classified like the fields they mirror.
TEXT_CATEGORY_CLASSIFICATIONS: Final[dict[str, str]] = {
    "phone": SENSITIVE,
    "email": SENSITIVE,
    "address": SENSITIVE,
    "person": SENSITIVE,
    "company": INTERNAL,
    "id_number": HIGHLY_SENSITIVE,
    "bank_card": HIGHLY_SENSITIVE,
}


def default_classification(object_name: str, field_name: str) -> str:
    return DEFAULT_FIELD_CLASSIFICATIONS.get(object_name, {}).get(field_name, INTERNAL)


def load_classifications(session: Session, tenant_id: uuid.UUID) -> dict[tuple[str, str], str]:
    """Load the tenant's overrides: (object, field) to classification.

    Built-in fields are overridden in ``Tenant.settings[SETTINGS_KEY]``; custom
    fields carry their classification on their FieldDefinition row.
    """
    from zhike.security.models import Tenant

    tenant = session.get(Tenant, tenant_id)
    stored = (tenant.settings or {}).get(SETTINGS_KEY) if tenant is not None else None
    overrides: dict[tuple[str, str], str] = {}
    for key, value in (stored or {}).items():
        object_name, _, field_name = str(key).partition(".")
        if field_name and value in RANK:
            overrides[(object_name, field_name)] = value
    rows = session.execute(
        select(
            FieldDefinition.object_name, FieldDefinition.name, FieldDefinition.classification
        ).where(FieldDefinition.tenant_id == tenant_id, FieldDefinition.deleted_at.is_(None))
    ).all()
    overrides.update({(row[0], row[1]): row[2] for row in rows if row[2] in RANK})
    return overrides


def classify_field(
    object_name: str, field_name: str, overrides: dict[tuple[str, str], str] | None = None
) -> str:
    """Return the classification of one field: the tenant's override, else the built-in default."""
    if overrides and (object_name, field_name) in overrides:
        return overrides[(object_name, field_name)]
    return default_classification(object_name, field_name)


def strictest(classifications: list[str]) -> str:
    return max(classifications, key=lambda name: RANK.get(name, RANK[INTERNAL]), default=PUBLIC)
