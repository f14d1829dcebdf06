"""Batched delivery: a worker dying mid-batch, unsubscribes and bounces during a batch, caps."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from marketing_support import configure_email, create_contact, grant, smtp_server
from sqlalchemy import select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.marketing.automation_models import MessageSend, Suppression
from zhike.marketing.channels import DeliveryResult, EmailChannel, OutboundMessage
from zhike.marketing.consent import unsubscribe_token
from zhike.marketing.journey_engine import run_due
from zhike.marketing.sending import CLAIM_TIMEOUT, dispatch_due


class WorkerKilled(BaseException):
    """The worker process dying. Nothing after it runs, and nothing uncommitted stays."""


class DyingChannel:
    """Delivers through a real channel, then dies right after delivery number ``deliveries``."""

    name = "email"

    def __init__(self, channel: EmailChannel, deliveries: int) -> None:
        self.channel = channel
        self.deliveries = deliveries
        self.delivered = 0

    def send(self, message: OutboundMessage) -> DeliveryResult:
        result = self.channel.send(message)
        self.delivered += 1
        if self.delivered == self.deliveries:
            raise WorkerKilled
        return result


class UnsubscribingChannel:
    """Delivers through a real channel, and the other contacts unsubscribe after the first send."""

    name = "email"

    def __init__(self, channel: EmailChannel, client: TestClient, tokens: dict[str, str]) -> None:
        self.channel = channel
        self.client = client
        self.tokens = tokens

    def send(self, message: OutboundMessage) -> DeliveryResult:
        result = self.channel.send(message)
        for address, token in self.tokens.items():
            if address != message.address:
                response = self.client.post(f"/api/v1/marketing/unsubscribe/{token}")
                assert response.status_code == 200, response.text
        self.tokens = {}
        return result


def _email_channel(port: int) -> EmailChannel:
    return EmailChannel("127.0.0.1", port, "market@zhike.example.com")


def _journey(client: TestClient, name: str, subjects: list[str]) -> str:
    steps: list[dict[str, Any]] = []
    for index, subject in enumerate(subjects):
        step: dict[str, Any] = {
            "type": "send",
            "id": f"send{index}",
            "channel": "email",
            "subject": subject,
            "body": subject,
        }
        if index + 1 < len(subjects):
            step["next"] = f"send{index + 1}"
        steps.append(step)
    graph = {"trigger": {"kind": "manual"}, "start": "send0", "steps": steps}
    response = client.post("/api/v1/marketing/journeys", json={"name": name, "graph": graph})
    assert response.status_code == 201, response.text
    journey_id = str(response.json()["id"])
    assert client.post(f"/api/v1/marketing/journeys/{journey_id}/activate").status_code == 200
    return journey_id


def _enroll(client: TestClient, journey_id: str, contacts: list[str]) -> None:
    response = client.post(
        f"/api/v1/marketing/journeys/{journey_id}/enrollments", json={"ids": contacts}
    )
    assert response.status_code == 200, response.text


def _consented_contacts(client: TestClient, prefix: str, count: int) -> list[str]:
    contacts = []
    for index in range(count):
        contact = create_contact(client, f"{prefix}{index}", email=f"{prefix}{index}@example.com")
        grant(client, contact)
        contacts.append(contact)
    return contacts


def _statuses(database: Database, tenant: TenantInfo) -> dict[str, tuple[str, str | None]]:
    with database.session() as session:
        rows = session.execute(
            select(MessageSend.send_key, MessageSend.status, MessageSend.reason).where(
                MessageSend.tenant_id == tenant.tenant.id
            )
        ).all()
    return {key: (status, reason) for key, status, reason in rows}


def test_crash_after_some_sends_repeats_same_keys(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port)
        contacts = _consented_contacts(client, "batchcrash", 5)
        _enroll(client, _journey(client, "批内崩溃", ["只一封"]), contacts)
        moment = utc_now()
        assert run_due(database, moment) == 5

        with pytest.raises(WorkerKilled):
            dispatch_due(
                database, now=moment, channels={"email": DyingChannel(_email_channel(port), 3)}
            )

        # Three messages left before the worker died, and none of their outcomes was committed.
        assert len(sink.messages) == 3
        statuses = _statuses(database, tenant)
        assert sorted(status for status, _ in statuses.values()) == ["sending"] * 5
        assert dispatch_due(database, now=moment + timedelta(minutes=1)) == 0

        retried = dispatch_due(database, now=moment + CLAIM_TIMEOUT + timedelta(seconds=1))

        assert retried == 5
        statuses = _statuses(database, tenant)
        assert sorted(status for status, _ in statuses.values()) == ["sent"] * 5
        # Every attempt carries the send key's Message-ID: the three repeats reuse the
        # first attempts' ids, which a receiver drops as duplicates, and no new key appears.
        message_ids = Counter(str(message["Message-ID"]) for message in sink.messages)
        assert len(sink.messages) == 8
        assert len(message_ids) == 5
        assert sorted(message_ids.values()) == [1, 1, 2, 2, 2]
        for index in range(5):
            received = sink.to(f"batchcrash{index}@example.com")
            assert len({str(message["Message-ID"]) for message in received}) == 1


def test_unsubscribe_during_batch_blocks_later_sends(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port)
        contacts = _consented_contacts(client, "midbatch", 4)
        _enroll(client, _journey(client, "批内退订", ["退订之前"]), contacts)
        with database.session() as session:
            tokens = {
                f"midbatch{index}@example.com": unsubscribe_token(
                    session, uuid.UUID(contact), tenant.tenant.id, "email", "marketing"
                )
                for index, contact in enumerate(contacts)
            }
        moment = utc_now()
        run_due(database, moment)
        channel = UnsubscribingChannel(_email_channel(port), client, tokens)

        # Facts older than zero seconds are read again before each send.
        handled = dispatch_due(database, now=moment, channels={"email": channel}, facts_max_age=0.0)

        assert handled == 4
        outcomes = sorted(_statuses(database, tenant).values())
        assert outcomes == [
            ("blocked", "no_consent"),
            ("blocked", "no_consent"),
            ("blocked", "no_consent"),
            ("sent", None),
        ]
        assert len(sink.messages) == 1


def test_batch_facts_within_max_age_are_reused(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port)
        contacts = _consented_contacts(client, "reused", 3)
        _enroll(client, _journey(client, "批内复用", ["复用"]), contacts)
        with database.session() as session:
            tokens = {
                f"reused{index}@example.com": unsubscribe_token(
                    session, uuid.UUID(contact), tenant.tenant.id, "email", "marketing"
                )
                for index, contact in enumerate(contacts)
            }
        moment = utc_now()
        run_due(database, moment)
        channel = UnsubscribingChannel(_email_channel(port), client, tokens)

        # An hour's maximum age: the batch keeps the facts read at its start.
        dispatch_due(database, now=moment, channels={"email": channel}, facts_max_age=3600.0)

        assert sorted(status for status, _ in _statuses(database, tenant).values()) == ["sent"] * 3
        assert len(sink.messages) == 3


def test_bounce_in_batch_blocks_same_address(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port)
        first = create_contact(client, "退信甲", email="bounce-shared@example.com")
        second = create_contact(client, "退信乙", email="bounce-shared@example.com")
        for contact in (first, second):
            grant(client, contact)
        _enroll(client, _journey(client, "批内退信", ["退信"]), [first, second])
        moment = utc_now()
        run_due(database, moment)

        handled = dispatch_due(database, now=moment)

        assert handled == 2
        outcomes = sorted(_statuses(database, tenant).values())
        assert outcomes[0][0] == "blocked"
        assert outcomes[0][1] == "suppressed"
        assert outcomes[1][0] == "bounced"
        assert sink.messages == []
        with database.session() as session:
            suppressions = session.execute(
                select(Suppression.address, Suppression.reason).where(
                    Suppression.tenant_id == tenant.tenant.id
                )
            ).all()
        assert [tuple(row) for row in suppressions] == [
            ("bounce-shared@example.com", "hard_bounce")
        ]


def test_frequency_cap_counts_same_batch(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port, frequency_cap=1)
        (contact,) = _consented_contacts(client, "capped", 1)
        _enroll(client, _journey(client, "批内频次", ["第一封", "第二封"]), [contact])
        moment = utc_now()
        run_due(database, moment)

        handled = dispatch_due(database, now=moment)

        assert handled == 2
        outcomes = sorted(_statuses(database, tenant).values())
        assert outcomes == [("blocked", "frequency_cap"), ("sent", None)]
        assert len(sink.messages) == 1
