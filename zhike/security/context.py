"""Who is acting: every service call receives an Actor and never reads globals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    tenant_id: uuid.UUID
    user_id: uuid.UUID | None
    role: str
    locale: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    region: str = "CN"
    currency: str = "CNY"

    @property
    def is_system(self) -> bool:
        """True for jobs and imports that act for the tenant rather than for a person."""
        return self.user_id is None
