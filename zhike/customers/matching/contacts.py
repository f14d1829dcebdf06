"""The matching specification for people in the CRM: contacts and leads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zhike.customers.matching.chinese import (
    company_key,
    email_key,
    mobile_key,
    person_name_key,
    to_simplified,
)
from zhike.customers.matching.comparators import (
    edit_comparison,
    exact_comparison,
    similarity_comparison,
)
from zhike.customers.matching.engine import MatchSpec, Record
from zhike.ingestion.standardize import clean_text

MATCH_FIELDS = ("name", "mobile", "email", "company", "city")


def match_record(values: Mapping[str, Any]) -> Record:
    """Build one person's matching keys from name, mobile, email, company and city."""
    city = values.get("city")
    return {
        "name": person_name_key(values.get("name")),
        "mobile": mobile_key(values.get("mobile")),
        "email": email_key(values.get("email")),
        "company": company_key(values.get("company")),
        "city": to_simplified(clean_text(city)).removesuffix("市") if city else None,
    }


def _prefix(field: str, width: int, other: str | None = None, other_width: int = 1) -> Any:
    def key(record: Record) -> str | None:
        value = record.get(field)
        if not value:
            return None
        if other is None:
            return f"{field}:{value[:width]}"
        second = record.get(other)
        return f"{field}:{value[:width]}|{second[:other_width]}" if second else None

    return key


CONTACT_SPEC = MatchSpec(
    comparisons=(
        similarity_comparison("name", (0.9, 0.7)),
        edit_comparison("mobile"),
        similarity_comparison("email", (0.9,)),
        similarity_comparison("company", (0.9, 0.8)),
        exact_comparison("city"),
    ),
    blocking_keys=(
        _prefix("name", 64),
        _prefix("company", 4, "name", 1),
        _prefix("mobile", 10, "name", 1),
    ),
    strong_identifiers=("mobile", "email"),
)
