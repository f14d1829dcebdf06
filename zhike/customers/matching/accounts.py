"""The matching specification for companies in the CRM: accounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zhike.customers.matching.chinese import company_key, email_key, mobile_key, to_simplified
from zhike.customers.matching.comparators import (
    edit_comparison,
    exact_comparison,
    similarity_comparison,
)
from zhike.customers.matching.engine import MatchSpec, Record
from zhike.ingestion.standardize import clean_text


def account_match_record(values: Mapping[str, Any]) -> Record:
    """Build one company's matching keys: name without legal form, credit code, phone, email."""
    city = values.get("city")
    code = values.get("unified_social_credit_code")
    return {
        "name": company_key(values.get("name")),
        "credit_code": clean_text(code).upper() if code else None,
        "phone": mobile_key(values.get("phone")),
        "email": email_key(values.get("email")),
        "city": to_simplified(clean_text(city)).removesuffix("市") if city else None,
    }


def _name_prefix(record: Record) -> str | None:
    name = record.get("name")
    return f"name:{name[:4]}" if name else None


ACCOUNT_SPEC = MatchSpec(
    comparisons=(
        similarity_comparison("name", (0.95, 0.85)),
        exact_comparison("credit_code"),
        edit_comparison("phone"),
        similarity_comparison("email", (0.9,)),
        exact_comparison("city"),
    ),
    blocking_keys=(_name_prefix,),
    # The unified social credit code names one legal entity in China.
    strong_identifiers=("credit_code",),
)
