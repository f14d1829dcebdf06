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
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now
from zhike.customers.bulk_rows import (
    WRITE_BATCH,
    BulkStatement,
    RowColumns,
    driver_id,
    id_maker,
    insert_statement,
    model_table,
)
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
# SQLite page cache for the job, in KiB.
SQLITE_CACHE_KIB = 256 * 1024


@dataclass
class _Records:
    """One kind's live records, aligned by position."""

    objects: list[str] = field(default_factory=list)
    ids: list[uuid.UUID] = field(default_factory=list)
    names: list[str | None] = field(default_factory=list)
    current: list[uuid.UUID | None] = field(default_factory=list)
    matching: list[dict[str, Any]] = field(default_factory=list)
    # Rows without a link, with the columns their identities need besides the matching
    # values. Their link, identities and keys are built and stored here.
    unlinked: dict[int, _Extra] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Extra:
    external_id: str | None
    source: str | None
    phone: str | None

    def values(self) -> dict[str, Any]:
        return {"external_id": self.external_id, "source": self.source, "phone": self.phone}


@dataclass
class _Tally:
    records: int = 0
    pairs: int = 0
    customers: int = 0
    linked: int = 0
    created: int = 0
    retired: int = 0
    moved: int = 0


def _rows(session: Session, tenant_id: uuid.UUID, object_name: str) -> Iterator[Any]:
    # A Core select of plain columns: ORM rows cost more than the matching itself.
    table = model_table(model_for(object_name))
    columns = [table.c.id, table.c.global_customer_id, table.c.external_id, table.c.source]
    columns += [table.c[name] for name in MATCH_COLUMNS[object_name] if name != "account_id"]
    statement = select(*columns).where(table.c.tenant_id == tenant_id, table.c.deleted_at.is_(None))
    if object_name == "contacts":
        accounts = model_table(Account)
        statement = statement.add_columns(accounts.c.name.label("company")).outerjoin(
            accounts, accounts.c.id == table.c.account_id
        )
    statement = statement.order_by(table.c.id).execution_options(yield_per=WRITE_BATCH)
    yield from session.connection().execute(statement)


def _load(session: Session, tenant_id: uuid.UUID, customer_kind: str) -> _Records:
    link_table = model_table(CustomerLink)
    links = {
        (object_name, record_id): match_values
        for object_name, record_id, match_values in session.connection().execute(
            select(
                link_table.c.object_name, link_table.c.record_id, link_table.c.match_values
            ).where(
                link_table.c.tenant_id == tenant_id,
                link_table.c.object_name.in_(OBJECTS_OF_KIND[customer_kind]),
            )
        )
    }
    loaded = _Records()
    for object_name in OBJECTS_OF_KIND[customer_kind]:
        for row in _rows(session, tenant_id, object_name):
            stored = links.pop((object_name, row.id), None)
            position = len(loaded.ids)
            if stored is None or row.global_customer_id is None:
                # Matching values are computed once, at write time. Only rows never
                # linked need them built here.
                values = row._mapping
                stored = dict(matching_values(object_name, values))
                loaded.unlinked[position] = _Extra(row.external_id, row.source, values.get("phone"))
            loaded.objects.append(object_name)
            loaded.ids.append(row.id)
            loaded.names.append(row.name)
            loaded.current.append(row.global_customer_id)
            loaded.matching.append(stored)
    return loaded


def _external_pairs(loaded: _Records, customer_kind: str) -> list[tuple[int, int]]:
    """Pairs sharing an external id of one source, which the blocking keys do not cover."""
    groups: dict[str, list[int]] = defaultdict(list)
    for position, extra in loaded.unlinked.items():
        if extra.external_id:
            groups[f"{extra.source or ''}:{extra.external_id}"].append(position)
    pairs: list[tuple[int, int]] = []
    for members in groups.values():
        pairs.extend((members[0], other) for other in members[1:])
    return pairs


