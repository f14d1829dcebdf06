"""The server's own job consumer runs queued tasks when no separate worker does."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from huey import SqliteHuey

from zhike.core.settings import reset_settings_cache
from zhike.jobs.embedded import start_embedded_worker, stop_embedded_worker


@pytest.fixture
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("ZHIKE_JOBS_REDIS_URL", raising=False)
    monkeypatch.delenv("ZHIKE_EMBEDDED_WORKER", raising=False)
    reset_settings_cache()
    yield
    reset_settings_cache()


def test_queued_task_runs_in_the_server_process(fresh_settings: None, tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    queue = SqliteHuey(name="embedded-test", filename=str(tmp_path / "jobs.sqlite3"))

    @queue.task()  # type: ignore[untyped-decorator]  # huey ships no type hints
    def write_marker(text: str) -> None:
        marker.write_text(text, encoding="utf-8")

    consumer = start_embedded_worker(workers=1, queue=queue)
    assert consumer is not None
    try:
        write_marker("done")
        # Polls the outcome; the bound only stops a broken consumer from hanging the suite.
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop_embedded_worker(consumer)
    assert marker.read_text(encoding="utf-8") == "done"


def test_no_embedded_consumer_when_workers_share_redis(
    fresh_settings: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHIKE_JOBS_REDIS_URL", "redis://127.0.0.1:6379/15")
    reset_settings_cache()
    assert start_embedded_worker() is None
