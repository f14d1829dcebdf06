"""Fixed-window rate limits, counted in process memory or in Redis.

The window index comes from the caller's clock (``now``), so tests move time
instead of sleeping and several API processes sharing one Redis agree on the
window. Redis keys expire a little after their window only to clean up.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from zhike.core.errors import ZhikeError
from zhike.core.settings import get_settings

logger = logging.getLogger(__name__)

MINUTE = 60


@dataclass(frozen=True, slots=True)
class RateLimitResult:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_seconds)
        return headers


class RateLimited(ZhikeError):
    status = 429
    code = "rate_limited"

    def __init__(self, result: RateLimitResult, code: str = "rate_limited") -> None:
        self.result = result
        super().__init__(code, seconds=result.reset_seconds)


class CounterStore(Protocol):
    def increment(self, key: str, window_index: int, window_seconds: int) -> int:
        """Add one to the counter of ``key`` in window ``window_index`` and return the new count."""

    def peek(self, key: str, window_index: int) -> int:
        """Return the count without adding to it."""

    def reset(self, key: str) -> None:
        """Forget every window of ``key``."""


class MemoryStore:
    """Counters of one process; the default, right for a single server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}

    def increment(self, key: str, window_index: int, window_seconds: int) -> int:
        with self._lock:
            index, count = self._counts.get(key, (window_index, 0))
            count = count + 1 if index == window_index else 1
            self._counts[key] = (window_index, count)
            if len(self._counts) > 100_000:
                self._drop_old(window_index)
            return count

    def peek(self, key: str, window_index: int) -> int:
        with self._lock:
            index, count = self._counts.get(key, (window_index, 0))
            return count if index == window_index else 0

    def reset(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)

    def _drop_old(self, window_index: int) -> None:
        for stale in [key for key, (index, _) in self._counts.items() if index < window_index]:
            del self._counts[stale]


class RedisStore:
    """Counters shared by every process that uses the same Redis."""

    def __init__(self, url: str, prefix: str = "zhike:rl:") -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix

    def _key(self, key: str, window_index: int) -> str:
        return f"{self._prefix}{key}:{window_index}"

    def increment(self, key: str, window_index: int, window_seconds: int) -> int:
        name = self._key(key, window_index)
        pipeline = self._client.pipeline()
        pipeline.incr(name)
        pipeline.expire(name, window_seconds * 2)
        count, _ = pipeline.execute()
        return int(count)

    def peek(self, key: str, window_index: int) -> int:
        value = self._client.get(self._key(key, window_index))
        return int(value) if value is not None else 0

    def reset(self, key: str) -> None:
        names = list(self._client.scan_iter(match=f"{self._prefix}{key}:*"))
        if names:
            self._client.delete(*names)


class RateLimiter:
    def __init__(self, store: CounterStore) -> None:
        self.store = store

    def hit(
        self, key: str, limit: int, now: datetime, window_seconds: int = MINUTE
    ) -> RateLimitResult:
        """Count one request against ``key``; ``allowed`` is False past ``limit`` in this window."""
        timestamp = now.timestamp()
        window_index = int(timestamp // window_seconds)
        reset = max(1, math.ceil((window_index + 1) * window_seconds - timestamp))
        count = self.store.increment(key, window_index, window_seconds)
        return RateLimitResult(count <= limit, limit, max(0, limit - count), reset)

    def exceeded(
        self, key: str, limit: int, now: datetime, window_seconds: int = MINUTE
    ) -> RateLimitResult:
        """Tell whether ``key`` is already past ``limit``, without counting a request."""
        timestamp = now.timestamp()
        window_index = int(timestamp // window_seconds)
        reset = max(1, math.ceil((window_index + 1) * window_seconds - timestamp))
        count = self.store.peek(key, window_index)
        return RateLimitResult(count < limit, limit, max(0, limit - count), reset)


_limiter: RateLimiter | None = None
_limiter_lock = threading.Lock()


def get_rate_limiter() -> RateLimiter:
    """The process-wide limiter: Redis when ZHIKE_REDIS_URL is set, memory otherwise."""
    global _limiter
    with _limiter_lock:
        if _limiter is None:
            url = get_settings().redis_url
            _limiter = RateLimiter(RedisStore(url) if url else MemoryStore())
            logger.info("rate limits counted in %s", "redis" if url else "memory")
        return _limiter


def set_rate_limiter(limiter: RateLimiter | None) -> None:
    """Replace the process-wide limiter, for tests and for a settings change."""
    global _limiter
    with _limiter_lock:
        _limiter = limiter
