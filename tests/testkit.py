"""Helpers shared by test modules: import them from here, never from a conftest."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from zhike.core.db import Database
from zhike.ingestion.importer import run_import
from zhike.security.auth import actor_for
from zhike.security.context import Actor
from zhike.security.models import Tenant, User
from zhike.security.tenants import create_tenant

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


# One imported MavenTech pipeline tenant per database, for every test that only reads it.
_PIPELINES: dict[str, TenantInfo] = {}


def crm_pipeline_tenant(database: Database, data_dir: Path) -> TenantInfo:
    """Return the tenant holding the imported CRM pipeline data set, importing it on first use.

    The import takes most of a minute on PostgreSQL, so each test process does it once
    per database, and tests that use this tenant must not change it.
    """
    backend = database.engine.url.render_as_string(hide_password=True)
    if backend not in _PIPELINES:
        slug = f"t-{secrets.token_hex(5)}"
        email = f"admin@{slug}.example.com"
        with database.session() as session:
            created, admin = create_tenant(session, slug, f"管道 {slug}", email, ADMIN_PASSWORD)
        result = run_import(
            database,
            slug,
            "crm-pipeline",
            data_dir / "crm_sales_opportunities",
            mode="all-or-nothing",
        )
        assert result.status == "succeeded", result.error
        _PIPELINES[backend] = TenantInfo(created, admin, slug, email, ADMIN_PASSWORD)
    return _PIPELINES[backend]
