"""The one Huey queue every domain registers its background tasks on.

Embedded installs keep the queue in an SQLite file beside the application
state, so nothing but the Python process is needed. Production sets
``ZHIKE_JOBS_REDIS_URL`` and runs any number of ``zhike worker`` processes.
Task state that users see (import progress, journey positions, agent runs)
lives in the CRM database, never only in the queue, so tasks stay idempotent
and a lost queue entry can be rebuilt from the database.
"""

from __future__ import annotations

from functools import cache

from huey import Huey, RedisHuey, SqliteHuey

from zhike.core.settings import get_settings


@cache
def get_queue() -> Huey:
    settings = get_settings()
    if settings.jobs_redis_url:
        return RedisHuey(name="zhike", url=settings.jobs_redis_url)
    folder = settings.data_dir
    folder.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name="zhike", filename=str(folder / "jobs.sqlite3"))
