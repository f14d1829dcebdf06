"""Helpers of the model tests: tenants with labelled leads and deals, and users of a role."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.customers.models import Account
from zhike.sales.models import Activity, Lead, Opportunity, PipelineStage, Product
from zhike.security.models import User
from zhike.security.passwords import hash_password

USER_PASSWORD = "Model-user-2026"


SOURCES = ("referral", "paid_search", "social", "trade_show")


def add_leads(database: Database, tenant_id, count: int, seed: int, signal: bool = True) -> None:
    """Decided leads whose conversion depends on source and follow-up activity."""
    rng = random.Random(seed)
    now = utc_now()
    with database.session() as session:
        for index in range(count):
            source = rng.choice(SOURCES)
            first = now - timedelta(days=rng.randint(200, 400))
            active = rng.random() < 0.5
            chance = (0.55 if source == "referral" else 0.1) + (0.25 if active else 0.0)
            converted = rng.random() < (chance if signal else 0.3)
            lead = Lead(
                tenant_id=tenant_id,
                name=f"线索{seed}-{index}",
                lead_source=source,
                mobile="13800000000" if rng.random() < 0.5 else None,
                status="converted" if converted else "disqualified",
                first_contact_at=first,
                converted_at=first + timedelta(days=40) if converted else None,
                custom={"landing_page": f"page-{rng.randint(1, 3)}"},
            )
            session.add(lead)
            session.flush()
            if active:
                session.add(
                    Activity(
                        tenant_id=tenant_id,
                        kind="call",
                        subject="电话跟进",
                        lead_id=lead.id,
                        occurred_at=first + timedelta(days=3),
                    )
                )


def add_opportunities(database: Database, tenant: Any, count: int, seed: int) -> None:
    """Won and lost deals, with accounts, products and activities before the close date."""
    rng = random.Random(seed)
    today = utc_now().date()
    with database.session() as session:
        stages = {
            stage.key: stage
            for stage in session.scalars(
                select(PipelineStage).where(PipelineStage.tenant_id == tenant.tenant.id)
            )
        }
        accounts = [
            Account(
                tenant_id=tenant.tenant.id,
                name=f"客户{seed}-{index}",
                industry=("制造", "零售", "金融")[index % 3],
                country="中国",
                employee_count=50 * (index + 1),
                annual_revenue=Decimal(1_000_000 * (index + 1)),
            )
            for index in range(6)
        ]
        products = [
            Product(
                tenant_id=tenant.tenant.id,
                name=f"产品{seed}-{index}",
                series=("标准版", "旗舰版")[index % 2],
                list_price=Decimal(10_000 * (index + 1)),
            )
            for index in range(3)
        ]
        session.add_all([*accounts, *products])
        session.flush()
        for index in range(count):
            account = rng.choice([*accounts, None])
            product = rng.choice(products)
            engaged = today - timedelta(days=rng.randint(60, 300))
            closed = engaged + timedelta(days=rng.randint(10, 50))
            active = rng.random() < 0.5
            chance = (0.6 if product.series == "旗舰版" else 0.2) + (0.2 if active else 0.0)
            deal = Opportunity(
                tenant_id=tenant.tenant.id,
                name=f"商机{seed}-{index}",
                owner_id=tenant.admin.id,
                account_id=None if account is None else account.id,
                product_id=product.id,
                stage_id=stages["won" if rng.random() < chance else "lost"].id,
                amount=Decimal(50_000),
                engaged_on=engaged,
                closed_on=closed,
            )
            session.add(deal)
            session.flush()
            if active:
                session.add(
                    Activity(
                        tenant_id=tenant.tenant.id,
                        kind="meeting",
                        subject="方案演示",
                        opportunity_id=deal.id,
                        occurred_at=datetime.combine(engaged, time(9), tzinfo=UTC)
                        + timedelta(days=3),
                    )
                )


def login_as(
    client: TestClient, database: Database, tenant, name: str, role: str
) -> dict[str, str]:
    """Create a user of ``role`` in the tenant and return the headers of their session."""
    email = f"{name}@{tenant.slug}.example.com"
    with database.session() as session:
        session.add(
            User(
                tenant_id=tenant.tenant.id,
                email=email,
                display_name=name,
                password_hash=hash_password(USER_PASSWORD),
                role=role,
            )
        )
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant": tenant.slug, "email": email, "password": USER_PASSWORD},
        headers={"Authorization": ""},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
