"""Run the job queue inside the server process, the embedded default.

With the queue in an SQLite file and no ``zhike worker`` started, nothing
would ever run journeys, agents, SLA checks or reminders. The server therefore
starts a consumer of its own in background threads. With Redis configured,
production runs ``zhike worker`` processes instead, and the server leaves the
queue to them.
"""

from __future__ import annotations

import logging

from huey import Huey
from huey.consumer import Consumer

from zhike.core.settings import get_settings
from zhike.jobs import load_task_modules
from zhike.jobs.queue import get_queue

logger = logging.getLogger(__name__)


class _ThreadConsumer(Consumer):  # type: ignore[misc]  # huey ships no type hints
    def _set_signal_handlers(self) -> None:
        # uvicorn owns the process's signals; the server stops this consumer itself.
        return


def start_embedded_worker(workers: int = 2, queue: Huey | None = None) -> Consumer | None:
    """Start consuming the queue in this process, unless other workers own it."""
    settings = get_settings()
    if settings.jobs_redis_url or not settings.embedded_worker:
        return None
    load_task_modules()
    # NOTE: every server process started on the same SQLite queue runs its own
    # scheduler, so periodic tasks are queued once per process. The tasks are
    # written to be idempotent, but with several processes set ZHIKE_EMBEDDED_WORKER=false
    # and run one `zhike worker`.
    consumer = _ThreadConsumer(queue or get_queue(), workers=workers, worker_type="thread")
    consumer.start()
    logger.info("embedded job worker started", extra={"workers": workers})
    return consumer


def stop_embedded_worker(consumer: Consumer | None) -> None:
    if consumer is not None:
        consumer.stop(graceful=False)
