"""Fixtures of the agent tests: a demo tenant per backend and module, and local servers."""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Iterator

import pytest
from agents_support import CompanyInfoServer, DemoTenant, SmtpSink
from testkit import ADMIN_PASSWORD

from zhike.core.db import Database
from zhike.demo.generator import generate_demo
from zhike.security.tenants import create_tenant


@pytest.fixture(scope="module")
def demo(database: Database, request: pytest.FixtureRequest) -> DemoTenant:
    """A tenant filled with the demo data set; tests only add to it, so a module can share it."""
    slug = f"agents-{secrets.token_hex(4)}"
    email = f"admin@{slug}.example.com"
    with database.session() as session:
        tenant, admin = create_tenant(session, slug, f"演示 {slug}", email, ADMIN_PASSWORD)
        # Demo ids come from the seed, so each module's copy needs a seed of its own.
        # A seed from the module name keeps every run of a module on the same data.
        seed = zlib.crc32(request.module.__name__.encode())
        generate_demo(session, tenant, admin, seed=seed)
        return DemoTenant(tenant.id, slug, email)


@pytest.fixture
def company_server() -> Iterator[CompanyInfoServer]:
    server = CompanyInfoServer({})
    yield server
    server.close()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    yield sink
    sink.close()
