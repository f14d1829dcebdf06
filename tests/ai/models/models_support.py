"""Helpers of the model tests: tenants with labelled leads, and logged-in users of a role."""

from __future__ import annotations

import random
from datetime import timedelta

from fastapi.testclient import TestClient

from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.sales.models import Activity, Lead
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
