"""Real-time identity resolution: link each written record to a global customer.

On every create (record service, import, lead capture) the record is matched
against the tenant's linked records. Deterministic matching comes first: the same
normalised email or mobile (people), credit code (companies) or external id of the
same source links at once. Otherwise the candidates that share a blocking key are
scored with the Fellegi–Sunter model. At or above the tenant's auto-link threshold
the record joins the best candidate's global customer. Between the thresholds it
gets a new global customer and the pair goes to the duplicate review queue. Below
the review threshold it gets a new global customer.

Every query here is an indexed lookup bounded by the blocking block size, so the
cost of one write does not grow with the number of records in the tenant.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from sqlalchemy import and_, delete, event, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from zhike.core.timeutil import utc_now
from zhike.customers.identity_keys import (
    CUSTOMER_KIND,
    LINKED_OBJECTS,
    MATCH_COLUMNS,
    Identifier,
    blocking_keys,
    identifiers,
    match_spec,
    matching_values,
    strong_identifiers,
)
from zhike.customers.identity_models import (
    CustomerIdentity,
    CustomerLink,
    CustomerMatchKey,
    GlobalCustomer,
)
from zhike.customers.identity_settings import IdentitySettings, identity_settings, match_model
from zhike.customers.matching.engine import Record, agreeing_fields, compare_pairs, score
from zhike.customers.matching.fellegi_sunter import FellegiSunterModel
from zhike.customers.merge_models import DuplicateCandidate
from zhike.platform.bulk import AfterBulkWrite
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

# Objects whose pairs may enter the review queue, because the queue and merge handle only these.
REVIEWABLE_OBJECTS = ("contacts", "accounts")
# Set in ``Actor.cache`` while a merge or unmerge changes records, because it links them itself.
PAUSE_KEY = "identity_linking_paused"
# The columns besides the matching ones that identity resolution reads from a record.
_EXTRA_COLUMNS = ("external_id", "source")


@dataclass(frozen=True)
class RecordRef:
    object_name: str
    record_id: uuid.UUID


@dataclass
class LinkDecision:
    """The customer a record belongs to and why; no ``global_customer_id`` means a new one."""

    global_customer_id: uuid.UUID | None
    method: str
    score: float | None = None
    reasons: list[str] = field(default_factory=list)
    matched: RecordRef | None = None
    # The pair to put in the review queue, with its score and reasons.
    review: tuple[RecordRef, float, list[str]] | None = None


@dataclass
class PreparedRecord:
    """A record's matching values, identifiers and blocking keys, computed once."""

    ref: RecordRef
    customer_kind: str
    values: dict[str, Any]
    matching: Record
    found: list[Identifier]
    keys: list[str]

    @classmethod
    def build(
        cls, object_name: str, record_id: uuid.UUID, values: Mapping[str, Any]
    ) -> PreparedRecord:
        customer_kind = CUSTOMER_KIND[object_name]
        matching = matching_values(object_name, values)
        return cls(
            RecordRef(object_name, record_id),
            customer_kind,
            dict(values),
            matching,
            identifiers(object_name, values, matching),
            blocking_keys(customer_kind, matching),
        )


@cache
def model_for(object_name: str) -> Any:
    """Return the mapped class of a linked object."""
    from zhike.customers.models import Account, Contact
    from zhike.sales.models import Lead

    models: dict[str, Any] = {"contacts": Contact, "leads": Lead, "accounts": Account}
    return models[object_name]


def record_values(session: Session, object_name: str, record: Any) -> dict[str, Any]:
    """Read the values matching needs from a stored record (a contact's company: its account)."""
    values = {name: getattr(record, name, None) for name in MATCH_COLUMNS[object_name]}
    for name in _EXTRA_COLUMNS:
        values[name] = getattr(record, name, None)
    if object_name == "contacts":
        values["company"] = _account_name(session, record.tenant_id, values.get("account_id"))
    return values


def _account_name(
    session: Session, tenant_id: uuid.UUID, account_id: uuid.UUID | None
) -> str | None:
    if account_id is None:
        return None
    from zhike.customers.models import Account

    name: str | None = session.scalar(
        select(Account.name).where(Account.tenant_id == tenant_id, Account.id == account_id)
    )
    return name


