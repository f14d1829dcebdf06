"""Lead assignment rules: who receives which new lead, decided in memory, written in bulk.

Rules are tried in ``position`` order. A rule matches a lead by territory
(province, city), product, lead source and score band (the lead_score model's
probability as a percentage), and only inside its working hours in the
tenant's time zone. Its members receive leads in turn (``round_robin``) or in
proportion to their weight (``weighted``), and nobody past ``capacity`` open
leads receives more. A lead that no rule can place goes to the rule's
fallback pool, else to the pool of its region, else stays unassigned.

One run reads the candidate leads with one query, decides every owner in
Python, then writes one UPDATE per owner and chunk, so 100,000 leads take
seconds rather than a write per row through the ORM.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, cast

from sqlalchemy import Table, and_, func, select, update
from sqlalchemy.orm import Session

from zhike.ai.models.models import ModelScore
from zhike.audit.service import record_event
from zhike.core.errors import Conflict, NotFound
from zhike.core.ids import new_id
from zhike.core.timeutil import ensure_utc, load_zone, utc_now
from zhike.customers.models import Account, Contact
from zhike.platform.bulk_sql import PreparedInsert
from zhike.sales.models import Lead, Opportunity
from zhike.sales.pool_models import AssignmentRule, PoolEntry, PoolEvent, SalesPool
from zhike.sales.pool_schemas import AssignmentReport, AssignmentRuleWrite
from zhike.sales.pools import choose_pool
from zhike.security.access import require, scope_select
from zhike.security.context import Actor
from zhike.security.models import User

logger = logging.getLogger(__name__)


def _insert_rows(
    session: Session, model: Any, rows: list[dict[str, Any]], shared: dict[str, Any]
) -> None:
    """Insert rows holding every column through the DB-API, converting shared values once."""
    if not rows:
        return
    connection = session.connection()
    PreparedInsert(connection.dialect, _table(model), shared).execute(connection, rows)


def _shared(actor: Actor, now: datetime) -> dict[str, Any]:
    return {
        "tenant_id": actor.tenant_id,
        "actor_id": actor.user_id,
        "entered_at": now,
        "claimed_at": now,
        "followup_at": now,
        "progress_at": now,
        "occurred_at": now,
    }


def _table(model: Any) -> Table:
    """Return the model's Core table; bulk statements on it skip the ORM's bookkeeping."""
    return cast(Table, model.__table__)


RULES_OBJECT = "assignment_rules"
OPEN_LEAD_STATUSES = ("new", "working", "qualified")
SCORE_TEMPLATE = "lead_score"
CHUNK = 5_000


# --- rule administration ---------------------------------------------------------------


def _rule_values(data: AssignmentRuleWrite) -> dict[str, Any]:
    values = data.model_dump(mode="json")
    values["working_hours"] = values["working_hours"] or {}
    values["fallback_pool_id"] = data.fallback_pool_id
    if (
        data.min_score is not None
        and data.max_score is not None
        and data.min_score > data.max_score
    ):
        raise Conflict("assignment_score_band", low=data.min_score, high=data.max_score)
    return values


def _check_members(session: Session, actor: Actor, data: AssignmentRuleWrite) -> None:
    wanted = {member.user_id for member in data.members}
    if not wanted:
        return
    found = set(
        session.scalars(
            select(User.id).where(
                User.tenant_id == actor.tenant_id, User.id.in_(wanted), User.deleted_at.is_(None)
            )
        )
    )
    missing = sorted(str(user_id) for user_id in wanted - found)
    if missing:
        raise NotFound("user_not_found", id=", ".join(missing))
    if data.fallback_pool_id is not None:
        pool = session.scalar(
            select(SalesPool.id).where(
                SalesPool.tenant_id == actor.tenant_id, SalesPool.id == data.fallback_pool_id
            )
        )
        if pool is None:
            raise NotFound("pool_not_found", id=str(data.fallback_pool_id))


def list_rules(session: Session, actor: Actor) -> list[AssignmentRule]:
    require(actor, RULES_OBJECT, "read")
    return list(
        session.scalars(
            scope_select(actor, AssignmentRule, select(AssignmentRule)).order_by(
                AssignmentRule.position, AssignmentRule.created_at
            )
        )
    )


def get_rule(
    session: Session, actor: Actor, rule_id: uuid.UUID, action: str = "read"
) -> AssignmentRule:
    require(actor, RULES_OBJECT, action)
    rule = session.scalar(
        scope_select(actor, AssignmentRule, select(AssignmentRule)).where(
            AssignmentRule.id == rule_id
        )
    )
    if rule is None:
        raise NotFound("assignment_rule_not_found", id=str(rule_id))
    return rule


def create_rule(session: Session, actor: Actor, data: AssignmentRuleWrite) -> AssignmentRule:
    require(actor, RULES_OBJECT, "create")
    _check_members(session, actor, data)
    values = _rule_values(data)
    rule = AssignmentRule(tenant_id=actor.tenant_id, **values)
    session.add(rule)
    session.flush()
    record_event(
        session,
        actor,
        "config.change",
        object_name=RULES_OBJECT,
        record_id=rule.id,
        details={"created": data.model_dump(mode="json")},
    )
    return rule


def update_rule(
    session: Session,
    actor: Actor,
    rule_id: uuid.UUID,
    data: AssignmentRuleWrite,
    expected: int | None,
) -> AssignmentRule:
    rule = get_rule(session, actor, rule_id, "update")
    if expected is not None and rule.version != expected:
        raise Conflict("version_mismatch", expected=expected, current=rule.version)
    _check_members(session, actor, data)
    values = _rule_values(data)
    before = {name: getattr(rule, name) for name in values}
    for name, value in values.items():
        setattr(rule, name, value)
    session.flush()
    changes = {
        name: [
            str(before[name]) if isinstance(before[name], uuid.UUID) else before[name],
            str(value) if isinstance(value, uuid.UUID) else value,
        ]
        for name, value in values.items()
        if before[name] != value
    }
    record_event(
        session,
        actor,
        "config.change",
        object_name=RULES_OBJECT,
        record_id=rule.id,
        changes=changes,
    )
    return rule


def delete_rule(session: Session, actor: Actor, rule_id: uuid.UUID) -> None:
    rule = get_rule(session, actor, rule_id, "delete")
    rule.deleted_at = utc_now()
    session.flush()
    record_event(
        session,
        actor,
        "config.change",
        object_name=RULES_OBJECT,
        record_id=rule.id,
        details={"deleted": True},
    )


# --- the decision, in memory --------------------------------------------------------------


@dataclass
class Candidate:
    lead_id: uuid.UUID
    province: str | None
    city: str | None
    product_id: uuid.UUID | None
    lead_source: str | None
    score: float | None


@dataclass
class _RulePlan:
    rule: AssignmentRule
    members: list[tuple[uuid.UUID, int, int | None]]
    cursor: int
    provinces: frozenset[str]
    cities: frozenset[str]
    products: frozenset[str]
    sources: frozenset[str]
    in_hours: bool
    assigned: int = 0


@dataclass
class Decision:
    owners: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))
    pooled: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))
    reasons: dict[uuid.UUID, str] = field(default_factory=dict)
    unmatched: list[uuid.UUID] = field(default_factory=list)


def within_working_hours(hours: dict[str, Any], now: datetime, zone: str) -> bool:
    """True when ``now`` falls inside ``hours`` in ``zone``; empty hours mean always."""
    if not hours:
        return True
    local = ensure_utc(now).astimezone(load_zone(zone))
    if local.isoweekday() not in hours.get("days", range(1, 8)):
        return False
    start = time.fromisoformat(hours.get("start", "00:00"))
    end = time.fromisoformat(hours.get("end", "23:59"))
    moment = local.time().replace(tzinfo=None)
    if start <= end:
        return start <= moment < end
    # A night shift such as 20:00–08:00 wraps past midnight.
    return moment >= start or moment < end


def _matches(plan: _RulePlan, lead: Candidate) -> bool:
    rule = plan.rule
    if plan.provinces and lead.province not in plan.provinces:
        return False
    if plan.cities and lead.city not in plan.cities:
        return False
    if plan.products and str(lead.product_id) not in plan.products:
        return False
    if plan.sources and lead.lead_source not in plan.sources:
        return False
    if rule.min_score is not None or rule.max_score is not None:
        if lead.score is None:
            return False
        percent = lead.score * 100
        if rule.min_score is not None and percent < rule.min_score:
            return False
        if rule.max_score is not None and percent > rule.max_score:
            return False
    return True


def _pick(plan: _RulePlan, load: dict[uuid.UUID, int]) -> uuid.UUID | None:
    """Choose the member who receives the next lead, or None when all are at capacity."""
    members = plan.members
    if not members:
        return None
    if plan.rule.method == "weighted":
        best: tuple[float, int] | None = None
        chosen = None
        for index, (user_id, weight, capacity) in enumerate(members):
            if capacity is not None and load[user_id] >= capacity:
                continue
            # Smooth weighting: the member furthest below their share goes next.
            key = ((load[user_id] + 1) / weight, index)
            if best is None or key < best:
                best, chosen = key, user_id
        return chosen
    for step in range(len(members)):
        index = (plan.cursor + step) % len(members)
        user_id, _, capacity = members[index]
        if capacity is None or load[user_id] < capacity:
            plan.cursor = index + 1
            return user_id
    return None


def decide(
    leads: list[Candidate],
    rules: list[AssignmentRule],
    active_users: set[uuid.UUID],
    load: dict[uuid.UUID, int],
    pools: list[SalesPool],
    now: datetime,
    zone: str,
) -> tuple[Decision, list[_RulePlan]]:
    """Decide the owner or pool of every lead; touches no database."""
    plans = [
        _RulePlan(
            rule=rule,
            members=[
                (
                    uuid.UUID(str(member["user_id"])),
                    int(member.get("weight") or 1),
                    member.get("capacity"),
                )
                for member in rule.members
                if uuid.UUID(str(member["user_id"])) in active_users
            ],
            cursor=rule.cursor,
            provinces=frozenset(rule.provinces),
            cities=frozenset(rule.cities),
            products=frozenset(rule.product_ids),
            sources=frozenset(rule.lead_sources),
            in_hours=within_working_hours(rule.working_hours, now, zone),
        )
        for rule in rules
    ]
    pools_by_id = {pool.id: pool for pool in pools}
    decision = Decision()
    for lead in leads:
        fallback: SalesPool | None = None
        for plan in plans:
            if not plan.in_hours or not _matches(plan, lead):
                continue
            owner = _pick(plan, load)
            if owner is not None:
                load[owner] += 1
                plan.assigned += 1
                decision.owners[owner].append(lead.lead_id)
                decision.reasons[lead.lead_id] = f"rule:{plan.rule.name}"[:50]
                break
            if fallback is None and plan.rule.fallback_pool_id in pools_by_id:
                fallback = pools_by_id[plan.rule.fallback_pool_id]
        else:
            pool = fallback or choose_pool(pools, lead.province, lead.product_id)
            if pool is None:
                decision.unmatched.append(lead.lead_id)
            else:
                decision.pooled[pool.id].append(lead.lead_id)
    return decision, plans


# --- running it --------------------------------------------------------------------------


def _candidates(
    session: Session, actor: Actor, lead_ids: list[uuid.UUID] | None
) -> list[Candidate]:
    score = (
        select(ModelScore.score)
        .where(
            ModelScore.tenant_id == actor.tenant_id,
            ModelScore.template == SCORE_TEMPLATE,
            ModelScore.object_name == "leads",
            ModelScore.record_id == Lead.id,
        )
        .scalar_subquery()
    )
    tracked = select(PoolEntry.record_id).where(
        PoolEntry.tenant_id == actor.tenant_id,
        PoolEntry.object_name == "leads",
        PoolEntry.state == "pooled",
    )
    statement = select(
        Lead.id, Lead.province, Lead.city, Lead.product_id, Lead.lead_source, score
    ).where(
        Lead.tenant_id == actor.tenant_id,
        Lead.deleted_at.is_(None),
        Lead.owner_id.is_(None),
        Lead.status.in_(OPEN_LEAD_STATUSES),
    )
    if lead_ids:
        statement = statement.where(Lead.id.in_(lead_ids))
    else:
        # Pooled leads wait for a claim; a run over "all" leaves them where they are.
        statement = statement.where(Lead.id.not_in(tracked))
    return [
        Candidate(*row)
        for row in session.connection().execute(statement.order_by(Lead.created_at, Lead.id))
    ]


def _open_load(session: Session, actor: Actor, users: set[uuid.UUID]) -> dict[uuid.UUID, int]:
    load: dict[uuid.UUID, int] = defaultdict(int)
    if not users:
        return load
    for owner_id, count in session.execute(
        select(Lead.owner_id, func.count())
        .where(
            Lead.tenant_id == actor.tenant_id,
            Lead.deleted_at.is_(None),
            Lead.owner_id.in_(users),
            Lead.status.in_(OPEN_LEAD_STATUSES),
        )
        .group_by(Lead.owner_id)
    ):
        if owner_id is not None:
            load[owner_id] = int(count)
    return load


def assign_leads(
    session: Session,
    actor: Actor,
    lead_ids: list[uuid.UUID] | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> AssignmentReport:
    """Assign unowned open leads (all of them, or ``lead_ids``) by the tenant's rules."""
    now = now or utc_now()
    require(actor, RULES_OBJECT, "update")
    require(actor, "leads", "update")
    rules = list(
        session.scalars(
            select(AssignmentRule)
            .where(
                AssignmentRule.tenant_id == actor.tenant_id,
                AssignmentRule.deleted_at.is_(None),
                AssignmentRule.is_active.is_(True),
            )
            .order_by(AssignmentRule.position, AssignmentRule.created_at)
        )
    )
    member_ids = {uuid.UUID(str(member["user_id"])) for rule in rules for member in rule.members}
    active_users = (
        set(
            session.scalars(
                select(User.id).where(
                    User.tenant_id == actor.tenant_id,
                    User.id.in_(member_ids),
                    User.is_active.is_(True),
                    User.deleted_at.is_(None),
                )
            )
        )
        if member_ids
        else set()
    )
    pools = list(
        session.scalars(
            select(SalesPool)
            .where(
                SalesPool.tenant_id == actor.tenant_id,
                SalesPool.object_name == "leads",
                SalesPool.is_active.is_(True),
                SalesPool.deleted_at.is_(None),
            )
            .order_by(SalesPool.name)
        )
    )
    leads = _candidates(session, actor, lead_ids)
    load = _open_load(session, actor, active_users)
    decision, plans = decide(leads, rules, active_users, load, pools, now, actor.timezone)
    report = AssignmentReport(
        considered=len(leads),
        assigned=sum(len(ids) for ids in decision.owners.values()),
        pooled=sum(len(ids) for ids in decision.pooled.values()),
        unmatched=len(decision.unmatched),
        by_user={str(user): len(ids) for user, ids in decision.owners.items()},
        by_rule={plan.rule.name: plan.assigned for plan in plans if plan.assigned},
    )
    if dry_run:
        return report
    pools_by_id = {pool.id: pool for pool in pools}
    leads_by_id = {lead.lead_id: lead for lead in leads}
    for owner, ids in decision.owners.items():
        for start in range(0, len(ids), CHUNK):
            _write_owner(
                session,
                actor,
                ids[start : start + CHUNK],
                owner,
                now,
                decision.reasons,
                pools,
                leads_by_id,
            )
    for pool_id, ids in decision.pooled.items():
        for start in range(0, len(ids), CHUNK):
            _write_pooled(session, actor, pools_by_id[pool_id], ids[start : start + CHUNK], now)
    for plan in plans:
        if plan.cursor != plan.rule.cursor:
            session.execute(
                update(_table(AssignmentRule))
                .where(AssignmentRule.id == plan.rule.id)
                .values(cursor=plan.cursor % max(1, len(plan.members)))
                .execution_options(synchronize_session=False)
            )
    record_event(
        session,
        actor,
        "lead.assign",
        object_name="leads",
        details=report.model_dump() | {"now": now.isoformat()},
    )
    logger.info(
        "leads assigned", extra={"tenant_id": str(actor.tenant_id), "assigned": report.assigned}
    )
    return report


