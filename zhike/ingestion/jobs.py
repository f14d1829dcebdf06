"""Background imports started from the import wizard, for installs with separate workers."""

from __future__ import annotations

import uuid
from typing import Any

from zhike.core.db import get_database
from zhike.ingestion.wizard import run_wizard_job
from zhike.jobs.queue import get_queue

huey = get_queue()


@huey.task()  # type: ignore[untyped-decorator]  # huey ships no type hints
def wizard_import(
    tenant_id: str,
    user_id: str | None,
    upload_id: str,
    plan: dict[str, Any],
    run_id: str,
    locale: str,
) -> None:
    # Ids travel as text because the queue serialises arguments.
    run_wizard_job(
        get_database(),
        uuid.UUID(tenant_id),
        uuid.UUID(user_id) if user_id else None,
        uuid.UUID(upload_id),
        plan,
        uuid.UUID(run_id),
        locale,
    )