@contextmanager
def linking_paused(actor: Actor) -> Iterator[None]:
    """Skip the after-write linking of records the caller links itself."""
    previous = actor.cache.get(PAUSE_KEY)
    actor.cache[PAUSE_KEY] = True
    try:
        yield
    finally:
        if previous is None:
            actor.cache.pop(PAUSE_KEY, None)


def write_channel(actor: Actor) -> str:
    """Return the channel a write came through, as identities name their source."""
    channel = actor.cache.get("capture_channel") or actor.cache.get("identity_channel")
    if channel:
        return str(channel)[:50]
    return "api" if actor.user_id else "system"


class Resolver:
    """Resolution for one tenant, with its thresholds and models read once."""

    def __init__(
        self,
        session: Session,
        tenant_id: uuid.UUID,
        settings: IdentitySettings | None = None,
        models: dict[str, FellegiSunterModel] | None = None,
    ) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.settings = settings or identity_settings(session, tenant_id)
        self.models = models or {}

    def model(self, customer_kind: str) -> FellegiSunterModel:
        if customer_kind not in self.models:
            self.models[customer_kind] = match_model(self.session, self.tenant_id, customer_kind)
        return self.models[customer_kind]

    def decide(self, prepared: PreparedRecord, exclude: uuid.UUID | None = None) -> LinkDecision:
        """Find the global customer a record belongs to, leaving out customer ``exclude``."""
        decision = self._deterministic(prepared, exclude)
        if decision is not None:
            return decision
        return self._probabilistic(prepared, exclude)

    def _deterministic(
        self, prepared: PreparedRecord, exclude: uuid.UUID | None
    ) -> LinkDecision | None:
        strong = strong_identifiers(prepared.customer_kind, prepared.found)
        if not strong:
            return None
        statement = (
            select(
                CustomerIdentity.global_customer_id,
                CustomerIdentity.kind,
                CustomerIdentity.object_name,
                CustomerIdentity.record_id,
            )
            .where(
                CustomerIdentity.tenant_id == self.tenant_id,
                CustomerIdentity.customer_kind == prepared.customer_kind,
                or_(
                    *(
                        and_(
                            CustomerIdentity.kind == identifier.kind,
                            CustomerIdentity.value == identifier.value,
                        )
                        for identifier in strong
                    )
                ),
                CustomerIdentity.record_id != prepared.ref.record_id,
            )
            .limit(50)
        )
        if exclude is not None:
            statement = statement.where(CustomerIdentity.global_customer_id != exclude)
        rows = self.session.execute(statement).all()
        if not rows:
            return None
        # The strongest kind decides (the order in STRONG_KINDS); ties go to the oldest customer.
        order = [identifier.kind for identifier in strong]
        best = min(rows, key=lambda row: (order.index(row.kind), row.global_customer_id))
        agreed = sorted(
            {row.kind for row in rows if row.global_customer_id == best.global_customer_id},
            key=order.index,
        )
        return LinkDecision(
            best.global_customer_id,
            "deterministic",
            1.0,
            [f"{kind}:exact" for kind in agreed],
            RecordRef(best.object_name, best.record_id),
        )

    def _candidates(self, prepared: PreparedRecord, exclude: uuid.UUID | None) -> list[Any]:
        spec = match_spec(prepared.customer_kind)
        found: dict[uuid.UUID, Any] = {}
        for key in prepared.keys:
            statement = (
                select(
                    CustomerLink.id,
                    CustomerLink.global_customer_id,
                    CustomerLink.object_name,
                    CustomerLink.record_id,
                    CustomerLink.match_values,
                )
                .join(CustomerMatchKey, CustomerMatchKey.link_id == CustomerLink.id)
                .where(
                    CustomerMatchKey.tenant_id == self.tenant_id,
                    CustomerMatchKey.customer_kind == prepared.customer_kind,
                    CustomerMatchKey.key == key,
                )
                .limit(spec.max_block_size + 1)
            )
            rows = self.session.execute(statement).all()
            if len(rows) > spec.max_block_size:
                # The batch path skips blocks this big as too common to tell anyone
                # apart; skipping here too keeps both paths deciding alike.
                continue
            for row in rows:
                if row.record_id == prepared.ref.record_id or row.global_customer_id == exclude:
                    continue
                found[row.id] = row
        return list(found.values())

    def _probabilistic(self, prepared: PreparedRecord, exclude: uuid.UUID | None) -> LinkDecision:
        candidates = self._candidates(prepared, exclude)
        if not candidates:
            return LinkDecision(None, "new")
        spec = match_spec(prepared.customer_kind)
        records: list[Record] = [prepared.matching, *(row.match_values for row in candidates)]
        pairs = np.array([(0, index) for index in range(1, len(records))], dtype=np.int64)
        scores = score(compare_pairs(records, pairs, spec), self.model(prepared.customer_kind))
        best = int(np.argmax(scores.probabilities))
        probability = round(float(scores.probabilities[best]), 4)
        reasons = agreeing_fields([int(level) for level in scores.levels[best]], spec)
        chosen = candidates[best]
        matched = RecordRef(chosen.object_name, chosen.record_id)
        if probability >= self.settings.auto_link_threshold:
            return LinkDecision(
                chosen.global_customer_id, "probabilistic", probability, reasons, matched
            )
        if probability >= self.settings.review_threshold:
            return LinkDecision(
                None, "review", probability, reasons, matched, (matched, probability, reasons)
            )
        return LinkDecision(None, "new")

    def apply(self, prepared: PreparedRecord, decision: LinkDecision, channel: str) -> uuid.UUID:
        """Store the link, identities and blocking keys, and point the record at its customer."""
        global_id = decision.global_customer_id
        if global_id is None:
            customer = GlobalCustomer(
                tenant_id=self.tenant_id,
                kind=prepared.customer_kind,
                display_name=_display_name(prepared.values),
            )
            self.session.add(customer)
            self.session.flush()
            global_id = customer.id
        link = self._store_link(prepared, decision, global_id, channel)
        self._store_identities(prepared, global_id, channel)
        self._store_keys(prepared, link.id)
        set_record_customer(self.session, self.tenant_id, prepared.ref, global_id)
        if decision.review is not None:
            queue_review(self.session, self.tenant_id, prepared.ref, *decision.review)
        return global_id

    def _store_link(
        self, prepared: PreparedRecord, decision: LinkDecision, global_id: uuid.UUID, channel: str
    ) -> CustomerLink:
        link = self.session.scalars(
            select(CustomerLink).where(
                CustomerLink.tenant_id == self.tenant_id,
                CustomerLink.object_name == prepared.ref.object_name,
                CustomerLink.record_id == prepared.ref.record_id,
            )
        ).first()
        if link is None:
            link = CustomerLink(
                tenant_id=self.tenant_id,
                object_name=prepared.ref.object_name,
                record_id=prepared.ref.record_id,
                source=channel,
            )
            self.session.add(link)
        if link.global_customer_id != global_id:
            link.linked_at = utc_now()
        link.global_customer_id = global_id
        link.method = decision.method
        link.score = decision.score
        link.reasons = list(decision.reasons)
        link.matched_object = decision.matched.object_name if decision.matched else None
        link.matched_record_id = decision.matched.record_id if decision.matched else None
        link.match_values = dict(prepared.matching)
        self.session.flush()
        return link

    def _store_identities(
        self, prepared: PreparedRecord, global_id: uuid.UUID, channel: str
    ) -> None:
        """Replace the record's identities, keeping when and where each value was first seen."""
        existing = {
            (row.kind, row.value): row
            for row in self.session.scalars(
                select(CustomerIdentity).where(
                    CustomerIdentity.tenant_id == self.tenant_id,
                    CustomerIdentity.object_name == prepared.ref.object_name,
                    CustomerIdentity.record_id == prepared.ref.record_id,
                )
            )
        }
        now = utc_now()
        for identifier in prepared.found:
            row = existing.pop((identifier.kind, identifier.value), None)
            if row is None:
                self.session.add(
                    CustomerIdentity(
                        tenant_id=self.tenant_id,
                        global_customer_id=global_id,
                        customer_kind=prepared.customer_kind,
                        source=channel,
                        object_name=prepared.ref.object_name,
                        record_id=prepared.ref.record_id,
                        kind=identifier.kind,
                        value=identifier.value,
                        external_source=identifier.external_source,
                        first_seen_at=now,
                        last_seen_at=now,
                    )
                )
            else:
                row.global_customer_id = global_id
                row.last_seen_at = now
        for stale in existing.values():
            self.session.delete(stale)
        self.session.flush()

    def _store_keys(self, prepared: PreparedRecord, link_id: uuid.UUID) -> None:
        self.session.execute(delete(CustomerMatchKey).where(CustomerMatchKey.link_id == link_id))
        for key in prepared.keys:
            self.session.add(
                CustomerMatchKey(
                    tenant_id=self.tenant_id,
                    link_id=link_id,
                    customer_kind=prepared.customer_kind,
                    key=key,
                )
            )
        self.session.flush()