def _write_owner(
    session: Session,
    actor: Actor,
    ids: list[uuid.UUID],
    owner: uuid.UUID,
    now: datetime,
    reasons: dict[uuid.UUID, str],
    pools: list[SalesPool],
    leads_by_id: dict[uuid.UUID, Candidate],
) -> None:
    session.connection().execute(
        update(_table(Lead))
        .where(Lead.tenant_id == actor.tenant_id, Lead.id.in_(ids), Lead.owner_id.is_(None))
        .values(owner_id=owner, updated_at=now, version=Lead.version + 1)
        .execution_options(synchronize_session=False)
    )
    tracked = dict(
        session.connection()
        .execute(
            select(PoolEntry.record_id, PoolEntry.pool_id).where(
                PoolEntry.tenant_id == actor.tenant_id,
                PoolEntry.object_name == "leads",
                PoolEntry.record_id.in_(ids),
            )
        )
        .all()
    )
    if tracked:
        session.connection().execute(
            update(_table(PoolEntry))
            .where(
                PoolEntry.tenant_id == actor.tenant_id,
                PoolEntry.object_name == "leads",
                PoolEntry.record_id.in_(list(tracked)),
            )
            .values(
                state="claimed",
                owner_id=owner,
                claimed_at=now,
                followup_at=now,
                progress_at=now,
                warned_at=None,
            )
            .execution_options(synchronize_session=False)
        )
    entries = []
    events = []
    for lead_id in ids:
        pool_id = tracked.get(lead_id)
        if pool_id is None and pools:
            lead = leads_by_id[lead_id]
            pool = choose_pool(pools, lead.province, lead.product_id)
            if pool is not None:
                pool_id = pool.id
                entries.append(_entry_row(actor, pool.id, lead_id, "claimed", owner, now))
        events.append(_event_row(actor, pool_id, lead_id, "assign", reasons[lead_id], owner, now))
    if entries:
        _insert_rows(session, PoolEntry, entries, _shared(actor, now))
    _insert_rows(session, PoolEvent, events, _shared(actor, now))


