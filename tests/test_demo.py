"""The demo data set on the day it is generated: deals already stalled in their stage."""

from __future__ import annotations

import secrets
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from testkit import ADMIN_PASSWORD

from zhike.api.app import create_app
from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.demo.command import sample_logins
from zhike.demo.generator import DEMO_PASSWORD, generate_demo
from zhike.demo.pipeline import STALLED_DEAL_COUNT
from zhike.sales.models import Opportunity
from zhike.security.models import Tenant, User
from zhike.security.roles import BUILTIN_ROLES
from zhike.security.tenants import create_tenant
from zhike.service.models import TICKET_CHANNELS, Ticket

OPEN_STAGES = ["commit", "engaging", "proposal", "prospecting", "qualification"]


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    admin_email: str


@pytest.fixture(scope="module")
def demo(database: Database) -> DemoTenant:
    """A tenant filled with the demo data set as of today; tests only read it."""
    slug = f"demo-{secrets.token_hex(4)}"
    email = f"admin@{slug}.example.com"
    with database.session() as session:
        tenant, admin = create_tenant(session, slug, f"演示 {slug}", email, ADMIN_PASSWORD)
        # Demo ids come from the seed, so this module's copy has a seed of its own.
        generate_demo(session, tenant, admin, seed=zlib.crc32(__name__.encode()))
    return DemoTenant(slug, email)


@pytest.fixture(scope="module")
def app_client(demo: DemoTenant) -> Iterator[TestClient]:
    with TestClient(create_app()) as client:
        yield client


def login(client: TestClient, slug: str, email: str, password: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/login", json={"tenant": slug, "email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_demo_stalls_one_deal_per_stage(app_client: TestClient, demo: DemoTenant) -> None:
    admin = login(app_client, demo.slug, demo.admin_email, ADMIN_PASSWORD)

    response = app_client.get("/api/v1/sales/stalled", headers=admin)

    assert response.status_code == 200, response.text
    deals = response.json()
    assert len(deals) == STALLED_DEAL_COUNT
    assert sorted(deal["stage_key"] for deal in deals) == OPEN_STAGES
    assert len({deal["owner_id"] for deal in deals}) == STALLED_DEAL_COUNT
    for deal in deals:
        assert deal["days_in_stage"] > deal["limit_days"], deal


def test_demo_home_panel_lists_stalled_deals(app_client: TestClient, demo: DemoTenant) -> None:
    admin = login(app_client, demo.slug, demo.admin_email, ADMIN_PASSWORD)
    stalled = app_client.get("/api/v1/sales/stalled", headers=admin).json()

    response = app_client.get("/api/v1/home", headers=admin)

    assert response.status_code == 200, response.text
    panel = response.json()["stalled"]
    assert [item["opportunity_id"] for item in panel] == [
        deal["opportunity_id"] for deal in stalled
    ]
    assert all(item["name"] for item in panel)


def test_demo_stalled_deals_open_and_rep_owned(
    app_client: TestClient, demo: DemoTenant, database: Database
) -> None:
    admin = login(app_client, demo.slug, demo.admin_email, ADMIN_PASSWORD)
    stalled = app_client.get("/api/v1/sales/stalled", headers=admin).json()

    with database.session() as session:
        rows = session.execute(
            select(Opportunity.closed_on, Opportunity.expected_close_date, User.role)
            .join(User, User.id == Opportunity.owner_id)
            .where(Opportunity.id.in_([uuid.UUID(deal["opportunity_id"]) for deal in stalled]))
        ).all()

    assert len(rows) == STALLED_DEAL_COUNT
    assert [closed_on for closed_on, _, _ in rows] == [None] * STALLED_DEAL_COUNT
    assert {role for _, _, role in rows} == {"sales_rep"}
    # Still expected to close: a rep keeps pushing the date out while the deal sits.
    for _, expected_close, _ in rows:
        assert expected_close is not None
        assert expected_close > utc_now().date()


def test_demo_rep_sees_only_own_stalled_deal(
    app_client: TestClient, demo: DemoTenant, database: Database
) -> None:
    admin = login(app_client, demo.slug, demo.admin_email, ADMIN_PASSWORD)
    first = app_client.get("/api/v1/sales/stalled", headers=admin).json()[0]
    with database.session() as session:
        email = session.scalar(select(User.email).where(User.id == uuid.UUID(first["owner_id"])))
    assert email is not None
    rep = login(app_client, demo.slug, email, DEMO_PASSWORD)

    response = app_client.get("/api/v1/sales/stalled", headers=rep)

    assert response.status_code == 200, response.text
    assert [deal["opportunity_id"] for deal in response.json()] == [first["opportunity_id"]]
    panel = app_client.get("/api/v1/home", headers=rep).json()["stalled"]
    assert [item["opportunity_id"] for item in panel] == [first["opportunity_id"]]


def _tenant_id(database: Database, slug: str) -> uuid.UUID:
    with database.session() as session:
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == slug))
    assert tenant_id is not None
    return tenant_id