def _display_name(values: Mapping[str, Any]) -> str | None:
    name = values.get("name")
    return str(name)[:200] if name else None


def set_record_customer(
    session: Session, tenant_id: uuid.UUID, ref: RecordRef, global_id: uuid.UUID | None
) -> None:
    """Point a record at its global customer without counting it as an edit of the record.

    The link is bookkeeping of identity resolution, so the record's version and
    updated_at stay, as they do when a merge re-points related rows.
    """
    model = model_for(ref.object_name)
    table = model.__table__
    session.execute(
        update(table)
        .where(table.c.tenant_id == tenant_id, table.c.id == ref.record_id)
        .values(global_customer_id=global_id, updated_at=table.c.updated_at)
    )
    loaded = session.identity_map.get(session.identity_key(model, ref.record_id))
    if loaded is not None:
        set_committed_value(loaded, "global_customer_id", global_id)


def queue_review(
    session: Session,
    tenant_id: uuid.UUID,
    ref: RecordRef,
    other: RecordRef,
    probability: float,
    reasons: list[str],
) -> None:
    """Put a pair in the duplicate review queue unless it is there or was decided already.

    NOTE: the queue and merge handle two records of one object (contacts or
    accounts), so a pair across objects or of two leads is kept only as the
    link's ``matched_record_id`` and score, with method "review".
    """
    if ref.object_name != other.object_name or ref.object_name not in REVIEWABLE_OBJECTS:
        return
    first_id, second_id = sorted((ref.record_id, other.record_id))
    exists = session.scalar(
        select(DuplicateCandidate.id).where(
            DuplicateCandidate.tenant_id == tenant_id,
            DuplicateCandidate.object_name == ref.object_name,
            DuplicateCandidate.first_id == first_id,
            DuplicateCandidate.second_id == second_id,
        )
    )
    if exists is not None:
        return
    session.add(
        DuplicateCandidate(
            tenant_id=tenant_id,
            object_name=ref.object_name,
            first_id=first_id,
            second_id=second_id,
            score=probability,
            matched_fields=[reason.split(":", 1)[0] for reason in reasons],
            reasons=list(reasons),
        )
    )
    session.flush()


