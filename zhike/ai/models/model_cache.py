"""The production model of each tenant and template, kept loaded in this process.

Real-time scoring must not read and unpack a skops artifact on every write.
Entries are dropped when a version is promoted or rolled back here (at once,
and again when that transaction commits), and expire after ``CACHE_SECONDS``
so that a promotion made by another process is picked up soon after.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

CACHE_SECONDS = 60.0
CACHE_SIZE = 256


@dataclass(frozen=True)
class CachedModel:
    """What real-time scoring needs; ``model`` is None while cold-start rules score."""

    template: Any  # Template with the tenant's overrides applied
    version_id: uuid.UUID | None
    model: Any  # TrainedModel | None
    encoder: Any  # RowEncoder | None
    profile: dict[str, Any]
    loaded_at: float


_entries: dict[tuple[uuid.UUID, str], CachedModel] = {}
_lock = threading.Lock()


def get(tenant_id: uuid.UUID, template: str) -> CachedModel | None:
    entry = _entries.get((tenant_id, template))
    if entry is None or time.monotonic() - entry.loaded_at > CACHE_SECONDS:
        return None
    return entry


def put(tenant_id: uuid.UUID, template: str, entry: CachedModel) -> None:
    with _lock:
        if len(_entries) >= CACHE_SIZE:
            oldest = min(_entries, key=lambda key: _entries[key].loaded_at)
            _entries.pop(oldest, None)
        _entries[(tenant_id, template)] = entry


def invalidate(tenant_id: uuid.UUID | None = None, template: str | None = None) -> None:
    """Forget one template of a tenant, every template of a tenant, or everything."""
    with _lock:
        for key in list(_entries):
            if (tenant_id is None or key[0] == tenant_id) and (
                template is None or key[1] == template
            ):
                _entries.pop(key, None)


def invalidate_on_commit(session: Session, tenant_id: uuid.UUID, template: str) -> None:
    """Drop the entry now and once more after commit, so no reader caches the old state."""
    invalidate(tenant_id, template)

    def _after_commit(_session: Session) -> None:
        invalidate(tenant_id, template)

    event.listen(session, "after_commit", _after_commit, once=True)


def size() -> int:
    return len(_entries)