def _choose_ids(
    loaded: _Records, groups: list[list[int]]
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Give each group an id: the one most of its records hold, unless a bigger group took it."""
    assigned: list[uuid.UUID] = [uuid.UUID(int=0)] * len(loaded.ids)
    taken: set[uuid.UUID] = set()
    without_id: list[list[int]] = []
    current = loaded.current
    for members in sorted(groups, key=len, reverse=True):
        chosen = None
        if len(members) == 1:
            # Most groups are one record: its own id, unless a bigger group took it.
            only = current[members[0]]
            if only is not None and only not in taken:
                chosen = only
        else:
            votes = Counter(current[m] for m in members if current[m] is not None)
            for global_id, _count in sorted(votes.items(), key=lambda item: (-item[1], item[0])):
                if global_id is not None and global_id not in taken:
                    chosen = global_id
                    break
        if chosen is None:
            without_id.append(members)
            continue
        taken.add(chosen)
        for member in members:
            assigned[member] = chosen
    # New ids are sortable, so handing them out in record order lets the customer id
    # indexes grow at their end while records are written in that order.
    without_id.sort(key=min)
    created = [new_id() for _ in without_id]
    for members, global_id in zip(without_id, created, strict=True):
        for member in members:
            assigned[member] = global_id
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


class _Reasons:
    """The agreeing fields of a pair, built once per distinct row of agreement levels."""

    def __init__(self, scores: Any, spec: Any, *, strong: bool = True) -> None:
        self._scores = scores
        self._spec = spec
        # Whether the reasons of a pair decided by a strong identifier start with
        # strong_identifier, as link reasons do.
        self._strong = strong
        self._known: dict[tuple[bytes, bool], list[str]] = {}

    def of(self, row: int) -> list[str]:
        levels = self._scores.levels[row]
        deterministic = self._strong and bool(self._scores.deterministic[row])
        key = (levels.tobytes(), deterministic)
        reasons = self._known.get(key)
        if reasons is None:
            reasons = agreeing_fields([int(level) for level in levels], self._spec)
            if deterministic:
                reasons.insert(0, "strong_identifier")
            self._known[key] = reasons
        # Callers store the list as it is, so a shared one is never changed.
        return reasons


def _best_pairs(
    scores: Any, linked: np.ndarray, spec: Any
) -> dict[int, tuple[int, float, list[str]]]:
    """For each linked record, the partner it agrees with most, its probability and reasons."""
    best: dict[int, tuple[int, float, list[str]]] = {}
    reasons = _Reasons(scores, spec)
    rows = np.flatnonzero(linked)
    lefts = scores.pairs[rows, 0].tolist()
    rights = scores.pairs[rows, 1].tolist()
    probabilities = [round(value, 4) for value in scores.probabilities[rows].tolist()]
    for row, left, right, probability in zip(
        rows.tolist(), lefts, rights, probabilities, strict=True
    ):
        for one, other in ((left, right), (right, left)):
            if one not in best or best[one][1] < probability:
                best[one] = (other, probability, reasons.of(row))
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
    fixed = {
        "tenant_id": tenant_id,
        "kind": customer_kind,
        "status": "active",
        "merged_into_id": None,
        "created_at": now,
        "updated_at": now,
    }
    names = [first_name.get(global_id) for global_id in created]
    insert_statement(session, GlobalCustomer, fixed).run(
        {
            "id": list(created),
            "display_name": [str(name)[:200] if name else None for name in names],
        }
    )


_METHOD_COLUMNS = ("method", "score", "reasons", "matched_object", "matched_record_id")
# The columns _write_records fills with ids already in driver form.
_ID_COLUMNS = ("id", "link_id", "global_customer_id", "record_id", "matched_record_id")


def _write_records(
    session: Session,
    actor: Actor,
    loaded: _Records,
    assigned: list[uuid.UUID],
    best: dict[int, tuple[int, float, list[str]]],
    customer_kind: str,
    tally: _Tally,
) -> None:
    """Point each record at its customer; link records never linked, move the others' links.

    Rows are built and written a batch of records at a time, so a million records never
    hold all their link, identity and key rows in memory at once.
    """
    tenant_id = actor.tenant_id
    now = utc_now()
    _drop_partial_links(session, tenant_id, loaded)
    pointers = {
        object_name: BulkStatement(session, _pointer_update(object_name))
        for object_name in OBJECTS_OF_KIND[customer_kind]
    }
    link_move, identity_move = _move_statements(session, tenant_id)
    link_insert = insert_statement(
        session, CustomerLink, {"tenant_id": tenant_id, "linked_at": now}
    )
    identity_insert = insert_statement(
        session,
        CustomerIdentity,
        {
            "tenant_id": tenant_id,
            "customer_kind": customer_kind,
            "first_seen_at": now,
            "last_seen_at": now,
        },
    )
    key_insert = insert_statement(
        session, CustomerMatchKey, {"tenant_id": tenant_id, "customer_kind": customer_kind}
    )
    make_id = id_maker(session)
    # Ids go into the rows in driver form, each converted once rather than once per row.
    to_driver = driver_id(session)
    customer_ids = {global_id: to_driver(global_id) for global_id in set(assigned)}
    for start in range(0, len(assigned), WRITE_BATCH):
        changed: dict[str, RowColumns] = defaultdict(lambda: RowColumns("record", "customer"))
        moves = RowColumns("record", "object", "customer", *_METHOD_COLUMNS)
        links = RowColumns(
            "id",
            "global_customer_id",
            "object_name",
            "record_id",
            *_METHOD_COLUMNS,
            "match_values",
            "source",
        )
        identities = RowColumns(
            "id",
            "global_customer_id",
            "source",
            "object_name",
            "record_id",
            "kind",
            "value",
            "external_source",
        )
        keys = RowColumns("id", "link_id", "key")
        for position in range(start, min(start + WRITE_BATCH, len(assigned))):
            extra = loaded.unlinked.get(position)
            moved = loaded.current[position] != assigned[position]
            if extra is None and not moved:
                continue
            object_name = loaded.objects[position]
            record_id = to_driver(loaded.ids[position])
            global_id = customer_ids[assigned[position]]
            if moved:
                changed[object_name].add(record_id, global_id)
            partner = best.get(position)
            method = (
                (
                    "recluster",
                    partner[1],
                    partner[2],
                    loaded.objects[partner[0]],
                    to_driver(loaded.ids[partner[0]]),
                )
                if partner
                else ("new", None, [], None, None)
            )
            if extra is None:
                tally.moved += 1
                moves.add(record_id, object_name, global_id, *method)
                continue
            tally.linked += 1
            link_id = make_id()
            matching = loaded.matching[position]
            channel = _channel(extra.source)
            links.add(link_id, global_id, object_name, record_id, *method, matching, channel)
            for identifier in identifiers(object_name, extra.values(), matching):
                identities.add(
                    make_id(),
                    global_id,
                    channel,
                    object_name,
                    record_id,
                    identifier.kind,
                    identifier.value,
                    identifier.external_source,
                )
            for key in blocking_keys(customer_kind, matching):
                keys.add(make_id(), link_id, key)
        for object_name, rows in changed.items():
            pointers[object_name].run(rows.columns, ready=("record", "customer"))
        if len(moves):
            moved_columns = moves.columns
            moved_ids = ("record", "customer", "matched_record_id")
            link_move.run(moved_columns, ready=moved_ids)
            identity_move.run(
                {name: moved_columns[name] for name in ("record", "object", "customer")},
                ready=moved_ids,
            )
        for statement, rows in (
            (link_insert, links),
            (identity_insert, identities),
            (key_insert, keys),
        ):
            if len(rows):
                statement.run(rows.columns, ready=_ID_COLUMNS)


def _pointer_update(object_name: str) -> Any:
    table = model_table(model_for(object_name))
    return (
        update(table)
        .where(table.c.id == bindparam("record"))
        .values(global_customer_id=bindparam("customer"), updated_at=table.c.updated_at)
    )


def _channel(source: str | None) -> str:
    # Rows linked here came from an import or an older write; their source names the system.
    return str(source)[:50] if source and source != "manual" else "import"


def _drop_partial_links(session: Session, tenant_id: uuid.UUID, loaded: _Records) -> None:
    """Remove leftover link rows of records linked afresh, e.g. after their pointer was cleared."""
    if not loaded.unlinked:
        return
    columns: dict[str, list[Any]] = {
        "object": [loaded.objects[position] for position in loaded.unlinked],
        "record": [loaded.ids[position] for position in loaded.unlinked],
    }
    for model in (CustomerIdentity, CustomerLink):
        table = model_table(model)
        statement = table.delete().where(
            table.c.tenant_id == tenant_id,
            table.c.object_name == bindparam("object"),
            table.c.record_id == bindparam("record"),
        )
        BulkStatement(session, statement).run(columns)


def _move_statements(session: Session, tenant_id: uuid.UUID) -> tuple[BulkStatement, BulkStatement]:
    """Updates that point a record's link and identities at another customer."""
    link_table = model_table(CustomerLink)
    identity_table = model_table(CustomerIdentity)
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
    return BulkStatement(session, link_statement), BulkStatement(session, identity_statement)


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
    if not destinations:
        return
    table = model_table(GlobalCustomer)
    statement = (
        update(table)
        .where(table.c.tenant_id == tenant_id, table.c.id == bindparam("customer"))
        .values(status="merged", merged_into_id=bindparam("into"), updated_at=utc_now())
    )
    BulkStatement(session, statement).run(
        {
            "customer": list(destinations),
            "into": [counts.most_common(1)[0][0] for counts in destinations.values()],
        }
    )
    tally.retired += len(destinations)


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
    reasons = _Reasons(scores, spec, strong=False)
    rows = np.flatnonzero(between)
    lefts = scores.pairs[rows, 0].tolist()
    rights = scores.pairs[rows, 1].tolist()
    probabilities = [round(value, 4) for value in scores.probabilities[rows].tolist()]
    for row, left, right, probability in zip(
        rows.tolist(), lefts, rights, probabilities, strict=True
    ):
        object_name = loaded.objects[left]
        if object_name != loaded.objects[right] or object_name not in REVIEWABLE_OBJECTS:
            continue
        first_id, second_id = sorted((loaded.ids[left], loaded.ids[right]))
        wanted[(object_name, first_id, second_id)] = (probability, reasons.of(row))
    if not wanted:
        return
    candidates = model_table(DuplicateCandidate)
    existing = {
        tuple(row)
        for row in session.connection().execute(
            select(candidates.c.object_name, candidates.c.first_id, candidates.c.second_id).where(
                candidates.c.tenant_id == tenant_id
            )
        )
    }
    now = utc_now()
    fixed = {
        "tenant_id": tenant_id,
        "status": "open",
        "decided_by": None,
        "decided_at": None,
        "merge_id": None,
        "created_at": now,
        "updated_at": now,
    }
    rows_to_add = RowColumns(
        "id", "object_name", "first_id", "second_id", "score", "matched_fields", "reasons"
    )
    make_id = id_maker(session)
    for (object_name, first_id, second_id), (probability, pair_reasons) in wanted.items():
        if (object_name, first_id, second_id) in existing:
            continue
        rows_to_add.add(
            make_id(),
            object_name,
            first_id,
            second_id,
            probability,
            [reason.split(":", 1)[0] for reason in pair_reasons],
            pair_reasons,
        )
    if len(rows_to_add):
        insert_statement(session, DuplicateCandidate, fixed).run(rows_to_add.columns, ready=("id",))


@contextmanager
def _sqlite_page_cache(session: Session) -> Iterator[None]:
    """Give SQLite a larger page cache while the job writes.

    Each new identity and blocking key goes to a random place in its indexes, and
    with the default 2 MB cache most of those pages are read back from the OS
    again and again. The connection's own size is restored afterwards, since the
    connection returns to the pool.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
    connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        # NOTE: after a failed statement the connection rejects this until rolled back.
        # The original error is kept, and that pooled connection keeps the larger cache.
        with suppress(SQLAlchemyError):
            connection.exec_driver_sql(f"PRAGMA cache_size={previous}")


def recluster_tenant(session: Session, actor: Actor) -> ReclusterResult:
    """Re-cluster every contact, lead and account of the actor's tenant (the system actor's job)."""
    started = time.perf_counter()
    settings = identity_settings(session, actor.tenant_id)
    tally = _Tally()
    with _sqlite_page_cache(session):
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