def _write_pooled(
    session: Session, actor: Actor, pool: SalesPool, ids: list[uuid.UUID], now: datetime
) -> None:
    tracked = set(
        session.connection().scalars(
            select(PoolEntry.record_id).where(
                PoolEntry.tenant_id == actor.tenant_id,
                PoolEntry.object_name == "leads",
                PoolEntry.record_id.in_(ids),
            )
        )
    )
    if tracked:
        session.connection().execute(
            update(_table(PoolEntry))
            .where(
                PoolEntry.tenant_id == actor.tenant_id,
                PoolEntry.object_name == "leads",
                PoolEntry.record_id.in_(list(tracked)),
            )
            .values(
                state="pooled",
                pool_id=pool.id,
                owner_id=None,
                entered_at=now,
                claimed_at=None,
                warned_at=None,
            )
            .execution_options(synchronize_session=False)
        )
    entries = [
        _entry_row(actor, pool.id, lead_id, "pooled", None, now)
        for lead_id in ids
        if lead_id not in tracked
    ]
    if entries:
        _insert_rows(session, PoolEntry, entries, _shared(actor, now))
    events = [
        _event_row(actor, pool.id, lead_id, "enter", "no_rule_matched", None, now)
        for lead_id in ids
    ]
    _insert_rows(session, PoolEvent, events, _shared(actor, now))


