"""Response cache and in-flight request sharing, both keyed on redacted prompts only.

Keys hash the redacted request, so they carry no personal data, and cached
answers hold placeholders, never values: a hit is restored with the mapping
of the request that asked.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from zhike.ai.llm.providers import ProviderReply

T = TypeVar("T")
MAX_ENTRIES = 5000


def request_key(tenant_id: uuid.UUID, provider: str, model: str | None, body: Any) -> str:
    document = json.dumps(
        [str(tenant_id), provider, model, body], ensure_ascii=False, sort_keys=True, default=str
    )
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


class ResponseCache:
    """A bounded in-process LRU cache with a time-to-live per entry."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, ProviderReply]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> ProviderReply | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, reply = entry
            if expires < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return reply

    def put(self, key: str, reply: ProviderReply, ttl_seconds: float) -> None:
        if ttl_seconds <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl_seconds, reply)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class InFlight:
    """Identical concurrent requests share one provider call: the first runs it, the rest wait."""

    def __init__(self) -> None:
        self._calls: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()

    def run(self, key: str, call: Callable[[], T]) -> tuple[T, bool]:
        """Return the call's result and whether it was shared from another caller."""
        with self._lock:
            future = self._calls.get(key)
            owner = future is None
            if future is None:
                future = Future()
                self._calls[key] = future
        if not owner:
            return future.result(), True
        try:
            result = call()
        except BaseException as error:
            future.set_exception(error)
            raise
        else:
            future.set_result(result)
            return result, False
        finally:
            with self._lock:
                self._calls.pop(key, None)
