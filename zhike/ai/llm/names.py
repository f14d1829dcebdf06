"""Finding the tenant's own people and companies in free text.

An Aho-Corasick automaton over every contact, lead and account name finds all
of them in one pass, whatever their number. Matchers are cached per tenant and
rebuilt when the tenant's records change (a cheap fingerprint query) or after
a short time-to-live.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhike.customers.models import Account, Contact
from zhike.sales.models import Lead

# One- character names would match everywhere; Chinese given names are at least two.
MIN_NAME_LENGTH = 2
CACHE_SECONDS = 300.0


@dataclass(slots=True)
class _Node:
    children: dict[str, int] = field(default_factory=dict)
    fail: int = 0
    # Longest keyword ending here (length, category); shorter ones reached via dict links.
    output: tuple[int, str] | None = None
    dict_link: int = -1


class NameMatcher:
    """An Aho-Corasick automaton over names, each tagged ``person`` or ``company``."""

    def __init__(self, names: dict[str, str]) -> None:
        self._nodes: list[_Node] = [_Node()]
        for name, category in names.items():
            if len(name) >= MIN_NAME_LENGTH:
                self._add(name, category)
        self._link()
        self.size = len(names)

    def _add(self, word: str, category: str) -> None:
        state = 0
        for char in word:
            nxt = self._nodes[state].children.get(char)
            if nxt is None:
                nxt = len(self._nodes)
                self._nodes.append(_Node())
                self._nodes[state].children[char] = nxt
            state = nxt
        current = self._nodes[state].output
        # A person beats a company of the same spelling: the stricter reading wins.
        if current is None or category == "person":
            self._nodes[state].output = (len(word), category)

    def _link(self) -> None:
        queue: deque[int] = deque()
        for child in self._nodes[0].children.values():
            queue.append(child)
        while queue:
            state = queue.popleft()
            node = self._nodes[state]
            for char, child in node.children.items():
                fail = node.fail
                while fail and char not in self._nodes[fail].children:
                    fail = self._nodes[fail].fail
                target = self._nodes[fail].children.get(char, 0)
                self._nodes[child].fail = target if target != child else 0
                fail_node = self._nodes[self._nodes[child].fail]
                self._nodes[child].dict_link = (
                    self._nodes[child].fail if fail_node.output else fail_node.dict_link
                )
                queue.append(child)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Return (start, end, category) of every name occurrence, overlaps included."""
        found: list[tuple[int, int, str]] = []
        nodes = self._nodes
        state = 0
        for index, char in enumerate(text):
            while state and char not in nodes[state].children:
                state = nodes[state].fail
            state = nodes[state].children.get(char, 0)
            probe = state if nodes[state].output else nodes[state].dict_link
            while probe > 0:
                output = nodes[probe].output
                if output is not None:
                    length, category = output
                    found.append((index + 1 - length, index + 1, category))
                probe = nodes[probe].dict_link
        return found


@dataclass(slots=True)
class _Entry:
    matcher: NameMatcher
    fingerprint: tuple[object, ...]
    built_at: float


class NameMatcherCache:
    """Per-tenant matchers, rebuilt when the fingerprint of the name tables changes."""

    def __init__(self, ttl_seconds: float = CACHE_SECONDS) -> None:
        self.ttl_seconds = ttl_seconds
        self._entries: dict[uuid.UUID, _Entry] = {}
        self._lock = threading.Lock()

    def invalidate(self, tenant_id: uuid.UUID | None = None) -> None:
        with self._lock:
            if tenant_id is None:
                self._entries.clear()
            else:
                self._entries.pop(tenant_id, None)

    def get(self, session: Session, tenant_id: uuid.UUID) -> NameMatcher:
        fingerprint = _fingerprint(session, tenant_id)
        with self._lock:
            entry = self._entries.get(tenant_id)
            fresh = entry is not None and time.monotonic() - entry.built_at < self.ttl_seconds
            if entry is not None and fresh and entry.fingerprint == fingerprint:
                return entry.matcher
        matcher = NameMatcher(load_crm_names(session, tenant_id))
        with self._lock:
            self._entries[tenant_id] = _Entry(matcher, fingerprint, time.monotonic())
        return matcher


def _fingerprint(session: Session, tenant_id: uuid.UUID) -> tuple[object, ...]:
    parts: list[object] = []
    for model in (Contact, Lead, Account):
        row = session.execute(
            select(func.count(model.id), func.max(model.updated_at)).where(
                model.tenant_id == tenant_id
            )
        ).one()
        parts.extend((row[0], row[1]))
    return tuple(parts)


def load_crm_names(session: Session, tenant_id: uuid.UUID) -> dict[str, str]:
    """Load every live contact, lead and company name of the tenant, tagged person or company."""
    names: dict[str, str] = {}
    for (company,) in session.execute(
        select(Account.name).where(Account.tenant_id == tenant_id, Account.deleted_at.is_(None))
    ):
        names[company.strip()] = "company"
    for (lead_company,) in session.execute(
        select(Lead.company).where(
            Lead.tenant_id == tenant_id, Lead.deleted_at.is_(None), Lead.company.is_not(None)
        )
    ):
        names[(lead_company or "").strip()] = "company"
    for model in (Contact, Lead):
        for (person,) in session.execute(
            select(model.name).where(model.tenant_id == tenant_id, model.deleted_at.is_(None))
        ):
            names[person.strip()] = "person"
    names.pop("", None)
    return names


name_matchers = NameMatcherCache()
