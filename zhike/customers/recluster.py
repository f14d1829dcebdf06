"""Batch re-clustering: resolve every contact, lead and account of a tenant at once.

The job reads all live records of one kind of customer: people (contacts and
leads) or companies (accounts). It finds candidate pairs by blocking and scores
them with a Fellegi–Sunter model trained on the tenant's own data. The connected
components of the pairs at or above the auto-link threshold become the customers. Pairs
between the thresholds go to the review queue. Records never linked (rows from
before identity resolution, or written around the record service) get their link,
identities and blocking keys here, so the job is also the backfill.

Global ids stay stable: a cluster keeps the id most of its records already had,
so a re-run over unchanged data changes nothing. A customer left with no records
is marked merged into the customer most of its records moved to. The trained
model is stored for the write path.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now
from zhike.customers.identity import REVIEWABLE_OBJECTS, model_for
from zhike.customers.identity_keys import (
    COMPANY,
    MATCH_COLUMNS,
    PERSON,
    blocking_keys,
    identifiers,
    match_spec,
    matching_values,
)
from zhike.customers.identity_models import (
    CustomerIdentity,
    CustomerLink,
    CustomerMatchKey,
    GlobalCustomer,
)
from zhike.customers.identity_settings import (
    IdentitySettings,
    identity_settings,
    match_model,
    store_match_model,
)
from zhike.customers.matching.engine import (
    agreeing_fields,
    candidate_pairs,
    clusters,
    compare_pairs,
    score,
    train_model,
)
from zhike.customers.merge_models import DuplicateCandidate
from zhike.customers.models import Account
from zhike.customers.profile_schemas import ReclusterResult
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

OBJECTS_OF_KIND = {PERSON: ("contacts", "leads"), COMPANY: ("accounts",)}
# Below this many records EM has too few pairs to learn from, so the stored model is used.
MIN_RECORDS_TO_TRAIN = 500
WRITE_BATCH = 5_000


@dataclass
class _Records:
    """One kind's live records, aligned by position."""

    objects: list[str] = field(default_factory=list)
    ids: list[uuid.UUID] = field(default_factory=list)
    names: list[str | None] = field(default_factory=list)
    current: list[uuid.UUID | None] = field(default_factory=list)
    matching: list[dict[str, Any]] = field(default_factory=list)
    # Rows without a link: their identities and keys are built and stored here.
    unlinked: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class _Tally:
    records: int = 0
    pairs: int = 0
    customers: int = 0
    linked: int = 0
    created: int = 0
    retired: int = 0
    moved: int = 0


def _table(model: Any) -> Any:
    # Mapped classes type __table__ as a FromClause, but every model here maps one Table.
    return model.__table__


def _rows(session: Session, tenant_id: uuid.UUID, object_name: str) -> Iterator[Any]:
    model = model_for(object_name)
    columns = [model.id, model.global_customer_id, model.external_id, model.source]
    columns += [getattr(model, name) for name in MATCH_COLUMNS[object_name] if name != "account_id"]
    statement = select(*columns).where(model.tenant_id == tenant_id, model.deleted_at.is_(None))
    if object_name == "contacts":
        statement = statement.add_columns(Account.name.label("company")).outerjoin(
            Account, Account.id == model.account_id
        )
    yield from session.execute(statement.order_by(model.id)).yield_per(WRITE_BATCH)


def _load(session: Session, tenant_id: uuid.UUID, customer_kind: str) -> _Records:
    links = {
        (row.object_name, row.record_id): row.match_values
        for row in session.execute(
            select(
                CustomerLink.object_name, CustomerLink.record_id, CustomerLink.match_values
            ).where(
                CustomerLink.tenant_id == tenant_id,
                CustomerLink.object_name.in_(OBJECTS_OF_KIND[customer_kind]),
            )
        )
    }
    loaded = _Records()
    for object_name in OBJECTS_OF_KIND[customer_kind]:
        for row in _rows(session, tenant_id, object_name):
            values = row._asdict()
            stored = links.get((object_name, row.id))
            position = len(loaded.ids)
            if stored is None or row.global_customer_id is None:
                # Matching values are computed once, at write time. Only rows never
                # linked need them built here.
                stored = dict(matching_values(object_name, values))
                loaded.unlinked[position] = values
            loaded.objects.append(object_name)
            loaded.ids.append(row.id)
            loaded.names.append(values.get("name"))
            loaded.current.append(row.global_customer_id)
            loaded.matching.append(stored)
    return loaded