def customer_record_count(session: Session, tenant_id: uuid.UUID, global_id: uuid.UUID) -> int:
    rows = session.scalars(
        select(CustomerLink.id)
        .where(CustomerLink.tenant_id == tenant_id, CustomerLink.global_customer_id == global_id)
        .limit(2)
    ).all()
    return len(rows)


def retire_customer(session: Session, global_id: uuid.UUID, into_id: uuid.UUID) -> None:
    customer = session.get(GlobalCustomer, global_id)
    if customer is not None:
        customer.status = "merged"
        customer.merged_into_id = into_id
        session.flush()


def link_record(
    session: Session, actor: Actor, object_name: str, record: Any, channel: str | None = None
) -> LinkDecision:
    """Match one stored record and link it. A linked record is re-matched only when alone.

    A record that shares its global customer with others keeps the link on update, so
    an edit never splits a customer silently. The batch re-clustering revisits it.
    A record alone on its customer moves to another customer that it now matches,
    and its old customer is marked merged into that one.
    """
    resolver = _resolver(session, actor)
    prepared = PreparedRecord.build(
        object_name, record.id, record_values(session, object_name, record)
    )
    channel = channel or write_channel(actor)
    current = record.global_customer_id
    if current is None:
        decision = resolver.decide(prepared)
        resolver.apply(prepared, decision, channel)
        return decision
    alone = customer_record_count(session, actor.tenant_id, current) <= 1
    decision = (
        resolver.decide(prepared, exclude=current) if alone else LinkDecision(current, "kept")
    )
    if decision.global_customer_id is not None and decision.global_customer_id != current:
        resolver.apply(prepared, decision, channel)
        retire_customer(session, current, decision.global_customer_id)
        return decision
    refresh_link(resolver, prepared, current, channel, decision.review)
    return decision