def test_demo_users_have_builtin_roles(demo: DemoTenant, database: Database) -> None:
    tenant_id = _tenant_id(database, demo.slug)
    with database.session() as session:
        roles = set(session.scalars(select(User.role).where(User.tenant_id == tenant_id)))

    assert roles <= set(BUILTIN_ROLES)
    assert {"service_agent", "marketer"} <= roles


def test_demo_sample_rep_reports_to_manager(demo: DemoTenant, database: Database) -> None:
    tenant_id = _tenant_id(database, demo.slug)

    logins = dict(sample_logins(database, tenant_id))

    assert set(logins) == {"sales_manager", "sales_rep"}
    with database.session() as session:
        manager = session.scalar(select(User).where(User.email == logins["sales_manager"]))
        rep = session.scalar(select(User).where(User.email == logins["sales_rep"]))
    assert manager is not None
    assert rep is not None
    assert rep.manager_id == manager.id


def test_demo_service_desk_is_staffed(
    app_client: TestClient, demo: DemoTenant, database: Database
) -> None:
    admin = login(app_client, demo.slug, demo.admin_email, ADMIN_PASSWORD)
    tenant_id = _tenant_id(database, demo.slug)

    agents = app_client.get("/api/v1/service/agents", headers=admin).json()
    with database.session() as session:
        pending = session.scalars(
            select(Ticket).where(Ticket.tenant_id == tenant_id, Ticket.status == "pending")
        ).all()
        assigned_open = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.tenant_id == tenant_id, Ticket.status == "open")
            .where(Ticket.assignee_id.is_not(None))
        )

    assert len(agents) > 1
    assert pending
    # Waiting on the customer stops the SLA clock, so none of them may be escalated.
    assert [ticket.number for ticket in pending if ticket.sla_paused_at is None] == []
    assert [ticket.number for ticket in pending if ticket.sla_state == "breached"] == []
    assert assigned_open


def test_demo_ticket_channels_are_known(demo: DemoTenant, database: Database) -> None:
    tenant_id = _tenant_id(database, demo.slug)
    with database.session() as session:
        channels = set(session.scalars(select(Ticket.channel).where(Ticket.tenant_id == tenant_id)))

    assert channels
    assert channels <= set(TICKET_CHANNELS)


def test_demo_sla_policy_names_are_chinese(app_client: TestClient, demo: DemoTenant) -> None:
    admin = login(app_client, demo.slug, demo.admin_email, ADMIN_PASSWORD)

    policies = app_client.get("/api/v1/service/sla/policies", headers=admin).json()

    assert {policy["name"] for policy in policies} == {
        "标准 SLA（紧急）",
        "标准 SLA（高）",
        "标准 SLA（普通）",
        "标准 SLA（低）",
    }
