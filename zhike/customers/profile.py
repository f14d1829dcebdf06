"""The 360° profile of a global customer and the search that finds one.

Everything here is read through the permission layer. A customer is visible
when the actor may read at least one live record linked to it. The profile is
built only from those records. Values are presented (hidden fields dropped,
sensitive ones masked) by the same code as the record endpoints, and identities
are masked like the record field they came from.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhike.ai.models.models import ModelScore
from zhike.core.errors import InvalidInput, NotFound
from zhike.customers.identity import model_for
from zhike.customers.identity_keys import LINKED_OBJECTS, search_keys
from zhike.customers.identity_models import CustomerIdentity, CustomerLink, GlobalCustomer
from zhike.customers.profile_schemas import (
    AttributeRead,
    CustomerProfile,
    CustomerSearchItem,
    CustomerSearchPage,
    IdentityRead,
    LinkedRecord,
    ProfileConsent,
    ProfileQuality,
    ProfileTimeline,
    ProfileTimelineItem,
    RecordQualityRead,
    ScoreRead,
    SourceSummary,
    TagRead,
)
from zhike.customers.timeline import Timeline
from zhike.marketing.automation_models import ConsentEntry, Segment, SegmentMember
from zhike.platform.objects import get_object
from zhike.platform.records import RecordService
from zhike.security.access import grant_for, scope_select
from zhike.security.context import Actor
from zhike.security.fields import present

TIMELINE_LIMIT = 50
MAX_SEARCH = 100
# The record field each identifier kind is masked and hidden like.
IDENTITY_FIELDS = {
    "email": "email",
    "mobile": "mobile",
    "phone": "phone",
    "credit_code": "unified_social_credit_code",
    "external_id": "external_id",
}
# Bookkeeping columns that are not attributes of the customer.
NOT_ATTRIBUTES = frozenset(
    {
        "id",
        "tenant_id",
        "version",
        "created_at",
        "updated_at",
        "deleted_at",
        "custom",
        "owner_id",
        "global_customer_id",
        "merged_into_id",
        "quality_score",
        "external_id",
        "source",
    }
)
# A merged customer is followed to the one its records moved to, at most this far.
MAX_MERGE_CHAIN = 5


class _Readable:
    """The linked records of one customer that the actor may read, presented."""

    def __init__(self, session: Session, actor: Actor, links: Iterable[CustomerLink]) -> None:
        self.records: dict[tuple[str, uuid.UUID], Any] = {}
        self.presented: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}
        by_object: dict[str, list[uuid.UUID]] = defaultdict(list)
        for link in links:
            by_object[link.object_name].append(link.record_id)
        for object_name, ids in by_object.items():
            grant = grant_for(actor, object_name)
            if grant is None or "read" not in grant.actions:
                continue
            model = model_for(object_name)
            service = RecordService(session, actor, get_object(object_name))
            statement = scope_select(actor, model, select(model)).where(model.id.in_(ids))
            for record in session.scalars(statement):
                key = (object_name, record.id)
                self.records[key] = record
                self.presented[key] = service.present(record)

    def ids(self, object_name: str) -> list[uuid.UUID]:
        return [record_id for name, record_id in self.records if name == object_name]


def _customer(session: Session, actor: Actor, global_id: uuid.UUID) -> GlobalCustomer:
    customer = session.scalars(
        select(GlobalCustomer).where(
            GlobalCustomer.tenant_id == actor.tenant_id, GlobalCustomer.id == global_id
        )
    ).first()
    if customer is None:
        raise NotFound("customer_not_found", id=str(global_id))
    return customer


def _links(session: Session, actor: Actor, global_id: uuid.UUID) -> list[CustomerLink]:
    return list(
        session.scalars(
            select(CustomerLink)
            .where(
                CustomerLink.tenant_id == actor.tenant_id,
                CustomerLink.global_customer_id == global_id,
            )
            .order_by(CustomerLink.linked_at, CustomerLink.id)
        )
    )


def _visible_target(session: Session, actor: Actor, customer: GlobalCustomer) -> bool:
    """Tell whether the customer a merged one moved into has a record the actor may read."""
    current = customer
    for _ in range(MAX_MERGE_CHAIN):
        if current.merged_into_id is None:
            break
        current = _customer(session, actor, current.merged_into_id)
        if current.status == "active":
            return bool(_Readable(session, actor, _links(session, actor, current.id)).records)
    return False


def get_profile(session: Session, actor: Actor, global_id: uuid.UUID) -> CustomerProfile:
    """Assemble the 360° profile of a customer from the records the actor may read."""
    customer = _customer(session, actor, global_id)
    links = _links(session, actor, global_id)
    readable = _Readable(session, actor, links)
    if not readable.records and not (
        customer.status == "merged" and _visible_target(session, actor, customer)
    ):
        # Unreadable and missing look the same, as for records.
        raise NotFound("customer_not_found", id=str(global_id))
    visible_links = [
        link for link in links if (link.object_name, link.record_id) in readable.records
    ]
    identities = _identities(session, actor, global_id, readable)
    return CustomerProfile(
        id=customer.id,
        kind=customer.kind,
        display_name=_display_name(customer, readable),
        status=customer.status,
        merged_into_id=customer.merged_into_id,
        created_at=customer.created_at,
        updated_at=customer.updated_at,
        records=[_linked_record(link, readable) for link in visible_links],
        identities=identities,
        sources=_sources(visible_links, identities),
        attributes=_attributes(visible_links, readable),
        timeline=_timeline(session, actor, readable),
        tags=_tags(session, actor, readable),
        scores=_scores(session, actor, readable),
        consent=_consent(session, actor, readable),
        quality=_quality(session, actor, readable),
    )


def _display_name(customer: GlobalCustomer, readable: _Readable) -> str | None:
    newest = sorted(readable.records.items(), key=lambda item: item[1].updated_at, reverse=True)
    for key, _record in newest:
        name = readable.presented[key].get("name")
        if name:
            return str(name)
    return customer.display_name


def _linked_record(link: CustomerLink, readable: _Readable) -> LinkedRecord:
    shown = readable.presented[(link.object_name, link.record_id)]
    return LinkedRecord(
        object_name=link.object_name,
        record_id=link.record_id,
        name=shown.get("name"),
        source=link.source,
        link_method=link.method,
        link_score=link.score,
        link_reasons=list(link.reasons),
        linked_at=link.linked_at,
    )


def _identities(
    session: Session, actor: Actor, global_id: uuid.UUID, readable: _Readable
) -> list[IdentityRead]:
    rows = session.scalars(
        select(CustomerIdentity)
        .where(
            CustomerIdentity.tenant_id == actor.tenant_id,
            CustomerIdentity.global_customer_id == global_id,
        )
        .order_by(CustomerIdentity.first_seen_at, CustomerIdentity.id)
    )
    found = []
    for row in rows:
        if (row.object_name, row.record_id) not in readable.records:
            continue
        field = IDENTITY_FIELDS.get(row.kind, row.kind)
        shown = present(session, actor, row.object_name, {field: row.value})
        if field not in shown:
            continue
        found.append(
            IdentityRead(
                id=row.id,
                source=row.source,
                object_name=row.object_name,
                record_id=row.record_id,
                kind=row.kind,
                value=shown[field],
                external_source=row.external_source,
                first_seen_at=row.first_seen_at,
                last_seen_at=row.last_seen_at,
            )
        )
    return found


def _sources(links: list[CustomerLink], identities: list[IdentityRead]) -> list[SourceSummary]:
    records: dict[str, int] = defaultdict(int)
    counted: dict[str, int] = defaultdict(int)
    for link in links:
        records[link.source] += 1
    for identity in identities:
        counted[identity.source] += 1
    return [
        SourceSummary(source=source, records=records[source], identities=counted[source])
        for source in sorted(set(records) | set(counted))
    ]


def _attributes(links: list[CustomerLink], readable: _Readable) -> list[AttributeRead]:
    """Pick each field's value from the newest readable record that has one; count disagreements."""
    ordered = sorted(
        links,
        key=lambda link: readable.records[(link.object_name, link.record_id)].updated_at,
        reverse=True,
    )
    chosen: dict[str, AttributeRead] = {}
    values: dict[str, set[str]] = defaultdict(set)
    for link in ordered:
        key = (link.object_name, link.record_id)
        record = readable.records[key]
        for name, value in readable.presented[key].items():
            if name in NOT_ATTRIBUTES or value in (None, "", [], {}):
                continue
            values[name].add(repr(value))
            if name not in chosen:
                chosen[name] = AttributeRead(
                    field=name,
                    value=value,
                    object_name=link.object_name,
                    record_id=link.record_id,
                    source=link.source,
                    updated_at=record.updated_at,
                    alternatives=0,
                )
    for name, attribute in chosen.items():
        attribute.alternatives = len(values[name]) - 1
    return [chosen[name] for name in sorted(chosen)]