def refresh_link(
    resolver: Resolver,
    prepared: PreparedRecord,
    global_id: uuid.UUID,
    channel: str,
    review: tuple[RecordRef, float, list[str]] | None = None,
) -> None:
    """Keep a record on its customer and how it was linked; refresh identities and keys."""
    kept = _current_link(resolver.session, resolver.tenant_id, prepared.ref)
    if kept is None:
        decision = LinkDecision(global_id, "new", review=review)
    else:
        matched = (
            RecordRef(kept.matched_object, kept.matched_record_id)
            if kept.matched_object and kept.matched_record_id
            else None
        )
        decision = LinkDecision(
            global_id, kept.method, kept.score, list(kept.reasons), matched, review
        )
    resolver.apply(prepared, decision, channel)


def refresh_record(session: Session, actor: Actor, object_name: str, record: Any) -> None:
    """Refresh a linked record's identities and keys after a change that must not relink it."""
    if record.global_customer_id is None:
        return
    prepared = PreparedRecord.build(
        object_name, record.id, record_values(session, object_name, record)
    )
    refresh_link(
        _resolver(session, actor), prepared, record.global_customer_id, write_channel(actor)
    )


def _current_link(session: Session, tenant_id: uuid.UUID, ref: RecordRef) -> CustomerLink | None:
    return session.scalars(
        select(CustomerLink).where(
            CustomerLink.tenant_id == tenant_id,
            CustomerLink.object_name == ref.object_name,
            CustomerLink.record_id == ref.record_id,
        )
    ).first()


def _resolver(session: Session, actor: Actor) -> Resolver:
    # One resolver per session: a batch of writes reads the settings and models once.
    key = f"identity_resolver:{id(session)}"
    resolver = actor.cache.get(key)
    if not isinstance(resolver, Resolver) or resolver.session is not session:
        resolver = Resolver(session, actor.tenant_id)
        actor.cache[key] = resolver
    return resolver


def link_after_write(
    session: Session,
    actor: Actor,
    record: Any,
    values: dict[str, Any],
    previous: dict[str, Any] | None,
) -> None:
    """``after_write`` hook of contacts, leads and accounts."""
    object_name = record.__tablename__
    if object_name not in LINKED_OBJECTS or actor.cache.get(PAUSE_KEY):
        return
    if previous is not None and record.global_customer_id is not None:
        watched = set(MATCH_COLUMNS[object_name]) | set(_EXTRA_COLUMNS)
        if not any(name in watched and previous.get(name) != values[name] for name in values):
            return
    link_record(session, actor, object_name, record)


# Linking one row costs a few queries and writes (about 20 ms on SQLite, measured once).
# A larger import batch links through the tenant's re-clustering, queued when the import commits.
INLINE_LINK_ROWS = 200
_RECLUSTER_QUEUED = "identity_recluster_queued"


def _queue_recluster_after_commit(session: Session, actor: Actor) -> None:
    if actor.cache.get(_RECLUSTER_QUEUED):
        return
    actor.cache[_RECLUSTER_QUEUED] = True
    tenant_id = actor.tenant_id

    def send(_session: Session) -> None:
        from zhike.customers.jobs import enqueue_recluster

        enqueue_recluster(tenant_id)

    event.listen(session, "after_commit", send, once=True)
    logger.info("import linking deferred to re-clustering", extra={"tenant": str(tenant_id)})


def bulk_link_hook(object_name: str) -> AfterBulkWrite:
    """The import's after-write hook for one object: link each written row, in file order.

    Rows are linked one after another, so two rows of one file that are the same
    customer link to each other. A large batch is left to the re-clustering job,
    which links the whole tenant set-based once the import has committed.
    """

    def link_rows(
        session: Session,
        actor: Actor,
        inserted: list[dict[str, Any]],
        updated: list[tuple[dict[str, Any], Any]],
    ) -> None:
        ids = [row["id"] for row in inserted] + [values["id"] for values, _ in updated]
        if not ids or actor.cache.get(_RECLUSTER_QUEUED):
            return
        if len(ids) > INLINE_LINK_ROWS:
            _queue_recluster_after_commit(session, actor)
            return
        model = model_for(object_name)
        records = session.scalars(
            select(model).where(model.tenant_id == actor.tenant_id, model.id.in_(ids))
        ).all()
        by_id = {record.id: record for record in records}
        for record_id in ids:
            record = by_id.get(record_id)
            if record is not None:
                link_record(session, actor, object_name, record, "import")

    return link_rows
