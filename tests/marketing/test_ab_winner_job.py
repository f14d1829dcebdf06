"""The marketing cycle fixes an A/B winner by itself once the test is significant."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from marketing_support import configure_email, create_contact, grant, smtp_server
from sqlalchemy import select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.marketing.automation_models import Journey, MessageSend
from zhike.marketing.engagement import add_event
from zhike.marketing.jobs import choose_ab_winners, run_cycle


def _split_journey(client: TestClient, minimum_detectable_effect: float) -> str:
    send = {"type": "send", "channel": "email"}
    graph = {
        "trigger": {"kind": "manual"},
        "start": "split",
        "steps": [
            {
                "type": "split",
                "id": "split",
                "metric": "clicked",
                "minimum_detectable_effect": minimum_detectable_effect,
                "branches": [{"name": "A", "next": "send_a"}, {"name": "B", "next": "send_b"}],
            },
            {**send, "id": "send_a", "subject": "甲", "body": "甲"},
            {**send, "id": "send_b", "subject": "乙", "body": "乙"},
        ],
    }
    response = client.post("/api/v1/marketing/journeys", json={"name": "自动胜出", "graph": graph})
    assert response.status_code == 201, response.text
    journey_id = str(response.json()["id"])
    assert client.post(f"/api/v1/marketing/journeys/{journey_id}/activate").status_code == 200
    return journey_id


def _click_arm(database: Database, tenant: TenantInfo, journey_id: str, arm: str) -> None:
    with database.session() as session:
        contacts = session.scalars(
            select(MessageSend.contact_id).where(
                MessageSend.journey_id == uuid.UUID(journey_id),
                MessageSend.variant == f"split={arm}",
            )
        ).all()
        for contact_id in contacts:
            add_event(
                session,
                tenant.tenant.id,
                "clicked",
                contact_id=contact_id,
                journey_id=uuid.UUID(journey_id),
                variant=f"split={arm}",
            )


def _winners(database: Database, journey_id: str) -> dict[str, str]:
    with database.session() as session:
        journey = session.get(Journey, uuid.UUID(journey_id))
        assert journey is not None
        return dict(journey.winners or {})


def test_cycle_fixes_significant_winner(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with smtp_server() as (_, port):
        configure_email(client, port)
        contacts = []
        for index in range(40):
            contact = create_contact(client, f"auto{index}", email=f"auto{index}@example.com")
            grant(client, contact)
            contacts.append(contact)
        journey_id = _split_journey(client, 0.6)
        response = client.post(
            f"/api/v1/marketing/journeys/{journey_id}/enrollments", json={"ids": contacts}
        )
        assert response.status_code == 200, response.text
        run_cycle(database)
        assert _winners(database, journey_id) == {}

        _click_arm(database, tenant, journey_id, "B")
        cycle = run_cycle(database)

        assert cycle["ab_winners"] == 1
        assert _winners(database, journey_id) == {"split": "B"}
        assert choose_ab_winners(database) == 0


def test_cycle_waits_for_minimum_sample(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with smtp_server() as (_, port):
        configure_email(client, port)
        contacts = []
        for index in range(40):
            contact = create_contact(client, f"small{index}", email=f"small{index}@example.com")
            grant(client, contact)
            contacts.append(contact)
        # A 5-point effect on a zero baseline needs 158 contacts per arm, and 40 in all are too few.
        journey_id = _split_journey(client, 0.05)
        response = client.post(
            f"/api/v1/marketing/journeys/{journey_id}/enrollments", json={"ids": contacts}
        )
        assert response.status_code == 200, response.text
        run_cycle(database)
        _click_arm(database, tenant, journey_id, "B")

        cycle = run_cycle(database)

        assert cycle["ab_winners"] == 0
        assert _winners(database, journey_id) == {}