def _timeline(session: Session, actor: Actor, readable: _Readable) -> ProfileTimeline:
    items: list[ProfileTimelineItem] = []
    for object_name in ("contacts", "accounts"):
        for record_id in readable.ids(object_name):
            page = Timeline(session, actor, object_name, record_id).page(TIMELINE_LIMIT, None)
            items.extend(
                ProfileTimelineItem(
                    kind=item.kind,
                    occurred_at=item.occurred_at,
                    id=item.id,
                    title=item.title,
                    record=item.record,
                    fields=item.fields,
                    subject_object=object_name,
                    subject_id=record_id,
                )
                for item in page.items
            )
    # An activity on both a contact and its account appears once.
    unique = {(item.kind, item.id): item for item in items}
    ordered = sorted(
        unique.values(), key=lambda item: (item.occurred_at, item.kind, item.id), reverse=True
    )
    return ProfileTimeline(items=ordered[:TIMELINE_LIMIT], next_cursor=None)


def _all_ids(readable: _Readable) -> list[uuid.UUID]:
    return [record_id for _, record_id in readable.records]


def _tags(session: Session, actor: Actor, readable: _Readable) -> list[TagRead]:
    grant = grant_for(actor, "segments")
    if grant is None or "read" not in grant.actions or not readable.records:
        return []
    objects = {record_id: name for name, record_id in readable.records}
    rows = session.execute(
        select(Segment.id, Segment.name, Segment.kind, SegmentMember.record_id)
        .join(SegmentMember, SegmentMember.segment_id == Segment.id)
        .where(
            Segment.tenant_id == actor.tenant_id,
            Segment.deleted_at.is_(None),
            SegmentMember.tenant_id == actor.tenant_id,
            SegmentMember.record_id.in_(_all_ids(readable)),
        )
        .order_by(Segment.name, SegmentMember.record_id)
    ).all()
    return [
        TagRead(
            segment_id=row.id,
            name=row.name,
            kind="static" if row.kind == "static" else "dynamic",
            object_name=objects[row.record_id],
            record_id=row.record_id,
        )
        for row in rows
    ]


