"""Helpers shared by test modules: import them from here, never from a conftest."""

from __future__ import annotations

from dataclasses import dataclass

from zhike.security.auth import actor_for
from zhike.security.context import Actor
from zhike.security.models import Tenant, User

ADMIN_PASSWORD = "Zhike-test-2026"


@dataclass
class TenantInfo:
    tenant: Tenant
    admin: User
    slug: str
    admin_email: str
    admin_password: str

    @property
    def actor(self) -> Actor:
        return actor_for(self.tenant, self.admin)