def _external_pairs(loaded: _Records, customer_kind: str) -> list[tuple[int, int]]:
    """Pairs sharing an external id of one source, which the blocking keys do not cover."""
    groups: dict[str, list[int]] = defaultdict(list)
    for position, values in loaded.unlinked.items():
        if values.get("external_id"):
            groups[f"{values.get('source') or ''}:{values['external_id']}"].append(position)
    pairs: list[tuple[int, int]] = []
    for members in groups.values():
        pairs.extend((members[0], other) for other in members[1:])
    return pairs


def _choose_ids(
    loaded: _Records, groups: list[list[int]]
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Give each group an id: the one most of its records hold, unless a bigger group took it."""
    assigned: list[uuid.UUID] = [uuid.UUID(int=0)] * len(loaded.ids)
    created: list[uuid.UUID] = []
    taken: set[uuid.UUID] = set()
    for members in sorted(groups, key=len, reverse=True):
        votes = Counter(loaded.current[m] for m in members if loaded.current[m] is not None)
        chosen = None
        for global_id, _count in sorted(votes.items(), key=lambda item: (-item[1], item[0])):
            if global_id is not None and global_id not in taken:
                chosen = global_id
                break
        if chosen is None:
            chosen = new_id()
            created.append(chosen)
        taken.add(chosen)
        for member in members:
            assigned[member] = chosen
    return assigned, created


def recluster_kind(
    session: Session,
    actor: Actor,
    customer_kind: str,
    settings: IdentitySettings,
    tally: _Tally,
) -> None:
    tenant_id = actor.tenant_id
    spec = match_spec(customer_kind)
    loaded = _load(session, tenant_id, customer_kind)
    tally.records += len(loaded.ids)
    if not loaded.ids:
        return
    pairs = candidate_pairs(loaded.matching, spec)
    scores = compare_pairs(loaded.matching, pairs, spec)
    if len(loaded.ids) >= MIN_RECORDS_TO_TRAIN and len(pairs):
        model = train_model(loaded.matching, scores, spec)
        store_match_model(session, tenant_id, customer_kind, model)
    else:
        model = match_model(session, tenant_id, customer_kind)
    score(scores, model)
    tally.pairs += len(pairs)

    linked = scores.probabilities >= settings.auto_link_threshold
    edges = [(int(a), int(b)) for a, b in scores.pairs[linked]]
    edges.extend(_external_pairs(loaded, customer_kind))
    grouped = clusters(len(loaded.ids), edges)
    in_group = {member for members in grouped for member in members}
    groups = grouped + [
        [position] for position in range(len(loaded.ids)) if position not in in_group
    ]
    assigned, created = _choose_ids(loaded, groups)
    tally.customers += len(groups)
    tally.created += len(created)

    best = _best_pairs(scores, linked, spec)
    _write_customers(session, tenant_id, customer_kind, loaded, assigned, created)
    _write_records(session, actor, loaded, assigned, best, customer_kind, tally)
    _retire_emptied(session, tenant_id, loaded, assigned, tally)
    _queue_reviews(session, tenant_id, loaded, scores, settings, spec)


def _best_pairs(
    scores: Any, linked: np.ndarray, spec: Any
) -> dict[int, tuple[int, float, list[str]]]:
    """For each linked record, the partner it agrees with most, its probability and reasons."""
    best: dict[int, tuple[int, float, list[str]]] = {}
    for row in np.flatnonzero(linked):
        left, right = (int(value) for value in scores.pairs[row])
        probability = round(float(scores.probabilities[row]), 4)
        for one, other in ((left, right), (right, left)):
            if one not in best or best[one][1] < probability:
                reasons = agreeing_fields([int(level) for level in scores.levels[row]], spec)
                if scores.deterministic[row]:
                    reasons.insert(0, "strong_identifier")
                best[one] = (other, probability, reasons)
    return best


def _write_customers(
    session: Session,
    tenant_id: uuid.UUID,
    customer_kind: str,
    loaded: _Records,
    assigned: list[uuid.UUID],
    created: list[uuid.UUID],
) -> None:
    if not created:
        return
    first_name: dict[uuid.UUID, str | None] = {}
    for position, global_id in enumerate(assigned):
        first_name.setdefault(global_id, loaded.names[position])
    now = utc_now()
    rows = [
        {
            "id": global_id,
            "tenant_id": tenant_id,
            "kind": customer_kind,
            "display_name": (first_name.get(global_id) or None)
            and str(first_name[global_id])[:200],
            "status": "active",
            "merged_into_id": None,
            "created_at": now,
            "updated_at": now,
        }
        for global_id in created
    ]
    _insert(session, GlobalCustomer, rows)


def _write_records(
    session: Session,
    actor: Actor,
    loaded: _Records,
    assigned: list[uuid.UUID],
    best: dict[int, tuple[int, float, list[str]]],
    customer_kind: str,
    tally: _Tally,
) -> None:
    tenant_id = actor.tenant_id
    now = utc_now()
    changed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    link_updates: list[dict[str, Any]] = []
    new_links: list[dict[str, Any]] = []
    new_identities: list[dict[str, Any]] = []
    new_keys: list[dict[str, Any]] = []
    for position, global_id in enumerate(assigned):
        object_name, record_id = loaded.objects[position], loaded.ids[position]
        partner = best.get(position)
        method_values = {
            "method": "recluster" if partner else "new",
            "score": partner[1] if partner else None,
            "reasons": partner[2] if partner else [],
            "matched_object": loaded.objects[partner[0]] if partner else None,
            "matched_record_id": loaded.ids[partner[0]] if partner else None,
        }
        if loaded.current[position] != global_id:
            changed[object_name].append({"record": record_id, "customer": global_id})
        values = loaded.unlinked.get(position)
        if values is None:
            if loaded.current[position] != global_id:
                tally.moved += 1
                link_updates.append(
                    {
                        "record": record_id,
                        "object": object_name,
                        "customer": global_id,
                        **method_values,
                    }
                )
            continue
        tally.linked += 1
        link, identity_rows, key_rows = _new_rows(
            tenant_id, customer_kind, loaded, position, global_id, method_values, now
        )
        new_links.append(link)
        new_identities.extend(identity_rows)
        new_keys.extend(key_rows)
    _drop_partial_links(session, tenant_id, loaded)
    for object_name, rows in changed.items():
        table = _table(model_for(object_name))
        statement = (
            update(table)
            .where(table.c.id == bindparam("record"))
            .values(global_customer_id=bindparam("customer"), updated_at=table.c.updated_at)
        )
        _executemany(session, statement, rows)
    _move_links(session, tenant_id, link_updates)
    for model, new_rows in (
        (CustomerLink, new_links),
        (CustomerIdentity, new_identities),
        (CustomerMatchKey, new_keys),
    ):
        _insert(session, model, new_rows)


def _new_rows(
    tenant_id: uuid.UUID,
    customer_kind: str,
    loaded: _Records,
    position: int,
    global_id: uuid.UUID,
    method_values: dict[str, Any],
    now: Any,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Build the link, identity and blocking-key rows of a record linked for the first time."""
    object_name, record_id = loaded.objects[position], loaded.ids[position]
    values = loaded.unlinked[position]
    link_id = new_id()
    channel = _channel(values)
    link = {
        "id": link_id,
        "tenant_id": tenant_id,
        "global_customer_id": global_id,
        "object_name": object_name,
        "record_id": record_id,
        "match_values": loaded.matching[position],
        "source": channel,
        "linked_at": now,
        **method_values,
    }
    identities = [
        {
            "id": new_id(),
            "tenant_id": tenant_id,
            "global_customer_id": global_id,
            "customer_kind": customer_kind,
            "source": channel,
            "object_name": object_name,
            "record_id": record_id,
            "kind": identifier.kind,
            "value": identifier.value,
            "external_source": identifier.external_source,
            "first_seen_at": now,
            "last_seen_at": now,
        }
        for identifier in identifiers(object_name, values, loaded.matching[position])
    ]
    keys = [
        {
            "id": new_id(),
            "tenant_id": tenant_id,
            "link_id": link_id,
            "customer_kind": customer_kind,
            "key": key,
        }
        for key in blocking_keys(customer_kind, loaded.matching[position])
    ]
    return link, identities, keys


def _channel(values: dict[str, Any]) -> str:
    # Rows linked here came from an import or an older write; their source names the system.
    source = values.get("source")
    return str(source)[:50] if source and source != "manual" else "import"


def _drop_partial_links(session: Session, tenant_id: uuid.UUID, loaded: _Records) -> None:
    """Remove leftover link rows of records linked afresh, e.g. after their pointer was cleared."""
    by_object: dict[str, list[uuid.UUID]] = defaultdict(list)
    for position in loaded.unlinked:
        by_object[loaded.objects[position]].append(loaded.ids[position])
    for object_name, ids in by_object.items():
        for start in range(0, len(ids), WRITE_BATCH):
            chunk = ids[start : start + WRITE_BATCH]
            for model in (CustomerIdentity, CustomerLink):
                session.execute(
                    _table(model)
                    .delete()
                    .where(
                        model.tenant_id == tenant_id,
                        model.object_name == object_name,
                        model.record_id.in_(chunk),
                    )
                )


def _move_links(session: Session, tenant_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    link_table = _table(CustomerLink)
    identity_table = _table(CustomerIdentity)
    link_statement = (
        update(link_table)
        .where(
            link_table.c.tenant_id == tenant_id,
            link_table.c.object_name == bindparam("object"),
            link_table.c.record_id == bindparam("record"),
        )
        .values(
            global_customer_id=bindparam("customer"),
            method=bindparam("method"),
            score=bindparam("score"),
            reasons=bindparam("reasons"),
            matched_object=bindparam("matched_object"),
            matched_record_id=bindparam("matched_record_id"),
        )
    )
    identity_statement = (
        update(identity_table)
        .where(
            identity_table.c.tenant_id == tenant_id,
            identity_table.c.object_name == bindparam("object"),
            identity_table.c.record_id == bindparam("record"),
        )
        .values(global_customer_id=bindparam("customer"))
    )
    _executemany(session, link_statement, rows)
    _executemany(
        session,
        identity_statement,
        [
            {"object": row["object"], "record": row["record"], "customer": row["customer"]}
            for row in rows
        ],
    )


def _executemany(session: Session, statement: Any, rows: list[dict[str, Any]]) -> None:
    """Run ``statement`` once per row through the DB-API, converting values as SQLAlchemy would.

    SQLAlchemy's own executemany builds every row's parameters through the compiler,
    which cost more than the database work in a million-row run. This function converts
    each value with its column type's bind processor and passes the driver plain tuples.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    compiled = statement.compile(dialect=dialect)
    positional = compiled.positiontup is not None
    # Parameters go by the names rendered into the SQL, which anonymous binds only get here.
    by_name = {name: bind for bind, name in compiled.bind_names.items()}
    names = list(compiled.positiontup) if positional else list(by_name)
    fixed = compiled.params
    converters = [by_name[name].type._cached_bind_processor(dialect) for name in names]
    for start in range(0, len(rows), WRITE_BATCH):
        parameters: list[Any] = []
        for row in rows[start : start + WRITE_BATCH]:
            values = []
            for name, converter in zip(names, converters, strict=True):
                value = row[name] if name in row else fixed[name]
                values.append(
                    converter(value) if converter is not None and value is not None else value
                )
            parameters.append(
                tuple(values) if positional else dict(zip(names, values, strict=True))
            )
        connection.exec_driver_sql(str(compiled), parameters)


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows that name every column of the table."""
    table = _table(model)
    values: dict[str, Any] = {column.key: bindparam(column.key) for column in table.columns}
    _executemany(session, insert(table).values(values), rows)


def _retire_emptied(
    session: Session,
    tenant_id: uuid.UUID,
    loaded: _Records,
    assigned: list[uuid.UUID],
    tally: _Tally,
) -> None:
    """Mark each customer that lost all its records as merged into where most of them went."""
    kept = set(assigned)
    destinations: dict[uuid.UUID, Counter[uuid.UUID]] = defaultdict(Counter)
    for position, previous in enumerate(loaded.current):
        if previous is not None and previous not in kept:
            destinations[previous][assigned[position]] += 1
    rows = [
        {"customer": previous, "into": counts.most_common(1)[0][0]}
        for previous, counts in destinations.items()
    ]
    table = _table(GlobalCustomer)
    statement = (
        update(table)
        .where(table.c.tenant_id == tenant_id, table.c.id == bindparam("customer"))
        .values(status="merged", merged_into_id=bindparam("into"), updated_at=utc_now())
    )
    _executemany(session, statement, rows)
    tally.retired += len(rows)


def _queue_reviews(
    session: Session,
    tenant_id: uuid.UUID,
    loaded: _Records,
    scores: Any,
    settings: IdentitySettings,
    spec: Any,
) -> None:
    between = (scores.probabilities >= settings.review_threshold) & (
        scores.probabilities < settings.auto_link_threshold
    )
    wanted: dict[tuple[str, uuid.UUID, uuid.UUID], tuple[float, list[str]]] = {}
    for row in np.flatnonzero(between):
        left, right = (int(value) for value in scores.pairs[row])
        object_name = loaded.objects[left]
        if object_name != loaded.objects[right] or object_name not in REVIEWABLE_OBJECTS:
            continue
        first_id, second_id = sorted((loaded.ids[left], loaded.ids[right]))
        reasons = agreeing_fields([int(level) for level in scores.levels[row]], spec)
        wanted[(object_name, first_id, second_id)] = (
            round(float(scores.probabilities[row]), 4),
            reasons,
        )
    if not wanted:
        return
    existing = set(
        session.execute(
            select(
                DuplicateCandidate.object_name,
                DuplicateCandidate.first_id,
                DuplicateCandidate.second_id,
            ).where(DuplicateCandidate.tenant_id == tenant_id)
        ).tuples()
    )
    now = utc_now()
    rows = [
        {
            "id": new_id(),
            "tenant_id": tenant_id,
            "object_name": object_name,
            "first_id": first_id,
            "second_id": second_id,
            "score": probability,
            "matched_fields": [reason.split(":", 1)[0] for reason in reasons],
            "reasons": reasons,
            "status": "open",
            "decided_by": None,
            "decided_at": None,
            "merge_id": None,
            "created_at": now,
            "updated_at": now,
        }
        for (object_name, first_id, second_id), (probability, reasons) in wanted.items()
        if (object_name, first_id, second_id) not in existing
    ]
    _insert(session, DuplicateCandidate, rows)


def recluster_tenant(session: Session, actor: Actor) -> ReclusterResult:
    """Re-cluster every contact, lead and account of the actor's tenant (the system actor's job)."""
    started = time.perf_counter()
    settings = identity_settings(session, actor.tenant_id)
    tally = _Tally()
    for customer_kind in (PERSON, COMPANY):
        recluster_kind(session, actor, customer_kind, settings, tally)
    session.flush()
    session.expire_all()
    result = ReclusterResult(
        records=tally.records,
        pairs_compared=tally.pairs,
        customers=tally.customers,
        linked_records=tally.linked,
        customers_created=tally.created,
        customers_retired=tally.retired,
        records_moved=tally.moved,
        seconds=round(time.perf_counter() - started, 3),
    )
    record_event(
        session,
        actor,
        "customers.recluster",
        object_name="global_customers",
        details=result.model_dump(),
    )
    logger.info(
        "re-clustering finished", extra={"tenant": str(actor.tenant_id), **result.model_dump()}
    )
    return result