def _scores(session: Session, actor: Actor, readable: _Readable) -> list[ScoreRead]:
    if not readable.records:
        return []
    rows = session.scalars(
        select(ModelScore)
        .where(
            ModelScore.tenant_id == actor.tenant_id,
            or_(
                *(
                    (ModelScore.object_name == name) & (ModelScore.record_id == record_id)
                    for name, record_id in readable.records
                )
            ),
        )
        .order_by(ModelScore.object_name, ModelScore.record_id, ModelScore.template)
    )
    return [
        ScoreRead(
            object_name=row.object_name,
            record_id=row.record_id,
            template=row.template,
            score=row.score,
            label=row.label,
            source=row.source,
            scored_at=row.scored_at,
        )
        for row in rows
    ]


def _consent(session: Session, actor: Actor, readable: _Readable) -> list[ProfileConsent]:
    grant = grant_for(actor, "consents")
    contact_ids = readable.ids("contacts")
    if grant is None or "read" not in grant.actions or not contact_ids:
        return []
    rows = session.execute(
        select(
            ConsentEntry.contact_id, ConsentEntry.channel, ConsentEntry.purpose, ConsentEntry.status
        )
        .where(ConsentEntry.tenant_id == actor.tenant_id, ConsentEntry.contact_id.in_(contact_ids))
        # Ids sort by creation, so the last line of each pair is the one in force.
        .order_by(ConsentEntry.id)
    ).all()
    current: dict[tuple[uuid.UUID, str, str], str] = {}
    for row in rows:
        current[(row.contact_id, row.channel, row.purpose)] = row.status
    return [
        ProfileConsent(contact_id=contact_id, channel=channel, purpose=purpose, status=status)
        for (contact_id, channel, purpose), status in sorted(
            current.items(), key=lambda item: (str(item[0][0]), item[0][1], item[0][2])
        )
    ]


