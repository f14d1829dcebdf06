"""Test fixtures: every test runs against real SQLite and real PostgreSQL.

The PostgreSQL leg creates a throwaway database on the server named by
ZHIKE_TEST_POSTGRES_URL (default: the local server). Where no server answers,
that leg is skipped with a message, unless ZHIKE_REQUIRE_POSTGRES=1, as in CI,
turns the skip into a failure. Each test gets a tenant of its own, so tests
share one schema per backend without seeing each other's rows.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql
from sqlalchemy.engine import make_url
from testkit import ADMIN_PASSWORD, TenantInfo, crm_pipeline_tenant

from zhike.api.app import create_app
from zhike.core.db import Database, set_database
from zhike.core.migrate import upgrade
from zhike.core.settings import Settings, reset_settings_cache
from zhike.security.tenants import create_tenant

POSTGRES_ADMIN_URL = os.environ.get(
    "ZHIKE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("ZHIKE_REQUIRE_POSTGRES") == "1"
DATA_DIR = Path(
    os.environ.get("ZHIKE_DATASETS_DIR", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def _postgres_conninfo(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _create_postgres_database() -> tuple[str, str]:
    name = f"zhike_test_{secrets.token_hex(4)}"
    with psycopg.connect(
        _postgres_conninfo(POSTGRES_ADMIN_URL), autocommit=True, connect_timeout=5
    ) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    return name, url


def _drop_postgres_database(name: str) -> None:
    with psycopg.connect(_postgres_conninfo(POSTGRES_ADMIN_URL), autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def pytest_configure(config: pytest.Config) -> None:
    # Tests hash many passwords: cheap Argon2 parameters keep logins fast. Nothing
    # hashes at import time, so this is in place before the first hash.
    os.environ.setdefault("ZHIKE_PASSWORD_HASH_TIME_COST", "1")
    os.environ.setdefault("ZHIKE_PASSWORD_HASH_MEMORY_KIB", "1024")
    os.environ.setdefault("ZHIKE_PASSWORD_HASH_PARALLELISM", "1")
    # API tests see the landing page at / whether or not the web UI was built;
    # tests/web passes the build folder to create_app itself.
    os.environ["ZHIKE_WEB_UI"] = "false"
    reset_settings_cache()
    # The local SMTP servers of the tests log each connection from their own
    # thread, sometimes after pytest has closed the stream it captured logs in.
    logging.getLogger("mail.log").setLevel(logging.WARNING)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"zhike: PostgreSQL leg {'required' if REQUIRE_POSTGRES else 'optional'} "
        f"({make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)})",
        f"zhike: public data sets at {DATA_DIR} ({'found' if DATA_DIR.is_dir() else 'missing'})",
    ]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A migrated database of each backend, shared by the whole session."""
    dropped: str | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'zhike.db'}"
    else:
        try:
            dropped, url = _create_postgres_database()
        except psycopg.OperationalError as error:
            message = f"PostgreSQL leg skipped: no server at {POSTGRES_ADMIN_URL} ({error})"
            if REQUIRE_POSTGRES:
                pytest.fail(message + "; ZHIKE_REQUIRE_POSTGRES=1 makes this leg required")
            pytest.skip(message)
    os.environ["ZHIKE_DATABASE_URL"] = url
    # Import rejects and encryption keys go to a scratch folder, not the checkout.
    os.environ["ZHIKE_DATA_DIR"] = str(tmp_path_factory.mktemp("state"))
    reset_settings_cache()
    database = Database(url, Settings(database_url=url))
    upgrade(database.engine, url)
    set_database(database)
    yield database
    set_database(None)
    database.dispose()
    if dropped:
        _drop_postgres_database(dropped)


@pytest.fixture
def tenant(database: Database) -> TenantInfo:
    slug = f"t-{secrets.token_hex(5)}"
    email = f"admin@{slug}.example.com"
    with database.session() as session:
        created, admin = create_tenant(session, slug, f"测试公司 {slug}", email, ADMIN_PASSWORD)
    return TenantInfo(created, admin, slug, email, ADMIN_PASSWORD)


@pytest.fixture
def client(database: Database, tenant: TenantInfo) -> Iterator[TestClient]:
    """An API client logged in as the tenant's administrator."""
    with TestClient(create_app()) as test_client:
        response = test_client.post(
            "/api/v1/auth/login",
            json={
                "tenant": tenant.slug,
                "email": tenant.admin_email,
                "password": tenant.admin_password,
            },
        )
        assert response.status_code == 200, response.text
        test_client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        yield test_client


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder of public data sets; tests that need it skip with a message where it is absent."""
    if not DATA_DIR.is_dir():
        message = (
            f"public data sets not found at {DATA_DIR}; set ZHIKE_DATASETS_DIR to their folder"
        )
        if os.environ.get("ZHIKE_REQUIRE_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return DATA_DIR


@pytest.fixture(scope="session")
def crm_pipeline(database: Database, data_dir: Path) -> TenantInfo:
    """A tenant holding the imported CRM pipeline data set, one per database; read it only.

    Every test of the process that requests it gets the same tenant, so no test may
    change its records.
    """
    return crm_pipeline_tenant(database, data_dir)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # With `--dist loadgroup` (make pytest) the tests of the shared pipeline tenant run
    # on one worker, so the data set is imported once per database, not once per worker.
    for item in items:
        if "crm_pipeline" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("crm_pipeline"))
