"""Matching values, identifiers and blocking keys: what identity resolution reads from a record.

These are pure functions over plain values, shared by the write path, the batch
re-clustering and the benchmarks, so all three link records by the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zhike.customers.matching.accounts import ACCOUNT_SPEC, account_match_record
from zhike.customers.matching.chinese import email_key, mobile_key
from zhike.customers.matching.contacts import CONTACT_SPEC, match_record
from zhike.customers.matching.engine import MatchSpec, Record
from zhike.ingestion.standardize import clean_text

PERSON = "person"
COMPANY = "company"
LINKED_OBJECTS = ("contacts", "leads", "accounts")
CUSTOMER_KIND = {"contacts": PERSON, "leads": PERSON, "accounts": COMPANY}
# The identifier kinds that decide a link on their own, without probabilistic scoring.
STRONG_KINDS = {PERSON: ("email", "mobile", "external_id"), COMPANY: ("credit_code", "external_id")}
# The record columns each object's matching and identifiers read.
MATCH_COLUMNS = {
    "contacts": ("name", "mobile", "phone", "email", "city", "account_id"),
    "leads": ("name", "mobile", "phone", "email", "city", "company"),
    "accounts": ("name", "unified_social_credit_code", "phone", "email", "city"),
}
IDENTIFIER_MAX_LENGTH = 300
_E164 = re.compile(r"\+[1-9]\d{6,14}(;ext=\d+)?")


@dataclass(frozen=True)
class Identifier:
    kind: str
    value: str
    external_source: str | None = None


def match_spec(customer_kind: str) -> MatchSpec:
    return CONTACT_SPEC if customer_kind == PERSON else ACCOUNT_SPEC


def matching_values(object_name: str, values: Mapping[str, Any]) -> Record:
    """Build a record's normalised matching values; a contact's ``company`` is its account."""
    if object_name == "accounts":
        return account_match_record(values)
    return match_record(values)


def identifiers(object_name: str, values: Mapping[str, Any], matching: Record) -> list[Identifier]:
    """List the identifiers a record carries, strong ones first, with normalised values."""
    found: list[Identifier] = []
    if object_name == "accounts":
        if matching.get("credit_code"):
            found.append(Identifier("credit_code", str(matching["credit_code"])))
    else:
        if matching.get("email"):
            found.append(Identifier("email", str(matching["email"])))
        if matching.get("mobile"):
            found.append(Identifier("mobile", str(matching["mobile"])))
    external_id, source = values.get("external_id"), values.get("source")
    if external_id:
        # An external id names a record only within the system that issued it.
        system = clean_text(str(source)) if source else ""
        value = f"{system}:{clean_text(str(external_id))}"[:IDENTIFIER_MAX_LENGTH]
        found.append(Identifier("external_id", value, system or None))
    if object_name == "accounts" and matching.get("email"):
        found.append(Identifier("email", str(matching["email"])))
    phone = phone_key(values.get("phone"))
    if phone:
        found.append(Identifier("phone", phone))
    return found


def phone_key(value: Any) -> str | None:
    """Return a phone number in E.164. Stored phones already are, so the slow parse is skipped."""
    if not value:
        return None
    text = str(value)
    if _E164.fullmatch(text):
        return text
    return mobile_key(text)


def strong_identifiers(customer_kind: str, found: list[Identifier]) -> list[Identifier]:
    strong = STRONG_KINDS[customer_kind]
    shared = match_spec(customer_kind).shared_identifier
    return [
        identifier
        for identifier in found
        if identifier.kind in strong
        and not (shared is not None and shared(identifier.kind, identifier.value))
    ]


def blocking_keys(customer_kind: str, matching: Record) -> list[str]:
    """List the record's blocking keys under its kind's match spec, without repeats."""
    keys: list[str] = []
    for key in match_spec(customer_kind).blocking_keys:
        value = key(matching)
        if value and value not in keys:
            keys.append(value[:IDENTIFIER_MAX_LENGTH])
    return keys


def search_keys(text: str) -> tuple[str | None, str | None]:
    """Return the normalised email and mobile a search text may be, or None for each."""
    return email_key(text), mobile_key(text)