def _quality(session: Session, actor: Actor, readable: _Readable) -> ProfileQuality | None:
    try:
        from zhike.customers.quality import record_quality
    except ImportError:
        return None
    records = []
    for object_name, record_id in readable.records:
        quality = record_quality(session, actor, object_name, record_id)
        records.append(
            RecordQualityRead(
                object_name=object_name,
                record_id=record_id,
                score=quality.score,
                issues=[issue.model_dump(mode="json") for issue in quality.issues],
            )
        )
    mean = round(sum(item.score for item in records) / len(records), 1) if records else None
    return ProfileQuality(score=mean, records=records)


def search_customers(
    session: Session, actor: Actor, text: str, limit: int = 20
) -> CustomerSearchPage:
    """Find customers by name (contains), email or mobile/phone (normalised, exact).

    Only readable records are searched, so a customer is found through what the
    actor may see of it.
    """
    text = text.strip()
    if not text:
        raise InvalidInput("customer_search_empty")
    limit = max(1, min(limit, MAX_SEARCH))
    email, mobile = search_keys(text)
    matched: dict[uuid.UUID, str] = {}
    for object_name in LINKED_OBJECTS:
        grant = grant_for(actor, object_name)
        if grant is None or "read" not in grant.actions:
            continue
        model = model_for(object_name)
        conditions: list[tuple[str, Any]] = []
        if email:
            conditions.append(("email", model.email == email))
        if mobile:
            if object_name != "accounts":
                conditions.append(("mobile", model.mobile == mobile))
            conditions.append(("phone", model.phone == mobile))
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(("name", model.name.like(pattern, escape="\\")))
        for matched_on, condition in conditions:
            statement = (
                scope_select(actor, model, select(model.global_customer_id))
                .where(condition, model.global_customer_id.is_not(None))
                .limit(limit)
            )
            for global_id in session.scalars(statement):
                matched.setdefault(global_id, matched_on)
    items = [
        _search_item(session, actor, global_id, matched_on)
        for global_id, matched_on in matched.items()
    ]
    ranking = {"email": 0, "mobile": 1, "phone": 2, "name": 3}
    items.sort(key=lambda item: (ranking[item.matched_on], item.display_name or "", item.id))
    return CustomerSearchPage(items=items[:limit])


def _search_item(
    session: Session, actor: Actor, global_id: uuid.UUID, matched_on: str
) -> CustomerSearchItem:
    customer = _customer(session, actor, global_id)
    links = _links(session, actor, global_id)
    readable = _Readable(session, actor, links)
    newest = sorted(readable.records.items(), key=lambda item: item[1].updated_at, reverse=True)
    email = next(
        (
            readable.presented[key].get("email")
            for key, _ in newest
            if readable.presented[key].get("email")
        ),
        None,
    )
    mobile = next(
        (
            readable.presented[key].get("mobile")
            for key, _ in newest
            if readable.presented[key].get("mobile")
        ),
        None,
    )
    return CustomerSearchItem(
        id=customer.id,
        kind=customer.kind,
        display_name=_display_name(customer, readable),
        status=customer.status,
        records=len(readable.records),
        sources=sorted(
            {
                link.source
                for link in links
                if (link.object_name, link.record_id) in readable.records
            }
        ),
        email=email,
        mobile=mobile,
        matched_on=matched_on,
    )