def _entry_row(
    actor: Actor,
    pool_id: uuid.UUID,
    lead_id: uuid.UUID,
    state: str,
    owner: uuid.UUID | None,
    now: datetime,
) -> dict[str, Any]:
    claimed = now if owner is not None else None
    return {
        "id": new_id(),
        "tenant_id": actor.tenant_id,
        "pool_id": pool_id,
        "object_name": "leads",
        "record_id": lead_id,
        "state": state,
        "owner_id": owner,
        "entered_at": now,
        "claimed_at": claimed,
        "followup_at": claimed,
        "progress_at": claimed,
        "progress_rank": 0,
        "warned_at": None,
        "claim_count": 0,
        "last_owner_id": None,
    }


def _event_row(
    actor: Actor,
    pool_id: uuid.UUID | None,
    lead_id: uuid.UUID,
    action: str,
    reason: str,
    owner: uuid.UUID | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "tenant_id": actor.tenant_id,
        "pool_id": pool_id,
        "object_name": "leads",
        "record_id": lead_id,
        "action": action,
        "reason": reason,
        "note": None,
        "user_id": owner,
        "actor_id": actor.user_id,
        "occurred_at": now,
    }


# --- when an owner leaves ------------------------------------------------------------------


def reassign_owner(
    session: Session,
    actor: Actor,
    from_user_id: uuid.UUID,
    to_user_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Hand the open records of a departing owner on.

    Open leads go to ``to_user_id`` or, without one, back through the assignment
    rules. Accounts, contacts and open opportunities go to ``to_user_id``, else
    to the departing user's manager; without either they stay and are counted.
    """
    now = now or utc_now()
    require(actor, RULES_OBJECT, "update")
    for name in ("leads", "accounts", "contacts", "opportunities"):
        require(actor, name, "update")
    departing = session.scalar(
        select(User).where(User.tenant_id == actor.tenant_id, User.id == from_user_id)
    )
    if departing is None:
        raise NotFound("user_not_found", id=str(from_user_id))
    if to_user_id is not None:
        receiver = session.scalar(
            select(User).where(
                User.tenant_id == actor.tenant_id, User.id == to_user_id, User.is_active.is_(True)
            )
        )
        if receiver is None:
            raise NotFound("user_not_found", id=str(to_user_id))
    result: dict[str, int] = {}
    lead_ids = list(
        session.scalars(
            scope_select(actor, Lead, select(Lead.id), "update").where(
                Lead.owner_id == from_user_id, Lead.status.in_(OPEN_LEAD_STATUSES)
            )
        )
    )
    heir = to_user_id or departing.manager_id
    if to_user_id is not None:
        result["leads"] = _bulk_owner(session, actor, Lead, lead_ids, to_user_id, now)
    else:
        _bulk_owner(session, actor, Lead, lead_ids, None, now)
        report = assign_leads(session, actor, lead_ids, now) if lead_ids else AssignmentReport()
        result["leads"] = report.assigned
        result["leads_pooled"] = report.pooled
        result["leads_unassigned"] = report.unmatched
    open_opportunity = Opportunity.closed_on.is_(None)
    for name, model, extra in (
        ("accounts", Account, None),
        ("contacts", Contact, None),
        ("opportunities", Opportunity, open_opportunity),
    ):
        statement = scope_select(actor, model, select(model.id), "update").where(
            model.owner_id == from_user_id
        )
        if extra is not None:
            statement = statement.where(extra)
        ids = list(session.scalars(statement))
        if heir is None:
            result[f"{name}_kept"] = len(ids)
            continue
        result[name] = _bulk_owner(session, actor, model, ids, heir, now)
    if heir is not None:
        # The heir gets fresh clocks: the neglect was not theirs.
        session.execute(
            update(_table(PoolEntry))
            .where(
                PoolEntry.tenant_id == actor.tenant_id,
                PoolEntry.state == "claimed",
                PoolEntry.owner_id == from_user_id,
                PoolEntry.object_name == "accounts",
            )
            .values(owner_id=heir, followup_at=now, progress_at=now, warned_at=None)
            .execution_options(synchronize_session=False)
        )
    record_event(
        session,
        actor,
        "owner.reassign",
        object_name="users",
        record_id=from_user_id,
        details={"to_user_id": str(to_user_id) if to_user_id else None, **result},
    )
    return result


def _bulk_owner(
    session: Session,
    actor: Actor,
    model: Any,
    ids: list[uuid.UUID],
    owner: uuid.UUID | None,
    now: datetime,
) -> int:
    changed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        result = session.connection().execute(
            update(_table(model))
            .where(model.tenant_id == actor.tenant_id, model.id.in_(chunk))
            .values(owner_id=owner, updated_at=now, version=model.version + 1)
            .execution_options(synchronize_session=False)
        )
        changed += int(result.rowcount)
        if model is Lead and owner is not None:
            session.connection().execute(
                update(_table(PoolEntry))
                .where(
                    PoolEntry.tenant_id == actor.tenant_id,
                    PoolEntry.object_name == "leads",
                    PoolEntry.record_id.in_(chunk),
                    PoolEntry.state == "claimed",
                )
                .values(owner_id=owner, followup_at=now, progress_at=now, warned_at=None)
                .execution_options(synchronize_session=False)
            )
    return changed


def departed_owners(session: Session, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    """Deactivated users who still own open leads: the periodic job hands these on."""
    return list(
        session.scalars(
            select(User.id)
            .where(User.tenant_id == tenant_id, User.is_active.is_(False))
            .where(
                select(Lead.id)
                .where(
                    and_(
                        Lead.owner_id == User.id,
                        Lead.status.in_(OPEN_LEAD_STATUSES),
                        Lead.deleted_at.is_(None),
                    )
                )
                .exists()
            )
        )
    )
