"""Duplicate checks for new leads against existing leads, contacts and accounts.

Every capture path (record API, web forms, channels, imports) ends here, so a
duplicate is flagged in ``lead_duplicates`` and linked to what it matches; the
new lead itself is always kept. Matching uses the customer-data keys of
``customers.matching.chinese``: mobile and email are stored already normalised
(E.164, lower case) and compared exactly; people also match on name plus
company key, and accounts on the company key of the lead's company.

Converted leads are left out of the lead comparison: the person then lives on
as a contact, and the new lead is linked to that contact instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now
from zhike.customers.matching.chinese import company_key, person_name_key
from zhike.customers.models import Account, Contact
from zhike.sales.models import Lead
from zhike.sales.pool_models import LeadDuplicate
from zhike.security.context import Actor

# Company keys shorter than this ("abc", "华为") match too many unrelated names by substring.
MIN_COMPANY_KEY_LENGTH = 4
# Account names are compared by substring in SQL, with this many keys per query.
COMPANY_KEYS_PER_QUERY = 50
_MATCH_FIELDS = ("name", "company", "mobile", "phone", "email")


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    lead_id: uuid.UUID
    matched_object: str
    matched_id: uuid.UUID
    rule: str


def find_duplicates(
    session: Session, tenant_id: uuid.UUID, leads: Sequence[dict[str, Any]]
) -> list[DuplicateMatch]:
    """Return what each of ``leads`` (dicts with ``id`` and the match fields) duplicates.

    A lead earlier in ``leads`` counts as existing for the later ones, so two
    rows of the same import that name one person are linked too.
    """
    if not leads:
        return []
    ids = {row["id"] for row in leads}
    found: dict[tuple[uuid.UUID, str, uuid.UUID], str] = {}

    def add(lead_id: uuid.UUID, object_name: str, matched_id: uuid.UUID, rule: str) -> None:
        if object_name == "leads" and matched_id == lead_id:
            return
        found.setdefault((lead_id, object_name, matched_id), rule)

    for field in ("mobile", "email"):
        values = {row[field] for row in leads if row.get(field)}
        if not values:
            continue
        for object_name, model in (("leads", Lead), ("contacts", Contact)):
            _match_values(session, tenant_id, leads, ids, field, values, object_name, model, add)
        accounts = session.execute(
            select(Account.id, getattr(Account, "phone" if field == "mobile" else "email")).where(
                Account.tenant_id == tenant_id,
                Account.deleted_at.is_(None),
                getattr(Account, "phone" if field == "mobile" else "email").in_(values),
            )
        ).all()
        by_value: dict[str, list[uuid.UUID]] = {}
        for account_id, value in accounts:
            by_value.setdefault(value, []).append(account_id)
        for row in leads:
            for account_id in by_value.get(row.get(field) or "", ()):
                add(row["id"], "accounts", account_id, field)

    _match_companies(session, tenant_id, leads, add)
    _match_within_batch(leads, add)
    return [DuplicateMatch(key[0], key[1], key[2], rule) for key, rule in found.items()]


def _match_values(
    session: Session,
    tenant_id: uuid.UUID,
    leads: Sequence[dict[str, Any]],
    batch_ids: set[uuid.UUID],
    field: str,
    values: set[str],
    object_name: str,
    model: Any,
    add: Any,
) -> None:
    column = getattr(model, field)
    statement = select(model.id, column).where(
        model.tenant_id == tenant_id, model.deleted_at.is_(None), column.in_(values)
    )
    if model is Lead:
        statement = statement.where(Lead.status != "converted", Lead.id.not_in(batch_ids))
    by_value: dict[str, list[uuid.UUID]] = {}
    for record_id, value in session.execute(statement):
        by_value.setdefault(value, []).append(record_id)
    for row in leads:
        for record_id in by_value.get(row.get(field) or "", ()):
            add(row["id"], object_name, record_id, field)


def _match_companies(
    session: Session, tenant_id: uuid.UUID, leads: Sequence[dict[str, Any]], add: Any
) -> None:
    """Match leads to accounts by company key, and to contacts of those accounts by name."""
    keys: dict[str, list[dict[str, Any]]] = {}
    for row in leads:
        key = company_key(row.get("company"))
        if key and len(key) >= MIN_COMPANY_KEY_LENGTH:
            keys.setdefault(key, []).append(row)
    names = list(keys)
    for start in range(0, len(names), COMPANY_KEYS_PER_QUERY):
        chunk = names[start : start + COMPANY_KEYS_PER_QUERY]
        lowered = func.lower(Account.name)
        candidates = session.execute(
            select(Account.id, Account.name).where(
                Account.tenant_id == tenant_id,
                Account.deleted_at.is_(None),
                or_(*(lowered.contains(key, autoescape=True) for key in chunk)),
            )
        ).all()
        matched: dict[str, list[uuid.UUID]] = {}
        for account_id, name in candidates:
            key = company_key(name)
            if key in keys:
                matched.setdefault(key, []).append(account_id)
        account_ids = [account_id for found in matched.values() for account_id in found]
        contacts_by_account: dict[uuid.UUID, list[tuple[uuid.UUID, str | None]]] = {}
        if account_ids:
            for contact_id, contact_account, name in session.execute(
                select(Contact.id, Contact.account_id, Contact.name).where(
                    Contact.tenant_id == tenant_id,
                    Contact.deleted_at.is_(None),
                    Contact.account_id.in_(account_ids),
                )
            ):
                if contact_account is None:
                    continue
                contacts_by_account.setdefault(contact_account, []).append(
                    (contact_id, person_name_key(name))
                )
        for key, found in matched.items():
            for row in keys[key]:
                person = person_name_key(row.get("name"))
                for account_id in found:
                    add(row["id"], "accounts", account_id, "company")
                    for contact_id, contact_name in contacts_by_account.get(account_id, ()):
                        if person and contact_name == person:
                            add(row["id"], "contacts", contact_id, "name_company")


def _match_within_batch(leads: Sequence[dict[str, Any]], add: Any) -> None:
    seen: dict[tuple[str, str], uuid.UUID] = {}
    for row in leads:
        person = person_name_key(row.get("name"))
        company = company_key(row.get("company"))
        keys = [(field, row[field]) for field in ("mobile", "email") if row.get(field)]
        if person and company:
            keys.append(("name_company", f"{person}|{company}"))
        for key in keys:
            earlier = seen.get(key)
            if earlier is None:
                seen[key] = row["id"]
            else:
                add(row["id"], "leads", earlier, key[0])


def store_duplicates(
    session: Session, tenant_id: uuid.UUID, matches: Iterable[DuplicateMatch], channel: str | None
) -> int:
    """Insert the links not stored yet; return how many were added."""
    rows = list(matches)
    if not rows:
        return 0
    existing = set(
        session.execute(
            select(LeadDuplicate.lead_id, LeadDuplicate.matched_object, LeadDuplicate.matched_id)
            .where(LeadDuplicate.tenant_id == tenant_id)
            .where(LeadDuplicate.lead_id.in_({match.lead_id for match in rows}))
        ).all()
    )
    now = utc_now()
    values = [
        {
            "id": new_id(),
            "tenant_id": tenant_id,
            "lead_id": match.lead_id,
            "matched_object": match.matched_object,
            "matched_id": match.matched_id,
            "rule": match.rule,
            "channel": channel,
            "status": "open",
            "detected_at": now,
        }
        for match in rows
        if (match.lead_id, match.matched_object, match.matched_id) not in existing
    ]
    if values:
        session.execute(insert(LeadDuplicate), values)
    return len(values)


def lead_match_values(record: Any) -> dict[str, Any]:
    return {"id": record.id, **{name: getattr(record, name) for name in _MATCH_FIELDS}}


def record_lead_duplicates(
    session: Session,
    actor: Actor,
    record: Any,
    values: dict[str, Any],
    previous: dict[str, Any] | None,
) -> None:
    """After a lead is created, or its contact details change, flag what it duplicates."""
    if previous is not None and not any(
        name in values and values[name] != previous.get(name) for name in _MATCH_FIELDS
    ):
        return
    channel = actor.cache.get("capture_channel") or ("api" if actor.user_id else "system")
    matches = find_duplicates(session, actor.tenant_id, [lead_match_values(record)])
    store_duplicates(session, actor.tenant_id, matches, channel)


def record_imported_lead_duplicates(
    session: Session,
    actor: Actor,
    created: list[dict[str, Any]],
    updated: list[tuple[dict[str, Any], Any]],
) -> None:
    """Flag duplicates of a whole import batch with a few set-based queries."""
    rows = [{name: row.get(name) for name in ("id", *_MATCH_FIELDS)} for row in created]
    for values, stored in updated:
        if any(name in values for name in _MATCH_FIELDS):
            merged = {name: getattr(stored, name, None) for name in _MATCH_FIELDS}
            merged.update({name: values[name] for name in _MATCH_FIELDS if name in values})
            rows.append({"id": values["id"], **merged})
    store_duplicates(
        session, actor.tenant_id, find_duplicates(session, actor.tenant_id, rows), "import"
    )
