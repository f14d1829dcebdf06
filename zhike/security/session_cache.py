"""A short-lived, per-process cache of resolved login sessions.

Resolving a login token costs several queries (the session, its user and
tenant, the role, the team tree, department members, manual shares and sharing
rules). A client that sends a burst of requests would repeat all of them for
each one, so the resolved actor is kept for ``TTL`` under the token's digest.

Correctness rules:

* Expiry and the idle timeout are checked against the request clock on every
  hit, exactly as a full resolution does.
* Any change this process flushes to a table the actor is built from (sessions,
  users, teams, roles, shares, sharing rules, tenants) forgets the affected
  entries at once, and again after the commit, so a revoked session, a
  deactivated user or a changed role is never served from the cache here.
* Changes made by another process, or by SQL outside the ORM, are seen after
  at most ``TTL``. That window is the documented price of the cache; it is kept
  to two seconds.

A hit skips the ``last_seen_at`` touch, which is written at most once a minute
anyway. The next full resolution, at most ``TTL`` later, writes it.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from zhike.core.timeutil import ensure_utc
from zhike.security.context import Actor
from zhike.security.policy import SecurityPolicy

TTL = timedelta(seconds=2)
MAX_ENTRIES = 10_000
_PENDING_KEY = "zhike.session_cache.forget"
# Tables whose rows an Actor or a session check is built from.
WATCHED_TABLES = frozenset(
    {"auth_sessions", "users", "teams", "roles", "record_shares", "sharing_rules", "tenants"}
)


@dataclass(frozen=True, slots=True)
class CachedSession:
    """What a request needs from a resolved login session, without touching the database."""

    token_hash: str
    session_id: uuid.UUID
    tenant_id: uuid.UUID
    csrf_hash: str | None
    expires_at: datetime
    last_seen_at: datetime
    idle_limit: timedelta
    actor: Actor
    policy: SecurityPolicy
    resolved_at: datetime
    resolved_monotonic: float

    def usable_at(self, now: datetime) -> bool:
        age = now - self.resolved_at
        return (
            timedelta(0) <= age < TTL
            and time.monotonic() - self.resolved_monotonic < TTL.total_seconds()
            and now < self.expires_at
            and now - self.last_seen_at < self.idle_limit
        )

    def fresh_actor(self) -> Actor:
        # Each request gets its own per-request cache; the shared actor is never mutated.
        return replace(self.actor, cache={})


class SessionCache:
    def __init__(self) -> None:
        self._entries: dict[str, CachedSession] = {}
        self._lock = threading.Lock()

    def get(self, token_hash: str, now: datetime) -> CachedSession | None:
        with self._lock:
            entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if not entry.usable_at(ensure_utc(now)):
            self.forget_token(token_hash)
            return None
        return entry

    def put(self, entry: CachedSession) -> None:
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._prune()
            self._entries[entry.token_hash] = entry

    def forget_token(self, token_hash: str) -> None:
        with self._lock:
            self._entries.pop(token_hash, None)

    def forget_tenant(self, tenant_id: uuid.UUID) -> None:
        with self._lock:
            stale = [key for key, entry in self._entries.items() if entry.tenant_id == tenant_id]
            for key in stale:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _prune(self) -> None:
        deadline = time.monotonic() - TTL.total_seconds()
        for key in [k for k, v in self._entries.items() if v.resolved_monotonic <= deadline]:
            del self._entries[key]
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()


session_cache = SessionCache()


def _tenants_touched(session: Session) -> set[uuid.UUID | None]:
    """Return the tenants whose actors a pending flush changes (None: forget every entry)."""
    touched: set[uuid.UUID | None] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        table = getattr(instance, "__tablename__", None)
        if table not in WATCHED_TABLES:
            continue
        if table == "tenants":
            touched.add(getattr(instance, "id", None))
        else:
            touched.add(getattr(instance, "tenant_id", None))
    return touched


def _forget(touched: set[uuid.UUID | None]) -> None:
    if None in touched:
        session_cache.clear()
        return
    for tenant_id in touched:
        if tenant_id is not None:
            session_cache.forget_tenant(tenant_id)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _flush_context: UOWTransaction, _instances: Any) -> None:
    touched = _tenants_touched(session)
    if touched:
        _forget(touched)
        session.info.setdefault(_PENDING_KEY, set()).update(touched)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Forget again: a request may have cached the old state between the flush and the commit.
    touched = session.info.pop(_PENDING_KEY, None)
    if touched:
        _forget(touched)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_PENDING_KEY, None)


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED_TABLES:
        session_cache.clear()
        state.session.info.setdefault(_PENDING_KEY, set()).add(None)
